"""The eval runner: ask every gold question, score it, aggregate, compare, gate."""

from __future__ import annotations

import math
import platform
import time
import tomllib
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from qa_bot.errors import InputError
from qa_bot.evaluation import metrics as M
from qa_bot.evaluation.dataset import GoldItem, file_sha256
from qa_bot.evaluation.systems import System
from qa_bot.models import Answer
from qa_bot.progress import Progress, no_progress
from qa_bot.text.markers import strip_markers
from qa_bot.understanding.attribution import speaker_named

SCHEMA = "qa-bot-eval/1"
#: Metrics where lower is better (everything else: higher is better).
LOWER_IS_BETTER = {"false_abstention_rate", "redundancy", "latency_p50_ms", "latency_p95_ms"}
#: The metrics of the terminal table, the reports' metric table and the ``--baseline`` comparison, in order.
#: A saved run without one of them (older runs lack the answer-form metrics) compares as n/a, never a regression.
HEADLINE = ["evidence_recall_at_1", "evidence_recall_at_5", "document_recall_at_1", "document_recall_at_5", "mrr",
            "answer_passage_recall_at_5", "answer_recall", "token_f1", "semantic_similarity", "short_answer_em",
            "short_answer_f1", "citation_precision", "quote_precision", "citation_recall", "redundancy",
            "disagreement_recall", "abstention_accuracy", "false_abstention_rate", "abstention_balanced_accuracy",
            "right_speaker", "pass_rate", "latency_p50_ms", "latency_p95_ms"]


@dataclass
class QuestionRecord:
    """Everything measured for one question."""

    id: str
    type: str
    question: str
    references: list[str]
    answerable: bool
    answer: str
    abstained: bool
    citations: list[dict]
    passages: list[dict]
    scores: dict[str, float | None]
    passed: bool
    latency_ms: float
    condensed_question: str = ""
    short_answer: str = ""
    disagreements: list[dict] = field(default_factory=list)


@dataclass
class EvalRun:
    """A complete run: settings, hashes, aggregate metrics, per-type breakdown and per-question records."""

    system: str
    dataset: dict
    corpus: dict
    settings: dict
    versions: dict
    metrics: dict[str, float]
    by_type: dict[str, dict[str, float]]
    records: list[QuestionRecord] = field(default_factory=list)
    schema: str = SCHEMA
    started_at: str = ""
    seconds: float = 0.0

    def to_dict(self) -> dict:
        """The run as JSON-ready data (the shape of ``eval/run.schema.json``; NaN becomes null)."""
        out = asdict(self)
        out["metrics"] = _finite(self.metrics)
        out["by_type"] = {t: _finite(m) for t, m in self.by_type.items()}
        return out


def _finite(d: dict) -> dict:
    return {k: (None if isinstance(v, float) and math.isnan(v) else (round(v, 4) if isinstance(v, float) else v))
            for k, v in d.items()}


def _passages(answer: Answer) -> list[tuple[str, int, int, str]]:
    return [(h.passage.article_id, h.passage.start, h.passage.end, h.passage.text) for h in answer.hits]


