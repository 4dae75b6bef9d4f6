"""ONNX files made here from local Hugging Face model folders (never downloaded), cached by the weights' hash.

:func:`export_model` turns any local model folder into an ONNX graph: the ``transformers`` Auto class a
:class:`GraphSpec` names is loaded from the folder, and the graph returns the named outputs of that
class (``last_hidden_state``, ``logits``, ``start_logits`` and ``end_logits``...). Two specs are used
here: :data:`EMBEDDER` (sentence-transformers mean pooling and normalisation inside the graph, so it
returns what sentence-transformers does) and :data:`SPAN_READER` (the span reader's start and end logits).

Each export makes a float32 graph, fused by ONNX Runtime's transformer optimiser where that keeps the
model's outputs (checked against torch on a sample batch at export time; else the plain graph is kept),
and on request an int8 graph (dynamic per-channel quantisation of the float32 one).

A file is named ``<label>-<sha256 of the weights, 12 hex>-<spec>-<variant>-r<RECIPE>.onnx``, its weights
beside it in ``<that name>.data`` (mapped at load rather than parsed): new weights, another spec or a
new recipe get a new file, and a file once written is never rewritten. Exporting needs
torch and transformers (it is the only step that does); loading the result needs only onnxruntime.
Exports run under a file lock (two processes never export the same file at once) and land by rename, so
a reader never sees half a file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from qa_bot.errors import ConfigError

log = logging.getLogger(__name__)

#: Bumped whenever the export steps change what the files compute.
RECIPE = 3
VARIANTS = ("fp32", "int8")
_HASHES = "source-hashes.json"
#: The inputs a BERT-type model takes; a model whose ``forward`` lacks one (DistilBERT: token types) goes without.
MODEL_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
#: Sample shape used to trace and check an export: distinct numbers, so output dimensions can be told apart.
_SAMPLE_BATCH, _SAMPLE_TOKENS = 3, 13


@dataclass(frozen=True)
class GraphSpec:
    """What to export from a model folder.

    Attributes:
        name: short name used in the file name (``embedder``, ``span-reader``...).
        model_class: the ``transformers`` Auto class that loads the folder (``AutoModelForQuestionAnswering``).
        outputs: names of the model output's fields to return, in this order.
        pooled: sentence-transformers pooling: the outputs are ``token_embeddings`` (the last hidden state)
            and ``sentence_embedding`` (their masked mean, normalised); ``outputs`` must say so.
    """

    name: str
    model_class: str = "AutoModel"
    outputs: tuple[str, ...] = ("last_hidden_state",)
    pooled: bool = False

    def __post_init__(self) -> None:
        if not self.outputs:
            raise ValueError("a graph needs at least one output")
        if self.pooled and self.outputs != ("token_embeddings", "sentence_embedding"):
            raise ValueError("a pooled graph's outputs are ('token_embeddings', 'sentence_embedding')")

    @property
    def digest(self) -> str:
        """8 hex characters that change with anything the graph computes."""
        text = json.dumps([self.model_class, list(self.outputs), self.pooled])
        return hashlib.sha256(text.encode()).hexdigest()[:8]


#: The embedding model: ``input_ids, attention_mask -> token_embeddings, sentence_embedding``.
EMBEDDER = GraphSpec("embedder", outputs=("token_embeddings", "sentence_embedding"), pooled=True)
#: A sequence classifier (the sentence reader): ``-> logits``.
#: A span question-answering model: ``-> start_logits, end_logits`` (position 0, [CLS], scores no answer).
SPAN_READER = GraphSpec("span-reader", "AutoModelForQuestionAnswering", ("start_logits", "end_logits"))


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


def exported_path(model_dir: Path, spec: GraphSpec, variant: str, cache_dir: Path, label: str = "") -> Path:
    """Where the export of ``model_dir`` for ``spec`` and ``variant`` is (or will be) kept."""
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in label or Path(model_dir).resolve().name) or "model"
    sha = source_hash(Path(model_dir), Path(cache_dir))[:12]
    return Path(cache_dir) / f"{name}-{sha}-{spec.name}.{spec.digest}-{variant}-r{RECIPE}.onnx"


def export_model(model_dir: Path | str, cache_dir: Path | str, spec: GraphSpec, variant: str = "fp32",
                 label: str = "") -> Path:
    """The cached ONNX file of ``model_dir`` for ``spec``, exported first when it is not there yet.

    Args:
        model_dir: a local Hugging Face model folder (config, weights).
        cache_dir: where exported files are kept.
        spec: which class to load and which outputs the graph returns.
        variant: ``"fp32"`` or ``"int8"``.
        label: the model's name in the file name (default: the folder's name).

    Returns:
        the path of the ``.onnx`` file. Its inputs are those of ``input_ids, attention_mask,
        token_type_ids`` that the model takes (the pooled embedder: the first two), shaped
        ``(batch, tokens)`` int64; its outputs are ``spec.outputs``.

    Raises:
        ConfigError: an unknown variant, a folder without weights, weights that do not load as
            ``spec.model_class``, a missing output, an export that does not reproduce the model, or
            a cache folder that cannot be written.
    """
    if variant not in VARIANTS:
        raise ConfigError(f"no ONNX variant {variant!r}; choose {' or '.join(VARIANTS)}")
    model_dir, cache_dir = Path(model_dir), Path(cache_dir)
    try:
        target = exported_path(model_dir, spec, variant, cache_dir, label)
        if target.is_file():
            return target
        cache_dir.mkdir(parents=True, exist_ok=True)
        from filelock import FileLock

        with FileLock(str(cache_dir / ".export.lock"), timeout=900):
            if not target.is_file():  # another process may have exported it while we waited
                _export(model_dir, spec, variant, target)
    except OSError as err:
        raise ConfigError(f"{cache_dir}: cannot write the exported model there ({err.strerror or err}); "
                          "set QA_BOT_MODEL_CACHE_DIR to a writable folder") from None
    return target


def onnx_file(kind: str, model_dir: Path, variant: str, cache_dir: Path, label: str = "") -> Path:
    """:func:`export_model` for ``kind`` ``"embedder"`` (:data:`EMBEDDER`) or ``"reader"`` (:data:`SPAN_READER`).

    Raises:
        ConfigError: an unknown kind, or as :func:`export_model`.
    """
    spec = {"embedder": EMBEDDER, "reader": SPAN_READER}.get(kind)
    if spec is None:
        raise ConfigError(f"no ONNX export for {kind!r}; choose embedder or reader")
    return export_model(model_dir, cache_dir, spec, variant, label)


def _export(model_dir: Path, spec: GraphSpec, variant: str, target: Path) -> None:
    started = time.perf_counter()
    print(f"qa-bot: preparing {model_dir.name} ({spec.name}, {variant}) for ONNX Runtime (once, about 20 s)…",
          file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".export-") as tmp:
        raw, fused = Path(tmp) / "raw.onnx", Path(tmp) / "fused.onnx"
        sample, expected = _trace(model_dir, spec, raw)
        out = raw
        if _fuse(model_dir, raw, fused) and _reproduces(fused, sample, expected):
            out = fused
        elif not _reproduces(raw, sample, expected):
            raise ConfigError(f"{model_dir}: the ONNX export does not reproduce the model's {spec.model_class} "
                              "outputs; use the torch backend for it")
        if variant == "int8":
            _quantize(out, Path(tmp) / "int8.onnx")
            out = Path(tmp) / "int8.onnx"
        graph = _with_external_weights(out, Path(tmp) / target.name)
        os.replace(Path(tmp) / _weights_name(target), target.with_name(_weights_name(target)))
        os.replace(graph, target)  # last: a present graph file means its weights are in place
    log.info("exported %s in %.1f s", target.name, time.perf_counter() - started)


def _weights_name(graph: Path) -> str:
    return f"{graph.name}.data"


def _with_external_weights(src: Path, dst: Path) -> Path:
    """``src`` saved as ``dst`` plus ``<dst name>.data`` beside it holding the weights: ONNX Runtime maps
    that file instead of parsing the weights out of the graph, which loads a session about 3x faster."""
    import onnx

    model = onnx.load(str(src))
    onnx.save_model(model, str(dst), save_as_external_data=True, all_tensors_to_one_file=True,
                    location=_weights_name(dst), size_threshold=1024)
    os.chmod(dst.with_name(_weights_name(dst)), dst.stat().st_mode & 0o777)  # onnx writes it owner-only
    return dst


def _trace(model_dir: Path, spec: GraphSpec, out: Path):
    """Export the float32 graph with torch's TorchScript exporter (its graph is the one the fusions know).

    Returns:
        ``(sample inputs, expected outputs)`` as numpy arrays by name, to check the exported graph with.
    """
    import inspect
    import warnings

    import torch
    import transformers
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    loader = getattr(transformers, spec.model_class, None)
    if loader is None:
        raise ConfigError(f"transformers has no {spec.model_class}; name an Auto class such as AutoModel")
    try:
        model = loader.from_pretrained(str(model_dir), local_files_only=True, attn_implementation="eager",
                                       dtype=torch.float32).eval()
    except (OSError, ValueError, KeyError) as err:
        raise ConfigError(f"{model_dir}: the weights do not load as {spec.model_class} ({err})") from None
    accepted = inspect.signature(model.forward).parameters
    names = [n for n in MODEL_INPUTS if n in accepted and not (spec.pooled and n == "token_type_ids")]
    graph = _wrapped(model, spec, names)
    sample = _sample_inputs(names, vocab=int(getattr(model.config, "vocab_size", 100) or 100))
    tensors = tuple(torch.from_numpy(sample[n]) for n in names)
    with torch.inference_mode():
        expected = [t.numpy() for t in graph(*tensors)]
    axes = {n: {0: "batch", 1: "tokens"} for n in names}
    for name, value in zip(spec.outputs, expected):  # which output dimensions follow the batch and the tokens
        axes[name] = {d: ("batch" if d == 0 else "tokens") for d, size in enumerate(value.shape)
                      if d == 0 or size == _SAMPLE_TOKENS}
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")  # tracer notes about shapes that the dynamic axes cover
        torch.onnx.export(graph, tensors, str(out), input_names=names, output_names=list(spec.outputs),
                          dynamic_axes=axes, opset_version=17, dynamo=False)
    return sample, dict(zip(spec.outputs, expected))


def _sample_inputs(names: list[str], vocab: int) -> dict:
    """A padded batch: rows of different lengths, two segments, ids from the vocabulary."""
    import numpy as np

    rng = np.random.default_rng(0)
    ids = rng.integers(1, max(2, vocab), size=(_SAMPLE_BATCH, _SAMPLE_TOKENS), dtype=np.int64)
    mask = np.ones_like(ids)
    mask[1, 9:] = 0
    mask[2, 5:] = 0
    ids[mask == 0] = 0
    types = np.zeros_like(ids)
    types[:, 6:] = 1
    types[mask == 0] = 0
    return {n: v for n, v in (("input_ids", ids), ("attention_mask", mask), ("token_type_ids", types)) if n in names}


def _reproduces(path: Path, sample: dict, expected: dict) -> bool:
    """Whether the graph at ``path`` gives the torch outputs on ``sample`` (real tokens only, float rounding)."""
    import numpy as np

    from qa_bot.inference.runtime import onnx_session

    got = onnx_session(path, threads=1).run(list(expected), sample)
    mask = sample["attention_mask"].astype(bool)
    for (name, want), have in zip(expected.items(), got):
        if have.shape != want.shape:
            return False
        if want.ndim >= 2 and want.shape[1] == _SAMPLE_TOKENS:  # padded positions hold no meaning
            want, have = want[mask], have[mask]
        if not np.allclose(have, want, atol=2e-3, rtol=2e-3):
            log.info("%s: output %s differs from torch by up to %.2g", path.name, name, np.abs(have - want).max())
            return False
    return True


def _fuse(model_dir: Path, src: Path, dst: Path) -> bool:
    """Fuse attention, GELU and layer-norm subgraphs (ONNX Runtime's transformer optimiser); False when
    the optimiser fails on this architecture (the plain graph is used then)."""
    from onnxruntime.transformers.optimizer import MODEL_TYPES, optimize_model

    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    kind = config.get("model_type") if config.get("model_type") in MODEL_TYPES else "bert"  # BERT-type encoders
    try:
        optimize_model(str(src), model_type=kind, num_heads=int(config.get("num_attention_heads") or 0),
                       hidden_size=int(config.get("hidden_size") or 0)).save_model_to_file(str(dst))
    except Exception as err:  # the optimiser raises whatever its pattern matchers hit; the plain graph still works
        log.info("%s: not fused (%s: %s)", model_dir.name, type(err).__name__, err)
        return False
    return True


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


def _wrapped(model, spec: GraphSpec, names: list[str]):
    """The module to trace: the embedder with pooling, or the named outputs of any model (classes made
    here, so that importing this file needs no torch)."""
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

    class Outputs(torch.nn.Module):
        """The named fields of the model's output, in the spec's order."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *inputs):
            result = self.model(**dict(zip(names, inputs)))
            missing = [o for o in spec.outputs if getattr(result, o, None) is None]
            if missing:
                raise ConfigError(f"{spec.model_class} gives no {', '.join(missing)}; its outputs are "
                                  f"{', '.join(result.keys())}")
            return tuple(getattr(result, o) for o in spec.outputs)

    return Pooled() if spec.pooled else Outputs()
