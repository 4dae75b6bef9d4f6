"""The extractive answerer: which sentences it considers, when it abstains, and how it cites."""

from __future__ import annotations

from dataclasses import replace

import pytest

from qa_bot.answering import ABSTAIN_TEXT, ExtractiveAnswerer, PreparedQuestion
from qa_bot.answering.candidates import candidates
from qa_bot.models import ChunkSentences, Hit, Passage
from qa_bot.params import load_params
from qa_bot.text.sentences import sentence_spans
from qa_bot.understanding.analysis import analyse
from qa_bot.understanding.condense import Condensed

from tests.fakes import HashEmbedder

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


@pytest.fixture
def hits() -> list[Hit]:
    """Two overlapping chunks of one article (S4 is in both; S3 is a question) and one unrelated article."""
    return [Hit(passage("a1", ARTICLE, S1, S4, 0), 0.9, rank=1),
            Hit(passage("a1", ARTICLE, S4, S5, 1), 0.8, rank=2),
            Hit(passage("a2", OTHER, "A storm", "open.", 0, outlet="Test Daily"), 0.5, rank=3)]


def answerer(embedder=None, **overrides) -> ExtractiveAnswerer:
    return ExtractiveAnswerer(embedder or HashEmbedder(), replace(load_params().answer, **overrides))


def passage_sentences(hits: list[Hit]) -> set[str]:
    return {h.passage.text[s:e] for h in hits for s, e in sentence_spans(h.passage.text)}


def test_candidates_are_each_sentence_once_located_in_the_article_and_skip_questions(hits):
    cands = candidates(hits)
    assert [c.text for c in cands] == [S1, S2, S4, S5, "A storm closed the harbour for two days.",
                                       "Ferries were cancelled and the airport stayed open."]
    texts = {"a1": ARTICLE, "a2": OTHER}
    assert all(texts[c.hit.passage.article_id][c.start:c.end] == c.text for c in cands)
    assert next(c for c in cands if c.text == S4).hit.passage.chunk_id == "a1:0"  # first chunk that holds it


def test_candidates_use_the_stored_sentences_and_their_vectors(hits):
    embedder = HashEmbedder()
    p = hits[0].passage
    spans = tuple(sentence_spans(p.text))
    vectors = embedder.embed([p.text[s:e] for s, e in spans])
    cands = candidates(hits, {p.chunk_id: ChunkSentences(spans, vectors)})
    stored = [c for c in cands if c.hit.passage.chunk_id == p.chunk_id]
    assert [c.text for c in stored] == [S1, S2, S4]
    assert all(c.vector is not None for c in stored)
    assert (stored[2].vector == vectors[3]).all()  # S4 is the 4th span: the question S3 is skipped, not renumbered
    assert all(c.vector is None for c in cands if c.hit.passage.chunk_id != p.chunk_id)


def test_a_low_threshold_answers_citing_each_sentence_with_an_exact_quote(hits):
    answer = answerer(support_threshold=0.0, keep_ratio=0.0).answer(QUESTION, hits)
    assert not answer.abstained and answer.citations
    texts = {"a1": ARTICLE, "a2": OTHER}
    by_chunk = {h.passage.chunk_id: h.passage for h in hits}
    for c in answer.citations:
        assert texts[c.article_id][c.start:c.end] == c.quote
        p = by_chunk[c.chunk_id]
        assert p.start <= c.start and c.end <= p.end
    assert [s.citations for s in answer.sentences] == [(c.n,) for c in answer.citations]
    assert [s.text for s in answer.sentences] == [c.quote for c in answer.citations]
    assert answer.text == " ".join(f"{c.quote} [{c.n}]" for c in answer.citations)


def test_every_answer_sentence_is_a_verbatim_sentence_of_a_passage(hits):
    answer = answerer(support_threshold=0.0, keep_ratio=0.0, max_sentences=3).answer(QUESTION, hits)
    assert answer.sentences
    assert {s.text for s in answer.sentences} <= passage_sentences(hits) - {S3}
    assert len({s.text for s in answer.sentences}) == len(answer.sentences)  # no sentence twice


def test_abstains_exactly_when_support_is_below_the_threshold(hits):
    support = answerer(support_threshold=0.0).answer(QUESTION, hits).support
    assert 0.0 < support < 1.0
    below = answerer(support_threshold=support - 1e-6).answer(QUESTION, hits)
    above = answerer(support_threshold=support + 1e-6).answer(QUESTION, hits)
    assert not below.abstained and below.citations
    assert above.abstained and above.text == ABSTAIN_TEXT and above.citations == () and above.sentences == ()
    assert above.hits == tuple(hits)  # the closest passages, shown instead of an answer
    assert above.support == pytest.approx(support)


def test_abstaining_after_reranking_keeps_only_the_k_best_passages(hits):
    answer = answerer(support_threshold=1.01).answer(QUESTION, hits, k=2)
    assert answer.abstained and len(answer.hits) == 2
    assert {h.passage.chunk_id for h in answer.hits} <= {h.passage.chunk_id for h in hits}
    assert [h.rank for h in answer.hits] == [1, 2]


def test_no_candidate_sentences_abstains():
    only_a_question = Passage("a3:0", "a3", S3, 0, len(S3), "A title", "Test Wire", "", "")
    answer = answerer(support_threshold=0.0).answer(S3, [Hit(only_a_question, 1.0)])
    assert answer.abstained and answer.text == ABSTAIN_TEXT and answer.support == 0.0


def test_stored_sentence_vectors_are_not_embedded_again(hits):
    embedder = HashEmbedder()
    index = {}
    for h in hits:
        spans = tuple(sentence_spans(h.passage.text))
        index[h.passage.chunk_id] = ChunkSentences(spans, embedder.embed([h.passage.text[s:e] for s, e in spans]))
    vector = embedder.embed([QUESTION])[0]
    embedder.calls.clear()
    answerer(embedder, support_threshold=0.0).answer(QUESTION, hits, query_vector=vector, sentence_index=index)
    assert embedder.calls == []


def test_answer_prepared_and_candidate_features_see_what_answer_sees(hits):
    a = answerer(support_threshold=0.0)
    analysis = analyse(QUESTION)
    vector = HashEmbedder().embed([QUESTION])[0]
    prepared = PreparedQuestion(Condensed(QUESTION, ("airport",), True), analysis, vector, tuple(hits), {},
                                (100, {"tram": 3, "line": 10}), k=2)
    direct = a.answer(QUESTION, hits, k=2, analysis=analysis, query_vector=vector, carried_terms=("airport",),
                      corpus_stats=(100, {"tram": 3, "line": 10}))
    assert a.answer_prepared(prepared) == direct and len(direct.hits) == 2
    cands, feats = a.candidate_features(prepared)
    assert [c.text for c in cands] == [c.text for c in candidates(hits)]
    assert set(feats) >= {"semantic", "lexical", "global_lexical"}
    assert all(len(v) == len(cands) for v in feats.values())
    assert feats["global_lexical"].max() > 0  # the corpus statistics reached the features


def test_max_sentences_below_one_is_refused():
    with pytest.raises(ValueError, match="max_sentences"):
        answerer(max_sentences=0)