def score_answer(item: GoldItem, answer: Answer, spans: list[M.Span], k: int,
                 similarity: float | None) -> tuple[dict[str, float | None], list[bool], bool]:
    """Per-question scores (see :mod:`qa_bot.evaluation.metrics`), citation correctness, pass/fail."""
    passages = _passages(answer)
    short_refs = [r for r in item.answers if M.is_short(r)]
    scores: dict[str, float | None] = {}
    if item.answerable:
        has_evidence = bool(spans)
        if has_evidence:
            scores["recall_at_1"] = M.recall_at_k(passages, spans, 1)
            scores["recall_at_5"] = M.recall_at_k(passages, spans, 5)
            scores["recall_at_k"] = M.recall_at_k(passages, spans, k)
            scores["mrr"] = M.reciprocal_rank(passages, spans)
            docs = [s.article_id for s in spans]
            scores["doc_recall_at_1"] = M.document_recall_at_k(passages, docs, 1)
            scores["doc_recall_at_5"] = M.document_recall_at_k(passages, docs, 5)
        text = strip_markers(answer.text) if not answer.abstained else ""
        scores["answer_recall"] = float(M.contains_answer(text, short_refs)) if short_refs else None
        scores["token_f1"] = M.best_f1(text, item.answers) if item.answers else None
        scores["semantic_similarity"] = similarity
        scores["abstained"] = float(answer.abstained)
        scores.update(_answer_form_scores(item, answer, passages, spans, short_refs, k))
    else:
        scores["abstained"] = float(answer.abstained)
    if not answer.abstained:
        scores["redundant"] = float(M.is_redundant(answer.text))
    correct: list[bool] = []
    for c in answer.citations:
        passage_hit = next((h for h in answer.hits if h.passage.chunk_id == c.chunk_id), None)
        p_text = passage_hit.passage.text if passage_hit else c.quote
        p_start = passage_hit.passage.start if passage_hit else c.start
        p_end = passage_hit.passage.end if passage_hit else c.end
        by_passage = any(M.passage_finds(c.article_id, p_start, p_end, p_text, s) for s in spans) or \
            M.contains_answer(p_text, short_refs)
        correct.append(by_passage)
    if item.answerable and not answer.abstained and answer.citations:
        scores["citation_precision"] = sum(correct) / len(correct)
        quote_ok = [any(M.passage_finds(c.article_id, c.start, c.end, c.quote, s) for s in spans if s.located) or
                    M.contains_answer(c.quote, short_refs) for c in answer.citations]
        scores["quote_precision"] = sum(quote_ok) / len(quote_ok)
        quotes = {c.n: c.quote for c in answer.citations}
        sentences = answer.sentences or ()
        if sentences:
            scores["citation_recall"] = sum(
                M.sentence_supported(s.text, [quotes[n] for n in s.citations if n in quotes]) for s in sentences
            ) / len(sentences)
    if item.type == "quote" and item.speaker:
        first = answer.citations[0] if answer.citations and not answer.abstained else None
        scores["right_speaker"] = float(bool(first) and (
            any(M.passage_finds(first.article_id, first.start, first.end, first.quote, s) for s in spans if s.located)
            or speaker_named(first.quote, item.speaker)))
    if item.answerable:
        if answer.abstained:
            passed = False
        elif short_refs:
            passed = bool(scores.get("answer_recall"))
        else:
            passed = bool(scores.get("citation_precision"))
    else:
        passed = answer.abstained
    return scores, correct, passed


def _answer_form_scores(item: GoldItem, answer: Answer, passages: list[tuple[str, int, int, str]],
                        spans: list[M.Span], short_refs: list[str], k: int) -> dict[str, float | None]:
    """The answerable question's short-answer, answer-bearing-passage and disagreement scores."""
    scores: dict[str, float | None] = {}
    if short_refs:
        span = answer.short_answer.text if answer.short_answer and not answer.abstained else None
        scores["short_answer_em"], scores["short_answer_f1"] = M.short_answer_scores(span, short_refs)
    if short_refs or any(s.quote for s in spans):
        scores["answer_passage_recall_at_5"] = M.answer_passage_recall_at_k(passages, spans, short_refs, 5)
        scores["answer_passage_recall_at_k"] = M.answer_passage_recall_at_k(passages, spans, short_refs, k)
    values = M.reference_values(item.answers)
    if item.type == "multi" and len(values) >= 2:
        stated = [[v.value for v in d.values] for d in answer.disagreements] if not answer.abstained else []
        scores["disagreement_recall"] = float(M.disagreement_found(stated, values))
    return scores


