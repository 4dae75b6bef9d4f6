"""Hybrid retrieval: the nearest chunks for a question by meaning and by words, fused into one ranking."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import TYPE_CHECKING

from qa_bot.embeddings import Embedder
from qa_bot.models import Hit, Passage
from qa_bot.params import FusionWeights
from qa_bot.retrieval.dense import dense_ranking
from qa_bot.retrieval.filters import Filters
from qa_bot.retrieval.fusion import ChunkKey, Fused, Mentions, boosted, collapse_near_duplicates, fuse
from qa_bot.retrieval.lexical import lexical_ranking
from qa_bot.storage.registry import INDEXED

if TYPE_CHECKING:
    import numpy as np

    from qa_bot.storage.store import Store


class HybridRetriever:
    """Dense (Chroma) and lexical (BM25 over SQLite FTS5) retrieval, fused by weighted reciprocal rank.

    Both sides apply the same filters. Near-duplicate passages from different articles (syndicated
    copies) are collapsed so one story does not count as several sources. Outlets and dates named
    in the question (see :mod:`qa_bot.understanding.analysis`) boost matching passages.

    Args:
        store: the :class:`~qa_bot.storage.store.Store`.
        embedder: the model the index was built with.
        candidates: how many passages each side contributes before fusion.
        weights: fusion weights (a lexical weight of 0 turns the BM25 side off).
    """

    def __init__(self, store: Store, embedder: Embedder, candidates: int = 30,
                 weights: FusionWeights = FusionWeights()) -> None:
        self.store = store
        self.embedder = embedder
        self.candidates = candidates
        self.weights = weights

    def search(self, query: str, k: int, filters: Filters = Filters(), analysis=None,
               query_vector: np.ndarray | None = None) -> list[Hit]:
        """The ``k`` best passages for ``query``, best first, one per near-duplicate group.

        Args:
            query: the (stand-alone) question.
            k: most passages to return.
            filters: outlet and date restrictions.
            analysis: the question's :class:`~qa_bot.understanding.analysis.QueryAnalysis`, whose
                named outlets and dates boost matching passages; ``None`` for no boosts.
            query_vector: ``query`` already embedded, to save embedding it again.

        Returns:
            Hits with fused ``score``, each side's own score (``dense``, ``lexical``) and ``rank`` from 1.

        Raises:
            ValueError: ``k`` is less than 1.
        """
        if k < 1:
            raise ValueError("k must be at least 1")
        n = max(self.candidates, 2 * k)  # spare: near-duplicates and unindexed chunks drop out after fusion
        vector = query_vector if query_vector is not None else self.embedder.embed([query])[0]
        dense = dense_ranking(self.store, vector, n, filters)
        lexical = lexical_ranking(self.store.registry, query, n, filters) if self.weights.lexical else []
        fused = fuse(dense, lexical, self.weights)
        mentions = Mentions.of(analysis)
        hits = [Hit(passage, boosted(entry.score, passage, mentions, self.weights), entry.dense, entry.lexical)
                for passage, entry in self._passages(fused)]
        hits.sort(key=lambda h: -h.score)
        kept = collapse_near_duplicates(hits, k, self.weights.duplicate_overlap)
        return [replace(h, rank=i) for i, h in enumerate(kept, start=1)]

    def _passages(self, fused: dict[ChunkKey, Fused]) -> Iterator[tuple[Passage, Fused]]:
        """Each fused chunk whose article is still indexed, as a passage cut from the article's text."""
        details = self.store.registry.chunk_details(fused)
        texts = self.store.registry.texts(a for a, _ in details)
        for key, entry in fused.items():
            d = details.get(key)
            if d is None or d["state"] != INDEXED or key[0] not in texts:
                continue  # removed or being re-indexed since either side ranked it
            passage = Passage(chunk_id=f"{key[0]}:{key[1]}", article_id=key[0],
                              text=texts[key[0]][d["start"] : d["end"]], start=d["start"], end=d["end"],
                              title=d["title"], outlet=d["outlet"], url=d["url"], published=d["published"])
            yield passage, entry
