"""The ``qa-bot`` command line: parse arguments, call one library function, print."""

from __future__ import annotations

import json
import logging
import sys
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Optional

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from qa_bot.config import Settings
from qa_bot.errors import QABotError
from qa_bot.retrieval.filters import Filters

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Ask questions of news coverage and get answers that cite their sources.")
out = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)


def _fail(exc: QABotError | ValueError) -> None:
    """Print ``exc`` as one error line and exit with its code (2, a usage error, for a ``ValueError``)."""
    err.print(f"[red]error:[/red] {escape(str(exc))}")
    raise typer.Exit(getattr(exc, "exit_code", 2))


@contextmanager
def _progress(enabled: bool = True, on_demand: bool = False):
    """A rich progress bar on stderr, handed to the library as a ``progress(done, total, label)`` callback.

    With ``on_demand`` the bar is drawn only once the library reports progress (for work that
    usually does not happen, like the first-run build before ``ask``).
    """
    if not enabled:
        yield lambda done, total, label: None
        return
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   TimeRemainingColumn(), console=err, transient=False)
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


def make_bot():
    """The bot every command uses, configured from QA_BOT_* settings (tests substitute a fake)."""
    from qa_bot.bot import QABot

    return QABot()


def make_embedder():
    """The embedding model for evals (tests substitute a fake)."""
    from qa_bot.embeddings import make_embedder as build

    return build(Settings().embed_model)


def _bot(show_progress: bool = True):
    """The bot with its index open; says so when opening had to rebuild or repair the index."""
    bot = make_bot()
    with _progress(show_progress) as progress:
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


def _report_errors(errors) -> None:
    """One ``error:`` line on stderr per refused input."""
    for e in errors:
        err.print(f"[red]error:[/red] {escape(str(e))}")


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log what happens.")] = False) -> None:
    """Options for every command (the app's help text is the one given to ``typer.Typer``)."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")


@app.command()
def ingest(quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False) -> None:
    """Sync the corpus folder (QA_BOT_CORPUS_DIR) into the index: new and changed articles are
    embedded, deleted ones dropped. Articles added with `add` are kept."""
    try:
        bot = _bot(show_progress=not quiet)
        with _progress(not quiet) as progress:
            result = bot.ingest(progress)
    except QABotError as exc:
        _fail(exc)
    _report_errors(result.errors)
    stats = bot.stats()
    out.print(f"{escape(result.report.summary())}. Index: {stats['articles']} articles, {stats['chunks']} chunks.")
    if result.errors:
        raise typer.Exit(2)


@app.command()
def add(
    inputs: Annotated[list[str], typer.Argument(help="Files, folders, JSONL bulk files or http(s) URLs.")],
    json_out: Annotated[bool, typer.Option("--json", help="Print a JSON report.")] = False,
    log_added: Annotated[bool, typer.Option("--log-added", help="Print each article id as soon as it is committed.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Add documents to the index. Re-adding unchanged documents does nothing; changed ones are replaced.
    Inputs that cannot be read are reported one per line and the rest are still added."""
    committed = (lambda article_id, what: print(f"{what} {article_id}", flush=True)) if log_added else None
    try:
        bot = _bot(show_progress=not quiet)
        with _progress(not quiet) as progress:
            total = bot.add_inputs(inputs, progress, on_article=committed)
    except QABotError as exc:
        _fail(exc)
    _report_errors(total.errors)
    stats = bot.stats()
    if json_out:
        print(json.dumps({"added": total.report.added, "updated": total.report.updated,
                          "unchanged": total.report.unchanged, "chunks_written": total.report.chunks_written,
                          "errors": [str(e) for e in total.errors], "index": stats}, indent=2))
    else:
        out.print(f"{escape(total.report.summary())}. Index: {stats['articles']} articles, {stats['chunks']} chunks.")
    if total.errors:
        raise typer.Exit(2)


@app.command()
def remove(article_ids: Annotated[list[str], typer.Argument(help="Article ids (see `qa-bot list`).")]) -> None:
    """Delete articles and every chunk of them from the index."""
    try:
        bot = _bot()
        removed = bot.remove(*article_ids)
    except QABotError as exc:
        _fail(exc)
    out.print(f"Removed {len(removed)} article(s). Index: {bot.stats()['chunks']} chunks.")


