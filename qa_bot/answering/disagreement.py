"""Disagreement between sources: different articles giving different values for what was asked.

For a "how many X" question, each answering sentence that states a quantity of X (the asked noun,
its stem or the words its acronym stands for; see :func:`qa_bot.answering.spans.quantities`) gives
one reading per article. When the readings hold two or more different numbers, the answer says the
sources differ and which says what; the values are verbatim spans of the cited sentences, only the
frame around them ("Outlets differ on ...: ... according to ...") is generated.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from qa_bot.answering.candidates import Candidate
from qa_bot.answering.spans import asked_noun, quantities
from qa_bot.models import Passage
from qa_bot.text.markers import defuse_citation_markers, format_markers
from qa_bot.understanding.analysis import QueryAnalysis


@dataclass(frozen=True)
class ValueReading:
    """One article's value for what was asked: candidate ``index``, the verbatim ``value``, its number ``key``."""

    index: int
    value: str
    key: str


def find_disagreement(analysis: QueryAnalysis, cands: list[Candidate], indices: Sequence[int],
                      skip: Callable[[str], bool] = lambda text: False) -> tuple[list[ValueReading], str]:
    """The differing readings among the answering sentences, and what they are of.

    Args:
        analysis: the question (only "how many" questions are compared).
        cands: the candidate sentences.
        indices: the candidates that answer the question, best first.
        skip: sentences not to read (e.g. ones that lean on a previous sentence: "Other outlets
            reported 15" is not the article's own count).

    Returns:
        ``(readings, about)``: one reading per article, best first — empty when every article
        gives the same number (or fewer than two articles give one) — and the asked noun phrase.
    """
    noun = asked_noun(analysis.question) if analysis.answer_type == "number" else ""
    if not noun:
        return [], ""
    readings: list[ValueReading] = []
    seen_articles: set[str] = set()
    for i in indices:
        c = cands[i]
        if c.hit.passage.article_id in seen_articles or skip(c.text):
            continue
        asked = [q for q in quantities(c.text, noun) if q.counts_asked]
        if not asked or len({q.key for q in asked}) > 1:
            continue  # no count of the asked thing, or a sentence that itself weighs several counts
        seen_articles.add(c.hit.passage.article_id)
        readings.append(ValueReading(i, c.text[asked[0].start:asked[0].end], asked[0].key))
    if len({r.key for r in readings}) < 2:
        return [], noun
    return readings, noun


def _source(passage: Passage) -> str:
    return passage.outlet or (f"\u201c{passage.title}\u201d" if passage.title else "one source")


def disagreement_sentence(readings: Sequence[ValueReading], numbers: Sequence[int],
                          passages: Sequence[Passage]) -> tuple[str, tuple[int, ...]]:
    """The sentence that states the disagreement, and the citation numbers it carries.

    Args:
        readings: the differing readings (from :func:`find_disagreement`).
        numbers: the citation number of each reading.
        passages: the passage of each reading (its outlet names the source).

    Returns:
        ``("Outlets differ: 14 X according to A [1]; 15 X according to B [2].", (1, 2))``.
    """
    by_key: dict[str, list[int]] = {}
    for pos, r in enumerate(readings):
        by_key.setdefault(r.key, []).append(pos)
    parts = []
    for positions in by_key.values():
        first = readings[positions[0]]
        sources = list(dict.fromkeys(_source(passages[p]) for p in positions))
        ns = tuple(dict.fromkeys(numbers[p] for p in positions))
        parts.append(f"{defuse_citation_markers(first.value)} according to {' and '.join(sources)}"
                     f"{format_markers(ns)}")
    return "Outlets differ: " + "; ".join(parts) + ".", tuple(dict.fromkeys(numbers))
