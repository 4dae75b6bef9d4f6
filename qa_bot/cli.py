"""The ``qa-bot`` command line: parse arguments, call one library function, print."""

from __future__ import annotations

import importlib
import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape

from qa_bot.commands import Shell
from qa_bot.commands.usage import ClickException, PlainUsageCommand as _Command, show_usage_error
from qa_bot.config import ABLATIONS, Settings
from qa_bot.errors import QABotError
from qa_bot.retrieval.filters import Filters
from qa_bot.news.outlets import outlet_view
from qa_bot.terminal import (article_heading, describe_failure, parse_day, print_outlet_view, print_sources,
                             print_verification, progress_bar, report_errors, stream_answer)

# Plain help (rich_markup_mode=None): Typer's rich panels print a type tag such as <bool> beside every
# option, flags and --help included; plain help shows a flag as a flag and a value by its metavar.
app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False, rich_markup_mode=None,
                  help="Ask questions of news coverage and get answers that cite their sources.")
out = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)


def _fail(exc: QABotError | ValueError) -> None:
    """Print ``exc`` as one error line (then its candidates, one per line, if it has any) and exit with its
    code (2, a usage error, for a ``ValueError``)."""
    err.print(f"[red]error:[/red] {escape(str(exc))}")
    for line in getattr(exc, "candidates", ()):
        err.print(f"  {escape(line)}")
    raise typer.Exit(getattr(exc, "exit_code", 2))


def make_bot():
    """The bot every command uses, configured from QA_BOT_* settings (tests substitute a fake)."""
    from qa_bot.bot import QABot

    return QABot()


def make_embedder():
    """The embedding model for evals (tests substitute a fake)."""
    from qa_bot.inference.choice import embedder_for

    return embedder_for(Settings(), follow_index=False)


def _bot(show_progress: bool = True):
    """The bot with its index open; says so when opening had to rebuild or repair the index."""
    bot = make_bot()
    # On demand: opening reports progress only when it rebuilds or repairs; an idle bar prints a blank line.
    with progress_bar(err, show_progress, on_demand=True) as progress:
        recovery = bot.open(progress)
    if recovery.rebuilt:
        err.print(f"[yellow]note:[/yellow] the index was rebuilt ({escape(recovery.reason)}) in {recovery.seconds:.1f}s")
    elif recovery.repaired_articles or recovery.orphans_removed:
        err.print(f"[yellow]note:[/yellow] repaired an interrupted write ({recovery.repaired_articles} article(s) "
                  f"re-indexed, {recovery.orphans_removed} stray chunk(s) removed)")
    return bot


