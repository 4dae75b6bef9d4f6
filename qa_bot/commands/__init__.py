"""Commands beyond the core ones, each a module with ``register(app, shell)``.

A command module never imports :mod:`qa_bot.cli` (that would be a cycle): what it needs from the command
line — the opened bot, the consoles and the one-line failure exit — comes in a :class:`Shell`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from rich.console import Console


@dataclass(frozen=True)
class Shell:
    """What a command needs from the command line.

    Attributes:
        bot: ``bot(show_progress=True)`` returns the bot with its index open (tests substitute a fake).
        fail: prints an error (a ``QABotError`` or ``ValueError``) as one line and exits with its code.
        out: the console for results (stdout).
        err: the console for progress, notes and errors (stderr).
    """

    bot: Callable[..., Any]
    fail: Callable[[BaseException], NoReturn]
    out: Console
    err: Console
