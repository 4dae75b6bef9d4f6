"""The one factory every loader goes through: validated, normalised :class:`Article` values.

Also the rules for what identifies an article — a hash of its normalised URL, or of its text
when it has none — so that adding the same article twice changes nothing.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime
from urllib.parse import urlsplit, urlunsplit

from qa_bot.errors import LoaderError
from qa_bot.models import Article
from qa_bot.text.normalize import normalize_text

MIN_TEXT_CHARS = 20


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
    """Accept ``date``, ``datetime`` and ISO strings (``2026-01-05``, ``2026-01-05T10:00:00Z``).

    Args:
        value: the date as given; ``None`` or ``""`` means no date.
        source: names the input in the error message.

    Returns:
        The calendar date, or ``None`` when there is none.

    Raises:
        LoaderError: a value that does not start with an ISO ``YYYY-MM-DD`` date.
    """
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

    Args:
        text: the article body (normalised here; must have at least ``MIN_TEXT_CHARS`` characters).
        source: how the input is named in messages and in the registry.
        title: defaults to the text's first line, shortened.
        outlet, author: whitespace is collapsed; at most 200 characters are kept.
        url: an http(s) address, or empty.
        published: anything :func:`parse_date` accepts.
        id: an explicit id; without one the id is :func:`article_id` of the URL or text.
        extra: further metadata; empty values are dropped and the rest kept as strings.

    Returns:
        The validated article.

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
