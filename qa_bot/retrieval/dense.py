"""The dense side of retrieval: chunks nearest the question's embedding in the Chroma index."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qa_bot.retrieval.filters import Filters
from qa_bot.retrieval.fusion import ChunkKey, Ranking
from qa_bot.storage.index import RawHit

if TYPE_CHECKING:
    import numpy as np

    from qa_bot.storage.store import Store


def chunk_key(raw: RawHit) -> ChunkKey:
    """``(article_id, chunk_number)`` of a Chroma row, the key both retrieval sides share.

    The chunk number comes from the row's metadata when present, else from its ``ARTICLE:N`` id.
    """
    return str(raw.metadata.get("article_id")), int(raw.metadata.get("n", raw.id.rsplit(":", 1)[-1]))


def dense_ranking(store: Store, vector: np.ndarray, n: int, filters: Filters = Filters()) -> Ranking:
    """The ``n`` chunks nearest ``vector``, best first, within ``filters``.

    Args:
        store: the :class:`~qa_bot.storage.store.Store` (only fully indexed articles are returned).
        vector: the question embedded by the same model the index was built with.
        n: most chunks to return.
        filters: outlet and date restrictions, applied inside the Chroma query.

    Returns:
        ``((article_id, chunk_number), cosine_similarity)`` pairs.
    """
    return [(chunk_key(raw), 1.0 - raw.distance) for raw in store.query(vector, n, filters.where())]
