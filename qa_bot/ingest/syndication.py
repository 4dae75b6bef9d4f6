"""Syndicated copies: the same story published again by another outlet, found before it is indexed twice.

Two articles are copies of one story when their normalised texts are near-identical: the Jaccard
similarity of their word 5-shingles is at least :data:`COPY_JACCARD`. A re-published wire story that
adds a byline, a dateline or a closing "originally published by" line stays well above 0.9; two
different reports of one event, which share facts and quotes but not whole sentences, stay far below.

Comparing each new article with every indexed one would cost a full scan per article, so candidates
are found first: for indexed articles, the BM25 index (SQLite FTS5) is asked for the chunks holding
any of :data:`PROBES` exact phrases sampled along the new article (a phrase query only intersects
a few posting lists, so it stays cheap as the index grows) and only the best few articles are
compared — a copy shares at least 90% of its phrases, so it misses all of them only if the edits
fall on every sampled one; within one batch, a
bottom-k sketch (the :data:`SKETCH` smallest shingle hashes, a MinHash variant) buckets articles, and
only articles sharing a bucket are compared. A copy at Jaccard 0.9 shares a sketch shingle with its
original with near certainty.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from qa_bot.models import Article

#: Least word-shingle Jaccard similarity at which two texts are one story published twice.
COPY_JACCARD = 0.9
#: Words per shingle.
SHINGLE_WORDS = 5
#: Shingle hashes per article in the in-batch sketch.
SKETCH = 8
#: Phrases sampled along a new article to find indexed candidates, and words per phrase.
PROBES, PROBE_WORDS = 6, 6
#: Indexed articles compared with a new one (the best-ranked candidates).
PROBE_ARTICLES = 4

_WORD = re.compile(r"\w+")


class CopyRegistry(Protocol):
    """What the copy check reads from the article registry (:class:`~qa_bot.storage.registry.Registry`)."""

    def lexical_search(self, match: str, limit: int) -> list[tuple[str, int, float]]:
        """BM25 over indexed chunks: ``(article_id, n, score)``, best first."""

    def texts(self, article_ids: Iterable[str]) -> dict[str, str]:
        """``{id: full text}`` of known articles."""

    def origins(self) -> dict[str, tuple]:
        """``{id: (content_hash, state, origin, source)}`` of every article."""

    def copies(self, article_id: str = "") -> list[tuple[str, str, str, str, str]]:
        """Recorded copies: ``(original id, copy id, outlet, url, published)``."""


@dataclass(frozen=True)
class Copy:
    """An article found to be a near-identical copy of one already indexed (or earlier in the batch).

    Attributes:
        original_id: the article it copies, which stays the one indexed.
        article: the copy (not indexed; its outlet, URL and date are recorded on the original).
        similarity: the word-shingle Jaccard similarity of the two texts.
        known: True when this very copy was already recorded on the original (re-adding it is a no-op).
    """

    original_id: str
    article: Article
    similarity: float
    known: bool = False


def normalised_words(text: str) -> list[str]:
    """The words of ``text``, compatibility-normalised and lower-cased, punctuation dropped."""
    return _WORD.findall(unicodedata.normalize("NFKC", text).casefold())


def shingles(text: str, size: int = SHINGLE_WORDS) -> frozenset[str]:
    """The text's overlapping runs of ``size`` words (the whole text as one run when it is shorter)."""
    words = normalised_words(text)
    if len(words) <= size:
        return frozenset([" ".join(words)]) if words else frozenset()
    return frozenset(" ".join(words[i: i + size]) for i in range(len(words) - size + 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """``|a ∩ b| / |a ∪ b|`` (0 for two empty sets)."""
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def _sketch(shingle_set: frozenset[str]) -> list[int]:
    """The :data:`SKETCH` smallest shingle hashes (stable within one process, which is all a batch needs)."""
    return sorted(hash(s) for s in shingle_set)[:SKETCH]


def probe_query(text: str) -> str:
    """An FTS5 query matching chunks that hold any of :data:`PROBES` phrases spread evenly along ``text``."""
    words = normalised_words(text)
    if len(words) <= PROBE_WORDS:
        return f'"{" ".join(words)}"' if words else ""
    last = len(words) - PROBE_WORDS
    starts = sorted({round(i * last / (PROBES - 1)) for i in range(PROBES)})
    return " OR ".join(f'"{" ".join(words[i: i + PROBE_WORDS])}"' for i in starts)


def split_copies(articles: Sequence[Article], registry: CopyRegistry) -> tuple[list[Article], list[Copy]]:
    """Separate the articles to index from near-identical copies of indexed ones (or of earlier ones in the batch).

    An article whose id is already in the registry is never a copy: re-adding it is an update or a
    no-op, as always. A copy of an earlier article in the same batch is a copy of that article.

    Args:
        articles: the batch, in input order.
        registry: where indexed articles are searched and their texts read.

    Returns:
        ``(to_index, copies)``.
    """
    known_ids = registry.origins()
    recorded = {(original, copy_id) for original, copy_id, *_ in registry.copies()}
    keep: list[Article] = []
    copies: list[Copy] = []
    batch: list[tuple[str, frozenset[str]]] = []
    buckets: dict[int, list[int]] = {}
    for article in articles:
        if article.id in known_ids:
            keep.append(article)
            continue
        own = shingles(article.text)
        sketch = _sketch(own)
        found = _best_in_batch(own, sketch, batch, buckets) or _best_indexed(article, own, registry)
        if found and found[0] != article.id:
            copies.append(Copy(found[0], article, found[1], (found[0], article.id) in recorded))
            continue
        keep.append(article)
        for h in sketch:
            buckets.setdefault(h, []).append(len(batch))
        batch.append((article.id, own))
    return keep, copies


def _best_in_batch(own: frozenset[str], sketch: list[int], batch: list[tuple[str, frozenset[str]]],
                   buckets: dict[int, list[int]]) -> tuple[str, float] | None:
    """The earlier batch article this one copies (its id and similarity), if any."""
    best = None
    for i in sorted({i for h in sketch for i in buckets.get(h, ())}):
        score = jaccard(own, batch[i][1])
        if score >= COPY_JACCARD and (best is None or score > best[1]):
            best = (batch[i][0], score)
    return best


def _best_indexed(article: Article, own: frozenset[str], registry: CopyRegistry) -> tuple[str, float] | None:
    """The indexed article this one copies (its id and similarity), if any, among the BM25 candidates."""
    query = probe_query(article.text)
    hits = registry.lexical_search(query, limit=4 * PROBE_ARTICLES) if query else []
    ids = list(dict.fromkeys(aid for aid, _, _ in hits if aid != article.id))[:PROBE_ARTICLES]
    best = None
    for aid, text in registry.texts(ids).items():
        score = jaccard(own, shingles(text))
        if score >= COPY_JACCARD and (best is None or score > best[1]):
            best = (aid, score)
    return best
