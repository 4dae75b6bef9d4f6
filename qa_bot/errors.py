"""The error hierarchy. Every message says what went wrong and what to do next."""

from __future__ import annotations


class QABotError(Exception):
    """Base class of every error qa-bot raises on purpose; ``str(err)`` is one line for users."""

    exit_code = 1


class InputError(QABotError):
    """A document, question or argument that cannot be used as given."""

    exit_code = 2


class LoaderError(InputError):
    """A file, text, URL or JSONL record that cannot become an article.

    Args:
        source: what the user gave (file name, URL, "pasted text", "file.jsonl line 7").
        reason: what is wrong with it and what to do about it.
    """

    def __init__(self, source: str, reason: str) -> None:
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")


class NotFoundError(QABotError):
    """An article id that is not in the index."""

    exit_code = 3


class AmbiguousIdError(InputError):
    """A shortened article id that starts more than one article's id.

    Args:
        prefix: what the user gave.
        candidates: one line per matching article (id first), for the user to pick from.
    """

    def __init__(self, prefix: str, candidates: list[str]) -> None:
        self.prefix = prefix
        self.candidates = candidates
        super().__init__(f"id {prefix!r} starts {len(candidates)} article ids; give more characters of the one "
                         "you mean:")


class LockedError(QABotError):
    """Another process is writing to the same data directory."""

    exit_code = 4


class StoreError(QABotError):
    """The index is unusable and could not be repaired automatically."""

    exit_code = 5


class ConfigError(QABotError):
    """Settings that cannot work together (e.g. an embedding model that does not load)."""

    exit_code = 6
