"""The decide stage: the one place that chooses the answer spans, the answer sentences, and whether to abstain.

Input: the reader's :class:`~qa_bot.answering.read.Reading` of each retrieved passage. Every span
the reader proposes gets a probability of being a right answer from a logistic model over named
signals of the reader (``[decide.support]`` in ``qa_bot/data/answering.toml``, calibrated on
validation data by ``eval/tune.py --fit``; never on a test split). Then:

* a "what did X say" question may be answered only by spans whose sentence reports X speaking
  (unless the question asks for a fact "according to X");
* the question is answered when the best eligible span's probability reaches ``threshold``,
  otherwise the decision is to abstain;
* the answer spans are the eligible spans within ``keep_ratio`` of the best one's probability, one
  per sentence, best first; each carries the article sentence that holds it;
* every passage gets a verdict: its best span, and whether the answer quotes it.

``ask``, streaming, the outlet view, the LangChain retriever and compressor and the API all get
their answer or ranking from :meth:`Decider.run`; nothing else combines scores or applies a
threshold.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa_bot.answering.read import Reading
from qa_bot.models import Hit
from qa_bot.params import DecideParams
from qa_bot.text.sentences import sentence_spans
from qa_bot.text.tokens import content_words
from qa_bot.understanding.analysis import QueryAnalysis
from qa_bot.understanding.attribution import speakers_of

_ACCORDING_TO = re.compile(r"\baccording to\b", re.I)


@dataclass(frozen=True)
class SentenceRef:
    """An article sentence: its text and offsets in the article, and its neighbours' texts ("" at an edge)."""

    text: str
    start: int
    end: int
    previous: str = ""
    following: str = ""


@dataclass(frozen=True)
class AnswerSpan:
    """A span the reader proposed, judged.

    Attributes:
        hit: the retrieved passage it was read in.
        text: the span, verbatim.
        start, end: its offsets in the article.
        sentence: the article sentence holding it.
        score: the reader's span score (start + end logits).
        margin: ``score`` minus the passage's no-answer score.
        probability: the calibrated probability that it answers the question.
        speaking: its sentence reports the asked speaker speaking (False when no speaker is asked).
        topic: the share of the question's topic words its sentence (or the one before) holds.
    """

    hit: Hit
    text: str
    start: int
    end: int
    sentence: SentenceRef
    score: float
    margin: float
    probability: float
    speaking: bool = False
    topic: float = 1.0


@dataclass(frozen=True)
class PassageVerdict:
    """One read passage: its best eligible span (None when it has none) and whether the answer quotes it."""

    hit: Hit
    best: AnswerSpan | None
    answers: bool

    @property
    def score(self) -> float:
        """The best span's probability (0 without one)."""
        return self.best.probability if self.best else 0.0


@dataclass(frozen=True)
class Decision:
    """What to answer.

    Attributes:
        abstained: the passages do not answer the question.
        support: the probability that they do (the best eligible span's).
        spans: the answer spans, best first, one per sentence (empty when abstaining).
        passages: every read passage's verdict, best first (the passages the answer quotes in its
            order, then by probability; ties keep the retrieval order).
        reason: why the decision abstained ("" when it answers).
        corroborating: the other spans that clear the threshold, one per sentence: not quoted on their
            own, but counted when outlets' values are compared and cited where they restate a claim.
    """

    abstained: bool
    support: float
    spans: tuple[AnswerSpan, ...]
    passages: tuple[PassageVerdict, ...]
    reason: str = ""
    corroborating: tuple[AnswerSpan, ...] = ()


def topic_share(analysis: QueryAnalysis, sentence: SentenceRef, carried: Sequence[str] = ()) -> float:
    """The share of the question's topic words (the asked speaker's name and the words a follow-up carried from
    earlier turns left out) that the sentence or the one before it holds; 1 when the question has none.
    "What did X say about Y" asks about Y: a span of X's words on something else is a reader's near miss
    this signal tells apart."""
    terms = set(analysis.topic_terms) - set(analysis.speaker_tokens) - set(carried)
    if not terms:
        return 1.0
    return len(terms & set(content_words(f"{sentence.previous} {sentence.text}"))) / len(terms)


def speaker_required(question: str, analysis: QueryAnalysis, params: DecideParams) -> bool:
    """True when only the asked speaker's words may answer ("what did X say", not "according to X, how ...")."""
    return bool(analysis.speaker_tokens) and params.speaker_required and not _ACCORDING_TO.search(question)


