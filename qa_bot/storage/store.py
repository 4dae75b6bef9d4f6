"""The store: the article registry and the Chroma chunk index, kept in agreement.

Adds, replacements and deletes go through here. Each write holds the data folder's lock and a journal; an article
becomes visible to search only once all its chunks are written (the writing itself is :mod:`qa_bot.storage.indexing`).
On open the store repairs or rebuilds a damaged or incomplete index from the registry (:mod:`qa_bot.storage.recovery`);
one built with another embedder is refused until ``qa-bot reindex`` re-embeds it (:mod:`qa_bot.storage.meta`). Reads
see only fully indexed articles and cache what they derive from the registry until the next write."""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from qa_bot.config import Settings
from qa_bot.embeddings import Embedder
from qa_bot.errors import LockedError, NotFoundError, QABotError, StoreError
from qa_bot.ingest.chunking import Chunker
from qa_bot.models import Article, ChunkSentences
from qa_bot.progress import Progress, no_progress
from qa_bot.storage.archive import ArticleArchive
from qa_bot.storage.index import ChunkIndex, chroma_path, release_persistent
from qa_bot.storage.indexing import ArticleIndexer, OnArticle, forward_only
from qa_bot.storage.locking import OwnerLock, WriteLock
from qa_bot.storage.meta import check_embedder, rebuild_reason
from qa_bot.storage.recovery import Recovery, check_index, rebuild_index, remember_index_files, repair_index
from qa_bot.storage.registry import INDEXED, ORIGIN_ADDED, ORIGIN_CORPUS, ArticleRecord, Registry
from qa_bot.storage.report import WriteReport, classify
from qa_bot.storage.remote import connect
from qa_bot.storage.server import IndexServer, ServerAddress, live_server
from qa_bot.storage.restore import (archive_existing, folder_id, make_data_dir, open_registry, registry_lost,
                                    restore_plan, write_failure)
from qa_bot.text.plural import plural

log = logging.getLogger(__name__)


