"""The extractive answerer: read -> decide -> compose, with a scripted reader standing in for the model."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from qa_bot.answering import ABSTAIN_TEXT, ExtractiveAnswerer, PreparedQuestion
from qa_bot.answering.extractive import passages_of
from qa_bot.errors import ConfigError
from qa_bot.models import Hit, Passage
from qa_bot.params import AnswerParams, DecideParams, load_params, parse_params
from qa_bot.understanding.analysis import analyse
from qa_bot.understanding.condense import Condensed

from tests.fakes import ScriptedReader

S1 = "The city council approved a new tram line on Tuesday."
S2 = "The tram line will run twelve kilometres from the harbour to the airport."
S3 = "Why did the council wait so long?"
S4 = "Officials said the tram budget was finally agreed in the spring."
S5 = "Construction of the tram line starts next year and should take four years."
ARTICLE = " ".join([S1, S2, S3, S4, S5])
OTHER = "A storm closed the harbour for two days. Ferries were cancelled and the airport stayed open."
QUESTION = "How long will the new tram line be?"


def passage(article_id: str, text: str, first: str, last: str, n: int, outlet: str = "Test Wire") -> Passage:
    """The chunk of ``text`` from sentence ``first`` through sentence ``last``, with its article offsets."""
    start = text.index(first)
    end = text.index(last) + len(last)
    return Passage(chunk_id=f"{article_id}:{n}", article_id=article_id, text=text[start:end], start=start, end=end,
                   title="A title", outlet=outlet, url="", published="2026-01-02")


HITS = [Hit(passage("a1", ARTICLE, S2, S3, 0), 0.9, rank=1),
        Hit(passage("a1", ARTICLE, S4, S5, 1), 0.8, rank=2),
        Hit(passage("a2", OTHER, "A storm", "open.", 0, outlet="Test Daily"), 0.5, rank=3)]
TEXTS = {"a1": ARTICLE, "a2": OTHER}


def prepared(question: str = QUESTION, hits=HITS, k: int = 2) -> PreparedQuestion:
    return PreparedQuestion(Condensed(question), analyse(question), np.zeros(4, dtype=np.float32), tuple(hits), {},
                            TEXTS, k)


def answerer(reader, **decide) -> ExtractiveAnswerer:
    params = load_params().answer
    support = {"intercept": 0.0, "margin": 1.0, "score": 0.0, "topic": 0.0}
    return ExtractiveAnswerer(reader, replace(params, decide=replace(params.decide, support=support, **decide)))


def test_the_reader_reads_each_chunk_with_its_articles_neighbouring_sentences():
    reader = ScriptedReader({})
    answerer(reader).answer_prepared(prepared())
    _, texts = reader.calls[0]
    assert texts[0] == " ".join([S1, S2, S3, S4])  # S1 before the chunk, S4 after it
    assert texts[1] == " ".join([S3, S4, S5])
    assert texts[2] == OTHER


def test_an_unknown_article_text_reads_the_chunk_alone():
    [p] = passages_of(HITS[:1], {})
    assert p.text == HITS[0].passage.text and p.offset == HITS[0].passage.start


def test_the_answer_is_the_sentence_holding_the_best_span_and_the_short_answer_that_span():
    reader = ScriptedReader({"twelve kilometres": 5.0, "four years": 1.0}, no_answer=0.0)
    answer = answerer(reader).answer_prepared(prepared())
    assert not answer.abstained
    assert answer.short_answer.text == "twelve kilometres"
    assert ARTICLE[answer.short_answer.start:answer.short_answer.end] == "twelve kilometres"
    assert answer.sentences[0].text == S2
    for c in answer.citations:
        assert TEXTS[c.article_id][c.start:c.end] == c.quote
        assert 0.0 <= c.support <= 1.0


def test_abstains_when_no_span_beats_the_no_answer_score_and_shows_the_closest_passages():
    reader = ScriptedReader({"twelve kilometres": 1.0}, no_answer=3.0)
    answer = answerer(reader).answer_prepared(prepared())
    assert answer.abstained and answer.text == ABSTAIN_TEXT and not answer.citations
    assert 0 < len(answer.hits) <= 2
    assert answer.support == pytest.approx(1 / (1 + np.exp(2.0)))


def test_the_threshold_decides_on_the_calibrated_probability():
    reader = ScriptedReader({"twelve kilometres": 1.0}, no_answer=0.0)  # p = sigmoid(1) = 0.73
    assert not answerer(reader, threshold=0.7).answer_prepared(prepared()).abstained
    assert answerer(reader, threshold=0.75).answer_prepared(prepared()).abstained


def test_a_sentence_the_writer_asks_never_answers():
    reader = ScriptedReader({"wait so long": 9.0}, no_answer=0.0)
    assert answerer(reader).answer_prepared(prepared()).abstained


def test_spans_well_below_the_best_are_not_quoted():
    reader = ScriptedReader({"twelve kilometres": 6.0, "four years": 0.1}, no_answer=0.0)
    quoted = {s.text for s in answerer(reader, keep_ratio=0.8).answer_prepared(prepared()).sentences}
    assert quoted == {S2}


def test_passages_are_shown_in_the_decisions_order_best_answer_first():
    reader = ScriptedReader({"four years": 4.0, "storm": 2.0}, no_answer=0.0)
    answer = answerer(reader).answer_prepared(prepared(k=3))
    assert [h.passage.chunk_id for h in answer.hits] == ["a1:1", "a2:0", "a1:0"]
    assert [h.rank for h in answer.hits] == [1, 2, 3]


def test_what_did_x_say_is_answered_only_with_x_speaking():
    text = "Mayor Ana Lopez said the tram would be late. Officials said the budget was agreed."
    hit = Hit(Passage("m:0", "m", text, 0, len(text), "T", "Wire", "", "2026-01-02"), 1.0, rank=1)
    question = "What did Lopez say about the tram?"
    prep = PreparedQuestion(Condensed(question), analyse(question), np.zeros(4, dtype=np.float32), (hit,), {},
                            {"m": text}, 1)
    others_words = ScriptedReader({"the budget was agreed": 6.0}, no_answer=0.0)
    decision = answerer(others_words).judge(prep).decision
    assert decision.abstained and "speaker" in decision.reason
    both = ScriptedReader({"the budget was agreed": 6.0, "the tram would be late": 2.0}, no_answer=0.0)
    answer = answerer(both).answer_prepared(prep)
    assert answer.short_answer.text == "the tram would be late"
    assert not answerer(others_words, speaker_required=False).answer_prepared(prep).abstained


def test_every_passage_gets_a_verdict_and_answers_means_the_answer_quotes_it():
    reader = ScriptedReader({"twelve kilometres": 5.0, "storm": -4.0}, no_answer=0.0)
    judged = answerer(reader, keep_ratio=0.5).judge(prepared(k=3))
    verdicts = {v.hit.passage.chunk_id: v for v in judged.decision.passages}
    assert set(verdicts) == {"a1:0", "a1:1", "a2:0"}
    assert verdicts["a1:0"].answers and verdicts["a1:0"].best.text == "twelve kilometres"
    assert not verdicts["a2:0"].answers and verdicts["a2:0"].score < 0.1
    assert verdicts["a1:1"].best is None and not verdicts["a1:1"].answers


def test_the_support_model_is_checked_by_name_at_load():
    good = {"answer": {"decide": {"support": {"intercept": -1, "margin": 0.5, "score": 0.1, "topic": 1}}}}
    assert parse_params(good).answer.decide.support == {"intercept": -1.0, "margin": 0.5, "score": 0.1, "topic": 1.0}
    with pytest.raises(ConfigError, match="lacks the weight 'topic'"):
        parse_params({"answer": {"decide": {"support": {"intercept": 0, "margin": 1, "score": 0}}}})
    with pytest.raises(ConfigError, match="unknown weight 'reader'"):
        parse_params({"answer": {"decide": {"support": {"intercept": 0, "margin": 1, "score": 0, "topic": 0,
                                                        "reader": 2}}}})
    with pytest.raises(ConfigError, match="unknown key 'support_threshold'"):
        parse_params({"answer": {"decide": {"support_threshold": 0.4}}})
    with pytest.raises(ConfigError, match=r"unknown table \[extractive\]"):
        parse_params({"extractive": {}})


def test_the_shipped_parameters_load_and_every_tuned_value_is_in_them():
    params = load_params()
    assert isinstance(params.answer, AnswerParams) and isinstance(params.answer.decide, DecideParams)
    assert set(params.answer.decide.support) == {"intercept", "margin", "score", "topic"}


def test_every_outlet_above_the_threshold_counts_when_values_differ_though_only_the_best_is_quoted():
    texts, hits = {}, []
    for n, (outlet, sentence) in enumerate([("Alpha", "Officials signed 15 accords on Monday."),
                                            ("Beta", "In all, 14 accords were signed during the visit."),
                                            ("Gamma", "The two sides signed 14 accords, a statement said.")]):
        texts[f"a{n}"] = sentence
        hits.append(Hit(Passage(f"a{n}:0", f"a{n}", sentence, 0, len(sentence), "T", outlet, "", "2026-01-02"),
                        1.0 - n / 10, rank=n + 1))
    question = "How many accords were signed?"
    prep = PreparedQuestion(Condensed(question), analyse(question), np.zeros(4, dtype=np.float32), tuple(hits), {},
                            texts, 3)
    reader = ScriptedReader({"15 accords": 4.0, "14 accords were": 1.0, "14 accords,": 1.0}, no_answer=0.0)
    decision = answerer(reader, keep_ratio=0.9, threshold=0.7).judge(prep).decision
    assert [a.text for a in decision.spans] == ["15 accords"]  # 0.98: the only one within keep_ratio
    assert {a.hit.passage.outlet for a in decision.corroborating} == {"Beta", "Gamma"}  # 0.73 each
    answer = answerer(reader, keep_ratio=0.9, threshold=0.7).answer_prepared(prep)
    assert answer.short_answer.text.startswith("14") and answer.short_answer.alternatives == ("15 accords",)
    assert {c.outlet for c in answer.citations} == {"Alpha", "Beta", "Gamma"}


LEAN_OPENER = "On trams, the mayor's message did not change all year."
LEAN_BEST = "The same reports said the mayor backed a line of twelve kilometres."
LEAN_ALONE = "Separately, the mayor said the budget was agreed."
LEAN_ARTICLE = " ".join([LEAN_OPENER, LEAN_BEST, LEAN_ALONE])


def test_a_best_sentence_that_leans_on_the_one_before_is_quoted_with_it_as_one_claim():
    hit = Hit(passage("a3", LEAN_ARTICLE, LEAN_OPENER, LEAN_ALONE, 0), 0.9, rank=1)
    ask = PreparedQuestion(Condensed(QUESTION), analyse(QUESTION), np.zeros(4, dtype=np.float32), (hit,), {},
                           {"a3": LEAN_ARTICLE}, 1)
    reader = ScriptedReader({"twelve kilometres": 5.0, "budget was agreed": 4.5}, no_answer=0.0)
    answer = answerer(reader, keep_ratio=0.5).answer_prepared(ask)
    assert answer.sentences[0].text == f"{LEAN_OPENER} {LEAN_BEST}"
    first = answer.citations[0]
    assert LEAN_ARTICLE[first.start:first.end] == first.quote == f"{LEAN_OPENER} {LEAN_BEST}"
    assert answer.short_answer.text == "twelve kilometres" == LEAN_ARTICLE[answer.short_answer.start:
                                                                            answer.short_answer.end]


def test_a_leaning_best_sentence_whose_opener_lies_outside_its_passage_gives_the_lead_to_one_that_stands_alone():
    hit = Hit(passage("a3", LEAN_ARTICLE, LEAN_BEST, LEAN_ALONE, 0), 0.9, rank=1)  # the opener is not in the chunk
    ask = PreparedQuestion(Condensed(QUESTION), analyse(QUESTION), np.zeros(4, dtype=np.float32), (hit,), {},
                           {"a3": LEAN_ARTICLE}, 1)
    reader = ScriptedReader({"twelve kilometres": 5.0, "budget was agreed": 4.5}, no_answer=0.0)
    answer = answerer(reader, keep_ratio=0.5).answer_prepared(ask)
    assert answer.sentences[0].text == LEAN_ALONE
    assert all(LEAN_OPENER not in c.quote for c in answer.citations)
