"""The index health probe, run as a child process: ``python -m qa_bot.storage.probe FOLDER COLLECTION [PARENT_PID]``.

It opens the embedded Chroma folder, reads a record and runs a query, and exits 0 when all of
that works. It runs apart from the store's process because reading a damaged folder can crash
the reader outright (see :func:`qa_bot.storage.recovery.probe_in_subprocess`).

Given its parent's pid, the child dies with the parent, so it never holds the folder after the
process that owns it is gone (a parent killed with ``kill -9`` left it open for seconds, while
the next owner opened the folder): on Linux the kernel kills it (``PR_SET_PDEATHSIG``), and
everywhere it exits when its stdin — a pipe the parent holds open and never writes — closes.

Test hook: ``QA_BOT_PROBE_TEST_SLEEP`` (seconds) makes the child wait before it opens the folder,
so tests can kill the parent while the child is running. It is not a setting.
"""

from __future__ import annotations

import os
import sys
import threading
import time

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>
_ORPHANED = 3  # exit status when the parent is gone: nobody reads it, it only marks the cause


def tie_to_parent(parent_pid: int) -> None:
    """Exit when the process ``parent_pid`` — which must be this one's parent — ends.

    Call it first, before anything opens the folder. On Linux the kernel sends SIGKILL at the
    parent's death; then the parent is checked (it may have died before that was set), and a
    watchdog thread exits when stdin reaches end of file, which is when the parent's end of the
    pipe closes — the fallback where ``prctl`` does not exist.
    """
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    if os.getppid() != parent_pid:
        os._exit(_ORPHANED)
    threading.Thread(target=_exit_at_end_of_stdin, name="probe-parent-watchdog", daemon=True).start()


def _exit_at_end_of_stdin() -> None:
    try:
        while os.read(sys.stdin.fileno(), 4096):
            pass
    except OSError:
        pass  # a closed or broken stdin means the same as end of file: the parent is gone
    os._exit(_ORPHANED)


def main(argv: list[str]) -> None:
    """Probe the collection ``argv[1]`` in the folder ``argv[0]``; any failure raises (exit status 1).

    ``argv[2]``, when given, is the parent's pid: the child then dies with it (:func:`tie_to_parent`).
    """
    folder, collection, *parent = argv
    if parent:
        tie_to_parent(int(parent[0]))
    time.sleep(float(os.environ.get("QA_BOT_PROBE_TEST_SLEEP") or 0))
    import chromadb

    from qa_bot.storage.index import ChunkIndex, chroma_settings

    client = chromadb.PersistentClient(path=folder, settings=chroma_settings())
    ChunkIndex(client, collection).probe()


if __name__ == "__main__":
    main(sys.argv[1:])
