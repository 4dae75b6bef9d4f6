"""The store: the article registry and the Chroma chunk index, kept in agreement.

Adds, replacements and deletes go through here. Each write holds the data folder's lock and a
journal; an article becomes visible to search only once all its chunks are written. On open
the store checks the index and repairs or rebuilds it from the registry when it is damaged,
incomplete or built with another embedding model.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qa_bot.ingest.chunking import Chunker, embedding_text
from qa_bot.config import Settings
from qa_bot.embeddings import Embedder, embed_with_spans
from qa_bot.errors import LockedError, NotFoundError, StoreError
from qa_bot.storage.index import ChunkIndex, chroma_path, make_client, release_persistent, remove_persistent
from qa_bot.storage.locking import OwnerLock, WriteLock
from qa_bot.models import Article, Chunk, ChunkSentences, day_number
from qa_bot.text.sentences import sentence_spans
from qa_bot.storage.registry import INDEXED, ORIGIN_ADDED, ORIGIN_CORPUS, PENDING, ArticleRecord, Registry

log = logging.getLogger(__name__)

#: ``progress(done, total, label)`` — called as work advances; ``total`` may be 0 when unknown.
Progress = Callable[[int, int, str], None]


def _no_progress(done: int, total: int, label: str) -> None:
    return None


@dataclass
class WriteReport:
    """What a write did, article by article."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    chunks_written: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        parts = [f"{len(self.added)} added", f"{len(self.updated)} updated", f"{len(self.unchanged)} unchanged"]
        if self.removed:
            parts.append(f"{len(self.removed)} removed")
        return ", ".join(parts) + f"; {self.chunks_written} chunks embedded in {self.seconds:.1f}s"


@dataclass
class Recovery:
    """What :meth:`Store.open` had to repair, for logs and the reliability campaign."""

    rebuilt: bool = False
    reason: str = ""
    repaired_articles: int = 0
    orphans_removed: int = 0
    seconds: float = 0.0