@app.command("list")
def list_articles(json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the indexed articles: id, date, outlet, title, chunk count."""
    try:
        records = _bot().articles()
    except QABotError as exc:
        _fail(exc)
    if json_out:
        print(json.dumps([{"id": r.id, "title": r.article.title, "outlet": r.article.outlet,
                           "published": r.article.published.isoformat() if r.article.published else "",
                           "url": r.article.url, "chunks": r.n_chunks, "origin": r.origin,
                           "source": r.article.source} for r in records], indent=2, ensure_ascii=False))
        return
    table = Table("id", "published", "outlet", "title", "chunks", "origin", box=None)
    for r in records:
        a = r.article
        table.add_row(r.id, a.published.isoformat() if a.published else "", escape(a.outlet), escape(a.title),
                      str(r.n_chunks), r.origin)
    out.print(table)
    out.print(f"{len(records)} articles")


@app.command()
def show(article_id: str) -> None:
    """Print one article's metadata and full text."""
    try:
        record = _bot().article(article_id)
    except QABotError as exc:
        _fail(exc)
    a = record.article
    print(f"{a.title}\n{a.outlet} · {a.published or ''} · {a.url}\n\n{a.text}")


def _parse_day(value: Optional[str], name: str) -> date | None:
    """``--since``/``--until`` as a date (None when not given); anything but YYYY-MM-DD is a usage error."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a date; use YYYY-MM-DD", param_hint=name) from None


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="Your question, in quotes ('-' reads it from standard input).")],
    json_out: Annotated[bool, typer.Option("--json", help="Print the answer as JSON (see DESIGN.md).")] = False,
    k: Annotated[Optional[int], typer.Option("-k", "--top-k", help="Passages to retrieve.")] = None,
    outlet: Annotated[Optional[list[str]], typer.Option("--outlet", help="Only this outlet (repeatable).")] = None,
    since: Annotated[Optional[str], typer.Option(help="Only articles published on or after YYYY-MM-DD.")] = None,
    until: Annotated[Optional[str], typer.Option(help="Only articles published on or before YYYY-MM-DD.")] = None,
    llm: Annotated[Optional[str], typer.Option(
        "--llm", help="Answer with extractive, ollama:MODEL or openai:MODEL (default: QA_BOT_LLM). The server "
        "address comes from QA_BOT_LLM_BASE_URL, keys from the environment.")] = None,
) -> None:
    """Ask a question; the answer cites the passages it quotes, or says the coverage doesn't answer."""
    from qa_bot.answering.llm import parse_llm

    if question == "-":
        question = sys.stdin.read()
    try:
        filters = Filters(tuple(outlet or ()), _parse_day(since, "--since"), _parse_day(until, "--until"))
        parse_llm(llm)  # an unknown --llm is refused before the index opens
    except (ValueError, QABotError) as exc:
        _fail(exc)
    answerer = llm or None  # an empty --llm means the configured answerer, as no --llm does
    try:
        bot = _bot(show_progress=True)
        with _progress(on_demand=True) as progress:
            bot.ensure_indexed(progress, on_build=lambda folder: err.print(
                f"The index is empty: building it from {escape(str(folder))} first."))
        if json_out or not bot.uses_llm(answerer):
            answer, streamed = bot.ask(question, k=k, filters=filters, answerer=answerer), ""
        else:
            answer, streamed = _stream_answer(bot, question, k, filters, answerer)
    except QABotError as exc:
        _fail(exc)
    if json_out:
        print(json.dumps(answer.to_dict(), indent=2, ensure_ascii=False))
        return
    if streamed:
        _print_verification(answer, streamed)
    else:
        out.print(escape(answer.text))
        if answer.notice:
            err.print(f"[yellow]note:[/yellow] {escape(answer.notice)}")
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


def _stream_answer(bot, question: str, k, filters, answerer):
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


def _print_verification(answer, streamed: str) -> None:
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


@app.command("eval")
def eval_command(
    dataset: Annotated[Path, typer.Option("--dataset", help="Gold questions (JSONL).")] = Path("eval/summit_test.jsonl"),
    corpus: Annotated[Optional[Path], typer.Option(help="Corpus folder or JSONL (default: the corpus folder).")] = None,
    system: Annotated[str, typer.Option(help="qa-bot, or baseline (the textbook LangChain pipeline).")] = "qa-bot",
    k: Annotated[Optional[int], typer.Option("-k", "--top-k", help="Passages per question.")] = None,
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="Where to write run.json, summary.md, report.html.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the run as JSON on stdout.")] = False,
    baseline: Annotated[Optional[Path], typer.Option(help="A saved run.json to compare against.")] = None,
    limit: Annotated[Optional[int], typer.Option(help="Only the first N questions.")] = None,
    check: Annotated[bool, typer.Option("--check", help="Exit 1 when a metric misses its threshold.")] = False,
    thresholds: Annotated[Path, typer.Option(help="Thresholds TOML for --check.")] = Path("eval/thresholds.toml"),
    ablate: Annotated[str, typer.Option(help="Answer-quality steps to switch off (comma-separated): "
                                            "hybrid, rerank, speaker, question, followup, abstention.")] = "",
    llm: Annotated[Optional[str], typer.Option(
        "--llm", help="Answer with extractive, ollama:MODEL or openai:MODEL (default: QA_BOT_LLM).")] = None,
) -> None:
    """Run a gold question set and print retrieval, answer, citation and abstention metrics;
    write a JSON run, a Markdown summary and an HTML report with charts."""
    from qa_bot.evaluation import check_thresholds, compare, evaluate, load_thresholds
    from qa_bot.evaluation.report import label, write_reports
    from qa_bot.evaluation.runner import HEADLINE, format_metric

    settings = _settings(**({"ablate": ablate} if ablate else {}), **({"llm": llm} if llm is not None else {}))
    try:
        limits = load_thresholds(thresholds, dataset) if check else None
        saved = json.loads(baseline.read_text(encoding="utf-8"))["metrics"] if baseline else None
    except (OSError, ValueError, KeyError) as exc:
        _fail(ValueError(f"{baseline}: not a saved eval run ({exc.__class__.__name__})"))
    except QABotError as exc:
        _fail(exc)
    try:
        with _progress() as progress:
            run = evaluate(dataset, corpus=corpus, system=system, k=k, limit=limit, embedder=make_embedder(),
                           settings=settings, progress=progress)
    except QABotError as exc:
        _fail(exc)
    comparison = compare(run.metrics, saved) if saved else None
    target = out_dir or Path("eval") / "runs" / f"{datetime.now():%Y%m%d-%H%M%S}-{system}-{dataset.stem}"
    paths = write_reports(run, target, comparison)
    if json_out:
        print(json.dumps(run.to_dict(), indent=2, ensure_ascii=False, default=str))
    else:
        table = Table("metric", system if not comparison else "baseline run", *(["this run", "delta", ""] if comparison else []),
                      title=f"{system} on {dataset.name} ({run.metrics['questions']} questions)", box=None)
        if comparison:
            for row in comparison:
                delta = "" if row["delta"] is None else f"{row['delta']:+.3f}"
                table.add_row(label(row["metric"]), format_metric(row["baseline"]), format_metric(row["current"]),
                              delta, "[red]REGRESSION[/red]" if row["regression"] else "")
        else:
            for name in HEADLINE:
                table.add_row(label(name), format_metric(run.metrics.get(name)))
        out.print(table)
        types = Table("type", "n", "pass", "recall@5", "answer recall", "cit. precision", box=None)
        for t, m in sorted(run.by_type.items()):
            types.add_row(t, str(m["questions"]), *(format_metric(m[name]) for name in (
                "pass_rate", "evidence_recall_at_5", "answer_recall", "citation_precision")))
        out.print(types)
    err.print(f"wrote {paths['json']}, {paths['markdown']}, {paths['html']}")
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
    s = bot.settings
    stats = bot.stats()
    out.print(f"data dir:   {s.data_dir}\ncorpus dir: {s.corpus_dir}\nchroma:     "
              f"{f'{s.chroma_host}:{s.chroma_port}' if s.chroma_host else 'embedded'} ({s.collection})\n"
              f"model:      {s.embed_model}\narticles:   {stats['articles']}\nchunks:     {stats['chunks']}")


def run() -> None:
    """Entry point of the ``qa-bot`` console script."""
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)


if __name__ == "__main__":
    run()
