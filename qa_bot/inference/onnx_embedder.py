"""The embedder on ONNX Runtime: the packaged model's vectors without importing torch.

The graph comes from :mod:`qa_bot.inference.export` (made once from the packaged weights) and runs in
an :class:`~qa_bot.inference.session.OnnxModel`; the tokenizer is the model folder's own
``tokenizer.json``, read by the ``tokenizers`` library, with the model's ``max_seq_length`` as in
sentence-transformers. ``variant="fp32"`` computes the same vectors
as sentence-transformers (cosine 1.0000 measured), so it shares the torch backend's name and an index
built by either serves both; ``"int8"`` is a vector space of its own (its name says so).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np

from qa_bot.errors import ConfigError
from qa_bot.inference.export import EMBEDDER
from qa_bot.inference.session import OnnxModel, batch_feed, load_tokenizer
from qa_bot.inference.spans import span_vectors


class OnnxEmbedder:
    """A sentence-transformers (BERT-type, mean-pooled) model run by ONNX Runtime.

    Args:
        model_dir: the sentence-transformers folder (weights, ``tokenizer.json``, configs).
        name: the vector space's name (recorded with the index it builds).
        variant: ``"fp32"`` or ``"int8"``.
        cache_dir: where the exported ONNX file is kept (exported on first :meth:`warm_up`).
        threads: intra-op threads (default: the CPUs this process may use, at most 4).

    Raises:
        ValueError: an unknown variant.
    """

    def __init__(self, model_dir: Path, name: str, variant: str, cache_dir: Path, threads: int | None = None) -> None:
        if variant not in ("fp32", "int8"):
            raise ValueError("variant must be 'fp32' or 'int8'")
        self.model_dir = Path(model_dir)
        self.variant = variant
        self.name = name if variant == "fp32" else f"{name}+int8"
        self.cache_dir = Path(cache_dir)
        self.threads = threads
        self.model = OnnxModel(self.model_dir, EMBEDDER, self.cache_dir, variant, threads, label=name)
        self._tokenizer = None
        self._counter = None
        self._max_length = 256
        self._lock = threading.Lock()

    def warm_up(self) -> OnnxModel:
        """Export (first time only) and load the model and tokenizer. Thread-safe; loads once.

        Raises:
            ConfigError: the model folder has no tokenizer or weights, or the file does not load.
        """
        self._load_tokenizers()
        return self.model.load()

    def _load_tokenizers(self) -> None:
        """The tokenizer that feeds the model (truncating) and the one that counts (not truncating)."""
        with self._lock:
            if self._tokenizer is None:
                if not (self.model_dir / "tokenizer.json").is_file():
                    raise ConfigError(f"{self.model_dir}: no tokenizer.json; the ONNX backends need a fast "
                                      "tokenizer file (or set QA_BOT_EMBED_BACKEND=torch)")
                tokenizer, self._max_length = load_tokenizer(self.model_dir, _max_seq_length(self.model_dir))
                counter, _ = load_tokenizer(self.model_dir, self._max_length)
                counter.no_truncation()
                self._tokenizer, self._counter = tokenizer, counter

    @property
    def max_seq_length(self) -> int:
        """The model's input limit in tokens (longer texts are truncated)."""
        self._load_tokenizers()
        return self._max_length

    @property
    def dimension(self) -> int:
        """Length of the vectors this model returns."""
        return int(self.embed(["dimension"]).shape[1])

    def _forward(self, texts: list[str], batch_size: int, tokens: bool):
        """Sentence vectors (and, with ``tokens``, each text's token vectors and offsets), in input order."""
        model = self.warm_up()
        encodings = self._tokenizer.encode_batch(list(texts))
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(encodings))
        order = np.argsort(-lengths, kind="stable")  # similar lengths per batch: little padding
        vectors: list[np.ndarray | None] = [None] * len(texts)
        token_vectors: list[np.ndarray | None] = [None] * len(texts)
        outputs = ["token_embeddings", "sentence_embedding"] if tokens else ["sentence_embedding"]
        for at in range(0, len(order), batch_size):
            rows = order[at: at + batch_size]
            result = model.run(batch_feed([encodings[i] for i in rows], ("input_ids", "attention_mask")), outputs)
            for r, i in enumerate(rows):
                vectors[i] = result["sentence_embedding"][r]
                if tokens:
                    token_vectors[i] = result["token_embeddings"][r, : lengths[i]]
        out = np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)
        return out, token_vectors, encodings

    def embed(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """Normalised embeddings of ``texts`` as a float32 array of shape (len(texts), dim)."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._forward(texts, batch_size, tokens=False)[0]

    def embed_spans(self, texts: list[str], spans: list[list[tuple[int, int]]],
                    batch_size: int = 32) -> tuple[np.ndarray, list[np.ndarray]]:
        """Text vectors and, from the same forward pass, one vector per span (the mean of its tokens).

        Same contract as :meth:`qa_bot.embeddings.SentenceTransformerEmbedder.embed_spans`.
        """
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32), []
        vectors, tokens, encodings = self._forward(texts, batch_size, tokens=True)
        spans_out = [span_vectors(toks, np.asarray(enc.offsets, dtype=np.int64)[: len(toks)], text_spans, vector)
                     for toks, enc, text_spans, vector in zip(tokens, encodings, spans, vectors)]
        return vectors, spans_out

    def count_tokens(self, text: str) -> int:
        """Word pieces in ``text`` as the model's tokenizer splits it, special tokens excluded."""
        self._load_tokenizers()
        return len(self._counter.encode(text, add_special_tokens=False).ids)


def _max_seq_length(model_dir: Path) -> int:
    """sentence-transformers' input limit for the folder (256 when it does not say)."""
    try:
        config = json.loads((model_dir / "sentence_bert_config.json").read_text(encoding="utf-8"))
        return int(config.get("max_seq_length") or 256)
    except (OSError, ValueError, TypeError):
        return 256
