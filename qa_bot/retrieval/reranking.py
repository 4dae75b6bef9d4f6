"""Reader ranking: passages ordered by the sentence of each that best answers the question.

The extractive answerer scores every sentence of a retrieved pool before it composes an answer.
This module exposes that scoring on its own, for callers that want passages rather than an answer
(the LangChain retriever and document compressor in :mod:`qa_bot.retrieval.langchain`):

* sentences are the answerer's candidates (:func:`qa_bot.answering.candidates.candidates`) and are
  scored by :meth:`ExtractiveAnswerer.features` (the learned reader's probability among them when the
  reader is on) and :meth:`ExtractiveAnswerer.combine` — the same probability ``ask`` ranks by;
* "what did X say" questions put sentences in which X speaks on the topic first, as ``ask`` does;
* a passage ranks by its best sentence; ties keep the retrieval order.

Nothing here knows about LangChain; conversion to ``Document`` happens at that boundary.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa_bot.answering.candidates import Candidate, candidates
from qa_bot.answering.compose import quote_floor
from qa_bot.answering.extractive import ExtractiveAnswerer, PreparedQuestion
from qa_bot.models import ChunkSentences, Hit
from qa_bot.understanding.analysis import QueryAnalysis, analyse


@dataclass(frozen=True)
class RankedPassage:
    """A passage and the sentence of it that best answers the question.

    Attributes:
        hit: the passage as retrieved (its ``score`` and ``rank`` are the retrieval's).
        sentence: the best sentence (offsets into the article), or None when the passage holds no
            sentence that could answer anything (e.g. only questions the writer asks).
        score: the answerer's probability that ``sentence`` answers the question (0 without one).
        answers: the answerer would answer with it: the question as a whole reaches the answerer's
            support threshold, ``score`` is within the answerer's ``keep_ratio`` of the best
            sentence's, and for "what did X say" questions X speaks in it.
    """

    hit: Hit
    sentence: Candidate | None
    score: float
    answers: bool

    @property
    def span(self) -> tuple[int, int] | None:
        """Character offsets of :attr:`sentence` in the passage text, or None without a sentence."""
        if self.sentence is None:
            return None
        start = self.sentence.start - self.hit.passage.start
        return start, start + len(self.sentence.text)


def rank_passages(answerer: ExtractiveAnswerer, question: str, hits: list[Hit], *,
                  analysis: QueryAnalysis | None = None, query_vector: np.ndarray | None = None,
                  sentence_index: dict[str, ChunkSentences] | None = None, carried_terms: tuple[str, ...] = (),
                  corpus_stats: tuple[int, dict[str, int]] | None = None) -> list[RankedPassage]:
    """Every passage of ``hits``, best answering sentence first.

    Args:
        answerer: scores the sentences (its embedder, reader and fitted models).
        question: the (standalone) question.
        hits: the passages to rank; their order counts as the retrieval rank.
        analysis: the question's speaker, topic, outlets and answer type (read from ``question`` when None).
        query_vector: the question's embedding (computed when None).
        sentence_index: chunk id -> its stored sentences; passages missing from it are split here.
        carried_terms: words carried from earlier turns.
        corpus_stats: index size and document frequencies of the question's topic terms (None
            for documents from outside the index).

    Returns:
        One :class:`RankedPassage` per hit, ordered by best sentence (speaker first, then score; ties
        keep the retrieval order). Overlapping passages do not both rank on a sentence they share.
    """
    if not hits:
        return []
    analysis = analysis or analyse(question)
    cands = candidates(hits, sentence_index)
    if not cands:
        return [RankedPassage(h, None, 0.0, False) for h in hits]
    if query_vector is None:
        query_vector = answerer.embedder.embed([question])[0]
    feats = answerer.features(analysis, cands, query_vector, carried_terms, corpus_stats)
    probs = answerer.combine(feats)
    priority, eligible = _speaker_priority(answerer, question, analysis, feats, probs)
    supported = answerer.support(feats, probs) >= answerer.params.support_threshold and bool(eligible.any())
    floor = quote_floor(float(probs[eligible].max()), answerer.params) if supported else np.inf
    # candidates() keeps a sentence shared by overlapping passages only once; look it up by its
    # place in the article so that every passage is judged on all of its sentences.
    scored = {(c.hit.passage.article_id, c.start, c.end): i for i, c in enumerate(cands)}
    sentences = [[(scored[key], c) for c in candidates([hit], sentence_index)
                  if (key := (hit.passage.article_id, c.start, c.end)) in scored] for hit in hits]

    def ranked(position: int, item: tuple[int, Candidate]) -> RankedPassage:
        i, sentence = item
        p = float(probs[i])
        answers = supported and bool(eligible[i]) and p >= floor
        return RankedPassage(hits[position], sentence, p, answers)

    return [ranked(pos, item) if item else RankedPassage(hits[pos], None, 0.0, False)
            for pos, item in _assign(sentences, lambda i: (float(priority[i]), float(probs[i])))]


def _assign(sentences: list[list[tuple[int, Candidate]]], strength) -> list[tuple[int, tuple[int, Candidate] | None]]:
    """Passages (by position) in ranked order, each with the sentence it ranks by.

    Greedy: the passage whose best sentence not yet taken is strongest comes next and takes it, so
    two overlapping passages do not both rank on the sentence they share. Passages left with no
    sentence of their own follow in retrieval order, on their best (shared) sentence; passages with
    no sentence at all come last (with None).
    """
    taken: set[int] = set()
    remaining = list(range(len(sentences)))
    out: list[tuple[int, tuple[int, Candidate] | None]] = []
    while True:
        best = None
        for pos in remaining:
            free = [item for item in sentences[pos] if item[0] not in taken]
            if free:
                item = max(free, key=lambda it: strength(it[0]))
                if best is None or strength(item[0]) > strength(best[1][0]):
                    best = (pos, item)
        if best is None:
            break
        taken.add(best[1][0])
        remaining.remove(best[0])
        out.append(best)
    for pos in sorted(remaining, key=lambda p: (not sentences[p], p)):
        out.append((pos, max(sentences[pos], key=lambda it: strength(it[0])) if sentences[pos] else None))
    return out


def rank_prepared(answerer: ExtractiveAnswerer, prepared: PreparedQuestion) -> list[RankedPassage]:
    """:func:`rank_passages` on the pool the pipeline prepared (see :meth:`qa_bot.bot.QABot.prepare_question`)."""
    return rank_passages(answerer, prepared.turn.question, list(prepared.pool), analysis=prepared.analysis,
                         query_vector=prepared.vector, sentence_index=prepared.sentence_index,
                         carried_terms=prepared.turn.carried_terms, corpus_stats=prepared.corpus_stats)


def _speaker_priority(answerer: ExtractiveAnswerer, question: str, analysis: QueryAnalysis,
                      feats: dict[str, np.ndarray], probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The scores to order sentences by, and which sentences may answer, as :meth:`ExtractiveAnswerer.answer` has them.

    For "what did X say about Y", X's own words on Y come first; when the answerer requires them,
    no other sentence answers (they are still ordered among themselves, by probability, after X's).
    """
    speaking, required = answerer.speaker_rule(question, analysis, feats)
    if not analysis.speaker_tokens:
        return probs, np.ones(len(probs), dtype=bool)
    eligible = speaking if required else np.ones(len(probs), dtype=bool)
    return probs + answerer.params.speaker_priority * speaking, eligible
