"""The article registry: the truth about what is in the index, kept in SQLite beside it.

Chroma holds vectors; the registry holds each article's normalised text, metadata, content hash, chunk
spans, sentence entities and indexing state. With every article's text here (bundled and added alike), the
index can always be rebuilt, and an article counts as present only once its state is ``indexed`` — set
after all its chunks are written — so a crash never leaves one half-visible.
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

import numpy as np

from qa_bot.models import Article, Chunk

PENDING, INDEXED = "pending", "indexed"
SCHEMA_VERSION = 3  # 3: chunks.entities (named entities and speakers per sentence)
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
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, sentences TEXT NOT NULL DEFAULT '[]',
    vectors BLOB, entities TEXT NOT NULL DEFAULT '[]', PRIMARY KEY (article_id, n));
CREATE INDEX IF NOT EXISTS articles_state ON articles(state);
CREATE VIRTUAL TABLE IF NOT EXISTS chunk_fts USING fts5(title, body, tokenize='porter unicode61 remove_diacritics 2');
CREATE TABLE IF NOT EXISTS copies (article_id TEXT NOT NULL, copy_id TEXT NOT NULL, outlet TEXT NOT NULL,
    url TEXT NOT NULL, published TEXT NOT NULL, PRIMARY KEY (article_id, copy_id));
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
        """The article's id."""
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
        self._migrate()
        self._db.executescript(_SCHEMA)
        self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def _migrate(self) -> None:
        """Older registries keep their articles; their chunks are re-derived by the next open's repair."""
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        has_articles = self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='articles'").fetchone()
        if has_articles and version < SCHEMA_VERSION:
            self._db.executescript("DROP TABLE IF EXISTS chunks; DROP TABLE IF EXISTS chunk_fts;")
            self._db.execute("UPDATE articles SET state=?", (PENDING,))

    def quick_check(self) -> str:
        """``""`` when SQLite's ``PRAGMA quick_check`` finds the file sound, else its first complaint."""
        try:
            with self._lock:
                rows = self._db.execute("PRAGMA quick_check").fetchall()
                self._db.execute("SELECT COUNT(*) FROM articles").fetchone()
        except sqlite3.DatabaseError as err:
            return str(err)
        first = str(rows[0][0]) if rows else "no answer"
        return "" if first == "ok" else first

    def close(self) -> None:
        """Close the database connection."""
        with self._lock:
            self._db.close()

    # ------------------------------------------------------------ meta

    def get_meta(self, key: str, default: str = "") -> str:
        """A bookkeeping value (index signature, generation, ...), or ``default`` when unset."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def set_meta(self, key: str, value: str) -> None:
        """Set a bookkeeping value."""
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def bump_generation(self) -> int:
        """Count a change, so other processes know to refresh what they cached."""
        with self._lock:
            value = int(self.get_meta("generation", "0")) + 1
            self.set_meta("generation", str(value))
            return value

    def generation(self) -> int:
        """How many changes have been counted (see :meth:`bump_generation`)."""
        return int(self.get_meta("generation", "0"))

    # ------------------------------------------------------------ writes

    def mark_pending(self, items: Iterable[tuple[Article, str, list[Chunk]]],
                     sentences: dict[str, tuple[list[tuple[int, int]], np.ndarray | None]] | None = None) -> None:
        """Record articles (text, metadata, chunks, their sentences and vectors) as being indexed.

        One transaction; the lexical (BM25) index is updated in the same transaction, so it can
        never disagree with the registry.

        Args:
            items: ``(article, origin, chunks)`` triples.
            sentences: chunk id -> (sentence spans relative to the chunk, their vectors[, their mentions]).
        """
        now = time.time()
        sentences = sentences or {}
        with self._lock, self._transaction():
            for article, origin, chunks in items:
                self._delete_chunks(article.id)
                self._db.execute(
                    "INSERT OR REPLACE INTO articles VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        article.id, article.content_hash, article.title, article.outlet, article.url,
                        article.published.isoformat() if article.published else "", article.author,
                        article.source, origin, article.text, json.dumps(article.extra), len(chunks), PENDING, now,
                    ),
                )
                for c in chunks:
                    spans, vectors, *mentions = sentences.get(c.id, ([], None))
                    cur = self._db.execute(
                        'INSERT INTO chunks(article_id, n, start, "end", sentences, vectors, entities) '
                        'VALUES (?,?,?,?,?,?,?)', (c.article_id, c.n, c.start, c.end, json.dumps(spans),
                         None if vectors is None else np.asarray(vectors, dtype=np.float16).tobytes(),
                         json.dumps(mentions[0] if mentions else [])),
                    )
                    self._db.execute("INSERT INTO chunk_fts(rowid, title, body) VALUES (?,?,?)",
                                     (cur.lastrowid, article.title, c.text))

    def _delete_chunks(self, article_id: str) -> None:
        self._db.execute("DELETE FROM chunk_fts WHERE rowid IN (SELECT rowid FROM chunks WHERE article_id=?)",
                         (article_id,))
        self._db.execute("DELETE FROM chunks WHERE article_id=?", (article_id,))

    def mark_indexed(self, article_ids: Iterable[str]) -> None:
        """Make articles visible: all their chunks are in the index."""
        with self._lock, self._transaction():
            self._db.executemany("UPDATE articles SET state=? WHERE id=?", [(INDEXED, i) for i in article_ids])

    def delete(self, article_ids: Iterable[str]) -> None:
        """Forget articles, their chunks and their lexical index entries (one transaction)."""
        with self._lock, self._transaction():
            for article_id in article_ids:
                self._delete_chunks(article_id)
                self._db.execute("DELETE FROM articles WHERE id=?", (article_id,))
                self._db.execute("DELETE FROM copies WHERE article_id=?", (article_id,))

    def add_copies(self, pairs: Iterable[tuple[str, Article]]) -> None:
        """Record ``(original id, copy)`` pairs: the same story published again elsewhere, kept but not indexed."""
        with self._lock, self._transaction():
            self._db.executemany("INSERT OR REPLACE INTO copies VALUES (?,?,?,?,?)", [
                (o, c.id, c.outlet, c.url, c.published.isoformat() if c.published else "") for o, c in pairs])

    def copies(self, article_id: str = "") -> list[tuple[str, str, str, str, str]]:
        """``(original id, copy id, outlet, url, published)`` rows of :meth:`add_copies`, for one original or all."""
        where, args = (" WHERE article_id=?", (article_id,)) if article_id else ("", ())
        with self._lock:
            return self._db.execute(f"SELECT * FROM copies{where} ORDER BY published, outlet", args).fetchall()

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

    def ids_with_extra(self, key: str) -> set[str]:
        """Ids of the articles whose ``extra`` metadata (JSON as :meth:`mark_pending` writes it) has ``key``."""
        with self._lock:
            return {i for (i,) in self._db.execute("SELECT id FROM articles WHERE extra LIKE ?", (f'%"{key}": %',))}

    def origins(self) -> dict[str, tuple[str, str, str, str]]:
        """``{id: (content_hash, state, origin, source)}`` of every article."""
        with self._lock:
            rows = self._db.execute("SELECT id, content_hash, state, origin, source FROM articles").fetchall()
        return {r[0]: tuple(r[1:]) for r in rows}

    def get(self, article_id: str) -> ArticleRecord | None:
        """One article's record in any state, or None."""
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

    def lexical_search(self, match: str, limit: int, outlets: tuple[str, ...] = (), since: str = "",
                       until: str = "") -> list[tuple[str, int, float]]:
        """BM25 over indexed chunks (SQLite FTS5): ``(article_id, n, score)``, best first.

        Args:
            match: an FTS5 query (see :func:`qa_bot.retrieval.lexical.fts_query`).
            limit: most rows.
            outlets, since, until: the same restrictions as the dense search (ISO dates).
        """
        if not match:
            return []
        where, args = ["a.state = ?"], [INDEXED]
        if outlets:
            where.append(f"a.outlet IN ({','.join('?' * len(outlets))})")
            args.extend(outlets)
        if since:
            where.append("a.published >= ?")
            args.append(since)
        if until:
            where.append("a.published != '' AND a.published <= ?")
            args.append(until)
        # Rank in the FTS table alone (joining every match first is several times slower on large
        # indexes), then keep the first ``limit`` ranked chunks that pass the restrictions. That is
        # exactly the restricted top ``limit`` whenever the page holds enough of them or holds every
        # match; otherwise fall back to ranking with the restrictions applied inside the query.
        page = max(4 * limit, 200)
        with self._lock:
            try:
                ranked = self._db.execute(
                    "SELECT rowid, bm25(chunk_fts, 0.3, 1.0) AS score FROM chunk_fts WHERE chunk_fts MATCH ? "
                    "ORDER BY score LIMIT ?", (match, page)).fetchall()
                keep: dict[int, tuple[str, int]] = {}
                for i in range(0, len(ranked), 500):
                    part = [r for r, _ in ranked[i : i + 500]]
                    rows = self._db.execute(
                        # CROSS JOIN keeps chunks (looked up by rowid) as the outer loop; left to itself
                        # the planner may scan every indexed article instead (~100x slower at 100k chunks).
                        f"SELECT c.rowid, c.article_id, c.n FROM chunks c CROSS JOIN articles a ON a.id = c.article_id "
                        f"WHERE c.rowid IN ({','.join('?' * len(part))}) AND {' AND '.join(where)}",
                        [*part, *args]).fetchall()
                    keep.update((rowid, (aid, n)) for rowid, aid, n in rows)
                out = [(*keep[rowid], -float(score)) for rowid, score in ranked if rowid in keep][:limit]
                if len(out) >= limit or len(ranked) < page:
                    return out
                rows = self._db.execute(
                    "SELECT c.article_id, c.n, bm25(chunk_fts, 0.3, 1.0) AS score FROM chunk_fts "
                    "JOIN chunks c ON c.rowid = chunk_fts.rowid JOIN articles a ON a.id = c.article_id "
                    f"WHERE chunk_fts MATCH ? AND {' AND '.join(where)} ORDER BY score LIMIT ?",
                    [match, *args, limit]).fetchall()
            except sqlite3.OperationalError:  # a query FTS5 cannot parse: no lexical evidence
                return []
        return [(a, n, -float(score)) for a, n, score in rows]

    def document_frequencies(self, terms: Iterable[str]) -> dict[str, int]:
        """How many indexed chunks contain each term (as the BM25 index tokenises and stems it)."""
        out = {}
        with self._lock:
            for term in terms:
                clean = term.replace('"', "")
                try:
                    row = self._db.execute("SELECT count(*) FROM chunk_fts WHERE chunk_fts MATCH ?",
                                           (f'"{clean}"',)).fetchone()
                    out[term] = int(row[0])
                except sqlite3.OperationalError:
                    out[term] = 0
        return out

    def chunk_details(self, keys: Iterable[tuple[str, int]]) -> dict[tuple[str, int], dict]:
        """Offsets, sentence spans, sentence vectors and sentence entities of chunks, with their article's metadata."""
        out: dict[tuple[str, int], dict] = {}
        keys = list(dict.fromkeys(keys))
        with self._lock:
            for i in range(0, len(keys), 200):
                part = keys[i : i + 200]
                where = " OR ".join("(c.article_id=? AND c.n=?)" for _ in part)
                rows = self._db.execute(
                    'SELECT c.article_id, c.n, c.start, c."end", c.sentences, c.vectors, a.title, a.outlet, a.url, '
                    f"a.published, a.state, c.entities FROM chunks c JOIN articles a ON a.id = c.article_id WHERE {where}",
                    [v for key in part for v in key],
                ).fetchall()
                for aid, n, start, end, sents, vectors, title, outlet, url, published, state, ents in rows:
                    out[(aid, n)] = {"start": start, "end": end, "sentences": json.loads(sents), "entities": json.loads(ents),
                                     "vectors": vectors, "title": title, "outlet": outlet, "url": url,
                                     "published": published, "state": state}
        return out

    def texts(self, article_ids: Iterable[str]) -> dict[str, str]:
        """``{id: full text}`` of the known articles among ``article_ids``."""
        ids = list(set(article_ids))
        out: dict[str, str] = {}
        with self._lock:
            for i in range(0, len(ids), 500):
                part = ids[i : i + 500]
                out.update(self._db.execute(
                    f"SELECT id, text FROM articles WHERE id IN ({','.join('?' * len(part))})", part).fetchall())
        return out

    def outlets(self) -> list[str]:
        """Distinct outlet names of indexed articles."""
        with self._lock:
            return [r[0] for r in self._db.execute(
                "SELECT DISTINCT outlet FROM articles WHERE state=? AND outlet != '' ORDER BY outlet", (INDEXED,))]

    def date_range(self) -> tuple[date, date] | None:
        """Earliest and latest publication dates of indexed articles (None when none has a date)."""
        with self._lock:
            row = self._db.execute("SELECT MIN(published), MAX(published) FROM articles WHERE state=? AND published != ''",
                                   (INDEXED,)).fetchone()
        return (date.fromisoformat(row[0]), date.fromisoformat(row[1])) if row and row[0] else None

    def typical_year(self) -> int | None:
        """The most common publication year of indexed articles (None when none has a date)."""
        with self._lock:
            row = self._db.execute(
                "SELECT substr(published, 1, 4) AS y, COUNT(*) AS n FROM articles WHERE state=? AND published != '' "
                "GROUP BY y ORDER BY n DESC LIMIT 1", (INDEXED,)).fetchone()
        return int(row[0]) if row else None

    def chunk_ids(self) -> set[str]:
        """Ids of every chunk the registry expects in the index."""
        with self._lock:
            rows = self._db.execute("SELECT article_id, n FROM chunks").fetchall()
        return {f"{a}:{n}" for a, n in rows}

    def indexed_ids(self) -> set[str]:
        """Ids of the articles search may show (state ``indexed``)."""
        with self._lock:
            return {r[0] for r in self._db.execute("SELECT id FROM articles WHERE state=?", (INDEXED,))}

    def counts(self) -> tuple[int, int]:
        """``(articles, chunks)`` in the indexed state."""
        with self._lock:
            row = self._db.execute("SELECT COUNT(*), COALESCE(SUM(n_chunks), 0) FROM articles WHERE state=?",
                                   (INDEXED,)).fetchone()
        return int(row[0]), int(row[1])

    def total_chunks(self) -> int:
        """How many chunks the registry holds, in any state (what the index should hold)."""
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