class Store:
    """Registry + chunk index + embedder, behind one write lock.

    Args:
        settings: data folder, Chroma location, chunk sizes.
        embedder: the embedding model (loaded lazily).
        client: a Chroma client to use instead of the one ``settings`` describe (tests).
    """

    def __init__(self, settings: Settings, embedder: Embedder, client=None) -> None:
        self.settings = settings
        self.embedder = embedder
        self._client = client
        self._external_client = client is not None or bool(settings.chroma_host)
        self.data_dir = settings.data_dir
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.lock = WriteLock(self.data_dir, timeout=settings.lock_timeout_s)
        self.owner = OwnerLock(self.data_dir, timeout=settings.lock_timeout_s)
        self.registry = Registry(self.data_dir / "registry.sqlite3")
        self.index: ChunkIndex | None = None
        self.recovery = Recovery()
        self._chunker: Chunker | None = None
        self._visible: set[str] = set()
        self._generation = -1
        self._refresh_lock = threading.Lock()
        self._depth = 0
        self._outlets: tuple[int, list[str]] | None = None
        self._year: tuple[int, int | None] | None = None
        self._df_cache: tuple[int, dict[str, int], int] | None = None
        self.on_change: list[Callable[[], None]] = []

    # ------------------------------------------------------------ opening and recovery

    @property
    def index_signature(self) -> str:
        """What the vectors depend on; a change means every article must be re-embedded."""
        s = self.settings
        return f"{self.embedder.name}|max={s.chunk_max_tokens}|target={s.chunk_target_tokens}|title-prefix"

    @property
    def chunker(self) -> Chunker:
        if self._chunker is None:
            self._chunker = Chunker(
                count_tokens=self.embedder.count_tokens,
                max_tokens=self.settings.chunk_max_tokens,
                target_tokens=self.settings.chunk_target_tokens,
            )
        return self._chunker

    def open(self, progress: Progress = _no_progress) -> Recovery:
        """Open the index, repairing or rebuilding it from the registry when needed.

        Returns:
            what was repaired (``Recovery``); all zeros on a healthy start.

        Raises:
            StoreError: the index cannot be opened and could not be rebuilt.
            LockedError: a repair is needed but another process holds the write lock.
        """
        started = time.perf_counter()
        rec = Recovery()
        persistent = not self._external_client
        if persistent:
            self.owner.acquire(f"{Path(sys.argv[0]).name} {' '.join(sys.argv[1:2])}".strip())
        try:
            return self._open(rec, persistent, started, progress)
        except BaseException:
            self.owner.release()
            raise

    def _open(self, rec: Recovery, persistent: bool, started: float, progress: Progress) -> Recovery:
        path = chroma_path(self.settings)
        needs_probe = persistent and path.exists() and (self.lock.interrupted() or self._files_changed())
        if needs_probe and not _probe_in_subprocess(path, self.settings.collection):
            rec.rebuilt, rec.reason = True, "the index failed a health check in a separate process"
        if not rec.rebuilt:
            try:
                self.index = ChunkIndex(self._client or make_client(self.settings), self.settings.collection)
                self.index.probe(None)
            except StoreError:
                raise
            except Exception as err:  # chromadb raises many types for a damaged folder
                if not persistent:
                    raise StoreError(f"the Chroma collection {self.settings.collection!r} is unreadable ({err})") from None
                rec.rebuilt, rec.reason = True, f"the index could not be read ({type(err).__name__}: {str(err)[:120]})"
        signature = self.registry.get_meta("index_signature")
        if not rec.rebuilt and signature and signature != self.index_signature and self.registry.total_chunks():
            rec.rebuilt, rec.reason = True, f"the index was built for {signature.split('|')[0]}, settings say {self.embedder.name}"
        if rec.rebuilt:
            log.warning("rebuilding the index: %s", rec.reason)
            self._rebuild(progress)
        elif self.lock.interrupted() or self.index.count() != self.registry.total_chunks():
            self._repair(rec, progress)
        if not signature or rec.rebuilt:
            self.registry.set_meta("index_signature", self.index_signature)
        self._remember_files()
        rec.seconds = time.perf_counter() - started
        self.recovery = rec
        self._reload_visible(force=True)
        return rec

    def _files_changed(self) -> bool:
        """True when the index files differ from how the last clean write left them."""
        return self.registry.get_meta("index_files") != _file_fingerprint(chroma_path(self.settings))

    def _remember_files(self) -> None:
        if not self._external_client:
            self.registry.set_meta("index_files", _file_fingerprint(chroma_path(self.settings)))

    def _rebuild(self, progress: Progress) -> None:
        with self._writing("rebuild"):
            if self.index is not None or chroma_path(self.settings).exists():
                self.index = None
                if self._external_client:
                    client = self._client or make_client(self.settings)
                    try:
                        client.delete_collection(self.settings.collection)
                    except Exception as err:  # the collection may not exist: log and carry on
                        log.info("delete_collection: %s", err)
                else:
                    remove_persistent(chroma_path(self.settings))
            self.index = ChunkIndex(self._client or make_client(self.settings), self.settings.collection)
            records = list(self.registry.records())
            self.registry.set_meta("index_signature", self.index_signature)
            self._index_articles([(r.article, r.origin) for r in records], progress, "Rebuilding the index (chunks)")

    def _repair(self, rec: Recovery, progress: Progress) -> None:
        """Finish or undo interrupted writes: re-index pending or incomplete articles, drop orphans."""
        try:
            with self._writing("repair", wait=False):
                self._repair_locked(rec, progress)
        except LockedError:  # another writer is active: it leaves things consistent itself
            log.info("index repair skipped: %s is writing", self.lock.owner())

    def _repair_locked(self, rec: Recovery, progress: Progress) -> None:
        expected = self.registry.chunk_ids()
        present = self.index.all_ids()
        orphans = sorted(present - expected)
        if orphans:
            self.index.delete_ids(orphans)
        missing_articles = {cid.rsplit(":", 1)[0] for cid in expected - present}
        pending = {r.id for r in self.registry.records(PENDING)}
        todo = [r for r in self.registry.records() if r.id in (missing_articles | pending)]
        if todo:
            self._index_articles([(r.article, r.origin) for r in todo], progress, "Repairing the index (chunks)")
        rec.repaired_articles, rec.orphans_removed = len(todo), len(orphans)

    @contextmanager
    def _writing(self, what: str, wait: bool = True):
        """Hold the write lock and the journal; nested writes share the outer one."""
        with self.lock.hold(what, timeout=None if wait else 0):
            self._depth += 1
            try:
                if self._depth == 1:
                    with self.lock.journal(what):
                        yield
                        self._remember_files()
                    self.registry.bump_generation()
                else:
                    yield
            finally:
                self._depth -= 1
        if self._depth == 0:
            self._reload_visible(force=True)
            for callback in list(self.on_change):
                callback()

    # ------------------------------------------------------------ writes

    def add(self, articles: Iterable[Article], origin: str = ORIGIN_ADDED, progress: Progress = _no_progress,
            on_article: Callable[[str, str], None] | None = None) -> WriteReport:
        """Add or replace articles; unchanged ones (same content hash) are skipped.

        Args:
            articles: validated articles (see :mod:`qa_bot.ingest.loaders`).
            origin: ``added`` (kept in the registry) or ``corpus`` (synced from the corpus folder).
            progress: progress callback.
            on_article: called with ``(article_id, "added"|"updated")`` as each article is committed.

        Raises:
            LockedError: another process is writing to this data folder.
        """
        started = time.perf_counter()
        report = WriteReport()
        known = self.registry.hashes()
        todo: list[tuple[Article, str]] = []
        seen: set[str] = set()
        for article in articles:
            if article.id in seen:
                continue
            seen.add(article.id)
            old = known.get(article.id)
            if old and old[0] == article.content_hash and old[1] == INDEXED:
                report.unchanged.append(article.id)
            else:
                todo.append((article, origin))
                (report.updated if old else report.added).append(article.id)
        if todo:
            with self._writing(f"add {len(todo)} article(s)"):
                report.chunks_written = self._index_articles(todo, progress, "Embedding chunks", on_article,
                                                             replacing={a.id for a, _ in todo if a.id in known})
        report.seconds = time.perf_counter() - started
        return report

    def sync_corpus(self, articles: Sequence[Article], progress: Progress = _no_progress) -> WriteReport:
        """Make the index match the corpus folder: embed new/changed articles, drop removed ones.

        Articles added by users (origin ``added``) are never touched by a sync.
        """
        started = time.perf_counter()
        current = {a.id for a in articles}
        gone = [aid for aid in self.registry.hashes(ORIGIN_CORPUS) if aid not in current]
        with self._writing("sync corpus"):
            report = self.add(articles, ORIGIN_CORPUS, progress)
            if gone:
                self._delete(gone)
                report.removed = gone
        report.seconds = time.perf_counter() - started
        return report

    def remove(self, article_ids: Sequence[str]) -> list[str]:
        """Delete articles and every chunk of them.

        Raises:
            NotFoundError: an id that is not in the registry (nothing is deleted then).
        """
        missing = [a for a in article_ids if self.registry.get(a) is None]
        if missing:
            raise NotFoundError(f"no article with id {missing[0]!r}; `qa-bot list` shows the ids")
        with self._writing(f"remove {len(article_ids)} article(s)"):
            self._delete(list(article_ids))
        return list(article_ids)

    def _delete(self, article_ids: list[str]) -> None:
        self.index.delete_articles(article_ids)
        self.registry.delete(article_ids)

    def _index_articles(self, items: list[tuple[Article, str]], progress: Progress, label: str,
                        on_article: Callable[[str, str], None] | None = None,
                        replacing: set[str] | None = None) -> int:
        """Chunk, embed and write articles in groups; each group becomes visible atomically."""
        replacing = replacing or set()
        chunked = [(a, o, self.chunker.split(a)) for a, o in items]
        total = sum(len(c) for _, _, c in chunked)
        done = 0
        progress(0, total, label)
        group: list[tuple[Article, str, list[Chunk]]] = []
        group_size = max(self.settings.embed_batch_size * 4, 64)
        for item in chunked:
            group.append(item)
            if sum(len(c) for _, _, c in group) >= group_size:
                done += self._write_group(group, replacing, on_article)
                progress(done, total, label)
                group = []
        if group:
            done += self._write_group(group, replacing, on_article)
            progress(done, total, label)
        return done

    def _write_group(self, group: list[tuple[Article, str, list[Chunk]]], replacing: set[str],
                     on_article: Callable[[str, str], None] | None) -> int:
        titles = {a.id: a.title for a, _, _ in group}
        chunks = [c for _, _, cs in group for c in cs]
        rel_spans = [s for a, _, cs in group for s in chunk_sentence_spans(a.text, cs)]
        shifts = [len(titles[c.article_id]) + 1 if titles[c.article_id] else 0 for c in chunks]
        vectors, sentence_vectors = embed_with_spans(
            self.embedder, [embedding_text(titles[c.article_id], c.text) for c in chunks],
            [[(s + d, e + d) for s, e in spans] for spans, d in zip(rel_spans, shifts)],
            batch_size=self.settings.embed_batch_size)
        self.registry.mark_pending(group, {c.id: (rel_spans[i], sentence_vectors[i]) for i, c in enumerate(chunks)})
        stale = [a.id for a, _, _ in group]
        self.index.delete_articles(stale)  # a replaced article may now have fewer chunks
        meta = {a.id: chunk_metadata(a) for a, _, _ in group}
        self.index.upsert(
            [c.id for c in chunks], vectors, [c.text for c in chunks],
            [dict(meta[c.article_id], n=c.n, start=c.start, end=c.end) for c in chunks],
        )
        self.registry.mark_indexed(stale)
        if on_article:
            for aid in stale:
                on_article(aid, "updated" if aid in replacing else "added")
        return len(chunks)

    # ------------------------------------------------------------ reads

    def _reload_visible(self, force: bool = False) -> None:
        generation = self.registry.generation()
        if force or generation != self._generation:
            with self._refresh_lock:
                self._visible = self.registry.indexed_ids()
                self._generation = generation

    def refresh(self) -> bool:
        """Pick up writes made by other processes sharing a Chroma server; True when something changed."""
        generation = self.registry.generation()
        if generation == self._generation:
            return False
        self._reload_visible(force=True)
        for callback in list(self.on_change):
            callback()
        return True

    def outlets(self) -> list[str]:
        """Outlet names in the index (cached until the next write)."""
        self.refresh()
        if self._outlets is None or self._outlets[0] != self._generation:
            self._outlets = (self._generation, self.registry.outlets())
        return self._outlets[1]

    def typical_year(self) -> int | None:
        """The most common publication year, to read dates like "January 5" in questions."""
        self.refresh()
        if self._year is None or self._year[0] != self._generation:
            self._year = (self._generation, self.registry.typical_year())
        return self._year[1]

    def term_statistics(self, terms) -> tuple[int, dict[str, int]]:
        """``(chunks in the index, {term: chunks containing it})``, cached until the next write."""
        self.refresh()
        if self._df_cache is None or self._df_cache[0] != self._generation:
            self._df_cache = (self._generation, {}, self.registry.total_chunks())
        cache = self._df_cache[1]
        todo = [t for t in set(terms) if t not in cache]
        if todo:
            cache.update(self.registry.document_frequencies(todo))
            if len(cache) > 50_000:
                cache.clear()
        return self._df_cache[2], {t: cache.get(t, 0) for t in terms}

    def sentence_index(self, hits) -> dict[str, ChunkSentences]:
        """Sentence spans and stored sentence vectors of the hits' chunks, by chunk id."""
        keys = [(h.passage.article_id, int(h.passage.chunk_id.rsplit(":", 1)[1])) for h in hits]
        out = {}
        for (aid, n), d in self.registry.chunk_details(keys).items():
            vectors = None
            if d["vectors"] is not None and d["sentences"]:
                vectors = np.frombuffer(d["vectors"], dtype=np.float16).reshape(len(d["sentences"]), -1)
                vectors = vectors.astype(np.float32)
            out[f"{aid}:{n}"] = ChunkSentences(tuple(tuple(s) for s in d["sentences"]), vectors)
        return out

    def is_visible(self, article_id: str) -> bool:
        return article_id in self._visible

    def query(self, vector: np.ndarray, k: int, where: dict | None = None):
        """Nearest chunks of fully indexed articles (see :meth:`ChunkIndex.query`)."""
        self.refresh()
        raw = self.index.query(vector, k, where)
        return [h for h in raw if h.metadata.get("article_id") in self._visible]

    def article(self, article_id: str) -> ArticleRecord:
        """The registry record of one article.

        Raises:
            NotFoundError: unknown id.
        """
        record = self.registry.get(article_id)
        if record is None or record.state != INDEXED:
            raise NotFoundError(f"no article with id {article_id!r}; `qa-bot list` shows the ids")
        return record

    def articles(self) -> list[ArticleRecord]:
        """Every indexed article, newest first."""
        return list(self.registry.records(INDEXED))

    def stats(self) -> dict:
        n_articles, n_chunks = self.registry.counts()
        return {"articles": n_articles, "chunks": n_chunks, "index_records": self.index.count() if self.index else 0}

    def close(self) -> None:
        """Release the registry and, for an embedded index, the folder (other processes may then open it)."""
        self.registry.close()
        if self.owner.release() and not self._external_client:
            release_persistent(chroma_path(self.settings))


