"""The answer-form metrics (redundancy, short-answer EM/F1, answer-bearing passage recall, disagreement
recall) on hand-made answers: each metric by itself, then through ``score_answer`` and ``aggregate``."""

import math

import pytest

from qa_bot.evaluation import metrics as M
from qa_bot.evaluation.dataset import Evidence, GoldItem
from qa_bot.evaluation.runner import HEADLINE, QuestionRecord, aggregate, compare, score_answer
from qa_bot.models import Answer, Citation, Disagreement, DisagreementValue, Hit, Passage, ShortAnswer

# Two outlets report the same signing with different counts; a third article is unrelated.
WIRE = "After the talks, officials signed 14 memorandums of understanding. A deed of donation was also signed."
DESK = "The two sides signed 15 cooperation documents, covering trade and science."
OTHER = "The weather in the capital was cold and dry all week."


# ---------------------------------------------------------------- redundancy


def test_near_identical_sentences_are_redundant():
    text = ("Officials signed 14 memorandums of understanding after the talks [1]. "
            "After the talks, officials signed 14 memorandums of understanding [2].")
    assert M.is_redundant(text)


def test_a_paraphrase_sharing_most_words_is_redundant():
    # 5 shared of 7 content words (Jaccard 0.71); neither sentence lies inside the other.
    assert M.same_claim("Officials signed 14 memorandums of understanding after the talks.",
                        "After the talks, officials inked 14 memorandums of understanding.")
    assert not M.same_claim("Officials signed 14 memorandums of understanding after the talks.",
                            "Officials signed a deed of donation after the banquet.")


def test_one_sentence_restating_another_plus_more_is_redundant():
    # Jaccard is below 0.6 but every content word of the first is in the second.
    text = ("Xi called the ties a strategic partnership [1]. "
            "On Monday in the Great Hall, Xi called the ties a strategic partnership worth deepening further [2].")
    assert M.is_redundant(text)


def test_different_claims_are_not_redundant():
    text = ("Officials signed 14 memorandums of understanding after the talks [1]. "
            "A deed of donation for two stone lions was also signed [1]. The talks ran ninety minutes [2].")
    assert not M.is_redundant(text)


def test_a_short_direct_answer_lead_is_not_a_restatement():
    # The composer opens with the span; the sentence holding it follows. Too short for containment.
    assert not M.is_redundant("14 MOUs. After the talks, officials signed 14 MOUs and a deed of donation [1].")
    assert not M.is_redundant("One sentence only [1].")


def test_markers_never_stand_as_sentences():
    assert M.answer_sentences("First claim here. [1] Second claim there. [2]") == ["First claim here.",
                                                                                    "Second claim there."]


# ---------------------------------------------------------------- short answer


def test_short_answer_exact_match_and_f1():
    refs = ["90 minutes", "an hour and a half"]
    assert M.short_answer_scores("90 minutes", refs) == (1.0, 1.0)
    assert M.short_answer_scores("The 90 Minutes!", refs) == (1.0, 1.0)  # normalised
    em, f1 = M.short_answer_scores("about 90 minutes", refs)
    assert em == 0.0 and f1 == pytest.approx(0.8)  # p = 2/3, r = 1
    assert M.short_answer_scores("two hours", refs) == (0.0, 0.0)
    assert M.short_answer_scores(None, refs) == (0.0, 0.0)
    assert M.short_answer_scores("", refs) == (0.0, 0.0)


# ---------------------------------------------------------------- answer-bearing passages


def test_a_passage_from_another_article_holding_the_reference_bears_the_answer():
    spans = [M.locate("wire", "officials signed 14 memorandums of understanding", WIRE)]
    other_outlet = [("other", 0, len(OTHER), OTHER), ("desk2", 0, 60, "Reports count 14 memorandums of understanding "
                                                                     "in all.")]
    refs = ["14 memorandums of understanding"]
    assert M.recall_at_k(other_outlet, spans, 5) == 0.0  # evidence recall needs the gold article ...
    assert M.answer_passage_recall_at_k(other_outlet, spans, refs, 5) == 1.0  # ... this does not
    assert M.answer_passage_recall_at_k(other_outlet, spans, refs, 1) == 0.0  # but only within the first k


