"""The answer composer: one claim per sentence, no dangling references, the direct answer first.

The candidates stand for the decide stage's answer sentences (best first, with the reader's span in
each): the composer only arranges and cites them.
"""

from __future__ import annotations

import numpy as np

from qa_bot.answering.candidates import Candidate
from qa_bot.answering.compose import compose, dangling, same_claim, select
from qa_bot.models import Hit, Passage
from qa_bot.params import ComposeParams
from qa_bot.understanding.analysis import analyse

PARAMS = ComposeParams(max_sentences=3)


def make(article_id: str, outlet: str, sentences: list[str]) -> tuple[str, list[Candidate]]:
    """An article made of ``sentences`` and one candidate per sentence (offsets into the article)."""
    text = " ".join(sentences)
    passage = Passage(chunk_id=f"{article_id}:0", article_id=article_id, text=text, start=0, end=len(text),
                      title=f"Title {article_id}", outlet=outlet, url="", published="2026-01-02")
    hit = Hit(passage, 1.0, rank=1)
    out, prev = [], ""
    for s in sentences:
        start = text.index(s)
        out.append(Candidate(hit=hit, text=s, start=start, end=start + len(s), previous=prev))
        prev = s
    return text, out


def run(question: str, cands: list[Candidate], scores: list[float], spans: dict[int, str] | None = None):
    """Compose from candidates in decision order; ``spans`` maps a candidate to the reader's span in it."""
    s = np.array(scores)
    assert list(s) == sorted(s, reverse=True), "the decide stage hands sentences over best first"
    where = {i: (cands[i].text.index(v), cands[i].text.index(v) + len(v)) for i, v in (spans or {}).items()}
    sel = select(cands, s, where, analyse(question), PARAMS)
    hits = list({id(c.hit): c.hit for c in cands}.values())
    return compose(question, hits, cands, s, sel, float(s.max()), "extractive")


def test_the_same_claim_from_two_outlets_is_one_sentence_with_both_citations():
    ta, a = make("a", "Alpha Post", ["The council approved the new harbour bridge on Tuesday after a long debate."])
    tb, b = make("b", "Beta Times", ["After a long debate, the council approved the new harbour bridge on Tuesday."])
    answer = run("What did the council decide about the bridge?", a + b, [0.9, 0.8])
    assert len(answer.sentences) == 1
    assert answer.sentences[0].citations == (1, 2)
    texts = {"a": ta, "b": tb}
    for c in answer.citations:
        assert texts[c.article_id][c.start:c.end] == c.quote
    assert {c.quote for c in answer.citations} == {a[0].text, b[0].text}
    assert answer.text.endswith("[1] [2]")


def test_different_numbers_are_never_the_same_claim():
    _, a = make("a", "Alpha Post", ["The council signed 14 agreements with the port authority."])
    _, b = make("b", "Beta Times", ["The council signed 7 agreements with the port authority."])
    assert not same_claim(a[0], b[0])


def test_vectors_close_enough_merge_even_when_words_differ():
    _, a = make("a", "Alpha Post", ["Officials signed the pact."])
    _, b = make("b", "Beta Times", ["The agreement was concluded by the ministers."])
    v = np.ones(4, dtype=np.float32) / 2
    assert same_claim(Candidate(a[0].hit, a[0].text, 0, 1, vector=v), Candidate(b[0].hit, b[0].text, 0, 1, vector=v))
    assert not same_claim(a[0], b[0])


def test_a_dangling_sentence_is_skipped_without_its_antecedent_and_kept_after_it():
    first = "The mayor opened the new library on Friday."
    second = "This made the mayor proud after three years of building work."
    _, cands = make("a", "Alpha Post", [first, second])
    _, other = make("b", "Beta Times", ["Residents queued outside the library before dawn on Friday."])
    kept = run("What happened at the library?", cands + other, [0.9, 0.8, 0.7])
    assert [s.text for s in kept.sentences][:2] == [first, second]
    # the antecedent is not a candidate (another chunk): the "This ..." sentence is left out
    alone = [Candidate(cands[1].hit, second, cands[1].start, cands[1].end, previous="")]
    skipped = run("What happened at the library?", alone + other, [0.9, 0.7])
    assert all(not s.text.startswith("This") for s in skipped.sentences)
    assert skipped.sentences[0].text == other[0].text


def test_dangling_openers_are_recognised():
    for text in ("This echoes earlier remarks.", "He added that it was fine.", "Second, the plan is late.",
                 "The same reports said so.", "Other outlets counted 15."):
        assert dangling(text), text
    for text in ("The mayor said the plan is late.", "Officials counted 15.", "First-time buyers gained."):
        assert not dangling(text), text


def test_the_short_answer_is_the_readers_span_in_the_lead_sentence():
    text, cands = make("a", "Alpha Post", ["Officials said 12 new cranes will be installed at the port next year.",
                                           "The council met on Tuesday to discuss the port."])
    answer = run("How many cranes will be installed?", cands, [0.9, 0.8], {0: "12 new cranes"})
    short = answer.short_answer
    assert short is not None
    assert short.text == "12 new cranes" == text[short.start:short.end]
    assert not short.alternatives and short.display == "12 new cranes"
    assert answer.sentences[0].text == cands[0].text
    first = next(c for c in answer.citations if c.n == short.citation)
    assert first.quote == cands[0].text


def test_a_dangling_best_sentence_gives_the_lead_to_the_next_and_the_short_answer_with_it():
    _, a = make("a", "Alpha Post", ["He said 12 cranes will come."])
    _, b = make("b", "Beta Times", ["The port will install 12 cranes next year."])
    answer = run("How many cranes will the port install?", a + b, [0.9, 0.8], {0: "12 cranes", 1: "12 cranes"})
    assert answer.sentences[0].text == b[0].text
    assert answer.short_answer and answer.short_answer.text == "12 cranes"
    assert answer.citations[answer.short_answer.citation - 1].article_id == "b"


def test_when_outlets_give_different_counts_the_majority_leads_and_the_short_answer_names_the_other():
    _, a = make("a", "Alpha Post", ["The two sides signed 15 memorandums of understanding on Monday."])
    _, b = make("b", "Beta Times", ["Officials signed 14 memorandums of understanding during the visit."])
    _, c = make("c", "Gamma Daily", ["In all, 14 memorandums of understanding were signed, officials said."])
    answer = run("How many MOUs were signed?", a + b + c, [0.9, 0.85, 0.8],
                 {0: "15 memorandums of understanding", 1: "14 memorandums of understanding",
                  2: "14 memorandums of understanding"})
    short = answer.short_answer
    assert short is not None and short.text.startswith("14")
    assert [v.split()[0] for v in short.alternatives] == ["15"]
    assert short.display.startswith("14 memorandums of understanding or 15") and "outlets differ" in short.display
    assert answer.sentences[0].text in (b[0].text, c[0].text)
    assert answer.disagreements and len(answer.disagreements[0].values) == 2


def test_at_most_max_sentences():
    sents = [f"The museum shows painting number {w} from the collection of old masters." for w in "abcdef"]
    _, cands = make("a", "Alpha Post", sents)
    answer = run("What does the museum show?", cands, [0.9, 0.89, 0.88, 0.87, 0.86, 0.85])
    assert len(answer.sentences) <= PARAMS.max_sentences
