"""RSS and Atom feeds: each entry becomes an article, from its own full text or from the page it links to.

The feed's bytes come from the SSRF-guarded :func:`~qa_bot.ingest.fetch.fetch`; feedparser only ever
parses them (it is handed a stream, never a URL or a string it could take for a file name), and
every linked page is fetched through the same guard. An entry that cannot be read (a refused or
broken link, no text) is reported as that entry's error; the other entries are still read.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urljoin, urlsplit

from qa_bot.config import Settings
from qa_bot.errors import LoaderError
from qa_bot.ingest.article import article_id, make_article
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
    """

    title: str = ""
    articles: list[Article] = field(default_factory=list)
    errors: list[LoaderError] = field(default_factory=list)
    known: list[str] = field(default_factory=list)


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
            result.articles.append(entry_article(entry, title, link, text, where, settings))
        except LoaderError as err:
            result.errors.append(err if err.source == where else LoaderError(where, err.reason))
        except Exception as err:  # one malformed entry must not cost the others
            result.errors.append(LoaderError(where, f"could not be read ({type(err).__name__}: {str(err)[:120]})"))
    progress(total, total, "Reading feed entries")
    return result


def full_text(entry, source: str) -> str | None:
    """The entry's own full text as plain text (``content:encoded``/Atom content, else a long summary), or None."""
    for item in entry.get("content", None) or ():
        text = _as_text(item.get("value", ""), item.get("type", ""), source)
        if text:
            return text
    summary = entry.get("summary_detail") or {}
    text = _as_text(summary.get("value", "") or entry.get("summary", ""), summary.get("type", "text/html"), source)
    return text if len(text) >= FULL_SUMMARY_CHARS else None


def entry_article(entry, feed_title: str, link: str, text: str | None, source: str, settings: Settings) -> Article:
    """One entry as an article: the entry's text, or (``text`` None) the text of the page it links to.

    The outlet is the entry's own source when it names one, else the feed's title; title, date and
    author come from the entry, and from the linked page where the entry has none.

    Raises:
        LoaderError: no text and no link, a linked page that cannot be fetched or read, or bad fields.
    """
    source_title = (entry.get("source") or {}).get("title", "")
    fields = {"title": str(entry.get("title", "") or ""), "outlet": str(source_title or feed_title),
              "published": _entry_date(entry), "author": str(entry.get("author", "") or "")}
    if text is None:
        if not link:
            raise LoaderError(source, "the entry has no text and no link; nothing to add")
        try:
            page = fetch_article(link, settings)
        except LoaderError as err:
            raise LoaderError(source, f"the linked page could not be added: {err.reason}") from None
        text = page.text
        for name in ("title", "outlet", "published", "author"):
            fields[name] = fields[name] or getattr(page, name)
    url = link if urlsplit(link).scheme.lower() in ("http", "https") else ""
    return make_article(text=text, source=source, url=url, **fields)


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
    """The entry's publication (else update) date, as feedparser read it (UTC)."""
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            return date(value.tm_year, value.tm_mon, value.tm_mday)
    return None


def _absolute(link: str, base: str) -> str:
    """``link`` made absolute against the feed's address (feedparser resolves most, not all, links)."""
    return urljoin(base, link.strip()) if link.strip() else ""
