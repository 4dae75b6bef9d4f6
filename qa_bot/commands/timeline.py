"""The ``qa-bot timeline`` command: the story's events in the order they happened, each cited."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Optional

import typer
from rich.markup import escape

from qa_bot.errors import InputError, QABotError
from qa_bot.text.plural import plural


def register(app, shell) -> None:
    """Add ``timeline`` to ``app``; the bot, consoles and failure exit come from ``shell``."""

    @app.command()
    def timeline(
        topic: Annotated[Optional[str], typer.Argument(metavar="TOPIC", hidden=True)] = None,
        since: Annotated[Optional[str], typer.Option(
            metavar="DATE", help="Only events on or after DATE (YYYY-MM-DD).")] = None,
        until: Annotated[Optional[str], typer.Option(
            metavar="DATE", help="Only events on or before DATE (YYYY-MM-DD).")] = None,
        json_out: Annotated[bool, typer.Option("--json", help="Print the timeline as JSON.")] = False,
    ) -> None:
        """The story's events in the order they happened, each cited.

        With TOPIC, only the events about it ("qa-bot timeline 'trade talks'"). Events from before the
        story's own window (its publication dates, give or take a few days) follow under "Earlier background".

        Dates are read from the sentences themselves ("on Monday", "last November") against each
        article's publication date; one event reported by several outlets is shown once, citing them all.
        """
        from qa_bot.news.timeline import build_timeline
        from qa_bot.terminal import progress_bar

        try:
            start, end = _day(since, "--since"), _day(until, "--until")
            bot = shell.bot(show_progress=True)
            with progress_bar(shell.err, on_demand=True) as progress:
                bot.ensure_indexed(progress, on_build=lambda folder: shell.err.print(
                    f"The index is empty: building it from {escape(str(folder))} first."))
            result = build_timeline(bot, topic=topic, since=start, until=end)
        except (QABotError, ValueError) as exc:
            shell.fail(exc)
        if json_out:
            print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
            return
        if not result.events:
            shell.err.print("No dated events" + (f" about {escape(repr(result.topic))}" if result.topic else "")
                            + (" in that date range" if start or end else "")
                            + ". Try a broader topic or range; `qa-bot list` shows what is indexed.")
            return
        story, background = (result.story, result.background) if result.story else (result.events, ())
        for event in story:
            _print_event(shell, event)
        if background:
            first = result.window[0]
            shell.out.print(f"[bold]Earlier background[/bold] ({plural(len(background), 'event')} before "
                            f"{first.day} {first:%B %Y}, the story's window)\n")
            for event in background:
                _print_event(shell, event)


def _print_event(shell, event) -> None:
    """One event: its date, its context (dim) and sentence with markers, one line per source."""
    markers = "".join(f"[{c.n}]" for c in event.citations)
    shell.out.print(f"[bold]{escape(event.label)}[/bold]")
    if event.context:
        shell.out.print(f"  [dim]{escape(event.context)}[/dim]")
    shell.out.print(f"  {escape(event.sentence)} {escape(markers)}")
    for c in event.citations:
        shell.out.print(f"    {escape(f'[{c.n}]')} {escape(c.outlet or 'unknown outlet')}, "
                        f"{escape(c.published or 'undated')}: {escape(c.title)}")
    shell.out.print()


def _day(value: Optional[str], name: str) -> date | None:
    """``--since``/``--until`` as a date (None when not given).

    Raises:
        InputError: anything but YYYY-MM-DD.
    """
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{name} {value!r} is not a date; use YYYY-MM-DD") from None