def aggregate(records: list[QuestionRecord]) -> dict[str, float]:
    """Headline metrics over a list of question records."""
    ans = [r for r in records if r.answerable]
    una = [r for r in records if not r.answerable]

    def avg(rows, key):
        return M.mean(r.scores.get(key) for r in rows)

    abstain_acc = M.mean(r.scores["abstained"] for r in una)
    false_abstain = M.mean(r.scores["abstained"] for r in ans)
    latencies = [r.latency_ms for r in records]
    out = {
        "questions": len(records), "answerable": len(ans), "unanswerable": len(una),
        "evidence_recall_at_1": avg(ans, "recall_at_1"), "evidence_recall_at_5": avg(ans, "recall_at_5"),
        "evidence_recall_at_k": avg(ans, "recall_at_k"), "mrr": avg(ans, "mrr"),
        "document_recall_at_1": avg(ans, "doc_recall_at_1"), "document_recall_at_5": avg(ans, "doc_recall_at_5"),
        "answer_recall": avg(ans, "answer_recall"), "token_f1": avg(ans, "token_f1"),
        "semantic_similarity": avg(ans, "semantic_similarity"),
        "citation_precision": avg(ans, "citation_precision"), "quote_precision": avg(ans, "quote_precision"),
        "citation_recall": avg(ans, "citation_recall"),
        "abstention_accuracy": abstain_acc, "false_abstention_rate": false_abstain,
        "abstention_balanced_accuracy": M.balanced_accuracy(abstain_acc, false_abstain)
        if not (math.isnan(abstain_acc) or math.isnan(false_abstain)) else math.nan,
        "right_speaker": avg([r for r in records if r.type == "quote"], "right_speaker"),
        "pass_rate": M.mean(float(r.passed) for r in records),
        "latency_p50_ms": M.percentile(latencies, 50), "latency_p95_ms": M.percentile(latencies, 95),
        # The answer's form (see the metrics module): over answers given, answerable questions, multi questions.
        "redundancy": avg(records, "redundant"),
        "short_answer_em": avg(ans, "short_answer_em"), "short_answer_f1": avg(ans, "short_answer_f1"),
        "answer_passage_recall_at_5": avg(ans, "answer_passage_recall_at_5"),
        "answer_passage_recall_at_k": avg(ans, "answer_passage_recall_at_k"),
        "disagreement_recall": avg(ans, "disagreement_recall"),
    }
    return out


