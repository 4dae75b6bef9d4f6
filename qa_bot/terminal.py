"""What the ``qa-bot`` command line draws: progress bars, and the article list for a person, a pipe or a program.

Ids are never shortened in any layout of the list: ``qa-bot show`` and ``qa-bot remove`` take them
back, and a cut id would not resolve. At a narrow terminal the title gives way instead.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Optional

import typer

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from qa_bot.progress import Progress as ProgressCallback

from qa_bot.storage.registry import ArticleRecord

#: The fields of a tab-separated line, in order (the title last: it is the free text).
TSV_FIELDS = ("id", "published", "outlet", "title")
#: The fewest title characters a table row shows before it drops other columns to make room.
MIN_TITLE = 24
_GAP = 2


@contextmanager
def progress_bar(console: Console, enabled: bool = True, on_demand: bool = False) -> Iterator[ProgressCallback]:
    """A rich progress bar on ``console``, handed to the library as a ``progress(done, total, label)`` callback.

    With ``on_demand`` the bar is drawn only once the library reports progress (for work that
    usually does not happen, like the first-run build before ``ask``).
    """
    if not enabled:
        yield lambda done, total, label: None
        return
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   TimeRemainingColumn(), console=console, transient=False)
    tasks: dict[str, int] = {}

    def update(done: int, total: int, label: str) -> None:
        if not bar.live.is_started:
            bar.start()
        if label not in tasks:
            tasks[label] = bar.add_task(label, total=total or None)
        bar.update(tasks[label], completed=done, total=total or None)

    if not on_demand:
        bar.start()
    try:
        yield update
    finally:
        if bar.live.is_started:
            bar.stop()


def printable(text: str) -> str:
    """``text`` without control and format characters (bidirectional overrides, zero-width marks), which
    could make what a terminal shows differ from what is stored."""
    return "".join(ch for ch in text if ch == " " or unicodedata.category(ch) not in ("Cc", "Cf"))


def article_record(record: ArticleRecord) -> dict:
    """One article's metadata as ``qa-bot list --json`` prints it (everything but the text)."""
    a = record.article
    return {"id": a.id, "title": a.title, "outlet": a.outlet,
            "published": a.published.isoformat() if a.published else "", "url": a.url, "author": a.author,
            "chunks": record.n_chunks, "origin": record.origin, "source": a.source}


def article_heading(article, copies: Iterable[tuple[str, str, str]] = ()) -> str:
    """The title and byline ``qa-bot show`` prints: outlet · date · by author · url (only the parts the
    article has, so no separator dangles), then one line per ``(outlet, url, published)`` copy."""
    parts = (article.outlet, article.published, f"by {article.author}" if article.author else "", article.url)
    lines = [article.title, " · ".join(str(p) for p in parts if p)]
    lines += [f"also published by {' · '.join(p for p in (o or '?', d, u) if p)}" for o, u, d in copies]
    return "\n".join(line for line in lines if line)


def tsv_line(record: ArticleRecord) -> str:
    """One article as a tab-separated line of :data:`TSV_FIELDS`, for ``cut``, ``grep`` and ``awk``.

    Tabs and line breaks inside a field become spaces, so one article is always one line.
    """
    values = article_record(record)
    return "\t".join(" ".join(printable(str(values[name])).split()) for name in TSV_FIELDS)


def articles_table(records: Iterable[ArticleRecord], width: int) -> Table:
    """The articles as a table ``width`` characters wide, one line each: ids whole, long titles cut with "…".

    When the title would get fewer than :data:`MIN_TITLE` characters, the origin, chunk-count, outlet and
    date columns are left out, in that order (``--json`` has them all).
    """
    rows = list(records)
    widths = {"id": max((len(r.id) for r in rows), default=2), "published": 10,
              "outlet": min(18, max([len("outlet"), *(len(r.article.outlet) for r in rows)])),
              "title": 0, "chunks": 6, "origin": 6}
    for optional in ("origin", "chunks", "outlet", "published", None):
        room = width - sum(widths.values()) - _GAP * (len(widths) - 1)
        if room >= MIN_TITLE or optional is None:
            break
        del widths[optional]
    widths["title"] = max(room, MIN_TITLE)
    # A fixed total width, so that a terminal narrower than the minimum cuts the ends of lines (titles)
    # instead of the table squeezing every column, ids included.
    table = Table(box=None, padding=(0, _GAP, 0, 0), pad_edge=False, show_edge=False,
                  width=sum(widths.values()) + _GAP * (len(widths) - 1))
    for name, column_width in widths.items():
        table.add_column(name, width=column_width, no_wrap=True, overflow="ellipsis",
                         justify="right" if name == "chunks" else "left")
    for r in rows:
        a = r.article
        cells = {"id": r.id, "published": a.published.isoformat() if a.published else "", "outlet": a.outlet,
                 "title": a.title, "chunks": str(r.n_chunks), "origin": r.origin}
        table.add_row(*(Text(printable(cells[name])) for name in widths))
    return table