class Decider:
    """Turns readings into a :class:`Decision` (see the module docstring).

    Args:
        params: the calibrated support model, the threshold and the selection settings.
    """

    def __init__(self, params: DecideParams) -> None:
        self.params = params

    def probability(self, margin: float, score: float, topic: float) -> float:
        """The calibrated probability that a span answers the question, from its support signals."""
        support = self.params.support
        z = support["intercept"] + support["margin"] * margin + support["score"] * score + support["topic"] * topic
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    def judge(self, analysis: QueryAnalysis, hits: Sequence[Hit], readings: Sequence[Reading],
              carried: Sequence[str] = ()) -> list[AnswerSpan]:
        """Every proposed span with its sentence, probability and speaker verdict, best first (``carried``: the
        words a follow-up took from earlier turns)."""
        out: list[AnswerSpan] = []
        for hit, reading in zip(hits, readings):
            p = reading.passage
            base = p.offset
            sents = sentence_spans(p.text)
            for sp in reading.spans:
                if sp.start < p.focus[0] or sp.end > p.focus[1]:
                    continue  # the neighbouring sentences are context: a passage answers with its own words
                ref = _sentence_of(p.text, sents, sp.start, sp.end, base)
                if ref is None or ref.text.rstrip('"\'\u201d').endswith("?"):
                    continue  # a question the writer asks never answers anything
                speaking = bool(analysis.speaker_tokens) and bool(
                    speakers_of(ref.text, ref.previous) & analysis.speaker_tokens)
                margin = sp.score - reading.no_answer
                topic = topic_share(analysis, ref, carried)
                out.append(AnswerSpan(hit, p.text[sp.start:sp.end], base + sp.start, base + sp.end, ref, sp.score,
                                      margin, self.probability(margin, sp.score, topic), speaking, topic))
        out.sort(key=lambda a: -a.probability)
        return out

    def run(self, question: str, analysis: QueryAnalysis, hits: Sequence[Hit], readings: Sequence[Reading],
            carried: Sequence[str] = ()) -> Decision:
        """Decide the answer from the readings of ``hits`` (one reading per hit, in the same order)."""
        spans = self.judge(analysis, hits, readings, carried)
        required = speaker_required(question, analysis, self.params)
        eligible = [a for a in spans if a.speaking] if required else spans
        support = eligible[0].probability if eligible else 0.0
        abstained = not eligible or support < self.params.threshold
        chosen: list[AnswerSpan] = []
        corroborating: list[AnswerSpan] = []
        if not abstained:
            floor = self.params.keep_ratio * support
            seen: set[tuple[str, int]] = set()
            for a in eligible:
                key = (a.hit.passage.article_id, a.sentence.start)
                if key in seen:
                    continue
                if a.probability >= floor and len(chosen) < self.params.max_spans:
                    chosen.append(a)
                elif a.probability >= self.params.threshold and len(corroborating) < self.params.max_spans:
                    corroborating.append(a)
                else:
                    continue
                seen.add(key)
            if analysis.speaker_tokens:
                # "According to X, ...": of the likely answers, X's own words come first.
                chosen.sort(key=lambda a: not a.speaking)
        reason = "" if not abstained else (
            "nothing in the passages reports the asked speaker" if required and not eligible else
            "no passage holds an answer" if not eligible else "the best answer is too unlikely")
        return Decision(abstained, support, tuple(chosen), tuple(self._verdicts(hits, eligible, chosen)), reason,
                        tuple(corroborating))

    def _verdicts(self, hits: Sequence[Hit], eligible: list[AnswerSpan],
                  chosen: list[AnswerSpan]) -> list[PassageVerdict]:
        quoted = {(a.hit.passage.chunk_id, a.start, a.end) for a in chosen}
        best_of: dict[str, AnswerSpan] = {}
        for a in eligible:  # best first: the first span seen of a passage is its best
            best_of.setdefault(a.hit.passage.chunk_id, a)
        verdicts = []
        for rank, hit in enumerate(hits):
            b = best_of.get(hit.passage.chunk_id)
            verdicts.append((rank, PassageVerdict(hit, b, b is not None and (
                hit.passage.chunk_id, b.start, b.end) in quoted)))
        first = {id(a): i for i, a in enumerate(chosen)}  # the answer's own order leads
        order = {id(a): i for i, a in enumerate(eligible)}
        verdicts.sort(key=lambda rv: (first.get(id(rv[1].best), len(first)), order.get(id(rv[1].best), len(order)),
                                      rv[0]))
        return [v for _, v in verdicts]


def _sentence_of(text: str, sents: list[tuple[int, int]], start: int, end: int, base: int) -> SentenceRef | None:
    """The sentence(s) of ``text`` holding ``text[start:end]`` as one :class:`SentenceRef` (article offsets)."""
    first = next((i for i, (s, e) in enumerate(sents) if e > start), None)
    if first is None:
        return None
    last = next((i for i in range(len(sents) - 1, -1, -1) if sents[i][0] < end), first)
    s, e = sents[first][0], sents[max(first, last)][1]
    prev = text[slice(*sents[first - 1])] if first > 0 else ""
    nxt = text[slice(*sents[last + 1])] if last + 1 < len(sents) else ""
    return SentenceRef(text[s:e], base + s, base + e, prev, nxt)
