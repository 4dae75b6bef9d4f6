"""Turn files, pasted text and JSONL records into validated, normalised :class:`Article` values.

Every rejection is a :class:`~qa_bot.errors.LoaderError` whose one-line message names the input
and says what is wrong. Loading never writes anything: the store decides what is added.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import yaml

from qa_bot.errors import LoaderError
from qa_bot.models import Article
from qa_bot.text.normalize import normalize_text

SUPPORTED_SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm", ".pdf", ".jsonl")
MIN_TEXT_CHARS = 20
MAX_FRONT_MATTER = 20_000
_JSONL_KEYS = {"id", "title", "text", "url", "published", "outlet", "author", "source", "section", "note"}


@dataclass(frozen=True)
class LoadedFile:
    """The articles read from one input, and where they came from."""

    source: str
    articles: tuple[Article, ...]


# ---------------------------------------------------------------- ids and fields


def normalize_url(url: str) -> str:
    """Canonical form used for ids: lower-case scheme and host, no fragment, no trailing slash."""
    url = (url or "").strip()
    if not url:
        return ""
    parts = urlsplit(url)
    path = parts.path.rstrip("/") if parts.path not in ("", "/") else ""
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


def article_id(url: str = "", text: str = "") -> str:
    """Stable id: a hash of the normalised URL when there is one, else of the normalised text."""
    key = normalize_url(url)
    if not key:
        key = "text:" + " ".join(text.lower().split())
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def parse_date(value: object, source: str) -> date | None:
    """Accept ``date``, ``datetime`` and ISO strings (``2026-01-05``, ``2026-01-05T10:00:00Z``)."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise LoaderError(source, f"published date {text!r} is not an ISO date; write it as YYYY-MM-DD") from None


def _clean_id(value: object, source: str) -> str:
    text = str(value).strip()
    if not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", text):
        raise LoaderError(source, f"id {text[:40]!r} must be 1-64 letters, digits, '.', '_' or '-'")
    return text


def make_article(
    *,
    text: str,
    source: str,
    title: str = "",
    outlet: str = "",
    url: str = "",
    published: object = None,
    author: str = "",
    id: object = None,
    extra: dict | None = None,
) -> Article:
    """Validate and normalise one article's fields; the single place every loader goes through.

    Raises:
        LoaderError: empty or too-short text, a bad date, id or URL.
    """
    clean = normalize_text(text or "")
    if not clean:
        raise LoaderError(source, "no text found (the file or field is empty); add the article text and retry")
    if len(clean) < MIN_TEXT_CHARS:
        raise LoaderError(source, f"text is only {len(clean)} characters; an article needs at least {MIN_TEXT_CHARS}")
    url = (url or "").strip()
    if url and urlsplit(url).scheme.lower() not in ("http", "https"):
        raise LoaderError(source, f"url {url[:60]!r} is not an http(s) address; fix it or leave it empty")
    title = " ".join(str(title or "").split()) or _title_from_text(clean)
    return Article(
        id=_clean_id(id, source) if id not in (None, "") else article_id(url, clean),
        title=title[:300],
        text=clean,
        outlet=" ".join(str(outlet or "").split())[:200],
        url=url,
        published=parse_date(published, source),
        author=" ".join(str(author or "").split())[:200],
        source=source,
        extra={k: str(v) for k, v in (extra or {}).items() if v not in (None, "")},
    )


def _title_from_text(text: str) -> str:
    first = text.split("\n", 1)[0].strip()
    return first if len(first) <= 120 else first[:117].rsplit(" ", 1)[0] + "..."


# ---------------------------------------------------------------- raw bytes -> str


def decode_bytes(data: bytes, source: str) -> str:
    """Decode text files: UTF-8 (with or without BOM) or UTF-16 with a BOM; refuse binary.

    Raises:
        LoaderError: empty, binary or undecodable input, with what to do about it.
    """
    if not data.strip():
        raise LoaderError(source, "the file is empty; nothing to add")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise LoaderError(source, "the file starts like UTF-16 but does not decode; save it as UTF-8") from None
    head = data[:8192]
    if b"\x00" in head:
        zeros = head.count(b"\x00")
        if zeros * 3 >= len(head) and (head[1::2].count(b"\x00") * 2 >= len(head[1::2]) or head[0::2].count(b"\x00") * 2 >= len(head[0::2])):
            raise LoaderError(source, "looks like UTF-16 text without a byte-order mark; save it as UTF-8")
        raise LoaderError(source, "binary file (contains NUL bytes), not text; add .md, .txt, .html, .pdf or .jsonl")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise LoaderError(
            source, f"not valid UTF-8 (bad byte at offset {err.start}); re-save the file as UTF-8"
        ) from None


# ---------------------------------------------------------------- formats


