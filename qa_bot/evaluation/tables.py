"""What ``qa-bot eval`` prints and where it writes: the metric tables, and the default run folder."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from rich.table import Table

from qa_bot.config import Settings
from qa_bot.evaluation.report import label
from qa_bot.evaluation.runner import HEADLINE, EvalRun, format_metric

#: The folder under the data directory that holds one folder per run written without ``--out``.
RUNS_FOLDER = "eval-runs"


def default_run_dir(settings: Settings, system: str, dataset: Path, now: datetime | None = None) -> Path:
    """Where a run goes when no folder is given: ``<data dir>/eval-runs/<stamp>-<system>-<dataset>``.

    The data directory, not the working folder: an installed qa-bot has no checkout to write into, and
    the runs sit beside the index they describe. The path is absolute, so the "wrote ..." line can be
    followed from anywhere.
    """
    stamp = f"{now or datetime.now():%Y%m%d-%H%M%S}"
    return (settings.data_dir / RUNS_FOLDER / f"{stamp}-{system}-{Path(dataset).stem}").resolve()


def metric_tables(run: EvalRun, system: str, dataset: Path, comparison: list[dict] | None = None) -> list[Table]:
    """The headline metrics (or, with ``comparison``, baseline vs this run with deltas) and the per-type table."""
    columns = ["baseline run", "this run", "delta", ""] if comparison else [system]
    table = Table("metric", *columns, title=f"{system} on {Path(dataset).name} ({run.metrics['questions']} questions)",
                  box=None)
    if comparison:
        for row in comparison:
            delta = "" if row["delta"] is None else f"{row['delta']:+.3f}"
            table.add_row(label(row["metric"]), format_metric(row["baseline"]), format_metric(row["current"]),
                          delta, "[red]REGRESSION[/red]" if row["regression"] else "")
    else:
        for name in HEADLINE:
            table.add_row(label(name), format_metric(run.metrics.get(name)))
    types = Table("type", "n", "pass", "recall@5", "answer recall", "cit. precision", box=None)
    for t, m in sorted(run.by_type.items()):
        types.add_row(t, str(m["questions"]), *(format_metric(m[name]) for name in (
            "pass_rate", "evidence_recall_at_5", "answer_recall", "citation_precision")))
    return [table, types]
