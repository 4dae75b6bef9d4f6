"""Progress reporting shared by every stage that runs long (indexing, evaluation).

Stages take a :data:`Progress` callback and call it as work advances; the edges (CLI bar,
Streamlit status) decide how to show it. It lives apart from any stage so each can accept one
without importing another.
"""

from __future__ import annotations

from collections.abc import Callable

#: ``progress(done, total, label)`` — called as work advances; ``total`` may be 0 when unknown.
Progress = Callable[[int, int, str], None]


def no_progress(done: int, total: int, label: str) -> None:
    """The default :data:`Progress` callback: reports nothing."""
    return None
