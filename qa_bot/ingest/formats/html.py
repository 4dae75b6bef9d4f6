"""HTML pages: readable text and page metadata only, no scripts, styles or page furniture."""

from __future__ import annotations

import re

from qa_bot.errors import LoaderError
from qa_bot.ingest.article import make_article, parse_date
from qa_bot.models import Article

_DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "canvas",
              "nav", "header", "footer", "aside", "form", "button", "select", "input", "textarea", "menu")
_BLOCK_TAGS = {"p", "div", "section", "article", "main", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6",
               "blockquote", "pre", "table", "tr", "br", "hr", "figcaption", "dd", "dt", "td", "th"}
_BOILERPLATE = re.compile(r"\b(cookie|subscribe|newsletter|advert|promo|share|social|related|comment|sidebar|breadcrumb|banner|popup|modal)\b", re.I)


def _meta(soup, *names: str) -> str:
    for name in names:
        tag = soup.find("meta", attrs={"property": name}) or soup.find("meta", attrs={"name": name})
        if tag and tag.get("content"):
            return str(tag["content"]).strip()
    return ""


MAX_HTML_DEPTH = 1000
_TAG = re.compile(r"<(/?)([a-zA-Z][\w:-]*)[^>]*?(/?)>")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}


def html_depth(raw: str, stop_at: int = MAX_HTML_DEPTH) -> int:
    """How deeply elements nest (a linear scan of the tags; stops counting at ``stop_at``)."""
    depth = deepest = 0
    for m in _TAG.finditer(raw):
        closing, name, self_closing = m.group(1), m.group(2).lower(), m.group(3)
        if name in _VOID or self_closing:
            continue
        depth = max(0, depth - 1) if closing else depth + 1
        if depth > deepest:
            deepest = depth
            if deepest > stop_at:
                break
    return deepest


def html_to_article(raw: str, source: str) -> Article:
    """Readable text and metadata (title, site name, canonical URL, date, author) from an HTML page.

    Raises:
        LoaderError: the page nests elements too deeply to parse safely, or has no readable text.
    """
    from bs4 import BeautifulSoup

    if html_depth(raw) > MAX_HTML_DEPTH:
        raise LoaderError(source, f"the page nests elements more than {MAX_HTML_DEPTH:,} levels deep; "
                                  "save it as plain text and retry")
    soup = BeautifulSoup(raw, "lxml")
    title = _meta(soup, "og:title", "twitter:title") or (soup.title.get_text(" ", strip=True) if soup.title else "")
    outlet = _meta(soup, "og:site_name", "application-name")
    published = _meta(soup, "article:published_time", "date", "pubdate", "dc.date")
    author = _meta(soup, "author", "article:author")
    url = _meta(soup, "og:url")
    canonical = soup.find("link", rel="canonical")
    if canonical and canonical.get("href"):
        url = str(canonical["href"]).strip()
    if not url.lower().startswith(("http://", "https://")):
        url = ""
    if not published:
        time_tag = soup.find("time", datetime=True)
        published = str(time_tag["datetime"]) if time_tag else ""
    for tag in soup(_DROP_TAGS):
        tag.decompose()
    for tag in soup.find_all(True):
        if tag.attrs is None:
            continue
        marker = " ".join(tag.get("class", []) or []) + " " + str(tag.get("id", "") or "") + " " + str(tag.get("role", "") or "")
        if tag.name not in ("html", "body", "main", "article") and _BOILERPLATE.search(marker):
            tag.decompose()
    root = soup.find("article") or soup.find("main") or soup.body or soup
    h1 = root.find("h1")
    if not title and h1:
        title = h1.get_text(" ", strip=True)
    if h1 is not None and title and h1.get_text(" ", strip=True) == title:
        h1.decompose()
    for tag in root.find_all(_BLOCK_TAGS):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    text = root.get_text("")
    text = "\n\n".join(" ".join(block.split()) for block in re.split(r"\n\s*\n", text) if block.strip())
    try:
        date = parse_date(published, source) if published else None
    except LoaderError:
        date = None  # a page's odd date format is not a reason to refuse its text
    return make_article(text=text, source=source, title=title, outlet=outlet, url=url, published=date, author=author)

