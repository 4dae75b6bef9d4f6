"""Parse risky formats (PDF, HTML) in a child process with a time and memory bound.

A crafted PDF can loop forever or exhaust memory inside the parser; deeply nested HTML can
exhaust the stack. Parsing such inputs in the serving process would let one file hang or kill
the app. :func:`parse_isolated` runs the parser in a fresh Python process whose address space
and CPU time are capped (``setrlimit``), waits at most ``timeout`` seconds, and turns every
failure into a one-line :class:`~qa_bot.errors.LoaderError`. The child runs
:mod:`qa_bot.ingest.sandbox_child`.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys

from qa_bot.errors import LoaderError
from qa_bot.ingest.article import make_article
from qa_bot.models import Article

PARSE_TIMEOUT_S = float(os.environ.get("QA_BOT_PARSE_TIMEOUT_S", "20"))
PARSE_MEMORY_MB = int(os.environ.get("QA_BOT_PARSE_MEMORY_MB", "1024"))


def _limits(memory_mb: int, cpu_s: float):
    def apply() -> None:  # runs in the child, before exec
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        cpu = int(cpu_s) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))

    return apply


def parse_isolated(data: bytes, name: str, source: str, timeout: float = PARSE_TIMEOUT_S,
                   memory_mb: int = PARSE_MEMORY_MB) -> list[Article]:
    """Load ``data`` (named ``name``) in a bounded child process.

    Args:
        data: the file content, passed to the child on stdin.
        name: file name; its suffix picks the parser.
        source: names the input in messages and in the registry.
        timeout: wall-clock seconds (and, rounded up, CPU seconds) the child may take.
        memory_mb: the child's address-space cap.

    Returns:
        The child's articles, validated again in this process.

    Raises:
        LoaderError: the parser refused the file, took longer than ``timeout`` seconds, or
            needed more than ``memory_mb`` MB.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHONSTARTUP",))}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "qa_bot.ingest.sandbox_child", name, source], input=data, capture_output=True,
            timeout=timeout, preexec_fn=_limits(memory_mb, timeout), env=env, check=False,
        )
    except subprocess.TimeoutExpired:
        raise LoaderError(source, f"parsing took longer than {timeout:g}s, so it was stopped; the file may be "
                                  "malformed — re-export it and retry") from None
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        if "MemoryError" in tail[0] or done.returncode in (-9, -6, 137):
            reason = f"parsing needed more than {memory_mb} MB of memory, so it was stopped"
        elif done.returncode == -signal.SIGXCPU:
            reason = f"parsing used more than {timeout:g}s of CPU, so it was stopped"
        else:
            reason = f"the parser crashed ({tail[0][:120] or f'exit {done.returncode}'})"
        raise LoaderError(source, f"{reason}; the file may be malformed — re-export it and retry")
    try:
        payload = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise LoaderError(source, "the parser returned no readable result; re-export the file and retry") from None
    if "error" in payload:
        raise LoaderError(payload.get("source", source), payload["error"])
    return [make_article(text=a["text"], source=a["source"], title=a["title"], outlet=a["outlet"], url=a["url"],
                         published=a["published"] or None, author=a["author"], id=a["id"], extra=a["extra"])
            for a in payload["articles"]]

