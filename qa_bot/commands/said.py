"""The ``qa-bot said`` command: what a person said, by topic, each statement cited; or who is quoted."""

from __future__ import annotations

import json
from typing import Annotated, Optional

import typer
from rich.markup import escape

from qa_bot.errors import QABotError


def register(app, shell) -> None:
    """Add ``said`` to ``app``; the bot, consoles and failure exit come from ``shell``."""

    @app.command()
    def said(
        speaker: Annotated[Optional[str], typer.Argument(metavar="SPEAKER", hidden=True)] = None,
        topic: Annotated[Optional[str], typer.Argument(metavar="TOPIC", hidden=True)] = None,
        list_speakers: Annotated[bool, typer.Option("--list", help="List everyone the coverage quotes, "
                                                                   "with how many sentences quote them.")] = False,
        json_out: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    ) -> None:
        """Who said what: a person's statements by topic, each cited.

        Every statement the coverage attributes to SPEAKER (a name as the coverage writes it), direct quotes
        and reported speech, about TOPIC if given. Each statement quotes its sentence exactly and cites every outlet that reports it. Names match in
        full: "Kim Min-jun" never returns another Kim (give just "Kim" for all of them). Roles ("the foreign
        minister said") count for the person the same article names with that role. With no SPEAKER, or
        with --list, prints the speakers the coverage quotes and how many sentences quote each.
        """
        from qa_bot.news.said import speakers, statements
        from qa_bot.terminal import progress_bar

        try:
            bot = shell.bot(show_progress=True)
            with progress_bar(shell.err, on_demand=True) as progress:
                bot.ensure_indexed(progress, on_build=lambda folder: shell.err.print(
                    f"The index is empty: building it from {escape(str(folder))} first."))
            if list_speakers or speaker is None:
                rows = speakers(bot)
            else:
                result = statements(bot, speaker, topic)
        except (QABotError, ValueError) as exc:
            shell.fail(exc)
        if list_speakers or speaker is None:
            if json_out:
                print(json.dumps([{"name": n, "count": c} for n, c in rows], indent=2, ensure_ascii=False))
            elif not rows:
                shell.err.print("Nobody is quoted in the indexed coverage; `qa-bot list` shows what is indexed.")
            for name, count in [] if json_out else rows:
                shell.out.print(f"{count:>5}  {escape(name)}")
            return
        if json_out:
            print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
            return
        if not result.groups:
            shell.err.print(f"No statements by {escape(repr(result.speaker))}"
                            + (f" about {escape(repr(result.topic))}" if result.topic else "")
                            + " in the indexed coverage. `qa-bot said --list` shows who is quoted.")
            return
        shell.out.print(f"[bold]{escape(', '.join(result.people))}[/bold]: "
                        f"{len(result.statements)} statement(s)")
        for group in result.groups:
            shell.out.print(f"\n[bold]{escape(group.label)}[/bold]")
            for s in group.statements:
                shell.out.print(f"  {escape(s.text)} ({s.kind}{escape(', ' + s.speaker) if len(result.people) > 1 else ''})")
                for c in s.citations:
                    shell.out.print(f"    {escape(f'[{c.n}]')} {escape(c.outlet or 'unknown outlet')}, "
                                    f"{escape(c.published or 'undated')}: {escape(c.title)} ({escape(c.article_id)})")
