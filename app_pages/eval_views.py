"""The evals page's inputs and tables: bundled and uploaded gold sets, headline cards, per-type and
per-question rows."""

from __future__ import annotations

import hashlib
import math
import tempfile
from collections.abc import Iterable
from pathlib import Path

from qa_bot.errors import InputError

#: The repository's ``eval/`` folder, where the bundled gold sets live.
EVAL_DIR = Path(__file__).resolve().parent.parent / "eval"


def bundled_gold_sets(folder: Path = EVAL_DIR) -> list[Path]:
    """The gold sets shipped in ``eval/`` (they may be added while the app runs)."""
    return sorted(p for p in Path(folder).glob("*.jsonl") if p.is_file()) if Path(folder).is_dir() else []


def read_gold_upload(data: bytes, filename: str, folder: Path | None = None):
    """Validate an uploaded gold set; returns ``(path, items)``.

    The bytes are saved under a name made from their hash (never the uploaded name) so the run
    can hash the file like any other dataset.

    Raises:
        InputError: not UTF-8 JSONL, or a bad item (message names the line, not the temp path).
    """
    from qa_bot.evaluation.dataset import load_gold

    digest = hashlib.sha256(data).hexdigest()[:16]
    folder = Path(folder or tempfile.gettempdir()) / "qa-bot-gold-uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"gold-{digest}.jsonl"
    path.write_bytes(data)
    display = Path(str(filename).replace("\\", "/")).name or "upload.jsonl"
    try:
        return path, load_gold(path)
    except InputError as err:
        raise InputError(str(err).replace(str(path), display)) from None


#: Headline metrics shown on the evals page: key, label, format ("pct" or "ms").
HEADLINE = (("pass_rate", "Pass rate", "pct"), ("answer_recall", "Answer recall", "pct"),
            ("citation_precision", "Citation precision", "pct"), ("evidence_recall_at_5", "Evidence recall@5", "pct"),
            ("abstention_accuracy", "Abstention accuracy", "pct"),
            ("false_abstention_rate", "False abstentions", "pct"), ("latency_p50_ms", "Latency p50", "ms"),
            ("latency_p95_ms", "Latency p95", "ms"), ("short_answer_em", "Short-answer exact match", "pct"),
            ("answer_passage_recall_at_5", "Answer-bearing passage recall@5", "pct"),
            ("redundancy", "Redundant answers", "pct"), ("disagreement_recall", "Disagreement recall", "pct"))
BY_TYPE_METRICS = (("pass_rate", "pass rate"), ("answer_recall", "answer recall"),
                   ("citation_precision", "citation precision"))


def format_headline_value(value, kind: str) -> str:
    """``83.0%``, ``41 ms`` or ``n/a`` for a missing or NaN value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value * 100:.1f}%" if kind == "pct" else f"{value:,.0f} ms"


def headline_metrics(metrics: dict) -> list[tuple[str, str]]:
    """``(label, formatted value)`` for the headline metrics."""
    return [(label, format_headline_value(metrics.get(key), kind)) for key, label, kind in HEADLINE]


def by_type_rows(by_type: dict[str, dict]) -> list[dict]:
    """Long-form rows ``{type, metric, value, questions}`` for the per-question-type chart (NaN dropped)."""
    rows = []
    for kind, m in sorted(by_type.items()):
        for key, label in BY_TYPE_METRICS:
            value = m.get(key)
            if value is not None and not (isinstance(value, float) and math.isnan(value)):
                rows.append({"type": kind, "metric": label, "value": float(value), "questions": m.get("questions", 0)})
    return rows


def record_rows(records: Iterable, failures_only: bool = False) -> list[dict]:
    """Per-question table rows: question, expected, answer, citations, pass/fail, latency."""
    rows = []
    for r in records:
        if failures_only and r.passed:
            continue
        expected = " | ".join(r.references) if r.answerable else "(should abstain)"
        cites = "; ".join(f"[{c['n']}] {c.get('outlet', '')}: {c.get('title', '')}" for c in r.citations)
        rows.append({"id": r.id, "type": r.type, "question": r.question, "expected": expected,
                     "answer": "(abstained)" if r.abstained else r.answer, "citations": cites,
                     "result": "pass" if r.passed else "fail", "latency_ms": round(r.latency_ms, 1)})
    return rows
