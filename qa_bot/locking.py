"""One writer per data folder: a lock file, and a journal that marks unfinished writes.

Chroma is thread-safe but not process-safe: two processes writing one persistent folder
corrupted it in tests. Every write therefore holds ``write.lock`` (an OS-level lock, released
by the kernel if the process dies) and, while it runs, a ``journal`` file whose presence at
the next start means a write was interrupted and the index must be checked and repaired.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from qa_bot.errors import LockedError


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
        try:
            info = json.loads(self.owner_path.read_text())
            return f"pid {info['pid']} on {info['host']} ({info['what']}, since {time.strftime('%H:%M:%S', time.localtime(info['since']))})"
        except (OSError, ValueError, KeyError):
            return "another process"

    @contextmanager
    def hold(self, what: str, timeout: float | None = None):
        """Hold the lock for one write; raises :class:`LockedError` if another process keeps it."""
        with self._thread_lock:
            try:
                self._file_lock.acquire(timeout=self.timeout if timeout is None else timeout)
            except Timeout:
                raise LockedError(
                    f"the data folder {self.data_dir} is being written by {self.owner()}; "
                    "wait for it to finish and retry (one writer per data folder)"
                ) from None
            try:
                if self._file_lock.lock_counter == 1:
                    self.owner_path.write_text(json.dumps(
                        {"pid": os.getpid(), "host": socket.gethostname(), "what": what, "since": time.time()}
                    ))
                yield
            finally:
                self._file_lock.release()

    def try_hold(self, what: str):
        """Like :meth:`hold` with no waiting: for opportunistic repairs."""
        return self.hold(what, timeout=0)

    @contextmanager
    def journal(self, what: str):
        """Mark a write in progress: the file survives a crash and triggers recovery at next open."""
        self.journal_path.write_text(json.dumps({"what": what, "pid": os.getpid(), "since": time.time()}))
        _fsync_file(self.journal_path)
        yield
        self.journal_path.unlink(missing_ok=True)

    def interrupted(self) -> bool:
        """True when a previous write did not finish (its journal is still there)."""
        return self.journal_path.exists()


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
