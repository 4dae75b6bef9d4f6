"""The timeline page's text: date headings, event sentences with their markers, citation lines.

Pure functions (no Streamlit), so every rule about what reaches the screen is tested on its own.
Corpus text — sentences, quotes, titles, outlets — only ever reaches the page through
:func:`~app_pages.markdown.escape_markdown` and :func:`~app_pages.markdown.markdown_link`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from app_pages.cited_views import citation_markdown, sources_label  # noqa: F401 (the page's helpers)
from app_pages.markdown import escape_markdown
from qa_bot.text.plural import plural

#: How each granularity is described under a date heading.
PRECISION = {"day": "exact day", "month": "month only", "year": "year only"}


def day_groups(events: Sequence) -> list[tuple[str, str, list]]:
    """Consecutive events sharing a date and granularity: ``(label, granularity, events)`` in order."""
    groups: list[tuple[str, str, list]] = []
    for e in events:
        if groups and groups[-1][0] == e.label and groups[-1][1] == e.granularity:
            groups[-1][2].append(e)
        else:
            groups.append((e.label, e.granularity, [e]))
    return groups


def heading_markdown(label: str, granularity: str) -> str:
    """A date heading: the date as precisely as the sources give it, and how precise that is."""
    return f"{escape_markdown(label)} :gray[· {escape_markdown(PRECISION.get(granularity, granularity))}]"


def event_markdown(event) -> str:
    """The event's sentence, escaped, with a ``[n]`` marker per citation; a sentence opening with a pronoun
    comes after the sentence it depends on, in gray (context, not part of the quote)."""
    markers = "".join(f"\\[{c.n}\\]" for c in event.citations)
    context = f":gray[{escape_markdown(event.context)}] " if event.context else ""
    return f"{context}{escape_markdown(event.sentence)} **{markers}**"


def background_label(timeline) -> str:
    """The expander label of the events before the story's window (plain text)."""
    first = timeline.window[0] if timeline.window else None
    before = f" before {first.day} {first:%B %Y}" if first else ""
    return f"Earlier background: {plural(len(timeline.background), 'event')}{before}"






def summary_text(timeline) -> str:
    """One line saying what the timeline holds (Markdown, escaped)."""
    events = timeline.events
    if not events:
        what = f" about “{timeline.topic}”" if timeline.topic else ""
        return escape_markdown(f"No dated events{what} in this range. Try a broader topic or a wider range.")
    about = f" about “{timeline.topic}”" if timeline.topic else ""
    shown = timeline.story or events
    first, last = shown[0].label, shown[-1].label
    span = first if first == last else f"{first} to {last}"
    sources = {c.article_id for e in events for c in e.citations}
    folded = len(events) - len(shown)
    earlier = f" (and {plural(folded, 'earlier background event')})" if folded else ""
    return escape_markdown(f"{plural(len(shown), 'event')}{about}, {span}{earlier}, from "
                           f"{plural(len(sources), 'article')}.")


def range_error(since: date | None, until: date | None) -> str | None:
    """Why a date range cannot be used (plain text), or None when it can."""
    if since and until and since > until:
        return f"The start date ({since.isoformat()}) is after the end date ({until.isoformat()}): swap them."
    return None
