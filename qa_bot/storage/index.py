"""The Chroma collection that holds chunk vectors: embedded on disk, or a Chroma server.

The client is passed in or built from settings (``PersistentClient`` under the data directory,
``HttpClient`` when ``QA_BOT_CHROMA_HOST`` is set, ``EphemeralClient`` in tests): same code path.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa_bot.config import Settings
from qa_bot.errors import StoreError


@dataclass(frozen=True)
class RawHit:
    """One Chroma query result row."""

    id: str
    text: str
    metadata: dict
    distance: float


def chroma_settings():
    """Client settings: no telemetry (it would reach the network), resets allowed for rebuilds."""
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False, allow_reset=True)


def make_client(settings: Settings):
    """The Chroma client the settings ask for.

    Raises:
        StoreError: a configured Chroma server that cannot be reached.
    """
    import chromadb

    if settings.chroma_host:
        try:
            return chromadb.HttpClient(host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings())
        except Exception as err:  # chromadb raises bare ValueError/ConnectError depending on the failure
            raise StoreError(
                f"cannot reach the Chroma server at {settings.chroma_host}:{settings.chroma_port} ({err}); "
                "start it with `chroma run --host 127.0.0.1 --port PORT --path DIR` or unset QA_BOT_CHROMA_HOST"
            ) from None
    return chromadb.PersistentClient(path=str(chroma_path(settings)), settings=chroma_settings())


def chroma_path(settings: Settings) -> Path:
    """The folder of the embedded (on-disk) index."""
    return settings.data_dir / "chroma"


def release_persistent(path: Path) -> None:
    """Stop chromadb's process-wide system for the folder ``path`` (only that one) and forget it.

    chromadb shares one system per persist directory inside a process; clients of *other* folders
    are untouched. Used before an index folder is deleted or rebuilt, and when a store closes.
    (``SharedSystemClient`` keeps these in class attributes; chromadb is pinned to 1.5.x.)
    """
    from chromadb.api.shared_system_client import SharedSystemClient

    ident = str(path)
    with SharedSystemClient._refcount_lock:
        system = SharedSystemClient._identifier_to_system.pop(ident, None)
        SharedSystemClient._identifier_to_refcount.pop(ident, None)
    if system is not None:
        try:
            system.stop()
        except Exception as err:  # a damaged index may fail to stop cleanly; it is being discarded anyway
            import logging

            logging.getLogger(__name__).info("stopping the Chroma system for %s: %s", path, err)


def remove_persistent(path: Path) -> None:
    """Delete an embedded index folder (after releasing chromadb's handle on it)."""
    release_persistent(path)
    shutil.rmtree(path, ignore_errors=True)


class ChunkIndex:
    """A Chroma collection of chunks with deterministic ids; writes are upserts, batched.

    Args:
        client: any Chroma client.
        name: the collection name.
    """

    def __init__(self, client, name: str) -> None:
        self.client = client
        self.name = name
        self.collection = client.get_or_create_collection(
            name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )
        try:
            self.max_batch = int(client.get_max_batch_size())
        except Exception:  # older servers do not report it; Chroma's documented default
            self.max_batch = 5461

    def count(self) -> int:
        """How many chunk records the collection holds."""
        return int(self.collection.count())

    def upsert(self, ids: Sequence[str], vectors: np.ndarray, texts: Sequence[str], metadatas: Sequence[dict]) -> None:
        """Insert or replace records, split under the server's per-call limit."""
        step = max(1, self.max_batch)
        for i in range(0, len(ids), step):
            self.collection.upsert(
                ids=list(ids[i : i + step]),
                embeddings=np.asarray(vectors[i : i + step], dtype=np.float32),
                documents=list(texts[i : i + step]),
                metadatas=[sanitize_metadata(m) for m in metadatas[i : i + step]],
            )

    def delete_articles(self, article_ids: Sequence[str]) -> None:
        """Delete every chunk of these articles."""
        for i in range(0, len(article_ids), 500):
            self.collection.delete(where={"article_id": {"$in": list(article_ids[i : i + 500])}})

    def delete_ids(self, ids: Sequence[str]) -> None:
        """Delete chunk records by id."""
        for i in range(0, len(ids), self.max_batch):
            self.collection.delete(ids=list(ids[i : i + self.max_batch]))

    def all_ids(self, page: int = 5000) -> set[str]:
        """Every record id (paged, ids only)."""
        out: set[str] = set()
        offset = 0
        while True:
            got = self.collection.get(include=[], limit=page, offset=offset)["ids"]
            out.update(got)
            if len(got) < page:
                return out
            offset += page

    def query(self, vector: np.ndarray, k: int, where: dict | None = None) -> list[RawHit]:
        """The ``k`` nearest chunks to ``vector`` that match ``where``."""
        if k <= 0:
            return []
        res = self.collection.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32)],
            n_results=k,
            where=where or None,
            include=["documents", "metadatas", "distances"],
        )
        return [
            RawHit(id=i, text=t or "", metadata=m or {}, distance=float(d))
            for i, t, m, d in zip(res["ids"][0], res["documents"][0], res["metadatas"][0], res["distances"][0])
        ]

    def get(self, ids: Sequence[str]) -> list[RawHit]:
        """The records with these ids (``distance`` 0); unknown ids are left out."""
        res = self.collection.get(ids=list(ids), include=["documents", "metadatas"])
        return [RawHit(id=i, text=t or "", metadata=m or {}, distance=0.0)
                for i, t, m in zip(res["ids"], res["documents"], res["metadatas"])]

    def probe(self) -> None:
        """Read a record and run a query, so a damaged collection fails here rather than mid-answer."""
        n = self.count()
        if n:
            got = self.collection.get(include=["embeddings"], limit=1)
            dim = len(got["embeddings"][0])
            self.query(np.ones(dim, dtype=np.float32) / np.sqrt(dim), k=min(3, n))


def sanitize_metadata(meta: dict) -> dict:
    """Chroma accepts str/int/float/bool values only: drop ``None``, flatten the rest to str."""
    out = {}
    for key, value in meta.items():
        if value is None:
            continue
        out[key] = value if isinstance(value, (str, int, float, bool)) else str(value)
    return out
