"""The ``qa-bot watch`` command: keep adding new feed entries and new or changed files until stopped."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from qa_bot.errors import QABotError


def register(app, shell) -> None:
    """Add ``watch`` to ``app``."""

    @app.command()
    def watch(
        sources: Annotated[list[str], typer.Argument(metavar="FEED_OR_FOLDER", hidden=True, show_default=False)],
        every: Annotated[str, typer.Option("--every", metavar="INTERVAL",
                                           help="Time between rounds: 30s, 15m or 1h.")] = "15m",
        once: Annotated[bool, typer.Option("--once", help="Run one round, then exit (2 if anything failed).")] = False,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    ) -> None:
        """Add new feed entries and new or changed files until stopped.

        Each FEED_OR_FOLDER is an http(s) RSS/Atom feed URL or a folder (or file). Every round fetches each
        feed and adds its new entries, adds the folders' new and changed files, and prints one summary line.
        A source that fails is reported and tried again in the next round. Stop with Ctrl-C.
        """
        from qa_bot.ingest.watch import parse_interval
        from qa_bot.ingest.watch import watch as run_watch
        from qa_bot.terminal import progress_bar

        try:
            every_s = parse_interval(every)
        except ValueError as exc:
            shell.fail(exc)
        reports = []

        def print_round(report) -> None:
            reports.append(report)
            for error in report.errors:
                shell.err.print(f"[red]error:[/red] {escape(str(error))}")
            shell.out.print(escape(report.line()))

        try:
            bot = shell.bot(show_progress=not quiet)
            run_watch(bot, sources, every_s, once=once, on_round=print_round,
                      progress=lambda: progress_bar(shell.err, not quiet, on_demand=True))
        except KeyboardInterrupt:
            shell.err.print(f"stopped after {len(reports)} round(s)")
            raise typer.Exit(0) from None
        except (QABotError, ValueError) as exc:
            shell.fail(exc)
        if once and reports and reports[-1].errors:
            raise typer.Exit(2)
