"""The one factory every loader goes through: validated, normalised :class:`Article` values.

Also the rules for what identifies an article — a hash of its normalised URL, or of its text
when it has none — so that adding the same article twice changes nothing.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
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
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise LoaderError(source, f"published date must be text like 2026-01-05, not a {type(value).__name__}")
    text = str(value).strip()
    try:
        day = date.fromisoformat(text[:10])
        if text[10:11] in ("T", "t", " ") and text[11:12].isdigit():  # a time too: it must be a real one
            datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))  # (+99:00 is not)
        return day
    except ValueError:
        raise LoaderError(source, f"published date {text[:40]!r} is not an ISO date (or no such day); write it as YYYY-MM-DD") from None


def clean_field(value: object, name: str, source: str) -> str:
    """A metadata value as one line of NFC text without control or format characters.

    Raises:
        LoaderError: a list, mapping or other non-scalar value, or text that is not valid Unicode.
    """
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float, date)):
        raise LoaderError(source, f"{name} must be text, not a {type(value).__name__}; write it as a plain value")
    text = check_unicode(str(value), name, source)
    text = unicodedata.normalize("NFC", text)
    return " ".join("".join(ch for ch in text if unicodedata.category(ch) not in ("Cc", "Cf") or ch in " \t\n").split())


def check_unicode(text: str, name: str, source: str) -> str:
    """``text`` itself, once it is known to encode as UTF-8 (a lone surrogate such as ``\\ud83d`` does not).

    Raises:
        LoaderError: naming the field and the bad character.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        bad = text[err.start: err.start + 1].encode("unicode_escape").decode("ascii")
        raise LoaderError(source, f"{name} holds an unpaired surrogate ({bad}), which is not valid Unicode; "
                                  "fix the text (e.g. a broken emoji) and retry") from None
    return text


def _clean_id(value: object, source: str) -> str:
    text = str(value).strip()
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}", text):
        raise LoaderError(source, f"id {text[:40]!r} must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
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
    if not isinstance(text, str):
        raise LoaderError(source, f"text must be a string, not a {type(text).__name__}")
    clean = normalize_text(check_unicode(text or "", "the text", source))
    if not clean:
        raise LoaderError(source, "no text found (the file or field is empty); add the article text and retry")
    if len(clean) < MIN_TEXT_CHARS:
        raise LoaderError(source, f"text is only {len(clean)} characters; an article needs at least {MIN_TEXT_CHARS}")
    if url is not None and not isinstance(url, str):
        raise LoaderError(source, f"url must be text like https://..., not a {type(url).__name__}")
    url = clean_field(url, "url", source)
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        scheme = ""
    if url and scheme not in ("http", "https"):
        raise LoaderError(source, f"url {url[:60]!r} is not an http(s) address; fix it or leave it empty")
    title = clean_field(title, "title", source) or _title_from_text(clean)
    return Article(
        id=_clean_id(id, source) if id not in (None, "") else article_id(url, clean),
        title=title[:300],
        text=clean,
        outlet=clean_field(outlet, "outlet", source)[:200],
        url=url,
        published=parse_date(published, source),
        author=clean_field(author, "author", source)[:200],
        source=source,
        extra={str(k): clean_field(v, str(k), source) for k, v in (extra or {}).items()
               if v is not None and v != "" and isinstance(v, (str, int, float, date))},
    )


def _title_from_text(text: str) -> str:
    first = text.split("\n", 1)[0].strip()
    return first if len(first) <= 120 else first[:117].rsplit(" ", 1)[0] + "..."
