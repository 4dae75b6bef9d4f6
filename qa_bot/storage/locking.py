"""One process per embedded index, one writer per data folder, and a journal of unfinished writes.

Chroma is thread-safe but not process-safe. Two processes writing one persistent folder
corrupted it in tests, and so did one *reading* while another wrote: a reader applies pending
log entries to the vector segment itself (measured on chromadb 1.5.9: a reading process
segfaulted in 4 of 4 trials while another process wrote). So:

* an embedded (on-disk) index is owned by one process at a time — ``owner.lock``, held from open
  to close; another process gets a clear refusal naming the owner (to share one index between
  processes, run a Chroma server and set ``QA_BOT_CHROMA_HOST``);
* every write holds ``write.lock`` — what serialises writers when several processes share a
  Chroma server — and, while it runs, a ``journal`` file whose presence at the next start means
  a write was interrupted and the index must be checked and repaired.

All locks are OS-level (``flock``) and die with their process. None of these files is written
through a symbolic link (which would overwrite whatever it points to), and a link or a folder in
the place of one is a :class:`~qa_bot.errors.StoreError` that says to remove it.
"""

from __future__ import annotations

import errno
import json
import os
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from qa_bot.errors import LockedError, StoreError


class OwnerLock:
    """Exclusive use of a data folder by this process (re-entrant across objects in one process).

    Args:
        data_dir: the folder.
        timeout: seconds to wait for another process before raising :class:`LockedError`.
    """

    _held: dict[str, list] = {}  # path -> [FileLock, count]: locks belong to the process, not to objects
    _guard = threading.Lock()

    def __init__(self, data_dir: Path, timeout: float = 2.0) -> None:
        self.path = str(data_dir.resolve() / "owner.lock")  # not the file's resolve(): that follows a link
        self.owner_path = data_dir / "owner.lock.owner"
        self.timeout = timeout
        self.acquired = False

    def owner(self) -> str:
        """Which process owns the folder, as far as the owner file tells (for error messages)."""
        return _describe(self.owner_path)

    def acquire(self, what: str) -> None:
        """Take the folder for this process.

        Raises:
            LockedError: another process owns it.
        """
        with self._guard:
            entry = self._held.get(self.path)
            if entry is None:
                lock = FileLock(self.path, thread_local=False)
                try:
                    _acquire_file_lock(lock, self.timeout)
                except Timeout:
                    raise LockedError(
                        f"the data folder {self.owner_path.parent} is in use by {self.owner()}; close it and "
                        "retry, or use another QA_BOT_DATA_DIR (the chat app shares its folder with commands unless "
                        "QA_BOT_SHARE_INDEX=false; a Chroma server, QA_BOT_CHROMA_HOST, shares one between any processes)"
                    ) from None
                try:
                    _write_owner(self.owner_path, what)
                except BaseException:
                    lock.release()
                    raise
                entry = self._held[self.path] = [lock, 0]
            entry[1] += 1
            self.acquired = True

    def release(self) -> bool:
        """Give the folder back; True when this was the process's last hold on it."""
        with self._guard:
            if not self.acquired:
                return False
            self.acquired = False
            entry = self._held.get(self.path)
            if entry is None:
                return False
            entry[1] -= 1
            if entry[1] > 0:
                return False
            entry[0].release()
            del self._held[self.path]
            return True


def _write_owner(path: Path, what: str) -> None:
    _write_data_file(path, {"pid": os.getpid(), "host": socket.gethostname(), "what": what, "since": time.time()})


def _unsafe(path: Path | str, err: OSError | None = None) -> StoreError | None:
    """The one-line error for a link or a folder where qa-bot keeps a file of its own, or for ``err`` (a
    read-only or full disk, no permission); None when there is no link, folder or ``err``."""
    path = Path(path)
    if path.is_symlink() or (err is not None and err.errno == errno.ELOOP):
        return StoreError(f"{path} is a symbolic link; qa-bot does not write through links in its data folder — "
                          "remove it and retry")
    if path.is_dir() or (err is not None and err.errno == errno.EISDIR):
        return StoreError(f"{path} is a directory where qa-bot keeps a file of its own; remove it and retry")
    if err is None:
        return None
    hint = {errno.EROFS: "the data folder is on a read-only file system: make it writable or set QA_BOT_DATA_DIR "
                         "to a folder you may write",
            errno.EACCES: "you may not write there: fix the folder's permissions or set QA_BOT_DATA_DIR to a folder "
                          "you may write",
            errno.EPERM: "you may not write there: fix the folder's permissions and retry",
            errno.ENOSPC: "the disk is full: free some space and retry"}.get(err.errno, "check the data folder, then retry")
    return StoreError(f"{path}: {err.strerror or err}; {hint}")