def _settings(**overrides):
    """Settings from ``QA_BOT_*`` with the command's options applied; an invalid option is a usage error."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        if not overrides:
            raise
        first = exc.errors()[0]
        _fail(ValueError(f"--{first['loc'][0] if first['loc'] else 'ablate'}: "
                         f"{first['msg'].removeprefix('Value error, ')}"))


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens.")] = False) -> None:
    """Options for every command (the app's help text is the one given to ``typer.Typer``)."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


@app.command()
def ingest(quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False) -> None:
    """Sync the corpus folder into the index.

    New and changed articles in the corpus folder (QA_BOT_CORPUS_DIR) are embedded, deleted ones are
    dropped. Articles added with `qa-bot add` are kept.
    """
    try:
        bot = _bot(show_progress=not quiet)
        with progress_bar(err, not quiet) as progress:
            result = bot.ingest(progress)
    except QABotError as exc:
        _fail(exc)
    report_errors(err, result.errors, result.report)
    stats = bot.stats()
    out.print(f"{escape(result.report.summary())}. Index: {stats['articles']} articles, {stats['chunks']} chunks.")
    if result.errors:
        raise typer.Exit(2)


@app.command(cls=_Command)
def add(
    inputs: Annotated[list[str], typer.Argument(metavar="INPUT", hidden=True, show_default=False)],
    json_out: Annotated[bool, typer.Option("--json", help="Print a JSON report.")] = False,
    log_added: Annotated[bool, typer.Option("--log-added", help="Print each article id as soon as it is committed.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Add files, folders, JSONL bulk files or web pages to the index.

    Each INPUT is a path or an http(s) URL. Re-adding an unchanged document does nothing; a changed one
    is replaced. An input that cannot be read gets one error line and the others are still added; the
    summary counts what was read, and is left out when nothing was.
    """
    committed = (lambda article_id, what: print(f"{what} {article_id}", flush=True)) if log_added else None
    try:
        bot = _bot(show_progress=not quiet)
        with progress_bar(err, not quiet, on_demand=True) as progress:  # no idle bar's blank line before errors
            total = bot.add_inputs(inputs, progress, on_article=committed)
    except QABotError as exc:
        _fail(exc)
    report_errors(err, total.errors, None if json_out else total.report)
    stats = bot.stats()
    if json_out:
        print(json.dumps({"added": total.report.added, "updated": total.report.updated,
                          "unchanged": total.report.unchanged, "duplicates": total.report.duplicates,
                          "conflicts": total.report.conflicts, "chunks_written": total.report.chunks_written,
                          "also_published": total.copies_json(),
                          "errors": [str(e) for e in total.errors], "index": stats}, indent=2))
    elif total.articles:  # no "0 added, 0 updated…" line when every input was refused
        out.print(f"{escape(total.summary())}. Index: {stats['articles']} articles, {stats['chunks']} chunks.")
    if total.errors:
        raise typer.Exit(2)


@app.command(cls=_Command)
def remove(article_ids: Annotated[list[str], typer.Argument(metavar="ID", hidden=True)]) -> None:
    """Delete articles and every chunk of them from the index.

    Each ID is an id from `qa-bot list` or the start of one (4 or more characters) that no other id has.
    Nothing is deleted when one of them is unknown.
    """
    try:
        bot = _bot()
        removed = bot.remove(*bot.resolve_ids(*article_ids))
    except QABotError as exc:
        _fail(exc)
    out.print(f"Removed {len(removed)} article(s). Index: {bot.stats()['chunks']} chunks.")


@app.command("list")
def list_articles(json_out: Annotated[bool, typer.Option("--json", help="Print every field as JSON.")] = False) -> None:
    """List the indexed articles, newest first.

    At a terminal: a table with whole ids (long titles are cut to fit). Piped or redirected: one article
    per line, tab-separated: id, published, outlet, title.
    """
    from qa_bot.terminal import article_record, articles_table, tsv_line

    try:
        records = _bot().articles()
    except QABotError as exc:
        _fail(exc)
    if json_out:
        print(json.dumps([article_record(r) for r in records], indent=2, ensure_ascii=False))
    elif _stdout_is_terminal():
        out.print(articles_table(records, out.width))
        out.print(f"{len(records)} articles")
    else:
        for r in records:
            print(tsv_line(r))


def _stdout_is_terminal() -> bool:
    """True when a person reads stdout (not FORCE_COLOR's notion of a terminal: a pipe stays a pipe)."""
    return sys.stdout.isatty()


@app.command(cls=_Command)
def show(article_id: Annotated[str, typer.Argument(metavar="ID", hidden=True)]) -> None:
    """Print one article's metadata and full text.

    ID is an id from `qa-bot list` or the start of one (4 or more characters) that no other id has.
    """
    try:
        bot = _bot()
        record = bot.article(*bot.resolve_ids(article_id))
    except QABotError as exc:
        _fail(exc)
    print(f"{article_heading(record.article, bot.also_published(record.id))}\n\n{record.article.text}")


@app.command(cls=_Command)
def ask(
    question: Annotated[str, typer.Argument(metavar="QUESTION", hidden=True)],
    json_out: Annotated[bool, typer.Option("--json", help="Print the answer as JSON (shape: see README).")] = False,
    k: Annotated[Optional[int], typer.Option("-k", "--top-k", metavar="N", help="Passages to retrieve.")] = None,
    outlet: Annotated[Optional[list[str]], typer.Option(
        "--outlet", metavar="NAME", help="Only this outlet (repeatable).")] = None,
    since: Annotated[Optional[str], typer.Option(metavar="DATE", help="Only articles published on or after DATE "
                                                                     "(YYYY-MM-DD).")] = None,
    until: Annotated[Optional[str], typer.Option(
        metavar="DATE", help="Only articles published on or before DATE.")] = None,
    llm: Annotated[Optional[str], typer.Option(
        "--llm", metavar="ANSWERER", help="Who answers: extractive, ollama:MODEL or openai:MODEL (default: "
        "QA_BOT_LLM). The server address comes from QA_BOT_LLM_BASE_URL, keys from the environment.")] = None,
    by_outlet: Annotated[bool, typer.Option("--by-outlet", help="Also one row per outlet: its best answering "
                                                                "sentence and date, or not reported (extractive).")] = False,
) -> None:
    """Ask a question of the indexed coverage.

    The answer cites the passages it quotes, or says the coverage doesn't answer. Put QUESTION in quotes,
    or give - to read it from standard input.
    """
    from qa_bot.answering.llm import parse_llm

    if question == "-":
        question = sys.stdin.read()
    try:
        filters = Filters(tuple(outlet or ()), parse_day(since, "--since"), parse_day(until, "--until"))
        parse_llm(llm)  # an unknown --llm is refused before the index opens
    except (ValueError, QABotError) as exc:
        _fail(exc)
    answerer = llm or None  # an empty --llm means the configured answerer, as no --llm does
    try:
        bot = _bot(show_progress=True)
        with progress_bar(err, on_demand=True) as progress:
            bot.ensure_indexed(progress, on_build=lambda folder: err.print(
                f"The index is empty: building it from {escape(str(folder))} first."))
        if by_outlet:
            return print_outlet_view(out, outlet_view(bot, question, k, filters), json_out)
        if json_out or not bot.uses_llm(answerer):
            answer, streamed = bot.ask(question, k=k, filters=filters, answerer=answerer), ""
        else:
            answer, streamed = stream_answer(out, bot, question, k, filters, answerer)
    except QABotError as exc:
        _fail(exc)
    if json_out:
        print(json.dumps(answer.to_dict(), indent=2, ensure_ascii=False))
        return
    if streamed:
        print_verification(out, err, answer, streamed)
    else:
        out.print(escape(answer.text))
        if answer.notice:
            err.print(f"[yellow]note:[/yellow] {escape(answer.notice)}")
    print_sources(out, answer)


@app.command("eval")
def eval_command(
    dataset: Annotated[Path, typer.Option("--dataset", metavar="FILE", help="Gold questions (JSONL).")] = Path(
        "eval/summit_test.jsonl"),
    corpus: Annotated[Optional[Path], typer.Option(
        metavar="PATH", help="Corpus folder or JSONL file (default: the corpus folder).")] = None,
    system: Annotated[str, typer.Option(
        metavar="NAME", help="qa-bot, or baseline (the textbook LangChain pipeline).")] = "qa-bot",
    k: Annotated[Optional[int], typer.Option("-k", "--top-k", metavar="N", help="Passages per question.")] = None,
    out_dir: Annotated[Optional[Path], typer.Option("--out", metavar="FOLDER", help="Where to write run.json, "
                                                    "summary.md and report.html (default: a new folder under "
                                                    "QA_BOT_DATA_DIR/eval-runs/).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the run as JSON on stdout.")] = False,
    baseline: Annotated[Optional[Path], typer.Option(
        metavar="FILE", help="A saved run.json to compare against.")] = None,
    limit: Annotated[Optional[int], typer.Option(metavar="N", help="Only the first N questions.")] = None,
    check: Annotated[bool, typer.Option("--check", help="Exit 1 when a metric misses its threshold.")] = False,
    thresholds: Annotated[Path, typer.Option(metavar="FILE", help="Thresholds TOML for --check.")] = Path(
        "eval/thresholds.toml"),
    ablate: Annotated[str, typer.Option(metavar="STEPS", help="Answer-quality steps to switch off, comma-separated: "
                                        f"{', '.join(ABLATIONS)}.")] = "",
    llm: Annotated[Optional[str], typer.Option(
        "--llm", metavar="ANSWERER", help="Who answers: extractive, ollama:MODEL or openai:MODEL (default: "
        "QA_BOT_LLM).")] = None,
) -> None:
    """Score the bot on a gold question set.

    Prints retrieval, answer, citation and abstention metrics, and writes a JSON run, a Markdown summary
    and an HTML report with charts.
    """
    from qa_bot.evaluation import check_thresholds, compare, evaluate, load_thresholds
    from qa_bot.evaluation.report import write_reports
    from qa_bot.evaluation.tables import default_run_dir, metric_tables

    settings = _settings(**({"ablate": ablate} if ablate else {}), **({"llm": llm} if llm is not None else {}))
    try:
        limits = load_thresholds(thresholds, dataset) if check else None
        saved = json.loads(baseline.read_text(encoding="utf-8"))["metrics"] if baseline else None
    except (OSError, ValueError, KeyError) as exc:
        _fail(ValueError(f"{baseline}: not a saved eval run ({exc.__class__.__name__})"))
    except QABotError as exc:
        _fail(exc)
    try:
        with progress_bar(err) as progress:
            run = evaluate(dataset, corpus=corpus, system=system, k=k, limit=limit, embedder=make_embedder(),
                           settings=settings, progress=progress)
    except QABotError as exc:
        _fail(exc)
    comparison = compare(run.metrics, saved) if saved else None
    target = out_dir.resolve() if out_dir else default_run_dir(settings, system, dataset)
    paths = write_reports(run, target, comparison)
    if json_out:
        print(json.dumps(run.to_dict(), indent=2, ensure_ascii=False, default=str))
    else:
        for table in metric_tables(run, system, dataset, comparison):
            out.print(table)
    err.print(f"wrote {', '.join(p.name for p in paths.values())} to {escape(str(target))}")
    if comparison and any(r["regression"] for r in comparison):
        err.print("[red]regressions against the baseline run (marked above)[/red]")
    failures = check_thresholds(run.metrics, *limits) if limits else []
    for line in failures:
        err.print(f"[red]threshold:[/red] {escape(line)}")
    if limits and not failures:
        err.print(f"all {len(limits[0]) + len(limits[1])} thresholds hold")
    if failures:
        raise typer.Exit(1)


@app.command()
def status() -> None:
    """Where the data lives and what is in the index."""
    try:
        bot = _bot()
    except QABotError as exc:
        _fail(exc)
    s, stats = bot.settings, bot.stats()
    joined = bot.store.joined  # another process (the app, `qa-bot serve`) owns the folder and serves its index
    chroma = f"{s.chroma_host}:{s.chroma_port}" if s.chroma_host else f"served at {joined.host}:{joined.port} by " \
        "the process that has this folder open (the app or `qa-bot serve`)" if joined else "embedded"
    out.print(f"data dir:   {s.data_dir}\ncorpus dir: {s.corpus_dir}\nchroma:     {chroma} ({s.collection})\n"
              f"model:      {s.embed_model} ({bot.embedder.name})\narticles:   {stats['articles']}\nchunks:     {stats['chunks']}")


def _register_commands() -> None:
    """Add the command modules of :mod:`qa_bot.commands` (each looks the bot up through the shell at call time)."""
    shell = Shell(bot=lambda show_progress=True: _bot(show_progress), fail=_fail, out=out, err=err)
    for module in COMMAND_MODULES:
        importlib.import_module(f"qa_bot.commands.{module}").register(app, shell)


COMMAND_MODULES: tuple[str, ...] = ("timeline", "said", "watch", "serve", "models")
_register_commands()


def run() -> None:
    """Entry point of the ``qa-bot`` console script: every failure ends as one line and an exit code."""
    try:  # not standalone: usage errors come back here (see show_usage_error); exit codes come back returned
        code = app(standalone_mode=False)
    except ClickException as exc:
        sys.exit(show_usage_error(exc))
    except typer.Abort:
        err.print("Aborted!")
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except QABotError as exc:  # raised outside a command's own handling (e.g. while closing)
        err.print(f"[red]error:[/red] {escape(str(exc))}")
        sys.exit(exc.exit_code)
    except Exception as exc:  # never a traceback: name the failure, say where to look
        logging.getLogger(__name__).debug("unexpected failure", exc_info=True)
        err.print(f"[red]error:[/red] {escape(describe_failure(exc))}")
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    run()
