"""Crash recovery: checking the chunk index when a store opens, repairing it, rebuilding it.

The registry is the truth (it keeps every article's text), so whatever happened to the index
it can be put right:

* :func:`check_index` opens the index and says why it must be rebuilt, if it must: it fails a
  health check, cannot be read, or was built with another embedding model. A folder that may
  be damaged (an interrupted write, or files that changed since the last clean write) is first
  probed in a child process, because reading a damaged folder can crash the reader;
* :func:`repair_index` finishes or undoes interrupted writes article by article;
* :func:`rebuild_index` drops the index and writes it again from the registry.

None of these takes a lock: :class:`~qa_bot.storage.store.Store` calls them on open, holding the
folder (embedded index) and, to repair or rebuild, the write lock and its journal.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from qa_bot.config import Settings
from qa_bot.errors import StoreError
from qa_bot.models import Article
from qa_bot.progress import Progress
from qa_bot.storage.index import ChunkIndex, chroma_path, make_client, remove_persistent
from qa_bot.storage.indexing import ArticleIndexer
from qa_bot.storage.registry import PENDING, Registry

log = logging.getLogger(__name__)

_FILES_KEY = "index_files"  # registry meta: the index files' fingerprint after the last clean write


@dataclass
class Recovery:
    """What :meth:`Store.open <qa_bot.storage.store.Store.open>` had to repair, for logs and the
    reliability campaign; all zeros on a healthy start."""

    rebuilt: bool = False
    reason: str = ""
    repaired_articles: int = 0
    orphans_removed: int = 0
    seconds: float = 0.0


def check_index(settings: Settings, client, registry: Registry, *, embedded: bool,
                interrupted: bool) -> tuple[ChunkIndex | None, str]:
    """Open the chunk index and check that it can be read.

    Args:
        settings: where the index is and the collection's name.
        client: a Chroma client to use instead of the one ``settings`` describe, or None.
        registry: holds the fingerprint of the index files after the last clean write.
        embedded: the index is a folder on disk this process owns (not a Chroma server).
        interrupted: a write did not finish (its journal is still there).

    Returns:
        ``(index, reason)``: the index (None if it could not be opened) and why it must be
        rebuilt — empty when it is healthy.

    Raises:
        StoreError: a Chroma server (or a given client) whose collection cannot be read; only an
            embedded index is rebuilt.
    """
    path = chroma_path(settings)
    if embedded and path.exists() and (interrupted or index_files_changed(registry, path)):
        if not probe_in_subprocess(path, settings.collection):
            return None, "the index failed a health check in a separate process"
    index = None
    try:
        index = ChunkIndex(client or make_client(settings), settings.collection)
        index.probe()
    except StoreError:
        raise
    except Exception as err:  # chromadb raises many types for a damaged folder
        if not embedded:
            raise StoreError(f"the Chroma collection {settings.collection!r} is unreadable ({err})") from None
        return index, f"the index could not be read ({type(err).__name__}: {str(err)[:120]})"
    return index, ""


def repair_index(index: ChunkIndex, registry: Registry, indexer: ArticleIndexer, progress: Progress) -> tuple[int, int]:
    """Finish or undo interrupted writes: re-index pending or incomplete articles, drop orphan chunks.

    Returns:
        ``(articles re-indexed, orphan chunks removed)``.
    """
    expected = registry.chunk_ids()
    present = index.all_ids()
    orphans = sorted(present - expected)
    if orphans:
        index.delete_ids(orphans)
    missing_articles = {cid.rsplit(":", 1)[0] for cid in expected - present}
    pending = {r.id for r in registry.records(PENDING)}
    todo = [r for r in registry.records() if r.id in (missing_articles | pending)]
    if todo:
        indexer.write(index, [(r.article, r.origin) for r in todo], progress, "Repairing the index (chunks)")
    return len(todo), len(orphans)


def rebuild_index(settings: Settings, client, old: ChunkIndex | None, registry: Registry, indexer: ArticleIndexer,
                  *, embedded: bool, signature: str, progress: Progress,
                  items: list[tuple[Article, str]] | None = None) -> ChunkIndex:
    """Drop the index (the folder, or the server's collection) and write every registry article again.

    Args:
        settings: where the index is and the collection's name.
        client: a Chroma client to use instead of the one ``settings`` describe, or None.
        old: the index as opened (None when it could not be); it must not be used afterwards.
        registry: the articles to write, and where ``signature`` is recorded.
        indexer: writes the articles.
        embedded: the index is a folder on disk (deleted) rather than a server collection (dropped).
        signature: what the new vectors depend on (see ``Store.index_signature``).
        progress: progress callback.
        items: ``(article, origin)`` pairs to write instead of the registry's articles (a restore).

    Returns:
        the new index.
    """
    path = chroma_path(settings)
    if old is not None or path.exists():
        if embedded:
            remove_persistent(path)
        else:
            server = client or make_client(settings)
            try:
                server.delete_collection(settings.collection)
            except Exception as err:  # the collection may not exist: log and carry on
                log.info("delete_collection: %s", err)
    index = ChunkIndex(client or make_client(settings), settings.collection)
    if items is None:
        items = [(r.article, r.origin) for r in registry.records()]
    registry.set_meta("index_signature", signature)
    indexer.write(index, items, progress, "Rebuilding the index (chunks)")
    return index


def remember_index_files(registry: Registry, path: Path) -> None:
    """Record the index files' fingerprint, after a clean write or open."""
    registry.set_meta(_FILES_KEY, file_fingerprint(path))


def index_files_changed(registry: Registry, path: Path) -> bool:
    """True when the index files differ from how the last clean write left them."""
    return registry.get_meta(_FILES_KEY) != file_fingerprint(path)


def file_fingerprint(path: Path) -> str:
    """Names, sizes and modification times of the files under ``path`` (``"missing"`` if it is absent).

    SQLite's transient ``-wal``/``-shm`` side files are left out.
    """
    if not path.exists():
        return "missing"
    parts = []
    for p in sorted(path.rglob("*")):
        if p.is_file() and not p.name.endswith(("-wal", "-shm")):
            st = p.stat()
            parts.append(f"{p.relative_to(path)}:{st.st_size}:{st.st_mtime_ns}")
    return "|".join(parts)


def probe_in_subprocess(path: Path, collection: str, timeout: float = 120.0) -> bool:
    """Open and query the index in a child process: a damaged folder can crash the process that reads it.

    The child dies with this process (see :mod:`qa_bot.storage.probe`): it gets this pid, and a
    stdin pipe that is held open, never written, and closes when this process ends.

    Returns:
        True when the child (:mod:`qa_bot.storage.probe`) read and queried the collection.
    """
    # Not subprocess.run: its communicate() would close the child's stdin at once. stderr goes
    # to a file rather than a pipe so a chatty child cannot fill a pipe nobody reads.
    with tempfile.TemporaryFile() as stderr:
        child = subprocess.Popen([sys.executable, "-m", "qa_bot.storage.probe", str(path), collection, str(os.getpid())],
                                 stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            code = child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        finally:
            if child.poll() is None:  # timed out, or interrupted: never leave it holding the folder
                child.kill()
                child.wait()
            child.stdin.close()
        if code != 0:
            stderr.seek(0)
            log.warning("index probe failed (exit %s): %s", code, stderr.read().decode(errors="replace")[-300:])
    return code == 0
