"""Watching feeds and folders: add what is new, round after round, until stopped.

Each round fetches every feed again (entries already indexed are not fetched again, see
``add_url(skip_known=True)``) and scans every folder for files that are new or changed since the
last round (by modification time and size, kept in memory; ids derived from content make a
re-added unchanged file a no-op anyway). A source that fails is reported in that round's summary
and simply tried again in the next. Sleeping and stopping are injected, so tests run rounds
without waiting.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from qa_bot.errors import LoaderError, LockedError
from qa_bot.ingest.loaders import expand_paths
from qa_bot.progress import Progress, no_progress

_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*$", re.I)
_UNIT_S = {"": 1, "s": 1, "m": 60, "h": 3600}
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
#: Errors quoted in a round's summary line (the rest are counted).
QUOTED_ERRORS = 2


def parse_interval(text: str) -> float:
    """Seconds in an interval such as ``30s``, ``15m``, ``1h`` (a bare number is seconds).

    Raises:
        ValueError: anything else, or an interval under one second.
    """
    m = _INTERVAL.match(text or "")
    if not m:
        raise ValueError(f"--every: {text!r} is not an interval; write it like 30s, 15m or 1h")
    seconds = float(m.group(1)) * _UNIT_S[m.group(2).lower()]
    if seconds < 1:
        raise ValueError(f"--every: {text!r} is shorter than one second; write it like 30s, 15m or 1h")
    return seconds


class WatchedBot(Protocol):
    """What watching needs of :class:`~qa_bot.bot.QABot`."""

    def add_url(self, url: str, progress: Progress = no_progress, skip_known: bool = False) -> Any:
        """Fetch and add a page or feed; returns an :class:`~qa_bot.documents.AddResult`."""

    def add_paths(self, paths: Sequence[Path | str], progress: Progress = no_progress) -> Any:
        """Add files; returns an :class:`~qa_bot.documents.AddResult`."""


@dataclass
class RoundReport:
    """What one round wrote (how many of those from a feed entry's summary alone), recorded as copies, and
    could not read."""

    n: int
    added: int = 0
    summaries: int = 0
    updated: int = 0
    also_published: int = 0
    errors: list[LoaderError] = field(default_factory=list)

    @property
    def failed(self) -> int:
        """Inputs (feeds, entries, files) that could not be read this round."""
        return len(self.errors)

    def line(self) -> str:
        """One line for people, e.g. ``round 3: 2 added, 1 from a feed summary (its page could not be fetched),
        1 also published by, 1 failed (URL: why)``."""
        parts = [f"{self.added} added"] + ([f"{self.updated} updated"] if self.updated else [])
        if self.summaries:
            parts.append("1 from a feed summary (its page could not be fetched)" if self.summaries == 1 else
                         f"{self.summaries} from feed summaries (their pages could not be fetched)")
        parts += [f"{self.also_published} also published by", f"{self.failed} failed"]
        text = f"round {self.n}: " + ", ".join(parts)
        if self.errors:
            quoted = "; ".join(_short(str(e)) for e in self.errors[:QUOTED_ERRORS])
            more = len(self.errors) - QUOTED_ERRORS
            text += f" ({quoted}{f'; and {more} more' if more > 0 else ''})"
        return text


class Watcher:
    """Adds what is new in some feeds and folders, one :meth:`round` at a time.

    Args:
        bot: where articles are added.
        sources: feed URLs (http/https) and folders (or single files).

    Raises:
        ValueError: no sources.
    """

    def __init__(self, bot: WatchedBot, sources: Sequence[str | Path]) -> None:
        if not sources:
            raise ValueError("give at least one feed URL or folder to watch")
        self.bot = bot
        self.feeds = [str(s) for s in sources if _URL.match(str(s))]
        self.folders = [Path(s) for s in sources if not _URL.match(str(s))]
        self._seen: dict[Path, tuple[int, int]] = {}

    def changed_files(self) -> tuple[list[Path], list[LoaderError]]:
        """Files in the watched folders that are new or changed since the last call, and missing folders."""
        files, errors = [], []
        for folder in self.folders:
            if not folder.exists():
                errors.append(LoaderError(str(folder), "no such folder or file; check the path"))
                continue
            for path in expand_paths([folder]):
                try:
                    stat = path.stat()
                except OSError:
                    continue  # deleted while scanning: nothing to add
                key = (stat.st_mtime_ns, stat.st_size)
                if self._seen.get(path) != key:
                    self._seen[path] = key
                    files.append(path)
        return files, errors

    def round(self, n: int, progress: Progress = no_progress) -> RoundReport:
        """Fetch every feed and add the new or changed files of every folder; report what happened."""
        report = RoundReport(n)
        files, report.errors = self.changed_files()
        if files and not _count(report, "the watched folders", lambda: self.bot.add_paths(files, progress)):
            for path in files:
                self._seen.pop(path, None)  # nothing was written: they are new again next round
        for url in self.feeds:
            _count(report, url, lambda url=url: self.bot.add_url(url, progress, skip_known=True))
        return report


def _count(report: RoundReport, name: str, add: Callable[[], Any]) -> bool:
    """Run one add and count its result in ``report``; False when another process held the data folder."""
    try:
        result = add()
    except LockedError as err:
        report.errors.append(LoaderError(name, f"{err}; trying again next round"))
        return False
    report.added += len(result.report.added)
    report.updated += len(result.report.updated)
    report.also_published += len(result.also_published)
    report.summaries += len(getattr(result, "summaries", ()))
    report.errors.extend(result.errors)
    return True


def watch(bot: WatchedBot, sources: Sequence[str | Path], every_s: float, *,
          on_round: Callable[[RoundReport], None] = lambda report: None, once: bool = False,
          sleep: Callable[[float], Any] | None = None, stop: Callable[[], bool] = lambda: False,
          progress: Callable[[], AbstractContextManager[Progress]] = lambda: nullcontext(no_progress)) -> int:
    """Run rounds until ``stop()`` is true (checked after each round and each sleep), or one round with ``once``.

    Args:
        bot: where articles are added.
        sources: feed URLs and folders.
        every_s: seconds to sleep between rounds.
        on_round: called with each round's report as soon as the round ends.
        once: run one round and return.
        sleep: waits between rounds (default :func:`time.sleep`; tests inject one that returns at once).
        stop: true when watching should end.
        progress: makes the progress callback of one round (a context manager, e.g. a progress bar).

    Returns:
        The number of rounds run.

    Raises:
        ValueError: no sources.
        LockedError: another process holds the data folder's write lock for longer than allowed.
    """
    watcher = Watcher(bot, sources)
    for n in itertools.count(1):
        with progress() as report_progress:
            report = watcher.round(n, report_progress)
        on_round(report)
        if once or stop():
            return n
        (sleep or time.sleep)(every_s)
        if stop():
            return n
    return 0  # unreachable: the rounds never run out


def _short(text: str, limit: int = 160) -> str:
    """``text`` on one line, cut to ``limit`` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