def describe_failure(exc: BaseException) -> str:
    """One line for a failure no command foresaw: what failed and where, without a traceback."""
    import sqlite3

    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return (f"{where}{exc.strerror or exc}; check that the path exists, that you may use it and that the disk "
                "has space, then retry")
    if isinstance(exc, sqlite3.DatabaseError):
        return (f"the registry database failed ({exc}); run `qa-bot status` — a damaged registry is rebuilt "
                "from the corpus folder and the kept added articles")
    return f"{type(exc).__name__}: {str(exc)[:200]} (run with -v for details; please report it)"


def stream_answer(out: Console, bot, question: str, k, filters, answerer):
    """Print the model's words as they arrive; return the verified answer and what was printed."""
    from qa_bot.models import Answer

    printed: list[str] = []
    answer = None
    for item in bot.stream(question, k=k, filters=filters, answerer=answerer):
        if isinstance(item, Answer):
            answer = item
        else:
            printed.append(item)
            out.print(escape(item), end="")
    if printed:
        out.print()
    return answer, "".join(printed)


def print_verification(out: Console, err: Console, answer, streamed: str) -> None:
    """After a streamed answer: the checked result, then the sources."""
    if answer.notice:
        err.print(f"[yellow]note:[/yellow] {escape(answer.notice)}")
    if answer.text.strip() != streamed.strip():
        out.print(f"\n[bold]Checked answer[/bold] ({escape(answer.answerer)}):")
        out.print(escape(answer.text))
    unsupported = [s for s in answer.sentences if not s.supported]
    if unsupported and not answer.abstained:
        out.print(f"\n[yellow]Not supported by the passages it cites ({len(unsupported)}):[/yellow]")
        for s in unsupported:
            out.print(f"  ✗ {escape(s.text)}")


def print_sources(out: Console, answer) -> None:
    """After an answer: its citations with their exact quotes, or (when it abstained) the closest passages."""
    if answer.citations:
        out.print()
        for c in answer.citations:
            out.print(f"[bold][{c.n}][/bold] {escape(c.outlet)}, {c.published} — {escape(c.title)}")
            out.print(f"    “{escape(c.quote)}”")
            if c.url:
                out.print(f"    {escape(c.url)}")
    elif answer.abstained and answer.hits:
        out.print("\nClosest passages:")
        for h in answer.hits[:3]:
            p = h.passage
            out.print(f"  - {escape(p.outlet)}, {p.published} — {escape(p.title)}: {escape(p.text[:160])}…")


def print_outlet_view(out: Console, view, json_out: bool = False) -> None:
    """``ask --by-outlet``: the answer, its disagreement block, then one row per outlet (see :mod:`qa_bot.news.outlets`)."""
    if json_out:
        import json

        print(json.dumps(view.to_dict(), indent=2, ensure_ascii=False))
        return
    out.print(escape(view.answer.text))
    for d in view.disagreements:
        values = "; ".join(f"{v.value} {''.join(f'[{n}]' for n in v.citations)}" for v in d.values)
        out.print(f"[yellow]Sources differ on {escape(d.about)}:[/yellow] {escape(values)}")
    print_sources(out, view.answer)
    table = Table("Outlet", "Date(s)", "Best answering sentence", show_lines=True)
    for row in view.rows:
        sentence = Text(row.sentence) if row.reported else Text(row.sentence, style="dim italic")
        table.add_row(Text(row.outlet), Text(", ".join(row.dates) or "—"), sentence)
    out.print()
    out.print(table)


def report_errors(err: Console, errors, report=None) -> None:
    """One ``error:`` line on stderr per refused input; then a ``note:`` per duplicate or kept collision."""
    for e in errors:
        err.print(f"[red]error:[/red] {escape(str(e))}")
    if report is not None:
        for line in report.conflicts:
            err.print(f"[yellow]warning:[/yellow] {escape(line)}")
        for article_id in dict.fromkeys(report.duplicates):
            err.print(f"[yellow]note:[/yellow] article {article_id} appears more than once in the input; "
                      "the first copy was used")


def parse_day(value: Optional[str], name: str) -> date | None:
    """``--since``/``--until`` as a date (None when not given); anything but YYYY-MM-DD is a usage error."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD", param_hint=name) from None