def split_front_matter(raw: str, source: str) -> tuple[dict, str]:
    """Split ``---`` YAML front matter from a Markdown body; a file without it has empty metadata."""
    if not raw.lstrip().startswith("---"):
        return {}, raw
    m = re.match(r"\s*---[ \t]*\n(.*?)\n---[ \t]*(?:\n|$)(.*)", raw, re.S)
    if not m:
        raise LoaderError(source, "front matter starts with '---' but has no closing '---' line")
    if len(m.group(1)) > MAX_FRONT_MATTER:
        raise LoaderError(source, f"front matter is over {MAX_FRONT_MATTER // 1000} KB; keep it to the article's metadata")
    if re.search(r"(^|[\s\[{,:-])[&*][A-Za-z0-9_-]+", m.group(1)):
        raise LoaderError(source, "front matter uses YAML anchors or aliases (& or *); write plain key: value pairs")
    try:
        meta = yaml.safe_load(m.group(1)) or {}
    except yaml.YAMLError as err:
        line = getattr(getattr(err, "problem_mark", None), "line", None)
        where = f" (line {line + 2})" if line is not None else ""
        raise LoaderError(source, f"front matter is not valid YAML{where}; fix the header") from None
    if not isinstance(meta, dict):
        raise LoaderError(source, "front matter must be key: value pairs")
    return meta, m.group(2)


def markdown_to_text(body: str) -> str:
    """Plain readable text from Markdown: links keep their words, images and markup go."""
    body = re.sub(r"```.*?```", "", body, flags=re.S)
    body = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", body)
    body = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", body)
    body = re.sub(r"<[^>\n]+>", "", body)
    body = re.sub(r"^[ \t]{0,3}#{1,6}[ \t]+", "", body, flags=re.M)
    body = re.sub(r"^[ \t]*>[ \t]?", "", body, flags=re.M)
    body = re.sub(r"(\*\*|__)(.+?)\1", r"\2", body)
    body = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"\1", body)
    body = re.sub(r"`([^`]+)`", r"\1", body)
    return body


def load_markdown(raw: str, source: str) -> Article:
    """Markdown with optional YAML front matter (``title``, ``outlet``, ``url``, ``published``, ``author``)."""
    meta, body = split_front_matter(raw, source)
    known = {k: meta.get(k) for k in ("title", "outlet", "url", "published", "author", "id")}
    extra = {k: v for k, v in meta.items() if k not in known}
    return make_article(text=markdown_to_text(body), source=source, extra=extra, **known)


def load_plain_text(raw: str, source: str, title: str = "") -> Article:
    """Plain text: the first line is the title when it is short and no title is given."""
    text = normalize_text(raw)
    if not title:
        first, _, rest = text.partition("\n")
        if len(first) <= 150 and rest.strip() and not first.rstrip().endswith("."):
            title, text = first, rest
    return make_article(text=text, source=source, title=title)


def iter_jsonl(raw: str, source: str) -> Iterator[Article]:
    """Articles from a JSONL bulk file. All lines are checked first: one bad line refuses the file.

    Raises:
        LoaderError: naming every bad line (up to ten shown) and why, so nothing is silently dropped.
    """
    articles: list[Article] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for lineno, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{source} line {lineno}"
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise LoaderError(where, "is not a JSON object")
            if not str(record.get("text") or "").strip():
                raise LoaderError(where, "has no 'text'")
            unknown = set(record) - _JSONL_KEYS
            extra = {k: record[k] for k in ("section", "note") if k in record}
            if unknown:
                extra.update({k: record[k] for k in unknown if isinstance(record[k], (str, int, float))})
            art = make_article(
                text=str(record["text"]),
                source=f"{source}#{lineno}",
                title=record.get("title") or "",
                outlet=record.get("outlet") or "",
                url=record.get("url") or "",
                published=record.get("published"),
                author=record.get("author") or "",
                id=record.get("id"),
                extra=extra,
            )
            if art.id in seen:
                raise LoaderError(where, f"repeats the id {art.id} of line {seen[art.id]}")
            seen[art.id] = lineno
            articles.append(art)
        except json.JSONDecodeError as err:
            problems.append(f"line {lineno}: not valid JSON ({err.msg})")
        except LoaderError as err:
            problems.append(f"line {lineno}: {err.reason if err.source == where else str(err.reason)}")
    if problems:
        shown = "; ".join(problems[:10]) + (f"; and {len(problems) - 10} more" if len(problems) > 10 else "")
        raise LoaderError(source, f"{len(problems)} bad line(s), nothing imported: {shown}")
    if not articles:
        raise LoaderError(source, "the JSONL file has no records")
    yield from articles


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
        from qa_bot.ingest.sandbox import parse_isolated

        return parse_isolated(data, name, source)
    if suffix == ".pdf":
        from qa_bot.ingest.formats import pdf_to_article

        return [pdf_to_article(data, source)]
    raw = decode_bytes(data, source)
    if suffix in (".md", ".markdown"):
        return [load_markdown(raw, source)]
    if suffix == ".txt":
        return [load_plain_text(raw, source)]
    if suffix in (".html", ".htm"):
        from qa_bot.ingest.formats import html_to_article

        return [html_to_article(raw, source)]
    return list(iter_jsonl(raw, source))


def load_path(path: Path, max_bytes: int | None = None) -> list[Article]:
    """Load one file from disk (see :func:`load_bytes`); ``max_bytes`` refuses larger files."""
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
    """Files named directly, plus the supported files inside named folders (sorted, recursive)."""
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
    """An article from pasted text and a metadata form."""
    return make_article(text=text, source=source, title=title, outlet=outlet, url=url, published=published, author=author)
