"""Disagreement stated: sources giving different counts of what was asked."""

from __future__ import annotations

from tests.answering.test_compose import make, run


def test_two_outlets_with_different_counts_give_one_disagreement_with_two_values():
    _, a = make("a", "Alpha Post", ["Officials signed 14 agreements with the port authority on Monday."])
    _, b = make("b", "Beta Times", ["By this paper's count, 15 agreements were signed on Monday."])
    answer = run("How many agreements were signed?", a + b, [0.9, 0.8])
    assert len(answer.disagreements) == 1
    d = answer.disagreements[0]
    assert d.about == "agreements"
    assert [(v.value, len(v.citations)) for v in d.values] == [("14 agreements", 1), ("15 agreements", 1)]
    quotes = {c.n: c.quote for c in answer.citations}
    assert "14 agreements" in quotes[d.values[0].citations[0]] and "15 agreements" in quotes[d.values[1].citations[0]]
    assert "Outlets differ: 14 agreements according to Alpha Post [1]; 15 agreements according to Beta Times [2]." \
        in answer.text
    assert answer.to_dict()["disagreements"][0]["values"][1]["value"] == "15 agreements"


def test_agreeing_outlets_give_no_disagreement():
    _, a = make("a", "Alpha Post", ["Officials signed 14 agreements with the port authority on Monday."])
    _, b = make("b", "Beta Times", ["In all, fourteen agreements were signed on Monday."])
    answer = run("How many agreements were signed?", a + b, [0.9, 0.8])
    assert answer.disagreements == ()
    assert "differ" not in answer.text


def test_counts_of_something_else_are_not_a_disagreement():
    _, a = make("a", "Alpha Post", ["Officials signed 14 agreements with the port authority on Monday."])
    _, b = make("b", "Beta Times", ["The 3 ministers signed agreements over two days."])
    answer = run("How many agreements were signed?", a + b, [0.9, 0.8])
    assert answer.disagreements == ()
