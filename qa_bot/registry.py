"""The article registry: the truth about what is in the index, kept in SQLite beside it.

Chroma holds vectors; the registry holds each article's normalised text, metadata, content
hash, chunk spans and indexing state. Because every article's text is here (bundled and added
alike), the index can always be rebuilt, and an article only counts as present once its state
is ``indexed`` — set after all its chunks are written — so a crash never leaves one half-visible.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from qa_bot.models import Article, Chunk

PENDING, INDEXED = "pending", "indexed"
ORIGIN_CORPUS, ORIGIN_ADDED = "corpus", "added"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY, content_hash TEXT NOT NULL, title TEXT NOT NULL, outlet TEXT NOT NULL,
    url TEXT NOT NULL, published TEXT NOT NULL, author TEXT NOT NULL, source TEXT NOT NULL,
    origin TEXT NOT NULL, text TEXT NOT NULL, extra TEXT NOT NULL, n_chunks INTEGER NOT NULL,
    state TEXT NOT NULL, updated_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS chunks (
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE, n INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, PRIMARY KEY (article_id, n));
CREATE INDEX IF NOT EXISTS articles_state ON articles(state);
"""


@dataclass(frozen=True)
class ArticleRecord:
    """An article as the registry knows it: the article plus its indexing facts."""

    article: Article
    origin: str
    n_chunks: int
    state: str
    updated_at: float

    @property
    def id(self) -> str:
        return self.article.id


class Registry:
    """SQLite-backed article registry; safe to share between threads of one process.

    Args:
        path: the database file (created if missing).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=30, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ------------------------------------------------------------ meta

    def get_meta(self, key: str, default: str = "") -> str:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def bump_generation(self) -> int:
        """Count a change, so other processes know to refresh what they cached."""
        with self._lock:
            value = int(self.get_meta("generation", "0")) + 1
            self.set_meta("generation", str(value))
            return value

    def generation(self) -> int:
        return int(self.get_meta("generation", "0"))

    # ------------------------------------------------------------ writes

    def mark_pending(self, items: Iterable[tuple[Article, str, list[Chunk]]]) -> None:
        """Record articles (text, metadata, chunk spans) as being indexed; one transaction."""
        now = time.time()
        with self._lock, self._transaction():
            for article, origin, chunks in items:
                self._db.execute("DELETE FROM chunks WHERE article_id=?", (article.id,))
                self._db.execute(
                    "INSERT OR REPLACE INTO articles VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        article.id, article.content_hash, article.title, article.outlet, article.url,
                        article.published.isoformat() if article.published else "", article.author,
                        article.source, origin, article.text, json.dumps(article.extra), len(chunks), PENDING, now,
                    ),
                )
                self._db.executemany(
                    'INSERT INTO chunks(article_id, n, start, "end") VALUES (?,?,?,?)',
                    [(c.article_id, c.n, c.start, c.end) for c in chunks],
                )

    def mark_indexed(self, article_ids: Iterable[str]) -> None:
        with self._lock, self._transaction():
            self._db.executemany("UPDATE articles SET state=? WHERE id=?", [(INDEXED, i) for i in article_ids])

    def delete(self, article_ids: Iterable[str]) -> None:
        with self._lock, self._transaction():
            self._db.executemany("DELETE FROM articles WHERE id=?", [(i,) for i in article_ids])

    def _transaction(self):
        db = self._db

        class _Tx:
            def __enter__(self):
                db.execute("BEGIN IMMEDIATE")

            def __exit__(self, exc_type, exc, tb):
                db.execute("ROLLBACK" if exc_type else "COMMIT")
                return False

        return _Tx()

    # ------------------------------------------------------------ reads

    def hashes(self, origin: str | None = None) -> dict[str, tuple[str, str]]:
        """``{id: (content_hash, state)}``, optionally for one origin only."""
        sql = "SELECT id, content_hash, state FROM articles" + (" WHERE origin=?" if origin else "")
        with self._lock:
            rows = self._db.execute(sql, (origin,) if origin else ()).fetchall()
        return {r[0]: (r[1], r[2]) for r in rows}

    def get(self, article_id: str) -> ArticleRecord | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM articles WHERE id=?", (article_id,)).fetchone()
        return _record(row) if row else None

    def records(self, state: str | None = None) -> Iterator[ArticleRecord]:
        """All records (ordered by published date, newest first), optionally in one state."""
        sql = "SELECT * FROM articles" + (" WHERE state=?" if state else "") + " ORDER BY published DESC, title"
        with self._lock:
            rows = self._db.execute(sql, (state,) if state else ()).fetchall()
        for row in rows:
            yield _record(row)

    def chunks(self, article_id: str) -> list[tuple[int, int, int]]:
        """``(n, start, end)`` of an article's chunks, in order."""
        with self._lock:
            return self._db.execute(
                'SELECT n, start, "end" FROM chunks WHERE article_id=? ORDER BY n', (article_id,)
            ).fetchall()

    def chunk_ids(self) -> set[str]:
        """Ids of every chunk the registry expects in the index."""
        with self._lock:
            rows = self._db.execute("SELECT article_id, n FROM chunks").fetchall()
        return {f"{a}:{n}" for a, n in rows}

    def indexed_ids(self) -> set[str]:
        with self._lock:
            return {r[0] for r in self._db.execute("SELECT id FROM articles WHERE state=?", (INDEXED,))}

    def counts(self) -> tuple[int, int]:
        """``(articles, chunks)`` in the indexed state."""
        with self._lock:
            row = self._db.execute(
                "SELECT COUNT(*), COALESCE(SUM(n_chunks), 0) FROM articles WHERE state=?", (INDEXED,)
            ).fetchone()
        return int(row[0]), int(row[1])

    def total_chunks(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0])


def _record(row: tuple) -> ArticleRecord:
    (aid, _hash, title, outlet, url, published, author, source, origin, text, extra, n_chunks, state, updated) = row
    article = Article(
        id=aid, title=title, text=text, outlet=outlet, url=url,
        published=date.fromisoformat(published) if published else None,
        author=author, source=source, extra=json.loads(extra or "{}"),
    )
    return ArticleRecord(article=article, origin=origin, n_chunks=n_chunks, state=state, updated_at=updated)
