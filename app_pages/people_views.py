"""The People page's text, and the chat page's outlet rows: pure functions (no Streamlit).

Corpus text — statements, quotes, names, titles, outlets — only ever reaches the page through
:func:`~app_pages.markdown.escape_markdown` and :func:`~app_pages.markdown.markdown_link`, or as plain
cells of a table (which Streamlit never renders as HTML or Markdown).
"""

from __future__ import annotations

from collections.abc import Sequence

from app_pages.cited_views import citation_markdown, sources_label  # noqa: F401 (the page's helpers)
from app_pages.markdown import escape_markdown
from qa_bot.text.plural import plural


def speaker_options(rows: Sequence[tuple[str, int]]) -> list[str]:
    """The speaker picker's entries, most quoted first: ``"Name (12)"``."""
    return [f"{name} ({count})" for name, count in rows]


def speaker_of_option(option: str | None, rows: Sequence[tuple[str, int]]) -> str:
    """The name behind a picker entry ("" for none)."""
    for name, count in rows:
        if option == f"{name} ({count})":
            return name
    return ""


def summary_text(result) -> str:
    """One line saying whose statements these are and how many (Markdown, escaped)."""
    about = f" about “{result.topic}”" if result.topic else ""
    if not result.groups:
        return escape_markdown(f"No statements by “{result.speaker}”{about} in the indexed coverage. "
                               "Pick a name from the list of speakers.")
    who = ", ".join(result.people)
    sources = {c.article_id for s in result.statements for c in s.citations}
    return escape_markdown(f"{who}: {plural(len(result.statements), 'statement')}{about} in "
                           f"{plural(len(result.groups), 'topic')}, from {plural(len(sources), 'article')}.")


def statement_markdown(statement, show_speaker: bool = False) -> str:
    """The statement, escaped, as its article words it (no quotation marks: reported speech is not a quote),
    with its kind and a ``[n]`` marker per citation."""
    markers = "".join(f"\\[{c.n}\\]" for c in statement.citations)
    who = f"{statement.speaker}, " if show_speaker else ""
    kind = "direct quote" if statement.kind == "quote" else "reported speech"
    return (f"{escape_markdown(statement.text)} **{markers}** "
            f":gray[({escape_markdown(who + kind)})]")






def outlet_rows(view) -> list[dict[str, str]]:
    """The chat page's outlet table: one plain-text row per outlet (cells are never rendered as HTML)."""
    return [{"Outlet": r.outlet, "Date(s)": ", ".join(r.dates) or "—", "Best answering sentence": r.sentence}
            for r in view.rows]
