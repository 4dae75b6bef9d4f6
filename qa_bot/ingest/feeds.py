"""RSS and Atom feeds: each entry becomes an article, from its own full text or from the page it links to.

The feed's bytes come from the SSRF-guarded :func:`~qa_bot.ingest.fetch.fetch`; feedparser only ever
parses them (it is handed a stream, never a URL or a string it could take for a file name), and
every linked page is fetched through the same guard (a link is judged on its own: the feed's
host being allowed lends it nothing). An entry whose linked page cannot be fetched is added from
its own text (its summary), marked as such (:data:`SUMMARY_MARK`), and replaced by the page's text
when a later fetch succeeds. An entry that cannot be read at all (no usable text) is reported as
that entry's error; the other entries are still read.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from urllib.parse import urljoin, urlsplit

from qa_bot.config import Settings
from qa_bot.errors import LoaderError
from qa_bot.ingest.article import MIN_TEXT_CHARS, article_id, make_article
from qa_bot.ingest.fetch import fetch_article
from qa_bot.ingest.formats.html import html_to_article
from qa_bot.models import Article
from qa_bot.progress import Progress, no_progress

#: Content types that name a feed outright.
FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+xml"})
#: Root elements of RSS 2.0/0.9x, Atom and RSS 1.0 (RDF) documents.
FEED_ROOTS = frozenset({"rss", "feed", "rdf"})
#: A summary counts as the entry's full text from this many characters of text (shorter ones are teasers).
FULL_SUMMARY_CHARS = 600
#: The ``extra`` key of an article made from its feed entry's own summary because the linked page could not
#: be fetched; its value is why. Such an entry's link is fetched again on the next read of the feed.
SUMMARY_MARK = "summary_only"

# What may come before the root element: a BOM, the XML declaration, processing instructions,
# comments and a doctype.
_PROLOG = re.compile(r"\A(?:\ufeff|\s+|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>)*", re.S | re.I)
_ROOT = re.compile(r"<([A-Za-z_][\w.-]*:)?([A-Za-z_][\w.-]*)")


@dataclass
class FeedResult:
    """What one feed gave.

    Attributes:
        title: the feed's title.
        articles: one article per entry that could be read.
        errors: one error per entry that could not (or one for the whole feed when it is unreadable).
        known: ids of entries not fetched again because ``is_known`` said they are already indexed.
        summaries: ids of the articles made from their entry's own summary (the linked page could not be fetched).
    """

    title: str = ""
    articles: list[Article] = field(default_factory=list)
    errors: list[LoaderError] = field(default_factory=list)
    known: list[str] = field(default_factory=list)
    summaries: list[str] = field(default_factory=list)


def is_feed(content_type: str, body: bytes) -> bool:
    """True when a fetched body is an RSS or Atom feed: by its content type, or XML whose root is rss/feed/rdf.

    An HTML or PDF content type is never a feed, whatever the body.
    """
    kind = content_type.split(";")[0].strip().lower()
    if kind in FEED_TYPES:
        return True
    if kind in ("text/html", "application/xhtml+xml", "application/pdf"):
        return False
    return root_element(body) in FEED_ROOTS


def root_element(body: bytes) -> str:
    """The lower-cased local name of the document's first element (``""`` when it does not start like XML)."""
    head = body[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", "ignore")
    else:
        text = head.decode("utf-8", "ignore")
    rest = text[_PROLOG.match(text).end():]
    m = _ROOT.match(rest)
    return m.group(2).lower() if m else ""


def load_feed(body: bytes, url: str, final_url: str, content_type: str, settings: Settings,
              is_known: Callable[[str], bool] = lambda article_id: False,
              progress: Progress = no_progress) -> FeedResult:
    """Read a fetched feed's entries as articles.

    Args:
        body: the feed as fetched.
        url: the feed's address as given (names it in messages).
        final_url: its address after redirects (relative links resolve against it).
        content_type: the response's content type (its charset helps decoding).
        settings: for fetching linked pages (address rules, timeouts, size cap).
        is_known: true for an article id already indexed; an entry without full text whose link has
            such an id is not fetched again (and is listed in ``known``).
        progress: called as entries are read.

    Returns:
        The entries' articles and the entries' errors; a feed that cannot be parsed at all gives one error.
    """
    import feedparser

    source = url[:200]
    parsed = feedparser.parse(io.BytesIO(body), response_headers={
        "content-type": content_type or "application/xml", "content-location": final_url})
    title = str(parsed.feed.get("title", "") or "")
    result = FeedResult(title=title)
    if not parsed.entries:
        reason = (f"not a readable RSS or Atom feed ({type(parsed.bozo_exception).__name__}); check the URL"
                  if parsed.get("bozo") else "the feed has no entries; nothing to add")
        result.errors.append(LoaderError(source, reason))
        return result
    total = len(parsed.entries)
    for n, entry in enumerate(parsed.entries, 1):
        progress(n - 1, total, "Reading feed entries")
        link = _absolute(str(entry.get("link", "") or ""), final_url)
        where = f"{source} entry {n}" + (f" ({link[:120]})" if link else "")
        try:
            text = full_text(entry, where)
            if text is None and link and is_known(article_id(link)):
                result.known.append(article_id(link))
                continue
            article = entry_article(entry, title, link, text, where, settings)
            result.articles.append(article)
            if SUMMARY_MARK in article.extra:
                result.summaries.append(article.id)
        except LoaderError as err:
            result.errors.append(err if err.source == where else LoaderError(where, err.reason))
        except Exception as err:  # one malformed entry must not cost the others
            result.errors.append(LoaderError(where, f"could not be read ({type(err).__name__}: {str(err)[:120]})"))
    progress(total, total, "Reading feed entries")
    return result


def full_text(entry, source: str) -> str | None:
    """The entry's own full text as plain text (``content:encoded``/Atom content, else a long summary), or None."""
    text, complete = own_text(entry, source)
    return text if complete else None


def own_text(entry, source: str) -> tuple[str, bool]:
    """The entry's own text as plain text, and whether it is the full story: its content, else its summary
    (the full story from :data:`FULL_SUMMARY_CHARS` characters on)."""
    for item in entry.get("content", None) or ():
        text = _as_text(item.get("value", ""), item.get("type", ""), source)
        if text:
            return text, True
    summary = entry.get("summary_detail") or {}
    text = _as_text(summary.get("value", "") or entry.get("summary", ""), summary.get("type", "text/html"), source)
    return text, len(text) >= FULL_SUMMARY_CHARS


def entry_article(entry, feed_title: str, link: str, text: str | None, source: str, settings: Settings) -> Article:
    """One entry as an article: the entry's text, or (``text`` None) the text of the page it links to —
    or, when that page cannot be fetched, the entry's own summary, marked with :data:`SUMMARY_MARK`.

    The outlet is the entry's own source when it names one, else the feed's title; title, date and
    author come from the entry, and from the linked page where the entry has none.

    Raises:
        LoaderError: no text and no link, a linked page that cannot be fetched with no usable summary
            to stand in for it, or bad fields.
    """
    source_title = (entry.get("source") or {}).get("title", "")
    fields = {"title": str(entry.get("title", "") or ""), "outlet": str(source_title or feed_title),
              "published": _entry_date(entry), "author": str(entry.get("author", "") or "")}
    url = link if urlsplit(link).scheme.lower() in ("http", "https") else ""
    if text is None:
        if not link:
            raise LoaderError(source, "the entry has no text and no link; nothing to add")
        try:
            page = fetch_article(link, settings)
        except LoaderError as err:
            return _summary_article(entry, fields, url, source, err.reason)
        text = page.text
        for name in ("title", "outlet", "published", "author"):
            fields[name] = fields[name] or getattr(page, name)
    return make_article(text=text, source=source, url=url, **fields)


def _summary_article(entry, fields: dict, url: str, source: str, reason: str) -> Article:
    """The entry made from its own summary, since its linked page could not be fetched (``reason``).

    Raises:
        LoaderError: the summary is too short to stand in for the page.
    """
    summary, _ = own_text(entry, source)
    if len(summary) < MIN_TEXT_CHARS:
        raise LoaderError(source, f"the linked page could not be added: {reason}; and the entry has no summary "
                                  "long enough to add instead")
    return make_article(text=summary, source=source, url=url, extra={SUMMARY_MARK: reason[:200]}, **fields)


def _as_text(value: str, kind: str, source: str) -> str:
    """Entry content as plain text: HTML is read as any HTML page is; other types are taken as they are."""
    value = (value or "").strip()
    if not value:
        return ""
    if "html" not in (kind or "").lower():
        return value
    try:
        return html_to_article(value, source).text
    except LoaderError:
        return ""  # no readable text in the markup: the entry has no full text


def _entry_date(entry) -> date | None:
    """The entry's publication (else update) date, as feedparser read it (UTC); a date the feed wrote
    with impossible fields (month 13, hour 25) counts as none, though feedparser rolls it over into another."""
    for key in ("published", "updated", "created"):
        value = entry.get(f"{key}_parsed")
        if value and _real_date(str(entry.get(key, "") or "")):
            return date(value.tm_year, value.tm_mon, value.tm_mday)
    return None


_ISO_DATE = re.compile(r"\s*(\d{4}-\d{2}-\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2}))?)?")


def _real_date(raw: str) -> bool:
    """False for an ISO 8601 date or time whose fields are out of range (other forms: feedparser's own check)."""
    m = _ISO_DATE.match(raw)
    if not m:
        return True
    try:
        datetime.fromisoformat(m.group(1))
    except ValueError:
        return False
    hour, minute, second = (int(g) if g else 0 for g in m.group(2, 3, 4))
    return (hour, minute, second) == (24, 0, 0) or (hour < 24 and minute < 60 and second <= 60)


def _absolute(link: str, base: str) -> str:
    """``link`` made absolute against the feed's address (feedparser resolves most, not all, links)."""
    return urljoin(base, link.strip()) if link.strip() else ""