def chunk_sentence_spans(text: str, chunks: list[Chunk]) -> list[list[tuple[int, int]]]:
    """For each chunk, its sentences as offsets relative to the chunk (the article's own sentence split)."""
    spans = sentence_spans(text)
    out = []
    for c in chunks:
        inside = [(s - c.start, e - c.start) for s, e in spans if s >= c.start and e <= c.end]
        out.append(inside or [(0, len(c.text))])  # a piece of an over-long sentence
    return out


def chunk_metadata(article: Article) -> dict:
    """Article fields flattened for Chroma filters (``published_day`` makes dates range-filterable)."""
    return {
        "article_id": article.id,
        "title": article.title,
        "outlet": article.outlet,
        "url": article.url,
        "published": article.published.isoformat() if article.published else "",
        "published_day": day_number(article.published),
        "author": article.author,
    }


def _file_fingerprint(path: Path) -> str:
    if not path.exists():
        return "missing"
    parts = []
    for p in sorted(path.rglob("*")):
        if p.is_file() and not p.name.endswith(("-wal", "-shm")):
            st = p.stat()
            parts.append(f"{p.relative_to(path)}:{st.st_size}:{st.st_mtime_ns}")
    return "|".join(parts)


_PROBE = """
import sys
import numpy as np
from qa_bot.storage.index import ChunkIndex, chroma_settings
import chromadb
client = chromadb.PersistentClient(path=sys.argv[1], settings=chroma_settings())
ChunkIndex(client, sys.argv[2]).probe(None)
"""


def _probe_in_subprocess(path: Path, collection: str, timeout: float = 120.0) -> bool:
    """Open and query the index in a child process: a damaged folder can crash the process that reads it."""
    try:
        done = subprocess.run([sys.executable, "-c", _PROBE, str(path), collection],
                              capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return False
    if done.returncode != 0:
        log.warning("index probe failed (exit %s): %s", done.returncode, done.stderr.decode(errors="replace")[-300:])
    return done.returncode == 0
