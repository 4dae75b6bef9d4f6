"""The index health-probe child dies with its parent (finding 8 of issue 14): a parent killed with
kill -9 must not leave the child holding the Chroma folder while the next owner opens it."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

PARENT = """
import sys
from pathlib import Path
from qa_bot.storage.recovery import probe_in_subprocess
probe_in_subprocess(Path(sys.argv[1]), "news")
"""


def _state(pid: int) -> str | None:
    """The process's state letter from /proc (None when it is gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def _alive(pid: int) -> bool:
    return _state(pid) not in (None, "Z")  # a zombie holds no files; only reaping is left


def _probe_children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == parent and b"qa_bot.storage.probe" in cmdline:
            found.append(int(entry.name))
    return found


def _wait_for(condition, deadline_s: float) -> bool:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_probe_child_exits_when_its_parent_is_killed(tmp_path):
    env = dict(os.environ, QA_BOT_PROBE_TEST_SLEEP="60")  # the child blocks before opening the folder
    parent = subprocess.Popen([sys.executable, "-c", PARENT, str(tmp_path / "chroma")], env=env,
                              cwd=Path(__file__).resolve().parents[2])
    children: list[int] = []

    def started() -> bool:
        children[:] = _probe_children(parent.pid)
        return bool(children)

    try:
        assert _wait_for(started, 20), "the parent never started the probe child"
        time.sleep(0.5)  # let the child get as far as its sleep
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        assert _wait_for(lambda: not any(_alive(pid) for pid in children), 10), \
            f"probe child {children} outlived its killed parent"
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        for pid in children:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_the_probe_child_exits_when_its_stdin_closes(tmp_path):
    # The portable fallback where the kernel does not kill the child: the parent's end of the
    # stdin pipe closes when the parent dies (here the test closes it, staying alive itself).
    child = subprocess.Popen([sys.executable, "-m", "qa_bot.storage.probe", str(tmp_path / "chroma"), "news",
                              str(os.getpid())], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             env=dict(os.environ, QA_BOT_PROBE_TEST_SLEEP="60"), cwd=Path(__file__).resolve().parents[2])
    try:
        with pytest.raises(subprocess.TimeoutExpired):
            child.wait(timeout=1.5)  # alive, sleeping, while its parent holds the pipe
        child.stdin.close()
        assert child.wait(timeout=10) != 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_the_probe_child_exits_when_its_parent_is_gone_before_it_starts(tmp_path):
    # The parent died between spawning the child and the child tying itself to it: the child's
    # parent is then not the pid it was given, and it must not go on to open the folder.
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    child = subprocess.Popen([sys.executable, "-m", "qa_bot.storage.probe", str(tmp_path / "chroma"), "news",
                              str(gone.pid)], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                             cwd=Path(__file__).resolve().parents[2])
    try:  # stdin stays open: only the parent check can make the child stop
        assert child.wait(timeout=60) != 0
    finally:
        child.stdin.close()
        if child.poll() is None:
            child.kill()
            child.wait()
    assert not (tmp_path / "chroma").exists(), "the orphaned probe opened (and created) the folder"
