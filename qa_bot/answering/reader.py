"""The learned reader: how likely is it that a sentence *answers* a question (not merely shares its topic)?

The model is a cross-encoder — all-MiniLM-L6-v2 (the packaged embedding model's BERT weights) with a
new one-logit classification head — fine-tuned by ``eval/train_reader.py`` on (question, sentence in
context) pairs: SQuAD 2.0/XQuAD paragraphs, the summit dev split and ClapNQ half A, with same-paragraph
sentences, same-topic near misses from other paragraphs and unanswerable questions as negatives.
``qa_bot/data/reader/MODEL_CARD.md`` lists the data, the hyper-parameters, the article-held-out
validation metrics and the sha256 of the shipped weights.

Nothing is loaded at import; :meth:`Reader.warm_up` loads the local folder (never a hub). With
``backend="onnx"`` (the default) the weights run as a float32 ONNX graph exported from them once
(:mod:`qa_bot.inference.export`; the same scores as torch to float rounding) and torch is never imported.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa_bot.errors import ConfigError

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent.parent / "data" / "reader"
WEIGHTS_FILE = "model.safetensors"
#: Words of each neighbouring sentence kept as context, so that both neighbours fit in the window.
CONTEXT_WORDS = 32


@dataclass(frozen=True)
class Candidate:
    """A sentence to score, with the sentences before and after it in its article ("" at an edge)."""

    sentence: str
    previous: str = ""
    following: str = ""


def reader_input(sentence: str, previous: str = "", following: str = "") -> str:
    """The text the reader reads for a candidate: the sentence first, then its context.

    The sentence comes first so that truncation at the model's window cuts context, never the sentence.
    The previous sentence keeps its last :data:`CONTEXT_WORDS` words, the following one its first.
    Training and inference both build their inputs with this function.
    """
    before = " ".join(previous.split()[-CONTEXT_WORDS:])
    after = " ".join(following.split()[:CONTEXT_WORDS])
    return f"{sentence.strip()} [SEP] {before} [SEP] {after}"


def sha256_of_weights(model_dir: Path | str = DEFAULT_MODEL_DIR) -> str:
    """Hex sha256 of the reader's weights file in ``model_dir``.

    Raises:
        ConfigError: the weights file is missing.
    """
    path = Path(model_dir) / WEIGHTS_FILE
    if not path.is_file():
        raise ConfigError(f"{path}: no reader weights; run `python eval/train_reader.py` to train them")
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _fast_bfloat16() -> bool:
    """True when this CPU runs bfloat16 matrix products natively (AMX or AVX512-BF16)."""
    import torch

    cpu = torch.cpu
    return bool(getattr(cpu, "_is_amx_tile_supported", lambda: False)()
                or getattr(cpu, "_is_avx512_bf16_supported", lambda: False)())


class Reader:
    """Scores candidate sentences for a question with the trained cross-encoder.

    Args:
        model_dir: folder holding the model (default: the one shipped in ``qa_bot/data/reader``).
        batch_size: pairs per forward pass.
        threads: intra-op threads set at warm-up (default: the CPUs this process may use, at most 4).
        dtype: torch only: ``"auto"`` (bfloat16 where the CPU computes it natively — about 3x faster
            there — else float32), ``"float32"`` or ``"bfloat16"``.
        backend: ``"onnx"`` or ``"torch"``.
        cache_dir: where the ONNX backend keeps the exported file (required for it).

    Raises:
        ValueError: a non-positive batch size or thread count, an unknown dtype or backend, or the
            ONNX backend without a cache folder.
    """

    def __init__(self, model_dir: Path | str = DEFAULT_MODEL_DIR, *, batch_size: int = 32,
                 threads: int | None = None, dtype: str = "auto", backend: str = "torch",
                 cache_dir: Path | None = None) -> None:
        if batch_size < 1:
            raise ValueError("batch_size must be greater than 0")
        if threads is not None and threads < 1:
            raise ValueError("threads must be greater than 0")
        if dtype not in ("auto", "float32", "bfloat16"):
            raise ValueError("dtype must be 'auto', 'float32' or 'bfloat16'")
        if backend not in ("onnx", "torch"):
            raise ValueError("backend must be 'onnx' or 'torch'")
        if backend == "onnx" and cache_dir is None:
            raise ValueError("the onnx backend needs a cache_dir for the exported model")
        self.backend = backend
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self._max_length = 0
        self.model_dir = Path(model_dir)
        self.batch_size = batch_size
        self.threads = threads
        self.dtype = dtype
        self._model = None
        self._tokenizer = None

    def warm_up(self) -> None:
        """Load the tokenizer and weights from ``model_dir`` (local files only); a no-op when loaded.

        Raises:
            ConfigError: the folder holds no reader model or it does not load.
        """
        if self._model is not None:
            return
        sha256_of_weights(self.model_dir)  # a clear error when the folder is missing or empty
        if self.backend == "onnx":
            self._warm_up_onnx()
            return
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # a progress bar for loading 45 MB from disk is noise in a CLI

        from qa_bot.inference.runtime import inference_threads

        torch.set_num_threads(inference_threads(self.threads))
        name = self.dtype if self.dtype != "auto" else ("bfloat16" if _fast_bfloat16() else "float32")
        try:
            tokenizer = AutoTokenizer.from_pretrained(str(self.model_dir), local_files_only=True)
            model = AutoModelForSequenceClassification.from_pretrained(
                str(self.model_dir), local_files_only=True, dtype=getattr(torch, name))
        except (OSError, ValueError) as err:
            raise ConfigError(f"{self.model_dir}: the reader model does not load ({err}); "
                              "re-train it with `python eval/train_reader.py`") from None
        self._tokenizer, self._model = tokenizer, model.eval()
        self._max_length = int(tokenizer.model_max_length)

    def _warm_up_onnx(self) -> None:
        from tokenizers import Tokenizer

        from qa_bot.inference.export import onnx_file
        from qa_bot.inference.runtime import onnx_session

        try:
            config = json.loads((self.model_dir / "tokenizer_config.json").read_text(encoding="utf-8"))
            tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        except (OSError, ValueError) as err:
            raise ConfigError(f"{self.model_dir}: the reader's tokenizer does not load ({err}); "
                              "re-train it with `python eval/train_reader.py`") from None
        self._max_length = int(config.get("model_max_length") or 256)
        tokenizer.no_padding()
        tokenizer.enable_truncation(self._max_length, strategy="only_second")
        path = onnx_file("reader", self.model_dir, "fp32", self.cache_dir)
        try:
            session = onnx_session(path, self.threads)
        except Exception as err:  # onnxruntime raises its own exception types for a bad file
            raise ConfigError(f"{path}: the exported reader does not load ({type(err).__name__}); "
                              "delete the file and it is exported again") from None
        self._tokenizer, self._model = tokenizer, session

    @property
    def max_length(self) -> int:
        """Word pieces the model reads per pair (question and candidate together); needs :meth:`warm_up`."""
        if self._tokenizer is None:
            raise RuntimeError("call warm_up() before reading max_length")
        return self._max_length

    def score(self, question: str, candidates: Sequence[Candidate | tuple[str, str, str]]) -> np.ndarray:
        """Probability that each candidate answers ``question``, in the order given (float32).

        Args:
            question: the (stand-alone) question.
            candidates: :class:`Candidate` values or ``(sentence, previous, following)`` tuples.
        """
        if not candidates:
            return np.zeros(0, dtype=np.float32)
        self.warm_up()
        texts = [reader_input(*((c.sentence, c.previous, c.following) if isinstance(c, Candidate) else c))
                 for c in candidates]
        # Longest first, so that each batch pads to a similar length.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.empty(len(texts), dtype=np.float32)
        if self.backend == "onnx":
            return self._score_onnx(question, texts, order, out)
        import torch

        with torch.inference_mode():
            for at in range(0, len(order), self.batch_size):
                rows = order[at: at + self.batch_size]
                enc = self._tokenizer([question] * len(rows), [texts[i] for i in rows], padding=True,
                                      truncation="only_second", max_length=self.max_length, return_tensors="pt")
                logits = self._model(**enc).logits[:, 0].float()
                out[rows] = torch.sigmoid(logits).numpy()
        return out

    def _score_onnx(self, question: str, texts: list[str], order: list[int], out: np.ndarray) -> np.ndarray:
        for at in range(0, len(order), self.batch_size):
            rows = order[at: at + self.batch_size]
            encodings = self._tokenizer.encode_batch([(question, texts[i]) for i in rows])
            width = max(len(e.ids) for e in encodings)
            feed = {name: np.zeros((len(rows), width), dtype=np.int64)
                    for name in ("input_ids", "attention_mask", "token_type_ids")}
            for r, e in enumerate(encodings):
                feed["input_ids"][r, : len(e.ids)] = e.ids
                feed["attention_mask"][r, : len(e.ids)] = 1
                feed["token_type_ids"][r, : len(e.ids)] = e.type_ids
            logits = self._model.run(["logits"], feed)[0][:, 0].astype(np.float64)
            out[rows] = 1.0 / (1.0 + np.exp(-logits))
        return out
