"""Combining the two retrieval sides: weighted reciprocal-rank fusion, boosts for what the question
names, and collapsing near-duplicate passages (syndicated copies) to one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from qa_bot.models import Hit, Passage
from qa_bot.params import FusionWeights
from qa_bot.text.tokens import words

#: A chunk's identity on both sides: ``(article_id, chunk_number)``.
ChunkKey = tuple[str, int]

#: One side's result: chunks with that side's own score, best first (only the order is fused).
Ranking = list[tuple[ChunkKey, float]]

@dataclass
class Fused:
    """A chunk's fused score, with its score on each side (``None``: that side did not find it)."""

    score: float = 0.0
    dense: float | None = None
    lexical: float | None = None


def fuse(dense: Ranking, lexical: Ranking, weights: FusionWeights = FusionWeights()) -> dict[ChunkKey, Fused]:
    """Weighted reciprocal-rank fusion: rank ``r`` on a side adds ``weight / (rrf_k + r)``.

    A chunk both sides rank well outscores one only a single side found. Only ranks are fused, so
    cosine similarities and BM25 scores never need a common scale.

    Args:
        dense: the dense ranking, best first.
        lexical: the lexical ranking, best first.
        weights: the side weights and ``rrf_k``.

    Returns:
        Every chunk either side found, dense finds first (the order ties keep after sorting).
    """
    fused: dict[ChunkKey, Fused] = {}
    for rank, (key, similarity) in enumerate(dense, start=1):
        entry = fused.setdefault(key, Fused())
        entry.score += weights.dense / (weights.rrf_k + rank)
        entry.dense = similarity
    for rank, (key, bm25) in enumerate(lexical, start=1):
        entry = fused.setdefault(key, Fused())
        entry.score += weights.lexical / (weights.rrf_k + rank)
        entry.lexical = bm25
    return fused


@dataclass(frozen=True)
class Mentions:
    """Outlets and days a question names; passages matching them are boosted.

    Attributes:
        outlets: outlet names as stored on passages.
        days: ISO dates (``YYYY-MM-DD``), compared with a passage's ``published``.
    """

    outlets: frozenset[str] = frozenset()
    days: frozenset[str] = frozenset()

    @classmethod
    def of(cls, analysis) -> Mentions:
        """The mentions in a question analysis (anything with ``outlets`` and ``dates``; ``None``: none)."""
        outlets = getattr(analysis, "outlets", ()) or ()
        dates = getattr(analysis, "dates", ()) or ()
        return cls(frozenset(outlets), frozenset(d.isoformat() for d in dates))


def boosted(score: float, passage: Passage, mentions: Mentions, weights: FusionWeights = FusionWeights()) -> float:
    """``score`` raised when the passage is from a named outlet and again when it is from a named day.

    Each boost is its weight times a first-rank fusion share, so a boost of 1.0 is worth as much as
    a first place on one more side of weight 1.
    """
    if passage.outlet in mentions.outlets:
        score += weights.outlet_boost / (weights.rrf_k + 1)
    if passage.published in mentions.days:
        score += weights.date_boost / (weights.rrf_k + 1)
    return score


def _shingles(text: str, n: int = 5) -> set[tuple[str, ...]]:
    toks = words(text)
    return {tuple(toks[i : i + n]) for i in range(max(1, len(toks) - n + 1))}


def _overlapping(sa: set, sb: set, threshold: float) -> bool:
    if not sa or not sb:
        return False
    return len(sa & sb) / min(len(sa), len(sb)) >= threshold


def collapse_near_duplicates(hits: Sequence[Hit], k: int, threshold: float = FusionWeights.duplicate_overlap,
                             ) -> list[Hit]:
    """The first ``k`` hits, skipping any that repeats the text of a kept hit from another article.

    Syndicated or copied stories would otherwise count as several sources for one claim. Overlapping
    chunks of the same article are not duplicates of each other and are all kept.

    Args:
        hits: candidates, best first (the best copy of a text is the one kept).
        k: most hits to return.
        threshold: share of the shorter passage's five-word shingles two passages must share.
    """
    kept: list[tuple[Hit, set]] = []
    for hit in hits:
        shingles = _shingles(hit.passage.text)  # once per candidate, not once per comparison
        if any(h.passage.article_id != hit.passage.article_id and _overlapping(hs, shingles, threshold)
               for h, hs in kept):
            continue
        kept.append((hit, shingles))
        if len(kept) == k:
            break
    return [h for h, _ in kept]