def _open_data_file(path: Path | str, flags: int) -> int:
    """``os.open`` that never follows a final symbolic link; a link or a folder raises :class:`StoreError`."""
    try:
        return os.open(path, flags | os.O_NOFOLLOW, 0o644)
    except OSError as err:
        unsafe = _unsafe(path, err)
        if unsafe is None:
            raise
        raise unsafe from None


def _write_data_file(path: Path, payload: dict, fsync: bool = False) -> None:
    fd = _open_data_file(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        os.write(fd, json.dumps(payload).encode())
        if fsync:
            os.fsync(fd)
    finally:
        os.close(fd)


def _acquire_file_lock(lock: FileLock, timeout: float) -> None:
    """Acquire ``lock``, first creating its file without following a link: an older filelock opens the
    path as given (and truncates it), so a link in its place would reach another file."""
    os.close(_open_data_file(lock.lock_file, os.O_RDWR | os.O_CREAT))
    try:
        lock.acquire(timeout=timeout)
    except Timeout:  # an OSError too, but the callers' case: another process holds the lock
        raise
    except OSError as err:
        unsafe = _unsafe(lock.lock_file, err)
        if unsafe is None:
            raise
        raise unsafe from None


def _describe(path: Path) -> str:
    try:
        info = json.loads(path.read_text())
        return f"pid {info['pid']} on {info['host']} ({info['what']}, since {time.strftime('%H:%M:%S', time.localtime(info['since']))})"
    except (OSError, ValueError, KeyError):
        return "another process"


class WriteLock:
    """Serialises writers: threads of this process wait; other processes wait ``timeout`` then fail.

    Args:
        data_dir: the folder being protected.
        timeout: seconds to wait for another process before raising :class:`LockedError`.
    """

    def __init__(self, data_dir: Path, timeout: float = 2.0) -> None:
        self.data_dir = data_dir
        self.timeout = timeout
        self._file_lock = FileLock(str(data_dir / "write.lock"), thread_local=False)
        self._thread_lock = threading.RLock()
        self.owner_path = data_dir / "write.lock.owner"
        self.journal_path = data_dir / "journal"

    def owner(self) -> str:
        """Who holds the lock, as far as the owner file tells (for error messages)."""
        return _describe(self.owner_path)

    @contextmanager
    def hold(self, what: str, timeout: float | None = None):
        """Hold the lock for one write.

        Args:
            what: the write, named in the owner file for other processes' error messages.
            timeout: seconds to wait for another process; the lock's own ``timeout`` when None
                (0: give up at once, for opportunistic repairs).

        Raises:
            LockedError: another process kept the lock past the timeout.
        """
        with self._thread_lock:
            try:
                _acquire_file_lock(self._file_lock, self.timeout if timeout is None else timeout)
            except Timeout:
                raise LockedError(
                    f"the data folder {self.data_dir} is being written by {self.owner()}; "
                    "wait for it to finish and retry (one writer per data folder)"
                ) from None
            try:
                if self._file_lock.lock_counter == 1:
                    _write_owner(self.owner_path, what)
                yield
            finally:
                self._file_lock.release()

    @contextmanager
    def journal(self, what: str):
        """Mark a write in progress: the file survives a crash and triggers recovery at next open."""
        _write_data_file(self.journal_path, {"what": what, "pid": os.getpid(), "since": time.time()}, fsync=True)
        yield
        self.journal_path.unlink(missing_ok=True)

    def interrupted(self) -> bool:
        """True when a previous write did not finish (its journal is still there)."""
        return self.journal_path.exists()
