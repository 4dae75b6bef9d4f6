"""Which embedder a process uses: the configured backend, or for ``auto`` the one the index was built
with, so that an index is always searched with the vectors it holds.

:data:`DEFAULT_BACKEND` (for a new index under ``auto``) was chosen by measurement: ``onnx`` (float32,
the torch vectors without importing torch). ``onnx-int8`` embeds 1.5-2.5x faster, but on summit dev it
was worse than float32 by more than the 1 point the rule allows on three headline metrics (document
recall@1 -1.4, citation precision -1.2, false abstentions +1.4; on summit test no metric was worse by
more than a point), so it stays opt-in; see ``eval/results/bench.md``."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from qa_bot.answering.extractive import ExtractiveAnswerer
from qa_bot.config import Settings
from qa_bot.embeddings import Embedder, make_embedder
from qa_bot.inference.export import default_cache_dir
from qa_bot.params import AnswerParams
from qa_bot.storage.meta import recorded_embedder

DEFAULT_BACKEND = "onnx"


def model_cache(settings: Settings) -> Path:
    """The folder exported ONNX files are kept in (``QA_BOT_MODEL_CACHE_DIR`` or the default)."""
    return settings.model_cache_dir or default_cache_dir(settings.data_dir)


def backend_of(name: str) -> str:
    """The backend that computes the vectors an embedder called ``name`` made (int8 names end ``+int8``)."""
    return "onnx-int8" if name.endswith("+int8") else "onnx"


def choose_backend(settings: Settings, follow_index: bool = True) -> str:
    """``settings.embed_backend``, or for ``auto``: the index's own (when ``follow_index`` and the data
    folder holds one), else :data:`DEFAULT_BACKEND`."""
    if settings.embed_backend != "auto":
        return settings.embed_backend
    recorded = recorded_embedder(settings.data_dir) if follow_index else ""
    return backend_of(recorded) if recorded else DEFAULT_BACKEND


def embedder_for(settings: Settings, follow_index: bool = True) -> Embedder:
    """The embedder ``settings`` describe (see :func:`choose_backend`); nothing is loaded yet."""
    return make_embedder(settings.embed_model, choose_backend(settings, follow_index), model_cache(settings))


def make_reader(settings: Settings):
    """The read stage the settings describe (nothing loads yet): the trained span reader on ONNX Runtime, or
    the model-free word-overlap reader when ``QA_BOT_READER=false`` or the ``reader`` step is ablated."""
    from qa_bot.answering.read import LexicalReader, SpanReader

    if not settings.reader or settings.ablated("reader"):
        return LexicalReader()
    variant = "int8" if settings.reader_backend == "onnx-int8" else "fp32"
    return SpanReader(cache_dir=model_cache(settings), variant=variant)


def prepare_models(settings: Settings) -> list[str]:
    """Export (when not cached yet) and load every ONNX model ``settings`` use; one line per model, saying
    where its file is. Nothing to export for the torch backends.

    Raises:
        ConfigError: a model that does not export or load.
    """
    lines = []
    cache = model_cache(settings)
    backends = {choose_backend(settings, follow_index=False), choose_backend(settings)}
    for backend in sorted(b for b in backends if b.startswith("onnx")):
        embedder = make_embedder(settings.embed_model, backend, cache)
        if hasattr(embedder, "warm_up"):
            embedder.warm_up()
            lines.append(f"embedder {embedder.name}: ready ({cache})")
    reader = make_reader(settings)
    if getattr(reader, "model_dir", None) is not None:
        reader.warm_up()
        lines.append(f"reader: ready ({cache})")
    return lines or ["nothing to prepare: the settings use torch"]


def make_answerer(settings: Settings, params: AnswerParams) -> ExtractiveAnswerer:
    """The extractive answerer the settings describe, ablations applied as stages left out or swapped.

    The reader is :func:`make_reader`'s (the trained span reader, or for
    ``QA_BOT_READER=false`` / ``--ablate reader`` the model-free word-overlap reader).
    ``rerank``: only the ``k`` passages shown are read. ``abstention``: decide never abstains.
    ``speaker``: "what did X say" may be answered by anyone's words.
    """
    read, decide, compose_ = params.read, params.decide, params.compose
    if settings.ablated("rerank"):
        read = replace(read, pool=0, passages=0)
    if settings.support_threshold is not None:
        decide = replace(decide, threshold=settings.support_threshold)
    if settings.ablated("abstention"):
        decide = replace(decide, threshold=0.0)
    if settings.ablated("speaker"):
        decide = replace(decide, speaker_required=False)
    if settings.answer_sentences is not None:
        compose_ = replace(compose_, max_sentences=settings.answer_sentences)
    return ExtractiveAnswerer(make_reader(settings), AnswerParams(read, decide, compose_))
