"""The extractive answerer (the offline default): quote the best sentences, cite each one.

No text is generated: every answer sentence is a verbatim sentence of a retrieved passage, so
each citation's quote is exact by construction. Sentences are scored on several signals:

* **semantic** — cosine between the question and the sentence's contextual vector (computed at
  ingest from the same forward pass as its chunk; see ``SentenceTransformerEmbedder.embed_spans``);
* **lexical** — the share of the question's topic words the sentence contains, rarer words
  (within the candidates) weighing more;
* **retrieval** — how highly its passage was ranked;
* **speaker** — for "what did X say" questions, whether the sentence reports X speaking (or
  continues X's remarks with "he/she said"), and a penalty when it reports someone else;
* **answer type** — a number for "how many", a date for "when", and so on;
* **outlet** — for "according to OUTLET" questions, whether the passage is from that outlet.

These signals (and a few more: novelty, question bigrams, the passage's own dense and BM25
scores, whether the sentence opens its article) are combined by a logistic model into the
probability that the sentence answers the question. The model and the abstention threshold live
in ``qa_bot/data/answering.toml``; both were fitted on dev data only (``eval/tune.py --fit``).
The answerer abstains when no sentence's probability reaches the threshold.

The candidate sentences come from :mod:`qa_bot.answering.candidates` and their signals from
:mod:`qa_bot.answering.features`; this module scores, re-ranks and abstains, and
:mod:`qa_bot.answering.compose` chooses the claims and cites them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from qa_bot.answering.candidates import Candidate, candidates
from qa_bot.answering.compose import Selection, compose, select
from qa_bot.answering.features import question_features, sentence_features
from qa_bot.embeddings import Embedder
from qa_bot.models import Answer, ChunkSentences, Hit
from qa_bot.params import AnswerParams, load_params
from qa_bot.understanding.analysis import QueryAnalysis, analyse
from qa_bot.understanding.condense import Condensed

if TYPE_CHECKING:
    from qa_bot.answering.reader import Reader

_ACCORDING_TO = re.compile(r"\baccording to\b", re.I)

ABSTAIN_TEXT = "The coverage doesn't say: no passage in the index answers this question. The closest passages are listed below."


@dataclass(frozen=True)
class PreparedQuestion:
    """The answerer's inputs for one question, as the pipeline's understanding and retrieval steps made them.

    Built by :meth:`qa_bot.bot.QABot.prepare_question`; both ``ask`` and ``eval/tune.py`` hand it
    to :meth:`ExtractiveAnswerer.answer_prepared`, so fitted weights see exactly what the
    pipeline gives the answerer.

    Attributes:
        turn: the standalone question and the words carried into it from earlier turns.
        analysis: the standalone question's speaker, topic terms, outlets, dates and answer type.
        vector: the standalone question's embedding.
        pool: the retrieved passages, best first (more than ``k`` when re-ranking is on).
        sentence_index: chunk id -> the stored sentences of each pooled passage.
        corpus_stats: ``(chunks in the index, {topic term: chunks containing it})``.
        k: passages to keep in the answer.
        timings_ms: milliseconds spent understanding and retrieving.
    """

    turn: Condensed
    analysis: QueryAnalysis
    vector: np.ndarray
    pool: tuple[Hit, ...]
    sentence_index: dict[str, ChunkSentences]
    corpus_stats: tuple[int, dict[str, int]]
    k: int
    timings_ms: dict[str, float] = field(default_factory=dict)


class ExtractiveAnswerer:
    """Selects and cites the sentences that best answer the question.

    Args:
        embedder: scores sentences against the question when no stored sentence vector exists.
        params: weights and thresholds (``load_params().answer`` by default).
        reader: the learned reader (:class:`~qa_bot.answering.reader.Reader`), or None to score with
            the hand-made signals only. It reads the ``reader_pool`` candidates those signals rank
            highest; its probability is one more signal of the fitted sentence and abstention models.
    """

    name = "extractive"

    def __init__(self, embedder: Embedder, params: AnswerParams | None = None, reader: Reader | None = None) -> None:
        self.embedder = embedder
        self.params = params or load_params().answer
        self.reader = reader
        if self.params.max_sentences < 1:
            raise ValueError("max_sentences must be at least 1")

    # ------------------------------------------------------------ scoring

    def features(self, analysis: QueryAnalysis, cands: list[Candidate], query_vector: np.ndarray,
                 carried_terms: tuple[str, ...] = (), corpus_stats: tuple[int, dict[str, int]] | None = None,
                 ) -> dict[str, np.ndarray]:
        """Per-candidate signals, each an array over the candidates (see :func:`sentence_features`).

        Candidates without a stored sentence vector are embedded here, in one batch.
        """
        n = len(cands)
        missing = [i for i, c in enumerate(cands) if c.vector is None]
        vectors = np.zeros((n, len(query_vector)), dtype=np.float32)
        for i, c in enumerate(cands):
            if c.vector is not None:
                vectors[i] = c.vector
        if missing:
            vectors[missing] = self.embedder.embed([cands[i].text for i in missing])
        feats = sentence_features(analysis, cands, vectors, query_vector, carried_terms, corpus_stats,
                                  self.params.carried_term_weight)
        if self.reader is not None:
            feats["reader"] = self._read(analysis.question, cands, feats)
        return feats

    def _read(self, question: str, cands: list[Candidate], feats: dict[str, np.ndarray]) -> np.ndarray:
        """The reader's probability for the ``reader_pool`` best candidates by the other signals (0 for the rest).

        Reading every sentence of a 20-passage pool would cost several times the whole query; the
        hand-made signals are good at putting the answering sentence somewhere near the top.
        """
        preliminary = self.combine(feats)
        top = np.argsort(-preliminary, kind="stable")[: self.params.reader_pool]
        out = np.zeros(len(cands), dtype=np.float64)
        out[top] = self.reader.score(question, [(cands[i].text, cands[i].previous, cands[i].following) for i in top])
        return out

    def support(self, feats: dict[str, np.ndarray], scores: np.ndarray) -> float:
        """Probability that the question is answered here: the abstention model, or the best sentence's."""
        model = self.params.abstain
        if not model:
            return float(scores.max())
        q = question_features(feats, scores)
        z = float(model.get("intercept", 0.0)) + sum(float(model.get(k, 0.0)) * v for k, v in q.items())
        return 1.0 / (1.0 + math.exp(-z))

    def combine(self, f: dict[str, np.ndarray]) -> np.ndarray:
        """Probability that each candidate answers the question (the logistic model)."""
        model = self.params.model
        n = len(next(iter(f.values())))
        z = np.full(n, float(model.get("intercept", 0.0)))
        for name, values in f.items():
            z += float(model.get(name, 0.0)) * values
        return 1.0 / (1.0 + np.exp(-z))

    # ------------------------------------------------------------ answering

    def rerank(self, hits: list[Hit], cands: list[Candidate], scores: np.ndarray, k: int) -> list[Hit]:
        """The ``k`` passages with the best blend of retrieval score and best-sentence score.

        Sentence-level evidence is sharper than a chunk-level vector: a passage holding one
        sentence that answers the question outranks a passage that is merely on topic.
        """
        best_sentence: dict[str, float] = {}
        for c, sc in zip(cands, scores):
            cid = c.hit.passage.chunk_id
            best_sentence[cid] = max(best_sentence.get(cid, -1.0), float(sc))
        top = max((h.score for h in hits), default=1.0) or 1.0
        w = self.params.rerank_retrieval
        ranked = sorted(hits, key=lambda h: -((w * h.score / top) + (1 - w) * best_sentence.get(h.passage.chunk_id, 0.0)))
        return [Hit(h.passage, h.score, h.dense, h.lexical, rank=i + 1) for i, h in enumerate(ranked[:k])]

    def answer(self, question: str, hits: list[Hit], *, k: int | None = None, analysis: QueryAnalysis | None = None,
               query_vector: np.ndarray | None = None, sentence_index: dict[str, ChunkSentences] | None = None,
               carried_terms: tuple[str, ...] = (), corpus_stats: tuple[int, dict[str, int]] | None = None,
               ) -> Answer:
        """Compose a cited answer from the best ``k`` of ``hits``, or abstain with them as the closest passages.

        Args:
            question: the (standalone) question.
            hits: retrieved passages, a pool larger than ``k`` when re-ranking is wanted.
            k: passages to keep after sentence-level re-ranking (all of ``hits`` when None).
            analysis: the question's speaker, topic, outlets and answer type.
            query_vector: the question's embedding (computed when None).
            sentence_index: chunk id -> its stored sentences (spans and vectors).
            carried_terms: words carried from earlier turns (weighted lower).
            corpus_stats: index size and document frequencies of the question's topic terms.
        """
        analysis = analysis or analyse(question)
        k = k or len(hits)
        cands = candidates(hits, sentence_index)
        if not cands:
            return self._abstain(question, hits[:k], 0.0)
        if query_vector is None:
            query_vector = self.embedder.embed([question])[0]
        feats = self.features(analysis, cands, query_vector, carried_terms, corpus_stats)
        scores = self.combine(feats)
        support = self.support(feats, scores)
        speaking, required = self.speaker_rule(question, analysis, feats)
        on_topic = (feats["lexical"] + feats["context_lexical"]) > 0
        if required:
            if not speaking.any():
                return self._abstain(question, hits[:k], min(support, 0.0))
            scores = np.where(speaking, scores + self.params.speaker_priority, 0.0)
        elif analysis.speaker_tokens and speaking.any():
            # X's own words on Y come first, whatever else scores well.
            scores = scores + self.params.speaker_priority * feats["speaker_match"] * on_topic
        if len(hits) > k:
            hits = self.rerank(hits, cands, scores, k)
            keep = {h.passage.chunk_id for h in hits}
            idx = [i for i, c in enumerate(cands) if c.hit.passage.chunk_id in keep]
            by_id = {h.passage.chunk_id: h for h in hits}
            cands = [replace(cands[i], hit=by_id[cands[i].hit.passage.chunk_id]) for i in idx]
            feats = {name: values[idx] for name, values in feats.items()}
            scores = scores[idx]
        order = [int(i) for i in np.argsort(-scores)]
        if support < self.params.support_threshold:
            return self._abstain(question, hits, support)
        chosen = self._select(cands, scores, order, feats, analysis)
        return self._compose(question, hits, cands, scores, chosen, support)

    def speaker_rule(self, question: str, analysis: QueryAnalysis, feats: dict[str, np.ndarray]) -> tuple[np.ndarray, bool]:
        """Which candidates report the asked speaker on the asked topic, and whether only they may answer.

        "What did X say about Y" is answered with X's own words on Y, or not at all (when the tuned
        parameters require the speaker): someone else's words on Y, or X's words on something else,
        do not answer it. "According to X, how far ...?" asks for a fact in X's account, which
        articles attribute in many ways, so it does not require X's words.
        """
        on_topic = (feats["lexical"] + feats["context_lexical"]) > 0
        speaking = feats["speaker_match"] * on_topic > 0
        required = bool(analysis.speaker_tokens) and self.params.speaker_required and not _ACCORDING_TO.search(question)
        return speaking, required

    def answer_prepared(self, prepared: PreparedQuestion) -> Answer:
        """:meth:`answer` on the inputs the pipeline prepared (the standalone question, its pool, ...)."""
        return self.answer(prepared.turn.question, list(prepared.pool), k=prepared.k, analysis=prepared.analysis,
                           query_vector=prepared.vector, sentence_index=prepared.sentence_index,
                           carried_terms=prepared.turn.carried_terms, corpus_stats=prepared.corpus_stats)

    def candidate_features(self, prepared: PreparedQuestion) -> tuple[list[Candidate], dict[str, np.ndarray]]:
        """The candidate sentences of the prepared pool and their signals, as :meth:`answer_prepared` scores them.

        For fitting the models (``eval/tune.py``): no candidates gives ``([], {})``.
        """
        cands = candidates(list(prepared.pool), prepared.sentence_index)
        if not cands:
            return [], {}
        return cands, self.features(prepared.analysis, cands, prepared.vector, prepared.turn.carried_terms,
                                    prepared.corpus_stats)

    def _select(self, cands: list[Candidate], scores: np.ndarray, order: list[int], feats: dict,
                analysis: QueryAnalysis) -> Selection:
        """The answer's claims, direct answer and disagreement (see :func:`qa_bot.answering.compose.select`)."""
        return select(cands, scores, order, feats, analysis, self.params)

    def _compose(self, question: str, hits: list[Hit], cands: list[Candidate], scores: np.ndarray,
                 chosen: Selection, best: float) -> Answer:
        return compose(question, hits, cands, scores, chosen, best, self.name)

    def _abstain(self, question: str, hits: list[Hit], support: float) -> Answer:
        return Answer(question=question, text=ABSTAIN_TEXT, citations=(), abstained=True, hits=tuple(hits),
                      support=support, answerer=self.name)
