"""The extractive answerer (the offline default): read -> decide -> compose, every quote verbatim.

No text is generated: the short answer is a span of a passage and every answer sentence is a
sentence of an article, so each citation's quote is exact by construction.

* **read** (:mod:`qa_bot.answering.read`): the span reader reads the best ``read.passages`` of the
  retrieved pool, each chunk widened by its article's neighbouring sentences;
* **decide** (:mod:`qa_bot.answering.decide`): the answer spans and sentences, or abstention;
* **compose** (:mod:`qa_bot.answering.compose`): one claim per sentence, citations merged across
  outlets, disagreements stated.

The understanding and retrieval steps happen before (:meth:`qa_bot.bot.QABot.prepare_question`)
and hand over a :class:`PreparedQuestion`. An ablation is a stage left out or swapped, chosen where
the answerer is built (:func:`qa_bot.bot.make_answerer`), never a switch in here.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from qa_bot.answering.candidates import Candidate
from qa_bot.answering.compose import compose, dangling, select
from qa_bot.answering.decide import Decider, Decision
from qa_bot.answering.read import Reader, Reading
from qa_bot.answering.windows import ReadingPassage, reading_passage
from qa_bot.models import Answer, ChunkSentences, Hit
from qa_bot.params import AnswerParams
from qa_bot.text.sentences import sentence_spans
from qa_bot.understanding.analysis import QueryAnalysis
from qa_bot.understanding.condense import Condensed

ABSTAIN_TEXT = "The coverage doesn't say: no passage in the index answers this question. The closest passages are listed below."


@dataclass(frozen=True)
class PreparedQuestion:
    """The answerer's inputs for one question, as the pipeline's understanding and retrieval steps made them.

    Built by :meth:`qa_bot.bot.QABot.prepare_question`; ``ask``, the outlet view, the LangChain
    retriever and ``eval/tune.py`` all hand it to the answerer, so every caller decides on exactly
    what the pipeline retrieved.

    Attributes:
        turn: the standalone question and the words carried into it from earlier turns.
        analysis: the standalone question's speaker, topic terms, outlets, dates and answer type.
        vector: the standalone question's embedding.
        pool: the retrieved passages, best first.
        sentence_index: chunk id -> the stored sentences (and vectors) of each pooled passage.
        texts: article id -> full text, for the pooled passages' articles (their neighbouring sentences).
        k: passages to show with the answer.
        timings_ms: milliseconds spent understanding and retrieving.
    """

    turn: Condensed
    analysis: QueryAnalysis
    vector: np.ndarray
    pool: tuple[Hit, ...]
    sentence_index: dict[str, ChunkSentences]
    texts: dict[str, str]
    k: int
    timings_ms: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Judged:
    """What the read and decide stages made of a prepared question (what :meth:`ExtractiveAnswerer.judge` returns)."""

    hits: tuple[Hit, ...]
    readings: tuple[Reading, ...]
    decision: Decision
    timings_ms: dict[str, float]


def passages_of(hits: Sequence[Hit], texts: dict[str, str]) -> list[ReadingPassage]:
    """Each hit's chunk widened by its article's neighbouring sentences (the chunk alone when the
    article text is unknown or no longer holds the chunk)."""
    spans_of: dict[str, list] = {}
    out = []
    for h in hits:
        p, article = h.passage, texts.get(h.passage.article_id)
        if article is None or article[p.start:p.end] != p.text:
            out.append(ReadingPassage(p.chunk_id, p.text, p.start, (0, len(p.text))))
            continue
        if p.article_id not in spans_of:
            from qa_bot.text.sentences import sentence_spans

            spans_of[p.article_id] = sentence_spans(article)
        out.append(reading_passage(p.chunk_id, article, p.start, p.end, spans_of[p.article_id]))
    return out


class ExtractiveAnswerer:
    """Answers from the retrieved passages with the span reader, the decide stage and the composer.

    Args:
        reader: the read stage (:class:`~qa_bot.answering.read.SpanReader`, or a stand-in).
        params: the stages' parameters (``load_params().answer`` by default).
    """

    name = "extractive"

    def __init__(self, reader: Reader, params: AnswerParams | None = None) -> None:
        from qa_bot.params import load_params

        self.reader = reader
        self.params = params or load_params().answer
        if self.params.compose.max_sentences < 1:
            raise ValueError("max_sentences must be at least 1")
        self.decider = Decider(self.params.decide)

    def to_read(self, prepared: PreparedQuestion) -> list[Hit]:
        """The passages the reader reads, in retrieval order: ``read.passages`` of the pool (at least ``k``).

        The pool's best ``read.by_retrieval`` by retrieval are always read; the rest are the passages
        holding the sentences closest to the question (the contextual sentence vectors stored at
        ingest), which finds the passage whose one sentence answers among passages that are merely
        on topic, at no model cost.
        """
        pool, n = list(prepared.pool), max(prepared.k, self.params.read.passages)
        if len(pool) <= n:
            return pool
        first = min(n, self.params.read.by_retrieval)
        question = np.asarray(prepared.vector, dtype=np.float32)

        def closeness(hit: Hit) -> float:
            stored = prepared.sentence_index.get(hit.passage.chunk_id)
            if stored is None or stored.vectors is None or not len(stored.vectors) or \
                    stored.vectors.shape[1] != question.shape[0]:
                return -2.0
            return float((stored.vectors @ question).max())

        rest = sorted(range(first, len(pool)), key=lambda i: (-closeness(pool[i]), i))[: n - first]
        return [pool[i] for i in sorted([*range(first), *rest])]

    def judge(self, prepared: PreparedQuestion, hits: Sequence[Hit] | None = None,
              readings: Sequence[Reading] | None = None) -> Judged:
        """Read ``hits`` (by default :meth:`to_read`) and decide; ``readings`` skips reading (already read)."""
        hits = list(self.to_read(prepared) if hits is None else hits)
        t0 = time.perf_counter()
        if readings is None:
            readings = self.reader.run(prepared.turn.question, passages_of(hits, prepared.texts))
        t1 = time.perf_counter()
        decision = self.decider.run(prepared.turn.question, prepared.analysis, hits, readings,
                                    prepared.turn.carried_terms)
        t2 = time.perf_counter()
        return Judged(tuple(hits), tuple(readings), decision, {"read": (t1 - t0) * 1e3, "decide": (t2 - t1) * 1e3})

    def answer_prepared(self, prepared: PreparedQuestion) -> Answer:
        """The cited answer (or the abstention) for a prepared question."""
        judged = self.judge(prepared)
        answer = self.compose(prepared, judged.decision)
        return replace(answer, timings_ms={**answer.timings_ms, **judged.timings_ms})

    def compose(self, prepared: PreparedQuestion, decision: Decision) -> Answer:
        """The answer a reader sees for ``decision``: the ``k`` best passages with it, sentences cited."""
        question = prepared.turn.question
        shown = [v.hit for v in decision.passages[: prepared.k]]
        hits = tuple(replace(h, rank=i + 1) for i, h in enumerate(shown))
        if decision.abstained:
            return Answer(question=question, text=ABSTAIN_TEXT, citations=(), abstained=True, hits=hits,
                          support=decision.support, answerer=self.name)
        cands, scores, spans = self._sentences(decision, prepared.sentence_index)
        sel = select(cands, scores, spans, prepared.analysis, self.params.compose, quotable=len(decision.spans))
        return compose(question, list(hits), cands, scores, sel, decision.support, self.name)

    @staticmethod
    def _sentences(decision: Decision, sentence_index: dict[str, ChunkSentences],
                   ) -> tuple[list[Candidate], np.ndarray, dict[int, tuple[int, int]]]:
        """The decision's answer sentences, then its corroborating ones, as composer candidates (stored vectors
        attached), with their scores and spans.

        When the best sentence opens with a reference it cannot resolve alone ("The same reports said ...") and
        the sentence before it lies in the same passage, the two are one candidate, quoted together: the claim
        keeps the words it leans on instead of giving the lead to a weaker sentence that stands alone.
        """
        cands, scores, spans = [], [], {}
        for n, a in enumerate((*decision.spans, *decision.corroborating)):
            p = a.hit.passage
            stored = sentence_index.get(p.chunk_id)
            rel = (a.sentence.start - p.start, a.sentence.end - p.start)
            at = next((i for i, sp in enumerate(stored.spans) if tuple(sp) == rel), None) if stored else None
            vector = stored.vectors[at] if at is not None and stored.vectors is not None and \
                at < len(stored.vectors) else None
            start, previous = a.sentence.start, a.sentence.previous
            if n == 0 and dangling(a.sentence.text):
                opener = _sentence_before(p.text, stored, rel[0], previous)
                if opener is not None and not dangling(p.text[opener[0]:opener[1]]):
                    start, previous, vector = p.start + opener[0], "", None
            spans[len(cands)] = (a.start - start, a.end - start)
            text = a.sentence.text if start == a.sentence.start else p.text[start - p.start:rel[1]]
            cands.append(Candidate(a.hit, text, start, a.sentence.end, previous, vector, a.sentence.following))
            scores.append(a.probability)
        return cands, np.asarray(scores, dtype=np.float64), spans


def _sentence_before(text: str, stored: ChunkSentences | None, start: int, expected: str) -> tuple[int, int] | None:
    """The offsets in ``text`` of the sentence right before the one at ``start``, when it is ``expected`` (the
    sentence the reader saw before it: None when that one lies outside the passage)."""
    spans = list(stored.spans) if stored and stored.spans else sentence_spans(text)
    before = [(s, e) for s, e in spans if e <= start]
    if not before or not expected.strip() or text[before[-1][0]:before[-1][1]].strip() != expected.strip():
        return None
    return before[-1]
