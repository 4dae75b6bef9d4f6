"""The corpus page's tables and messages: article rows and labels, what an add did, progress text."""

from __future__ import annotations

from collections.abc import Iterable

from app_pages.markdown import escape_markdown, safe_url


def article_rows(records: Iterable, query: str = "") -> list[dict]:
    """Table rows for the corpus manager, filtered by ``query`` (title, outlet, id, source or URL)."""
    q = query.strip().lower()
    rows = []
    for r in records:
        a = r.article
        row = {"title": a.title, "outlet": a.outlet, "published": a.published, "author": a.author, "chunks": r.n_chunks,
               "source": a.source or r.origin, "origin": r.origin, "url": safe_url(a.url), "id": a.id}
        if not q or any(q in str(v).lower() for v in (a.title, a.outlet, a.id, a.source, a.url, a.author)):
            rows.append(row)
    return rows


def article_label(article) -> str:
    """One line naming an article (plain text, for option lists): ``Title — Outlet, 2026-01-05``."""
    where = ", ".join(b for b in (article.outlet, article.published and article.published.isoformat()) if b)
    title = " ".join((article.title or "Untitled").split())
    return f"{title[:100]} — {where}" if where else title[:100]


def add_messages(result, limit: int = 5) -> list[tuple[str, str]]:
    """``(kind, Markdown)`` lines for an ``AddResult``: ``success``/``info`` per article (one summary
    line past ``limit`` articles) and one ``error`` per refused input, all escaped."""
    titles = {a.id: a.title for a in result.articles}
    report, out = result.report, []
    for kind, one, many, ids in (
            ("success", "Added “{}”.", "Added {:,} articles.", report.added),
            ("success", "Updated “{}”.", "Updated {:,} articles.", report.updated),
            ("info", "“{}” is already in the index, unchanged.",
             "{:,} articles were already in the index, unchanged.", report.unchanged)):
        if len(ids) > limit:
            out.append((kind, many.format(len(ids))))
        else:
            out += [(kind, one.format(escape_markdown(titles.get(aid) or aid))) for aid in ids]
    out += [("error", escape_markdown(str(err))) for err in result.errors]
    return out


def progress_state(done: int, total: int, label: str) -> tuple[float, str]:
    """A progress bar's fraction and text (escaped) for a ``progress(done, total, label)`` callback."""
    frac = min(1.0, max(0.0, done / total)) if total else 0.0
    return frac, escape_markdown(f"{label}: {done:,} of {total:,}" if total else label)
