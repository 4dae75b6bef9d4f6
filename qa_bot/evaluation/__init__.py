"""Answer-quality evaluation: gold sets, metrics, the runner, reports. One entry point: :func:`evaluate`."""

from __future__ import annotations

from pathlib import Path

from qa_bot.config import Settings
from qa_bot.embeddings import Embedder
from qa_bot.evaluation.dataset import GoldItem, load_gold
from qa_bot.evaluation.runner import EvalRun, check_thresholds, compare, load_thresholds, run_eval
from qa_bot.evaluation.systems import load_corpus, make_system
from qa_bot.progress import Progress, no_progress

__all__ = ["EvalRun", "GoldItem", "check_thresholds", "compare", "evaluate", "load_gold", "load_thresholds"]


def evaluate(dataset: Path, *, corpus: Path | None = None, system: str = "qa-bot", k: int | None = None,
             limit: int | None = None, settings: Settings | None = None, embedder: Embedder | None = None,
             items: list[GoldItem] | None = None, progress: Progress = no_progress) -> EvalRun:
    """Run a gold set against a system, on an index of its own built from ``corpus``.

    Args:
        dataset: gold JSONL file (also used for the run's hash and name).
        corpus: folder or JSONL of articles; the settings' corpus folder by default.
        system: ``qa-bot`` or ``baseline`` (the textbook LangChain pipeline, a reference point).
        k: passages per question; the system's default when None.
        limit: only the first ``limit`` questions.
        items: already-loaded questions (the app passes an uploaded set this way).

    Raises:
        InputError: unreadable dataset or corpus, unknown system, bad ``k``.
    """
    from qa_bot.errors import InputError

    settings = settings or Settings()
    if k is not None and not 1 <= k <= settings.max_k:
        raise InputError(f"k must be between 1 and {settings.max_k} (got {k})")
    items = items if items is not None else load_gold(Path(dataset), limit)
    if limit:
        items = items[:limit]
    corpus_path = Path(corpus) if corpus else settings.corpus_dir
    articles = load_corpus(corpus_path)
    if embedder is None:
        from qa_bot.inference.choice import embedder_for

        embedder = embedder_for(settings, follow_index=False)
    runner_system = make_system(system, settings, embedder)
    runner_system.prepare(articles, progress)
    return run_eval(runner_system, items, {a.id: a.text for a in articles}, k=k, dataset_path=Path(dataset),
                    corpus_path=corpus_path, settings={"top_k": settings.top_k, "embed_model": embedder.name,
                                                       "ablate": settings.ablate},
                    progress=progress)
