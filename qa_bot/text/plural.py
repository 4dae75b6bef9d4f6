"""Counts in messages for people: ``1 passage``, ``2 passages``."""

from __future__ import annotations


def plural(n: int, word: str, many: str | None = None) -> str:
    """``n`` and ``word`` in the right number, the count with thousands separators.

    Args:
        n: how many.
        word: the singular form (``"passage"``).
        many: the plural form when it is not ``word + "s"`` (``"entries"``).
    """
    return f"{n:,} {word if n == 1 else (many or word + 's')}"
