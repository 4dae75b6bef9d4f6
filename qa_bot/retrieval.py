"""Retrieval: nearest chunks for a question, with outlet and date filters.

Also a LangChain ``BaseRetriever`` adapter, so the same retrieval can feed any LangChain chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from qa_bot.embeddings import Embedder
from qa_bot.index import RawHit
from qa_bot.models import Hit, Passage, day_number


@dataclass(frozen=True)
class Filters:
    """Metadata restrictions on what may be retrieved. Empty means no restriction."""

    outlets: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None

    def __post_init__(self) -> None:
        if self.since and self.until and self.since > self.until:
            raise ValueError(f"the date range is empty: since {self.since} is after until {self.until}")

    def where(self) -> dict | None:
        """The Chroma ``where`` clause for these filters."""
        clauses: list[dict] = []
        if self.outlets:
            clauses.append({"outlet": {"$in": list(self.outlets)}})
        if self.since:
            clauses.append({"published_day": {"$gte": day_number(self.since)}})
        if self.until:
            clauses.append({"published_day": {"$lte": day_number(self.until)}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}

    def allows(self, passage: Passage) -> bool:
        """The same test as :meth:`where`, for candidates that did not come from Chroma."""
        if self.outlets and passage.outlet not in self.outlets:
            return False
        day = date.fromisoformat(passage.published) if passage.published else None
        if self.since and (day is None or day < self.since):
            return False
        if self.until and (day is None or day > self.until):
            return False
        return True

    def merged(self, other: "Filters") -> "Filters":
        """These filters narrowed by ``other`` (used for filters read from the question)."""
        outlets = tuple(o for o in self.outlets if o in other.outlets) if self.outlets and other.outlets else (self.outlets or other.outlets)
        since = max(d for d in (self.since, other.since) if d) if (self.since or other.since) else None
        until = min(d for d in (self.until, other.until) if d) if (self.until or other.until) else None
        if since and until and since > until:
            return self
        return Filters(outlets, since, until)

    def __bool__(self) -> bool:
        return bool(self.outlets or self.since or self.until)


def passage_from_raw(raw: RawHit) -> Passage:
    m = raw.metadata
    return Passage(
        chunk_id=raw.id,
        article_id=str(m.get("article_id", raw.id.rsplit(":", 1)[0])),
        text=raw.text,
        start=int(m.get("start", 0)),
        end=int(m.get("end", len(raw.text))),
        title=str(m.get("title", "")),
        outlet=str(m.get("outlet", "")),
        url=str(m.get("url", "")),
        published=str(m.get("published", "")),
    )


class DenseRetriever:
    """Top-k chunks by embedding similarity (cosine), restricted by :class:`Filters`.

    Args:
        store: the :class:`~qa_bot.store.Store` to query.
        embedder: the same model the index was built with.
    """

    def __init__(self, store, embedder: Embedder) -> None:
        self.store = store
        self.embedder = embedder

    def search(self, query: str, k: int, filters: Filters = Filters()) -> list[Hit]:
        """The ``k`` best passages for ``query``, best first."""
        if k < 1:
            raise ValueError("k must be at least 1")
        vector = self.embedder.embed([query])[0]
        raw = self.store.query(vector, k, filters.where())
        hits = [Hit(passage_from_raw(r), score=1.0 - r.distance, dense=1.0 - r.distance) for r in raw]
        return [Hit(h.passage, h.score, h.dense, h.lexical, rank=i + 1) for i, h in enumerate(hits)]


def hit_to_document(hit: Hit):
    """A LangChain ``Document`` carrying the passage text and all its citation metadata."""
    from langchain_core.documents import Document

    p = hit.passage
    return Document(
        page_content=p.text,
        id=p.chunk_id,
        metadata={
            "chunk_id": p.chunk_id, "article_id": p.article_id, "title": p.title, "outlet": p.outlet,
            "url": p.url, "published": p.published, "start": p.start, "end": p.end, "score": hit.score,
        },
    )


def make_langchain_retriever(search, k: int = 5, filters: Filters = Filters()):
    """A LangChain ``BaseRetriever`` over ``search(query, k, filters) -> list[Hit]``.

    Example:
        ``bot.as_retriever(k=4).invoke("What did Lee say about Taiwan?")`` returns ``Document`` objects.
    """
    from langchain_core.callbacks import CallbackManagerForRetrieverRun
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever
    from pydantic import ConfigDict

    class QABotRetriever(BaseRetriever):
        """qa-bot retrieval as a LangChain retriever; metadata carries outlet, title, date and offsets."""

        model_config = ConfigDict(arbitrary_types_allowed=True)
        k: int = 5
        filters: Filters = Filters()

        def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
            return [hit_to_document(h) for h in search(query, self.k, self.filters)]

    return QABotRetriever(k=k, filters=filters)