def versions() -> dict[str, str]:
    """Python, platform and the versions of the packages that decide results, for the run file."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version(), "platform": platform.platform()}
    for pkg in ("qa-bot", "chromadb", "sentence-transformers", "torch", "langchain-core", "langchain-chroma"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def run_eval(system: System, items: list[GoldItem], texts: dict[str, str], *, k: int | None = None,
             dataset_path: Path | None = None, corpus_path: Path | None = None, settings: dict | None = None,
             progress: Progress = no_progress) -> EvalRun:
    """Ask every question, score it and aggregate (``system`` must already be prepared).

    Args:
        system: a prepared :class:`~qa_bot.evaluation.systems.System`.
        items: the gold questions.
        texts: article id -> text, to locate evidence quotes.
        k: passages to retrieve (the system's default when None).
    """
    started = time.perf_counter()
    stamp = datetime.now(timezone.utc).isoformat(timespec="seconds")
    k_used = k or (settings or {}).get("top_k", 5)
    records: list[QuestionRecord] = []
    progress(0, len(items), "Evaluating questions")
    for i, item in enumerate(items, start=1):
        spans = [M.locate(e.article_id, e.quote, texts.get(e.article_id)) for e in item.evidence]
        t0 = time.perf_counter()
        answer = system.ask(item.question, list(item.history), k)
        latency = (time.perf_counter() - t0) * 1e3
        similarity = None
        if item.answerable and item.answers and not answer.abstained and answer.text:
            vecs = system.embedder.embed([strip_markers(answer.text)] + list(item.answers))
            similarity = float(np.max(vecs[1:] @ vecs[0]))
        elif item.answerable:
            similarity = 0.0
        scores, correct, passed = score_answer(item, answer, spans, k_used, similarity)
        records.append(QuestionRecord(
            id=item.id, type=item.type, question=item.question, references=list(item.answers),
            answerable=item.answerable, answer=answer.text, abstained=answer.abstained,
            citations=[dict(c.to_dict(), correct=ok) for c, ok in zip(answer.citations, correct)],
            passages=[{"article_id": h.passage.article_id, "title": h.passage.title, "outlet": h.passage.outlet,
                       "start": h.passage.start, "end": h.passage.end} for h in answer.hits],
            scores=scores, passed=passed, latency_ms=latency, condensed_question=answer.condensed_question,
            short_answer=answer.short_answer.text if answer.short_answer else "",
            disagreements=[asdict(d) for d in answer.disagreements],
        ))
        progress(i, len(items), "Evaluating questions")
    by_type = {t: aggregate([r for r in records if r.type == t]) for t in sorted({r.type for r in records})}
    return EvalRun(
        system=system.name,
        dataset={"path": str(dataset_path or ""), "sha256": file_sha256(dataset_path) if dataset_path else "",
                 "questions": len(items)},
        corpus={"path": str(corpus_path or ""), "sha256": _texts_hash(texts), "articles": len(texts)},
        settings=dict(settings or {}, k=k_used, **(system.describe() if hasattr(system, "describe") else {})),
        versions=versions(), metrics=aggregate(records), by_type=by_type, records=records,
        started_at=stamp, seconds=time.perf_counter() - started,
    )


def _texts_hash(texts: dict[str, str]) -> str:
    import hashlib

    h = hashlib.sha256()
    for key in sorted(texts):
        h.update(key.encode() + b"\0" + texts[key].encode() + b"\0")
    return h.hexdigest()


# ---------------------------------------------------------------- thresholds and comparisons


def load_thresholds(path: Path, dataset: Path) -> tuple[dict[str, float], dict[str, float]]:
    """``(minimums, maximums)`` for ``dataset`` from a thresholds TOML, keyed by the dataset's file stem.

    Raises:
        InputError: the file is missing or unreadable, or has no section for this dataset.
    """
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise InputError(f"{path}: cannot read thresholds ({err})") from None
    section = data.get(Path(dataset).stem)
    if not isinstance(section, dict):
        raise InputError(f"{path}: no [{Path(dataset).stem}] section; add one or drop --check")
    return dict(section.get("min", {})), dict(section.get("max", {}))


def check_thresholds(metrics: dict[str, float], minimums: dict[str, float],
                     maximums: dict[str, float]) -> list[str]:
    """The failed gates, one readable line each (empty when every gate holds)."""
    failures = []
    for name, floor in minimums.items():
        value = metrics.get(name)
        if value is None or (isinstance(value, float) and math.isnan(value)) or value < floor:
            failures.append(f"{name} = {format_metric(value)} is below the minimum {floor}")
    for name, ceiling in maximums.items():
        value = metrics.get(name)
        if value is None or (isinstance(value, float) and math.isnan(value)) or value > ceiling:
            failures.append(f"{name} = {format_metric(value)} is above the maximum {ceiling}")
    return failures


def compare(current: dict[str, float], baseline: dict[str, float], tolerance: float = 0.02,
            latency_tolerance: float = 0.25) -> list[dict]:
    """Side-by-side rows ``{metric, baseline, current, delta, regression}`` for the headline metrics."""
    rows = []
    for name in HEADLINE:
        cur, base = current.get(name), baseline.get(name)
        if cur is None or base is None or any(isinstance(v, float) and math.isnan(v) for v in (cur, base)):
            rows.append({"metric": name, "baseline": base, "current": cur, "delta": None, "regression": False})
            continue
        delta = cur - base
        if name.startswith("latency"):
            regression = base > 0 and cur > base * (1 + latency_tolerance)
        elif name in LOWER_IS_BETTER:
            regression = delta > tolerance
        else:
            regression = delta < -tolerance
        rows.append({"metric": name, "baseline": base, "current": cur, "delta": delta, "regression": regression})
    return rows


def format_metric(value) -> str:
    """A metric as reports, tables and threshold messages print it: floats to three decimals,
    counts as they are, ``n/a`` for a missing or NaN value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    return f"{value:.3f}" if isinstance(value, float) else str(value)
