"""A local Hugging Face model run by ONNX Runtime: exported on first use, loaded lazily, one session per model.

:class:`OnnxModel` is what every model here runs on (the embedder, the readers): it knows the model
folder, the :class:`~qa_bot.inference.export.GraphSpec` to export and the variant, and loads nothing
until :meth:`OnnxModel.load` or the first :meth:`OnnxModel.run`. Loading is thread-safe (a background
warm-up and a first question may race), and imports only onnxruntime and tokenizers — never torch.
:func:`load_tokenizer` and :func:`batch_feed` turn texts into the int64 arrays the graphs take.

A span reader, for instance::

    model = OnnxModel(folder, SPAN_READER, model_cache(settings))          # nothing loads yet
    tokenizer, _ = load_tokenizer(folder, max_length=384, pair=True, stride=128)
    encodings = tokenizer.encode_batch([(question, passage) for passage in passages])
    windows = [w for e in encodings for w in (e, *e.overflowing)]         # long passages: several windows
    logits = model.run(batch_feed(windows))                                # start_logits, end_logits
    # (batch, tokens); position 0 ([CLS]) scores "no answer"; windows[i].offsets map tokens to characters
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from qa_bot.errors import ConfigError
from qa_bot.inference.export import GraphSpec, export_model

#: Input names in the order the exported graphs declare them.
FEED_NAMES = ("input_ids", "attention_mask", "token_type_ids")


class OnnxModel:
    """A model folder run by ONNX Runtime.

    Args:
        model_dir: the local Hugging Face folder (weights, config).
        spec: what the graph computes (:data:`~qa_bot.inference.export.SPAN_READER`, say).
        cache_dir: where the exported file is kept (exported there on first load).
        variant: ``"fp32"`` or ``"int8"``.
        threads: intra-op threads (default: the CPUs this process may use, at most 4).
        label: the model's name in the exported file's name (default: the folder's name).

    Raises:
        ValueError: an unknown variant or a non-positive thread count.
    """

    def __init__(self, model_dir: Path | str, spec: GraphSpec, cache_dir: Path | str, variant: str = "fp32",
                 threads: int | None = None, label: str = "") -> None:
        if variant not in ("fp32", "int8"):
            raise ValueError("variant must be 'fp32' or 'int8'")
        if threads is not None and threads < 1:
            raise ValueError("threads must be greater than 0")
        self.model_dir = Path(model_dir)
        self.spec = spec
        self.cache_dir = Path(cache_dir)
        self.variant = variant
        self.threads = threads
        self.label = label
        self.path: Path | None = None
        self._session = None
        self._inputs: tuple[str, ...] = ()
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        """Whether the session is loaded (nothing is loaded before :meth:`load` or :meth:`run`)."""
        return self._session is not None

    def load(self) -> OnnxModel:
        """Export the model when its file is not cached yet, then load it; once, thread-safe.

        Raises:
            ConfigError: the folder does not export (see :func:`~qa_bot.inference.export.export_model`)
                or the exported file does not load.
        """
        with self._lock:
            if self._session is None:
                from qa_bot.inference.runtime import onnx_session

                path = export_model(self.model_dir, self.cache_dir, self.spec, self.variant, self.label)
                try:
                    session = onnx_session(path, self.threads)
                except Exception as err:  # onnxruntime raises its own exception types for a bad file
                    raise ConfigError(f"{path}: the exported model does not load ({type(err).__name__}); "
                                      "delete the file and it is exported again") from None
                self.path, self._inputs = path, tuple(i.name for i in session.get_inputs())
                self._session = session
        return self

    @property
    def input_names(self) -> tuple[str, ...]:
        """The inputs the graph takes (a model without token types takes two); loads the model."""
        self.load()
        return self._inputs

    def run(self, feed: Mapping[str, np.ndarray], outputs: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        """Run one batch.

        Args:
            feed: int64 arrays by input name; inputs the graph does not take are left out
                (``token_type_ids`` for DistilBERT, say).
            outputs: which of ``spec.outputs`` to compute (default: all).

        Returns:
            the outputs by name.
        """
        self.load()
        names = list(outputs or self.spec.outputs)
        values = self._session.run(names, {n: feed[n] for n in self._inputs})
        return dict(zip(names, values))


def load_tokenizer(model_dir: Path | str, max_length: int | None = None, pair: bool = False, stride: int = 0):
    """The folder's fast tokenizer (``tokenizer.json``), truncating at ``max_length`` without padding.

    Args:
        model_dir: the model folder.
        max_length: word pieces per input, special tokens included (default: the folder's
            ``tokenizer_config.json`` ``model_max_length``, else 512).
        pair: inputs are (question, passage) pairs: truncation cuts the second text only.
        stride: word pieces each overflowing window repeats from the one before; the windows past
            the first are in each encoding's ``overflowing`` list.

    Returns:
        ``(tokenizer, max_length)``; the tokenizer is a ``tokenizers.Tokenizer``.

    Raises:
        ConfigError: the folder has no readable ``tokenizer.json``.
    """
    from tokenizers import Tokenizer

    folder = Path(model_dir)
    try:
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    except Exception as err:  # tokenizers raises plain Exceptions for a missing or malformed file
        raise ConfigError(f"{folder}: no readable tokenizer.json ({err}); the ONNX runtime needs the fast "
                          "tokenizer file saved with the model") from None
    if max_length is None:
        max_length = _configured_length(folder)
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length, stride=stride, strategy="only_second" if pair else "longest_first")
    return tokenizer, max_length


def batch_feed(encodings: Sequence, names: Sequence[str] = FEED_NAMES) -> dict[str, np.ndarray]:
    """``tokenizers`` encodings as one zero-padded batch: int64 arrays ``(len(encodings), longest)`` by name."""
    width = max((len(e.ids) for e in encodings), default=0)
    feed = {n: np.zeros((len(encodings), width), dtype=np.int64) for n in names}
    for row, e in enumerate(encodings):
        n = len(e.ids)
        if "input_ids" in feed:
            feed["input_ids"][row, :n] = e.ids
        if "attention_mask" in feed:
            feed["attention_mask"][row, :n] = 1
        if "token_type_ids" in feed:
            feed["token_type_ids"][row, :n] = e.type_ids
    return feed


def _configured_length(folder: Path) -> int:
    try:
        config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
        length = int(config.get("model_max_length") or 512)
    except (OSError, ValueError, TypeError):
        return 512
    return length if 0 < length <= 8192 else 512  # "infinite" (1e30) in configs that do not say
