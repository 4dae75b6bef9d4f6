"""Turn files, pasted text and JSONL records into validated, normalised :class:`Article` values.

This module only dispatches: a file's suffix picks the reader in :mod:`qa_bot.ingest.formats`,
and every reader builds its articles through :func:`qa_bot.ingest.article.make_article`.
Every rejection is a :class:`~qa_bot.errors.LoaderError` whose one-line message names the input
and says what is wrong. Loading never writes anything: the store decides what is added.
"""

from __future__ import annotations

from pathlib import Path

from qa_bot.errors import LoaderError
from qa_bot.ingest.article import make_article
from qa_bot.ingest.formats.decode import decode_bytes
from qa_bot.ingest.formats.html import html_to_article
from qa_bot.ingest.formats.jsonl import iter_jsonl
from qa_bot.ingest.formats.markdown import load_markdown
from qa_bot.ingest.formats.pdf import pdf_to_article
from qa_bot.ingest.formats.text import load_plain_text
from qa_bot.ingest.sandbox import parse_isolated
from qa_bot.models import Article

SUPPORTED_SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm", ".pdf", ".jsonl")


def load_bytes(data: bytes, name: str, source: str | None = None, isolate: bool = True) -> list[Article]:
    """Load one input given as bytes; ``name`` (its file name) only selects the format.

    Args:
        data: the file content.
        name: file name or path; its suffix picks the loader.
        source: how to name the input in messages and in the registry (defaults to ``name``).
        isolate: parse PDF and HTML in a time- and memory-bounded child process (see
            :mod:`qa_bot.ingest.sandbox`); the child itself passes False.

    Returns:
        The articles in the input (one, or many for JSONL).

    Raises:
        LoaderError: unsupported type or unusable content.
    """
    source = source or name
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        kinds = ", ".join(s for s in SUPPORTED_SUFFIXES if s not in (".markdown", ".htm"))
        raise LoaderError(source, f"unsupported file type {suffix or '(none)'!r}; use one of {kinds}")
    if isolate and suffix in (".pdf", ".html", ".htm"):
        if not data.strip():
            raise LoaderError(source, "the file is empty; nothing to add")
        return parse_isolated(data, name, source)
    if suffix == ".pdf":
        return [pdf_to_article(data, source)]
    raw = decode_bytes(data, source)
    if suffix in (".md", ".markdown"):
        return [load_markdown(raw, source)]
    if suffix == ".txt":
        return [load_plain_text(raw, source)]
    if suffix in (".html", ".htm"):
        return [html_to_article(raw, source)]
    return list(iter_jsonl(raw, source))


def load_path(path: Path, max_bytes: int | None = None) -> list[Article]:
    """Load one file from disk (see :func:`load_bytes`).

    Args:
        path: the file; its path names it in messages and in the registry.
        max_bytes: refuse files larger than this (no limit when ``None``).

    Raises:
        LoaderError: a missing or oversized file, or anything :func:`load_bytes` refuses.
    """
    source = str(path)
    if not path.is_file():
        raise LoaderError(source, "no such file")
    size = path.stat().st_size
    if max_bytes is not None and size > max_bytes:
        raise LoaderError(source, f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit")
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        return load_bytes(b"", path.name, source)  # raises the unsupported-type error
    return load_bytes(path.read_bytes(), path.name, source)


def expand_paths(paths: list[Path]) -> list[Path]:
    """Files named directly, plus the supported files inside named folders (sorted, recursive).

    Inside folders, ``README.md`` files and hidden (dot-named) files and folders are skipped.
    """
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(
                p for p in sorted(path.rglob("*"))
                if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES and p.name.lower() != "readme.md"
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
        else:
            out.append(path)
    return out


def load_text(text: str, *, title: str = "", outlet: str = "", url: str = "", published: object = None,
              author: str = "", source: str = "pasted text") -> Article:
    """An article from pasted text and a metadata form.

    Raises:
        LoaderError: fields :func:`~qa_bot.ingest.article.make_article` refuses.
    """
    return make_article(text=text, source=source, title=title, outlet=outlet, url=url, published=published, author=author)
