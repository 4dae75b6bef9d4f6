"""How a cited item (a timeline event, a speaker's statement) shows its sources: pure helpers, all escaped."""

from __future__ import annotations

from app_pages.markdown import escape_markdown, markdown_link
from qa_bot.models import Citation
from qa_bot.text.plural import plural


def sources_label(item) -> str:
    """The expander title for ``item.citations``: how many sources and which outlets (escaped: labels are
    Markdown)."""
    outlets = list(dict.fromkeys(c.outlet or "unknown outlet" for c in item.citations))
    shown = ", ".join(outlets[:3]) + (f" and {len(outlets) - 3} more" if len(outlets) > 3 else "")
    return escape_markdown(f"{plural(len(item.citations), 'source')}: {shown}")


def citation_markdown(c: Citation, with_id: bool = False) -> str:
    """``**[n]** Outlet · date · linked title`` (and the article id when ``with_id``), then the quote as a
    block quote, all escaped."""
    bits = [escape_markdown(b) for b in (c.outlet, c.published) if b]
    bits.append(markdown_link(c.title or "Untitled", c.url))
    if with_id:
        bits.append(f"id {escape_markdown(c.article_id)}")
    return f"**\\[{c.n}\\]** " + " · ".join(bits) + "\n\n> " + escape_markdown(" ".join(c.quote.split()))
