"""Retrieval: nearest chunks for a question, with outlet and date filters.

Also a LangChain ``BaseRetriever`` adapter, so the same retrieval can feed any LangChain chain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from qa_bot.embeddings import Embedder
from qa_bot.storage.index import RawHit
from qa_bot.models import Hit, Passage, day_number
from qa_bot.params import FusionWeights
from qa_bot.text.tokens import STOPWORDS, words


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
        store: the :class:`~qa_bot.storage.store.Store` to query.
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


def fts_query(text: str) -> str:
    """An FTS5 ``MATCH`` expression: the question's content words, OR-ed and quoted (BM25 ranks them)."""
    terms = []
    for word in words(text):
        if word in STOPWORDS or (len(word) < 2 and not word.isdigit()):
            continue
        term = word.replace('"', "").strip(".'-")
        if term and term not in terms:
            terms.append(term)
    return " OR ".join(f'"{t}"' for t in terms[:32])


def _shingles(text: str, n: int = 5) -> set[tuple[str, ...]]:
    toks = words(text)
    return {tuple(toks[i : i + n]) for i in range(max(1, len(toks) - n + 1))}


def near_duplicate(a: str, b: str, threshold: float = 0.7) -> bool:
    """True when two passages share most of their five-word shingles (syndicated or copied text)."""
    return _shingles_overlap(_shingles(a), _shingles(b), threshold)


def _shingles_overlap(sa: set, sb: set, threshold: float) -> bool:
    if not sa or not sb:
        return False
    return len(sa & sb) / min(len(sa), len(sb)) >= threshold


class HybridRetriever:
    """Dense (Chroma) and lexical (BM25 over SQLite FTS5) retrieval, fused by weighted reciprocal rank.

    Both sides apply the same filters. Near-duplicate passages from different articles (syndicated
    copies) are collapsed so one story does not count as several sources. Outlets and dates named
    in the question (see :mod:`qa_bot.understanding.analysis`) boost matching passages.

    Args:
        store: the :class:`~qa_bot.storage.store.Store`.
        embedder: the model the index was built with.
        candidates: how many passages each side contributes before fusion.
        weights: fusion weights.
    """

    def __init__(self, store, embedder: Embedder, candidates: int = 30, weights: FusionWeights = FusionWeights()) -> None:
        self.store = store
        self.embedder = embedder
        self.candidates = candidates
        self.weights = weights

    def search(self, query: str, k: int, filters: Filters = Filters(), analysis=None,
               query_vector=None) -> list[Hit]:
        """The ``k`` best passages for ``query``, best first, one per near-duplicate group."""
        if k < 1:
            raise ValueError("k must be at least 1")
        n = max(self.candidates, 2 * k)
        vector = query_vector if query_vector is not None else self.embedder.embed([query])[0]
        dense = self.store.query(vector, n, filters.where())
        lexical = self.store.registry.lexical_search(
            fts_query(query), n, filters.outlets, filters.since.isoformat() if filters.since else "",
            filters.until.isoformat() if filters.until else "") if self.weights.lexical else []
        w = self.weights
        fused: dict[tuple[str, int], dict] = {}
        for rank, raw in enumerate(dense, start=1):
            key = (str(raw.metadata.get("article_id")), int(raw.metadata.get("n", raw.id.rsplit(":", 1)[-1])))
            entry = fused.setdefault(key, {"score": 0.0, "dense": None, "lexical": None})
            entry["score"] += w.dense / (w.rrf_k + rank)
            entry["dense"] = 1.0 - raw.distance
        for rank, (aid, chunk_n, score) in enumerate(lexical, start=1):
            entry = fused.setdefault((aid, chunk_n), {"score": 0.0, "dense": None, "lexical": None})
            entry["score"] += w.lexical / (w.rrf_k + rank)
            entry["lexical"] = score
        details = self.store.registry.chunk_details(fused)
        texts = self.store.registry.texts(a for a, _ in details)
        outlets = set(getattr(analysis, "outlets", ()) or ())
        dates = {d.isoformat() for d in getattr(analysis, "dates", ()) or ()}
        hits: list[Hit] = []
        for key, entry in fused.items():
            d = details.get(key)
            if d is None or d["state"] != "indexed" or key[0] not in texts:
                continue
            passage = Passage(chunk_id=f"{key[0]}:{key[1]}", article_id=key[0],
                              text=texts[key[0]][d["start"] : d["end"]], start=d["start"], end=d["end"],
                              title=d["title"], outlet=d["outlet"], url=d["url"], published=d["published"])
            score = entry["score"]
            if outlets and passage.outlet in outlets:
                score += w.outlet_boost / (w.rrf_k + 1)
            if dates and (passage.published in dates):
                score += w.date_boost / (w.rrf_k + 1)
            hits.append(Hit(passage, score=score, dense=entry["dense"], lexical=entry["lexical"]))
        hits.sort(key=lambda h: -h.score)
        kept: list[tuple[Hit, set]] = []
        for hit in hits:
            shingles = _shingles(hit.passage.text)  # once per candidate, not once per comparison
            if any(h.passage.article_id != hit.passage.article_id and _shingles_overlap(hs, shingles, 0.7)
                   for h, hs in kept):
                continue
            kept.append((hit, shingles))
            if len(kept) == k:
                break
        return [Hit(h.passage, h.score, h.dense, h.lexical, rank=i + 1) for i, (h, _) in enumerate(kept)]


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
