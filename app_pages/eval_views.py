"""The evals page's inputs and tables: bundled and uploaded gold sets, headline cards, per-type and
per-question rows."""

from __future__ import annotations

import math
from collections.abc import Iterable

# The bundled and uploaded gold sets are read by the library (the REST API reads them the same way).
from qa_bot.evaluation.dataset import bundled_gold_sets, read_gold_upload  # noqa: F401 (used by the evals page)


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
