"""Eval reports: a Markdown summary and a self-contained HTML page with SVG charts.

The HTML uses no scripts and no external resources; every string from the corpus, the gold set
or an answer is escaped.
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path

from qa_bot.evaluation.runner import HEADLINE, EvalRun, format_metric

_LABELS = {
    "evidence_recall_at_1": "evidence recall@1", "evidence_recall_at_5": "evidence recall@5",
    "document_recall_at_1": "document recall@1", "document_recall_at_5": "document recall@5", "mrr": "MRR",
    "answer_recall": "answer recall", "token_f1": "token F1", "semantic_similarity": "semantic similarity",
    "citation_precision": "citation precision", "quote_precision": "quote precision",
    "citation_recall": "citation recall", "abstention_accuracy": "abstention accuracy (unanswerable)",
    "false_abstention_rate": "false abstention (answerable)", "abstention_balanced_accuracy": "abstention balanced acc.",
    "right_speaker": "right speaker (quote questions)", "pass_rate": "pass rate",
    "latency_p50_ms": "latency p50 (ms)", "latency_p95_ms": "latency p95 (ms)",
    "redundancy": "redundancy (same claim twice)", "short_answer_em": "short-answer exact match",
    "short_answer_f1": "short-answer F1", "answer_passage_recall_at_5": "answer-bearing passage recall@5",
    "answer_passage_recall_at_k": "answer-bearing passage recall@k", "disagreement_recall": "disagreement recall",
}


def label(name: str) -> str:
    """The human-readable label of a metric name."""
    return _LABELS.get(name, name.replace("_", " "))


def metric_rows(run: EvalRun) -> list[tuple[str, str]]:
    """``(label, formatted value)`` for each headline metric of ``run``."""
    return [(label(n), format_metric(run.metrics.get(n))) for n in HEADLINE]


def markdown_summary(run: EvalRun, comparison: list[dict] | None = None) -> str:
    """The run as Markdown: settings, headline metrics, per-type table, failures."""
    lines = [f"# Eval: {run.system} on {Path(run.dataset['path']).name or 'dataset'}", "",
             f"{run.dataset['questions']} questions · corpus {run.corpus['articles']} articles "
             f"(sha256 {run.corpus['sha256'][:12]}) · dataset sha256 {run.dataset['sha256'][:12]} · "
             f"{run.started_at} · {run.seconds:.1f}s", ""]
    lines += ["| metric | value |", "|---|---|"] + [f"| {k} | {v} |" for k, v in metric_rows(run)]
    types = sorted(run.by_type)
    cols = ["questions", "pass_rate", "evidence_recall_at_5", "answer_passage_recall_at_5", "answer_recall",
            "short_answer_em", "citation_precision", "redundancy", "disagreement_recall", "abstention_accuracy",
            "false_abstention_rate", "right_speaker", "latency_p50_ms"]
    lines += ["", "## By question type", "", "| type | " + " | ".join(label(c) for c in cols) + " |",
              "|---" * (len(cols) + 1) + "|"]
    for t in types:
        lines.append(f"| {t} | " + " | ".join(format_metric(run.by_type[t].get(c)) for c in cols) + " |")
    if comparison:
        lines += ["", "## Against the saved baseline run", "", "| metric | baseline | this run | delta | |",
                  "|---|---|---|---|---|"]
        for row in comparison:
            lines.append(f"| {label(row['metric'])} | {format_metric(row['baseline'])} | "
                         f"{format_metric(row['current'])} | {_delta(row['delta'])} | "
                         f"{'**REGRESSION**' if row['regression'] else ''} |")
    failed = [r for r in run.records if not r.passed]
    if failed:
        lines += ["", f"## Failed questions ({len(failed)})", ""]
        for r in failed[:50]:
            got = "abstained" if r.abstained else r.answer.replace("\n", " ")[:160]
            lines.append(f"- `{r.id}` ({r.type}) {r.question} — expected {r.references[:1]}; got: {got}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- SVG charts


def _bars(data: list[tuple[str, float]], title: str, width: int = 560, max_value: float = 1.0) -> str:
    row_h, left = 24, 170
    h = row_h * len(data) + 40
    parts = [f'<svg role="img" aria-label="{html.escape(title)}" width="{width}" height="{h}" '
             f'xmlns="http://www.w3.org/2000/svg"><text x="0" y="16" font-weight="bold">{html.escape(title)}</text>']
    for i, (name, value) in enumerate(data):
        y = 30 + i * row_h
        v = 0.0 if value is None or (isinstance(value, float) and math.isnan(value)) else value
        w = max(0.0, min(1.0, v / max_value)) * (width - left - 60)
        parts.append(f'<text x="0" y="{y + 14}">{html.escape(name)}</text>'
                     f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{row_h - 6}" fill="#4477aa"/>'
                     f'<text x="{left + w + 4:.1f}" y="{y + 14}">{html.escape(format_metric(value))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _histogram(values: list[float], title: str, bins: int = 20, width: int = 560, height: int = 180) -> str:
    if not values:
        return ""
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - lo) / span * bins))] += 1
    top = max(counts)
    bw = (width - 40) / bins
    parts = [f'<svg role="img" aria-label="{html.escape(title)}" width="{width}" height="{height + 40}" '
             f'xmlns="http://www.w3.org/2000/svg"><text x="0" y="16" font-weight="bold">{html.escape(title)}</text>']
    for i, c in enumerate(counts):
        bh = c / top * height if top else 0
        parts.append(f'<rect x="{20 + i * bw:.1f}" y="{20 + height - bh:.1f}" width="{bw - 2:.1f}" height="{bh:.1f}" '
                     f'fill="#66ccee"><title>{c}</title></rect>')
    parts.append(f'<text x="20" y="{height + 36}">{lo:.0f} ms</text>'
                 f'<text x="{width - 80}" y="{height + 36}">{hi:.0f} ms</text></svg>')
    return "".join(parts)


def _delta(value) -> str:
    return "" if value is None else f"{value:+.3f}"


def _form(record) -> str:
    """The record's short answer and stated disagreements, escaped, for the answer cell."""
    esc = html.escape
    parts = [f"<br><small>short answer: <b>{esc(record.short_answer)}</b></small>"] if record.short_answer else []
    for d in record.disagreements:
        stated = "; ".join(f"{esc(v['value'])} {esc(''.join(f'[{n}]' for n in v['citations']))}" for v in d["values"])
        parts.append(f"<br><small>outlets differ on {esc(d['about'])}: {stated}</small>")
    return "".join(parts)


