"""The chat page's conversation: what goes back to the library (history, filters) and the exports."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timezone

from app_pages.markdown import export_escape, safe_url
from qa_bot.errors import InputError
from qa_bot.models import Answer
from qa_bot.retrieval.filters import Filters


def answered(turns: Iterable[dict]) -> list[dict]:
    """The turns that have an answer (a question that failed keeps its error instead, to be shown)."""
    return [t for t in turns if t.get("answer") is not None]


def history_for_library(turns: Iterable[dict]) -> list[dict[str, str]]:
    """Earlier turns as the library takes them; an abstention contributes its question only, a
    question that failed nothing."""
    return [{"question": t["question"], "answer": "" if t["answer"].abstained else t["answer"].text}
            for t in answered(turns)]


def conversation_json(turns: Sequence[dict], now: datetime | None = None) -> str:
    """The conversation as JSON: each turn's question and the ``ask --json`` shape of its answer."""
    stamp = (now or datetime.now(timezone.utc)).isoformat(timespec="seconds")
    return json.dumps({"exported_at": stamp,
                       "turns": [dict(t["answer"].to_dict(), question=t["question"]) for t in answered(turns)]},
                      ensure_ascii=False, indent=2)


def conversation_markdown(turns: Sequence[dict], now: datetime | None = None) -> str:
    """The conversation as a Markdown document a reader can use as it is: the answers with their
    citation markers (``[1]``) as written, and under each the sources it cites, numbered the same,
    their titles linked to the articles (safe http(s) addresses only), and the quotes."""
    stamp = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC")
    lines = ["# qa-bot conversation", "", f"Exported {stamp}.", ""]
    for i, t in enumerate(answered(turns), start=1):
        answer: Answer = t["answer"]
        lines += [f"## {i}. {export_escape(t['question'])}", "", export_escape(answer.text, markers=True), ""]
        if answer.citations:
            lines += ["Sources:", ""]
            for c in answer.citations:
                where = ", ".join(export_escape(b) for b in (c.outlet, c.published) if b)
                title = f"*{export_escape(c.title or 'Untitled')}*"
                if safe_url(c.url):
                    title = f"[{title}]({safe_url(c.url)})"
                lines += [f"- [{c.n}] {where + ': ' if where else ''}{title}", f"  > {export_escape(c.quote)}"]
            lines.append("")
        elif answer.abstained and answer.hits:
            lines += ["Closest passages:", ""]
            lines += [f"- {export_escape(h.passage.outlet)}: *{export_escape(h.passage.title)}*"
                      for h in answer.hits[:5]]
            lines.append("")
    return "\n".join(lines)


def make_filters(outlets: Sequence[str] = (), dates: Sequence[date | None] | date | None = ()) -> Filters:
    """Filters from the sidebar: chosen outlets and a ``(from, to)`` date range, either end possibly
    empty (``None``); a single date or a 1-tuple means from that day on."""
    if isinstance(dates, date):
        dates = (dates,)
    dates = tuple(dates or ())
    since = dates[0] if dates else None
    until = dates[1] if len(dates) > 1 else None
    try:
        return Filters(tuple(outlets), since, until)
    except ValueError as err:
        raise InputError(str(err)) from None
