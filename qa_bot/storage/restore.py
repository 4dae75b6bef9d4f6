"""Opening the registry safely, and what to do when it is gone or damaged.

The registry is derived data (see :mod:`qa_bot.storage.archive`): when it is missing, empty while
there is something to restore, or fails SQLite's ``quick_check``, the store rebuilds it — and the
index with it — from the corpus folder plus the archive of added articles. A damaged file is moved
aside (never deleted) so that nothing is lost even if the restore itself is interrupted.

Also here: the data folder's id, which namespaces the chunk collection on a shared Chroma server so
that two data folders on one server never touch each other's chunks.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

from qa_bot.errors import StoreError
from qa_bot.models import Article
from qa_bot.storage.archive import ArticleArchive
from qa_bot.storage.registry import ORIGIN_ADDED, ORIGIN_CORPUS, Registry
from qa_bot.text.plural import plural

FOLDER_ID_FILE = "folder.id"


def open_registry(path: Path) -> tuple[Registry, str]:
    """Open the registry file, replacing a damaged one by a new, empty registry.

    Returns:
        ``(registry, problem)``: ``problem`` is ``""`` for a healthy file, ``"missing"`` when the file
        did not exist (or was empty), else what was wrong and where the damaged file was moved.

    Raises:
        StoreError: the file cannot be opened or written at all (permissions, a full disk, a folder
            in its place); nothing is changed then.
    """
    if path.is_dir() or path.is_symlink():
        what = "a folder" if path.is_dir() else "a symbolic link"
        raise StoreError(f"{path} is {what}, not the registry file; move it away and retry")
    existed = path.is_file() and path.stat().st_size > 0
    try:
        registry = Registry(path)
    except sqlite3.OperationalError as err:
        raise StoreError(_cannot_open(path, err)) from None
    except sqlite3.DatabaseError as err:  # "file is not a database", "database disk image is malformed"
        return _replace_damaged(path, str(err))
    problem = registry.quick_check()
    if problem:
        registry.close()
        return _replace_damaged(path, problem)
    return registry, "" if existed else "missing"


def _cannot_open(path: Path, err: Exception) -> str:
    text = str(err)
    if "full" in text:
        return f"{path}: the disk is full ({text}); free some space and retry — nothing was changed"
    return (f"{path}: cannot open the registry ({text}); check that the data folder exists and that you may "
            "write to it (QA_BOT_DATA_DIR), then retry")


def _replace_damaged(path: Path, problem: str) -> tuple[Registry, str]:
    aside = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
    try:
        for suffix in ("", "-wal", "-shm"):
            side = Path(str(path) + suffix)
            if side.exists():
                side.rename(Path(str(aside) + suffix))
        registry = Registry(path)
    except (OSError, sqlite3.Error) as err:
        raise StoreError(f"{path} is damaged ({problem}) and could not be replaced ({err}); move it away "
                         "and retry") from None
    return registry, f"damaged ({problem[:120]}); the old file is kept as {aside.name}"


def folder_id(data_dir: Path) -> str:
    """A random id for this data folder, made on first use and kept in ``folder.id``.

    Raises:
        StoreError: the id file cannot be read or written.
    """
    path = data_dir / FOLDER_ID_FILE
    try:
        if path.is_file() and not path.is_symlink():
            value = path.read_text(encoding="ascii").strip()
            if value.isalnum() and 8 <= len(value) <= 32:
                return value
        value = uuid.uuid4().hex[:12]
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(value + "\n", encoding="ascii")
        tmp.replace(path)
        return value
    except (OSError, UnicodeDecodeError) as err:
        raise StoreError(f"{path}: cannot read or write the data folder's id ({err}); check the folder's "
                         "permissions and free space, then retry") from None


def safe_count(index) -> int:
    """The index's record count, 0 when it cannot be read."""
    try:
        return index.count()
    except Exception:  # chromadb raises many types for a damaged folder; a rebuild follows either way
        return 0


def make_data_dir(path: Path) -> None:
    """Create the data folder (readable by this user only: it holds the index), or say in one line why it
    cannot be used. An existing folder keeps its permissions."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except FileExistsError:
        raise StoreError(f"{path} is a file, not a folder; point QA_BOT_DATA_DIR at a folder (it is created if "
                         "missing)") from None
    except OSError as err:
        raise StoreError(f"{path}: cannot create the data folder ({err.strerror or err}); check the permissions "
                         "or set QA_BOT_DATA_DIR to a folder you may write") from None


def write_failure(data_dir: Path, what: str, err: Exception) -> str:
    """The one-line message for a write that failed part-way (the next start finishes or undoes it)."""
    text = f"{type(err).__name__}: {str(err)[:160]}" if not isinstance(err, OSError) else (err.strerror or str(err))
    low = text.lower()
    if "full" in low or "no space" in low or "compaction" in low or "disk i/o" in low:
        hint = "the disk holding it looks full: free some space and retry"
    elif "read-only" in low or "readonly" in low or "permission" in low:
        hint = "it cannot be written: check its permissions and retry"
    else:
        hint = "fix the cause and retry"
    return (f"{data_dir}: could not {what} ({text}); {hint}. Articles already reported as committed are kept; "
            "the interrupted part is finished or undone at the next start")


def registry_lost(registry: Registry, archive: ArticleArchive, index, problem: str, index_problem: str) -> bool:
    """True when the registry is damaged, or knows no article although there is something to restore
    (kept added articles, chunks in the index, or an index that cannot be read)."""
    if problem not in ("", "missing"):
        return True
    if registry.hashes():
        return False
    return bool(index_problem or archive.ids() or (index is not None and safe_count(index) > 0))


def restore_plan(archive: ArticleArchive, corpus: Callable[[], Sequence[Article]] | None,
                 problem: str) -> tuple[list[tuple[Article, str]], str]:
    """What a restore writes — every kept added article, then the corpus articles whose ids they do not
    take — and the sentence that says so."""
    kept = archive.load_all()
    added = {a.id for a in kept.articles}
    items = [(a, ORIGIN_ADDED) for a in kept.articles]
    items += [(a, ORIGIN_CORPUS) for a in (corpus() if corpus else []) if a.id not in added]
    state = "missing or empty" if problem in ("", "missing") else problem
    reason = (f"the registry was {state}; restored {plural(len(kept.articles), 'added article')} from "
              f"{archive.folder} and {plural(len(items) - len(kept.articles), 'article')} from the corpus folder")
    if kept.damaged:
        reason += f"; {len(kept.damaged)} damaged file(s) left in place: {', '.join(kept.damaged[:3])}"
    return items, reason


def archive_existing(registry: Registry, archive: ArticleArchive) -> None:
    """Once per data folder: keep the added articles of a registry older than the archive."""
    if registry.get_meta("archive") == "1":
        return
    have = archive.ids()
    archive.write(r.article for r in registry.records() if r.origin == ORIGIN_ADDED and r.id not in have)
    registry.set_meta("archive", "1")