def html_report(run: EvalRun, comparison: list[dict] | None = None) -> str:
    """A self-contained HTML report: metrics, charts, and the per-question table."""
    esc = html.escape
    by_type = sorted(run.by_type)
    charts = [
        _bars([(t, run.by_type[t].get("pass_rate")) for t in by_type], "Pass rate by question type"),
        _bars([(t, run.by_type[t].get("evidence_recall_at_5")) for t in by_type], "Evidence recall@5 by question type"),
        _bars([("citation precision", run.metrics.get("citation_precision")),
               ("quote precision", run.metrics.get("quote_precision")),
               ("citation recall", run.metrics.get("citation_recall"))], "Citations: precision and recall"),
        _bars([(label(n), run.metrics.get(n)) for n in ("redundancy", "short_answer_em", "short_answer_f1",
                                                         "disagreement_recall")], "The answer's form"),
        _histogram([r.latency_ms for r in run.records], "Latency per question"),
    ]
    rows = []
    for r in run.records:
        cites = "<br>".join(f"[{c['n']}] {esc(c['outlet'])} — {esc(c['quote'][:200])}"
                            f"{'' if c.get('correct') else ' ✗'}" for c in r.citations)
        rows.append(f"<tr class='{'pass' if r.passed else 'fail'}'><td>{esc(r.id)}</td><td>{esc(r.type)}</td>"
                    f"<td>{esc(r.question)}</td><td>{esc('; '.join(r.references))}</td>"
                    f"<td>{'<i>abstained</i>' if r.abstained else esc(r.answer) + _form(r)}</td><td>{cites}</td>"
                    f"<td>{'pass' if r.passed else 'FAIL'}</td><td>{r.latency_ms:.0f}</td></tr>")
    comp = ""
    if comparison:
        body = "".join(
            f"<tr><td>{esc(label(c['metric']))}</td><td>{format_metric(c['baseline'])}</td>"
            f"<td>{format_metric(c['current'])}</td>"
            f"<td>{_delta(c['delta'])}</td><td>{'REGRESSION' if c['regression'] else ''}</td></tr>" for c in comparison)
        comp = ("<h2>Against the saved baseline run</h2><table><tr><th>metric</th><th>baseline</th>"
                f"<th>this run</th><th>delta</th><th></th></tr>{body}</table>")
    metrics = "".join(f"<tr><td>{esc(k)}</td><td>{esc(v)}</td></tr>" for k, v in metric_rows(run))
    settings = esc(json.dumps(run.settings, default=str))
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>qa-bot eval: {esc(run.system)}</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:1200px}}table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:top;font-size:13px}}tr.fail td:nth-child(7){{color:#b00;font-weight:bold}}
.charts svg{{margin:1em 1em 1em 0;font-size:12px}}</style></head><body>
<h1>Eval: {esc(run.system)} on {esc(Path(run.dataset['path']).name)}</h1>
<p>{run.dataset['questions']} questions · {run.corpus['articles']} articles · {esc(run.started_at)} · {run.seconds:.1f}s</p>
<p><small>settings: {settings}</small></p>
<table><tr><th>metric</th><th>value</th></tr>{metrics}</table>{comp}
<div class="charts">{''.join(charts)}</div>
<h2>Questions</h2><table><tr><th>id</th><th>type</th><th>question</th><th>expected</th><th>answer</th><th>citations</th>
<th>result</th><th>ms</th></tr>{''.join(rows)}</table></body></html>"""


def write_reports(run: EvalRun, out_dir: Path, comparison: list[dict] | None = None) -> dict[str, Path]:
    """Write ``run.json``, ``summary.md`` and ``report.html`` into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"json": out_dir / "run.json", "markdown": out_dir / "summary.md", "html": out_dir / "report.html"}
    paths["json"].write_text(json.dumps(run.to_dict(), indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    paths["markdown"].write_text(markdown_summary(run, comparison), encoding="utf-8")
    paths["html"].write_text(html_report(run, comparison), encoding="utf-8")
    return paths