def test_an_evidence_quote_counts_even_when_the_reference_is_long_form():
    quote = "The two sides signed 15 cooperation documents"
    spans = [M.locate("desk", quote, DESK)]
    long_ref = ["A long-form reference answer that is much too long to be tested by containment in a passage"]
    assert M.answer_passage_recall_at_k([("desk", 0, len(DESK), DESK)], spans, long_ref, 5) == 1.0
    syndicated = ("copy", 0, 80, "Reprint: the two sides signed 15 cooperation documents, covering trade.")
    assert M.answer_passage_recall_at_k([syndicated], spans, long_ref, 5) == 1.0
    assert M.answer_passage_recall_at_k([("other", 0, len(OTHER), OTHER)], spans, long_ref, 5) == 0.0
    # A gold document without a quote says nothing about which passage bears the answer.
    assert M.answer_passage_recall_at_k([("desk", 0, 10, "The two")], [M.Span("desk")], long_ref, 5) == 0.0


# ---------------------------------------------------------------- disagreement


def test_reference_values_group_references_by_their_numbers():
    refs = ["14 memorandums of understanding", "15 cooperation documents", "15 MOUs"]
    assert M.reference_values(refs) == [frozenset({"14"}), frozenset({"15"})]
    assert M.reference_values(["not addressed", "emphasised"]) == []
    assert len(M.reference_values(["$49 billion", "$56 billion"])) == 2


def test_a_disagreement_covering_both_values_counts_and_one_covering_one_does_not():
    values = M.reference_values(["14 memorandums of understanding", "15 MOUs"])
    assert M.disagreement_found([["14 MOUs plus a deed of donation", "15 documents"]], values)
    assert not M.disagreement_found([["14 MOUs", "14 memorandums and a deed"]], values)  # one value twice
    assert not M.disagreement_found([["14 MOUs"]], values)
    assert not M.disagreement_found([], values)
    assert not M.disagreement_found([["14 MOUs", "a deed of donation"]], values)


# ---------------------------------------------------------------- through score_answer and aggregate


def _hit(article_id: str, text: str, n: int) -> Hit:
    return Hit(Passage(f"{article_id}:0", article_id, text, 0, len(text), "T", f"Outlet {n}", "", "2026-01-05"),
               1.0 / n, rank=n)


def _cite(n: int, article_id: str, text: str, quote: str) -> Citation:
    i = text.index(quote)
    return Citation(n, f"{article_id}:0", article_id, "T", f"Outlet {n}", "2026-01-05", "", quote, i, i + len(quote))


def _answer(text: str, *, short: str | None = None, disagreements=(), abstained=False, hits=None) -> Answer:
    q1 = "officials signed 14 memorandums of understanding"
    q2 = "The two sides signed 15 cooperation documents"
    return Answer("How many agreements were signed?", text,
                  () if abstained else (_cite(1, "wire", WIRE, q1), _cite(2, "desk", DESK, q2)), abstained,
                  hits=hits if hits is not None else (_hit("wire", WIRE, 1), _hit("desk", DESK, 2)),
                  short_answer=ShortAnswer(short, 1, 0, len(short)) if short else None,
                  disagreements=tuple(disagreements))


MULTI = GoldItem("m1", "How many agreements were signed, and why do reports differ?",
                 ("14 memorandums of understanding", "15 cooperation documents", "15 MOUs"), True, "multi",
                 (Evidence("wire", "officials signed 14 memorandums of understanding"),
                  Evidence("desk", "The two sides signed 15 cooperation documents")))
DIFFER = Disagreement("agreements signed", (DisagreementValue("14 memorandums of understanding", (1,)),
                                            DisagreementValue("15 cooperation documents", (2,))))


def _scores(item, answer, k=5):
    spans = [M.locate(e.article_id, e.quote, {"wire": WIRE, "desk": DESK}.get(e.article_id)) for e in item.evidence]
    return score_answer(item, answer, spans, k, None)[0]


