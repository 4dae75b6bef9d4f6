"""The data folder's own index server, so the app and ``qa-bot`` commands can use one folder at once.

Chroma's embedded (in-process) mode is not process-safe, so an embedded folder belongs to one
process (``owner.lock``). A long-lived owner — the chat app — therefore serves the folder instead:
it starts ``chroma run`` on 127.0.0.1 over the folder's own ``chroma/`` directory (the same files
the embedded mode uses), as a child that dies with it, and records the address in
``index-server.json``. A command that finds the folder owned and that file alive joins the server
instead of failing; registry writes are serialised by ``write.lock`` as always. When the owner
exits the server goes with it, and the folder is an ordinary embedded folder again.
"""

from __future__ import annotations

import atexit
import ctypes
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from qa_bot.errors import StoreError

log = logging.getLogger(__name__)

SERVER_FILE = "index-server.json"
HOST = "127.0.0.1"


def _chroma_command() -> str:
    beside = Path(sys.executable).parent / "chroma"  # the venv's bin, even when it is not on PATH
    found = str(beside) if beside.exists() else shutil.which("chroma")
    if not found:
        raise StoreError("the `chroma` command (from the chromadb package) is missing; reinstall with `make install`")
    return found


def _die_with_parent() -> None:  # runs in the child between fork and exec
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def _reachable(port: int, timeout: float = 1.0) -> bool:
    try:
        socket.create_connection((HOST, port), timeout=timeout).close()
        return True
    except OSError:
        return False


class IndexServer:
    """``chroma run`` over ``<data dir>/chroma``, started by the folder's owner.

    Args:
        data_dir: the data folder (its owner lock must be held by this process).
        chroma_dir: the index folder to serve.
    """

    def __init__(self, data_dir: Path, chroma_dir: Path) -> None:
        self.data_dir = data_dir
        self.chroma_dir = chroma_dir
        self.port = 0
        self._proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> int:
        """Start the server and wait until it accepts connections; returns its port.

        Raises:
            StoreError: it did not start (the message says why, when the server said).
        """
        self.chroma_dir.mkdir(parents=True, exist_ok=True)
        self.port = _free_port()
        log_path = self.data_dir / "index-server.log"
        command = [_chroma_command(), "run", "--host", HOST, "--port", str(self.port), "--path", str(self.chroma_dir)]
        self._proc = _spawn_from_keeper(command, log_path)
        atexit.register(self.stop)
        deadline = time.monotonic() + timeout
        while not _reachable(self.port, 0.5):
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                tail = log_path.read_text(errors="replace")[-300:].strip().replace("\n", " ")
                raise StoreError(f"the index server for {self.data_dir} did not start ({tail or 'no output'}); "
                                 "see index-server.log there, or set QA_BOT_SHARE_INDEX=false")
            time.sleep(0.05)
        record = {"host": HOST, "port": self.port, "pid": self._proc.pid, "owner_pid": os.getpid(), "since": time.time()}
        tmp = self.data_dir / (SERVER_FILE + ".tmp")
        tmp.write_text(json.dumps(record))
        tmp.replace(self.data_dir / SERVER_FILE)
        return self.port

    def stop(self) -> None:
        """Stop the server (its files are then an ordinary embedded index again)."""
        (self.data_dir / SERVER_FILE).unlink(missing_ok=True)
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(15)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None


def _spawn_from_keeper(command: list[str], log_path: Path) -> subprocess.Popen:
    """Start ``command`` from a thread that lives as long as this process.

    ``PR_SET_PDEATHSIG`` fires when the *thread* that forked the child ends, and the app runs each
    script run in a short-lived thread: so the child is forked by a keeper thread that never returns
    (it waits on the child), and the signal comes only when the whole process is gone.
    """
    started: dict = {}
    ready = threading.Event()

    def keep() -> None:
        try:
            with open(log_path, "wb") as log_file:
                started["proc"] = subprocess.Popen(
                    command, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                    preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)
        except OSError as err:
            started["error"] = err
        ready.set()
        if "proc" in started:
            started["proc"].wait()

    threading.Thread(target=keep, name="qa-bot-index-server", daemon=True).start()
    ready.wait()
    if "error" in started:
        raise StoreError(f"cannot start the index server ({started['error']}); reinstall with `make install`")
    return started["proc"]


def live_server(data_dir: Path) -> tuple[str, int] | None:
    """The address of the folder's index server when one runs (its owner and it alive, its port open)."""
    try:
        info = json.loads((data_dir / SERVER_FILE).read_text())
        pid, owner, port = int(info["pid"]), int(info["owner_pid"]), int(info["port"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    for process in (pid, owner):
        try:
            os.kill(process, 0)
        except ProcessLookupError:
            return None
        except PermissionError:
            pass
    return (HOST, port) if _reachable(port) else None