class Store:
    """Registry + chunk index + embedder, behind one write lock.

    Args:
        settings: data folder, Chroma location, chunk sizes.
        embedder: the embedding model (loaded lazily).
        client: a Chroma client to use instead of the one ``settings`` describe (tests).
        corpus: returns the corpus folder's articles; used to rebuild a lost or damaged registry.
        serve: a long-lived owner (the app): serve the embedded index to other processes on this data
            folder (:mod:`qa_bot.storage.server`). Any store joins such a server when it finds one.

    The articles users add are also kept, one checksummed file each, in ``<data dir>/articles``
    (:mod:`qa_bot.storage.archive`), written before they are indexed: registry and index are derived
    data, rebuilt from the corpus and that archive when the registry is lost. On a shared Chroma server
    the collection's name carries the data folder's id, so two data folders on one server never see or
    delete each other's chunks (replicas share one data folder, hence one collection).
    """

    def __init__(self, settings: Settings, embedder: Embedder, client=None,
                 corpus: Callable[[], Sequence[Article]] | None = None, serve: bool = False) -> None:
        self._client = client
        self._external_client = client is not None or bool(settings.chroma_host)
        self.data_dir = settings.data_dir
        make_data_dir(self.data_dir)
        if self._external_client:
            settings = settings.model_copy(update={"collection": f"{settings.collection}-{folder_id(self.data_dir)}"})
        self.settings = settings
        self.embedder = embedder
        self.lock = WriteLock(self.data_dir, timeout=settings.lock_timeout_s)
        self.owner = OwnerLock(self.data_dir, timeout=settings.lock_timeout_s)
        self.registry: Registry | None = None  # opened by open(), which may have to restore it
        self.archive = ArticleArchive(self.data_dir / "articles")
        self._corpus = corpus
        self.index: ChunkIndex | None = None
        self.recovery = Recovery()
        self._indexer = ArticleIndexer(settings, embedder, None)
        self._serve = serve
        self.server: IndexServer | None = None
        self.joined: ServerAddress | None = None  # the address of another process's index server, once joined
        self._visible: set[str] = set()
        self._generation = -1
        self._refresh_lock = threading.Lock()
        self._depth = 0
        self._outlets: tuple[int, list[str]] | None = None
        self._year: tuple[int, int | None] | None = None
        self._df_cache: tuple[int, dict[str, int], int] | None = None

    # ------------------------------------------------------------ opening and recovery

    @property
    def index_signature(self) -> str:
        """What the vectors depend on; a change means every article must be re-embedded."""
        s = self.settings
        return f"{self.embedder.name}|max={s.chunk_max_tokens}|target={s.chunk_target_tokens}|title-prefix"

    @property
    def chunker(self) -> Chunker:
        """How this store splits articles into chunks."""
        return self._indexer.chunker

    def open(self, progress: Progress = no_progress, reembed: bool = False) -> Recovery:
        """Open the index, repairing or rebuilding it from the registry when needed.

        Args:
            progress: progress callback (repairs and rebuilds report through it).
            reembed: write every article's vectors again with this embedder (``qa-bot reindex``).

        Returns:
            what was repaired (``Recovery``); all zeros on a healthy start.

        Raises:
            StoreError: the index cannot be opened and could not be rebuilt.
            ConfigError: the index holds another embedder's vectors (and ``reembed`` is off).
            LockedError: another process owns this embedded data folder (and does not serve it, or
                ``reembed`` is on), or holds the write lock when the index must be rebuilt.
        """
        started = time.perf_counter()
        rec = Recovery()
        persistent = not self._external_client
        if persistent:  # an owner serving the folder (the app) is joined at once, not after its lock's timeout
            self.joined = None if reembed else live_server(self.data_dir)  # re-embedding needs the folder
            try:
                if self.joined is None:
                    self.owner.acquire(f"{Path(sys.argv[0]).name} {' '.join(sys.argv[1:2])}".strip())
            except LockedError:
                if reembed or (joined := live_server(self.data_dir)) is None:
                    raise
                self.joined = joined
            if self.joined is not None:
                self._client, self._external_client, persistent = connect(self.joined), True, False
        try:
            rec = self._open(rec, persistent, started, progress, reembed)
            if persistent and self._serve:
                self._start_server()
            return rec
        except BaseException:
            self._stop_server()
            self.owner.release()
            raise

    def _start_server(self) -> None:
        """Serve the embedded index to the folder's other processes, for a secret (see :mod:`qa_bot.storage.server`)."""
        self.server = IndexServer(self.data_dir, lambda: self.index.client)
        self.server.start()

    def _stop_server(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def _open(self, rec: Recovery, persistent: bool, started: float, progress: Progress, reembed: bool) -> Recovery:
        self.registry, registry_problem = open_registry(self.data_dir / "registry.sqlite3")
        self._indexer.registry = self.registry
        self.index, rec.reason = check_index(self.settings, self._client, self.registry, embedded=persistent,
                                             interrupted=self.lock.interrupted())
        if registry_lost(self.registry, self.archive, self.index, registry_problem, rec.reason):
            self._restore(rec, registry_problem, persistent, progress)
            return self._opened(rec, started)
        rec.rebuilt = bool(rec.reason)
        signature = self.registry.get_meta("index_signature")
        if not rec.rebuilt and self.registry.total_chunks():
            rec.reason = rebuild_reason(self.data_dir, signature, self.index_signature, reembed)
            rec.rebuilt = bool(rec.reason)
        if rec.rebuilt:
            (log.info if reembed else log.warning)("rebuilding the index: %s", rec.reason)
            with self._writing("rebuild"):
                old, self.index = self.index, None
                self.index = rebuild_index(self.settings, self._client, old, self.registry, self._indexer,
                                           embedded=persistent, signature=self.index_signature, progress=progress)
        elif self.lock.interrupted() or self.index.count() != self.registry.total_chunks():
            self._repair(rec, progress)
        if not signature or rec.rebuilt:
            self.registry.set_meta("index_signature", self.index_signature)
        return self._opened(rec, started)

    def _opened(self, rec: Recovery, started: float) -> Recovery:
        self._remember_files()
        archive_existing(self.registry, self.archive)
        rec.seconds = time.perf_counter() - started
        self.recovery = rec
        self._reload_visible(force=True)
        return rec

    def _restore(self, rec: Recovery, problem: str, persistent: bool, progress: Progress) -> None:
        """Rebuild registry and index from the archive of added articles plus the corpus folder."""
        items, rec.reason = restore_plan(self.archive, self._corpus, problem)
        rec.rebuilt = True
        log.warning("restoring: %s", rec.reason)
        with self._writing("restore the registry"):
            old, self.index = self.index, None
            self.index = rebuild_index(self.settings, self._client, old, self.registry, self._indexer,
                                       embedded=persistent, signature=self.index_signature, progress=progress,
                                       items=items)
        self.registry.set_meta("archive", "1")

    def _repair(self, rec: Recovery, progress: Progress) -> None:
        try:
            with self._writing("repair", wait=False):
                rec.repaired_articles, rec.orphans_removed = repair_index(self.index, self.registry, self._indexer,
                                                                          progress)
        except LockedError:  # another writer is active: it leaves things consistent itself
            log.info("index repair skipped: %s is writing", self.lock.owner())

    def _remember_files(self) -> None:
        if not self._external_client:
            remember_index_files(self.registry, chroma_path(self.settings))

    @contextmanager
    def _writing(self, what: str, wait: bool = True):
        """Hold the write lock and the journal; nested writes share the outer one."""
        with self.lock.hold(what, timeout=None if wait else 0):
            self._depth += 1
            try:
                if self._depth == 1:
                    try:
                        with self.lock.journal(what):
                            yield
                            self._remember_files()
                        self.registry.bump_generation()
                    except QABotError:
                        raise
                    except Exception as err:  # a full disk, a damaged file: one line; the journal makes the next open repair
                        raise StoreError(write_failure(self.data_dir, what, err)) from None
                else:
                    yield
            finally:
                self._depth -= 1
        if self._depth == 0:
            self._reload_visible(force=True)

    # ------------------------------------------------------------ writes

    def add(self, articles: Iterable[Article], origin: str = ORIGIN_ADDED, progress: Progress = no_progress,
            on_article: OnArticle | None = None) -> WriteReport:
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
        todo = classify(list(articles), origin, self.registry.origins(), WriteReport(), report)
        groups = self._indexer.groups(todo)  # chunking and embedding need no lock: only writing does
        total, done = sum(len(c) for g in groups for _, _, c in g), 0
        advance = forward_only(lambda n: progress(n, total, "Embedding chunks"))
        advance(0)
        for group, prepared in self._indexer.prepared(groups, advance):  # embedding the next group meanwhile
            with self._writing(f"add {plural(len(group), 'article')}"):
                known = self.registry.origins()  # read under the lock: a write that waited sees the one before it
                still = classify([a for a, _, _ in group], origin, known, report)
                prepared = prepared.only({a.id for a, _ in still})
                if origin == ORIGIN_ADDED:
                    self.archive.write(a for a, _, _ in prepared.group)  # on disk before anything is indexed
                report.chunks_written += self._indexer.commit(self.index, prepared, {a.id for a, _ in still
                                                                                    if a.id in known}, on_article)
            done += sum(len(c) for _, _, c in group)
            advance(done)
        report.seconds = time.perf_counter() - started
        return report

    def sync_corpus(self, articles: Sequence[Article], progress: Progress = no_progress) -> WriteReport:
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
        with self._writing(f"remove {plural(len(article_ids), 'article')}"):
            self._delete(list(article_ids))
        return list(article_ids)

    def _delete(self, article_ids: list[str]) -> None:
        self.index.delete_articles(article_ids)
        self.registry.delete(article_ids)
        self.archive.remove(article_ids)

    # ------------------------------------------------------------ reads

    def _reload_visible(self, force: bool = False) -> None:
        generation = self.registry.generation()
        if force or generation != self._generation:
            with self._refresh_lock:
                self._visible = self.registry.indexed_ids()
                self._generation = generation

    def refresh(self) -> bool:
        """Pick up writes made by other processes sharing a Chroma server; True when something changed.

        Raises:
            ConfigError: another process re-embedded the index with another embedder meanwhile.
        """
        generation = self.registry.generation()
        if generation == self._generation:
            return False
        if self.registry.total_chunks():
            check_embedder(self.data_dir, self.registry.get_meta("index_signature"), self.embedder.name)
        self._reload_visible(force=True)
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
        return {f"{aid}:{n}": ChunkSentences.from_stored(d["sentences"], d["vectors"])
                for (aid, n), d in self.registry.chunk_details(keys).items()}

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
        """``{"articles", "chunks"}`` indexed per the registry, and ``"index_records"`` in Chroma."""
        n_articles, n_chunks = self.registry.counts()
        return {"articles": n_articles, "chunks": n_chunks, "index_records": self.index.count() if self.index else 0}

    def close(self) -> None:
        """Release the registry and, for an embedded index, the folder (other processes may then open it)."""
        serving = self.server is not None
        self._stop_server()
        if self.registry is not None:
            if serving:  # the server wrote the folder: its files as it left them are the clean state
                remember_index_files(self.registry, chroma_path(self.settings))
            self.registry.close()
        if self.owner.release() and not self._external_client:
            release_persistent(chroma_path(self.settings))