def test_score_answer_gives_the_answer_form_scores():
    good = _scores(MULTI, _answer("Outlets differ: 14 memorandums of understanding [1]; 15 cooperation documents [2].",
                                  short="14 memorandums of understanding", disagreements=[DIFFER]))
    assert good["redundant"] == 0.0 and good["short_answer_em"] == 1.0 and good["short_answer_f1"] == 1.0
    assert good["answer_passage_recall_at_5"] == 1.0 and good["disagreement_recall"] == 1.0
    one_value = Disagreement("agreements signed", (DisagreementValue("14 memorandums", (1,)),))
    bad = _scores(MULTI, _answer("Officials signed 14 memorandums of understanding [1]. After the talks, "
                                 "officials signed 14 memorandums of understanding [2].",
                                 short="a deed", disagreements=[one_value],
                                 hits=(_hit("other", OTHER, 1),)))
    assert bad["redundant"] == 1.0 and bad["short_answer_em"] == 0.0 and bad["short_answer_f1"] == 0.0
    assert bad["answer_passage_recall_at_5"] == 0.0 and bad["disagreement_recall"] == 0.0
    no_short = _scores(MULTI, _answer("Officials signed 14 memorandums of understanding [1]."))
    assert no_short["short_answer_em"] == 0.0 and no_short["short_answer_f1"] == 0.0
    abstained = _scores(MULTI, _answer("", abstained=True, short="15 MOUs", disagreements=[DIFFER]))
    assert "redundant" not in abstained  # only answers given are judged for redundancy
    assert abstained["short_answer_em"] == 0.0 and abstained["disagreement_recall"] == 0.0


def test_disagreement_recall_is_only_defined_on_multi_questions_with_several_values():
    single = GoldItem("f1", "How many agreements did the wire count?", ("14 memorandums of understanding",), True,
                      "fact", (Evidence("wire", "officials signed 14 memorandums of understanding"),))
    assert "disagreement_recall" not in _scores(single, _answer("x [1].", disagreements=[DIFFER]))
    words_only = GoldItem("m2", "Did it come up?", ("not addressed", "emphasised"), True, "multi")
    assert "disagreement_recall" not in _scores(words_only, _answer("x [1].", disagreements=[DIFFER]))
    unanswerable = GoldItem("u1", "What was on the menu?", ("The coverage does not say.",), False, "unanswerable")
    scores = _scores(unanswerable, _answer("Officials signed 14 memorandums of understanding [1]."))
    assert set(scores) == {"abstained", "redundant"}


def _record(item, scores, abstained=False):
    return QuestionRecord(id=item.id, type=item.type, question=item.question, references=list(item.answers),
                          answerable=item.answerable, answer="", abstained=abstained, citations=[], passages=[],
                          scores=scores, passed=False, latency_ms=1.0)


def test_aggregate_means_and_nan_when_no_question_qualifies():
    good = _scores(MULTI, _answer("Outlets differ: 14 memorandums of understanding [1]; 15 cooperation documents [2].",
                                  short="14 memorandums of understanding", disagreements=[DIFFER]))
    bad = _scores(MULTI, _answer("Officials signed 14 memorandums of understanding [1]. After the talks, "
                                 "officials signed 14 memorandums of understanding [2]."))
    m = aggregate([_record(MULTI, good), _record(MULTI, bad)])
    assert m["redundancy"] == 0.5 and m["short_answer_em"] == 0.5 and m["disagreement_recall"] == 0.5
    assert m["answer_passage_recall_at_5"] == 1.0 and m["answer_passage_recall_at_k"] == 1.0
    fact = GoldItem("f1", "q?", ("ninety minutes",), True, "fact")
    m = aggregate([_record(fact, _scores(fact, _answer("The talks ran ninety minutes [1].")))])
    assert math.isnan(m["disagreement_recall"])


def test_existing_metrics_keep_their_values_and_old_runs_compare_without_regressions():
    answer = _answer("Outlets differ: 14 memorandums of understanding [1]; 15 cooperation documents [2].",
                     short="14 memorandums of understanding", disagreements=[DIFFER])
    plain = Answer(answer.question, answer.text, answer.citations, False, hits=answer.hits)
    with_form, without_form = _scores(MULTI, answer), _scores(MULTI, plain)
    new = {"redundant", "short_answer_em", "short_answer_f1", "answer_passage_recall_at_5",
           "answer_passage_recall_at_k", "disagreement_recall"}
    assert {k: v for k, v in with_form.items() if k not in new} == {k: v for k, v in without_form.items()
                                                                     if k not in new}
    current = aggregate([_record(MULTI, with_form)])
    old_run = {k: v for k, v in current.items() if k not in {"redundancy", "short_answer_em", "short_answer_f1",
                                                              "answer_passage_recall_at_5", "disagreement_recall"}}
    rows = {r["metric"]: r for r in compare(current, old_run)}
    assert set(rows) == set(HEADLINE) and not any(r["regression"] for r in rows.values())
    assert rows["redundancy"]["baseline"] is None and rows["redundancy"]["delta"] is None
    worse = dict(current, redundancy=0.5)
    assert {r["metric"] for r in compare(worse, current) if r["regression"]} == {"redundancy"}  # lower is better
