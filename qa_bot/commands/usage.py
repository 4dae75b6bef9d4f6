"""Usage lines and usage errors as a person should read them (Typer's defaults say less, or more, than they mean).

* :class:`PlainUsageCommand` names a required argument as Click does (``ask [OPTIONS] QUESTION``), not in
  Typer's braces (``{QUESTION}``).
* :func:`show_usage_error` prints a usage error (a :class:`ClickException` from Typer's copy of Click); a misspelled option is answered with the one option it is
  a likely typo of (:func:`close_options`), never with options that merely share a few letters.
"""

from __future__ import annotations

import difflib
import re

import typer
from typer._click.exceptions import ClickException, NoSuchOption  # Typer's own copy of Click raises these

#: How alike a misspelled option and a real one must be (difflib's ratio) to suggest the real one.
TYPO_RATIO = 0.8


class PlainUsageCommand(typer.core.TyperCommand):
    """A command whose usage line names required arguments plainly: ``QUESTION``, ``INPUT...``."""

    def collect_usage_pieces(self, ctx) -> list[str]:
        """The usage line's pieces, Typer's braces dropped."""
        return [re.sub(r"\{(\w+)\}", r"\1", piece) for piece in super().collect_usage_pieces(ctx)]


def close_options(typed: str, offered) -> list[str] | None:
    """The option worth suggesting for a misspelled ``typed`` (as a one-item list), or None."""
    return difflib.get_close_matches(typed, list(offered or ()), n=1, cutoff=TYPO_RATIO) or None


def show_usage_error(exc: ClickException) -> int:
    """Print a usage error (usage line, help hint, message) on stderr; returns its exit code."""
    if isinstance(exc, NoSuchOption):
        exc.possibilities = close_options(exc.option_name, exc.possibilities)
    exc.show()
    return exc.exit_code
