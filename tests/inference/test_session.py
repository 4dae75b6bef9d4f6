"""The ONNX session wrapper and the tokenizer helpers, without torch: a graph written here with ``onnx.helper``
stands in the cache where the export of a model folder would be."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qa_bot.errors import ConfigError
from qa_bot.inference.export import SPAN_READER, exported_path
from qa_bot.inference.session import OnnxModel, batch_feed, load_tokenizer

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "who", "signed", "the", "accord", "in", "spring", "?", "."]


def _tokenizer(folder: Path, config: dict | None = None) -> None:
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

    tokenizer = Tokenizer(models.WordPiece({w: i for i, w in enumerate(VOCAB)}, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    tokenizer.save(str(folder / "tokenizer.json"))
    if config is not None:
        (folder / "tokenizer_config.json").write_text(json.dumps(config), encoding="utf-8")


def _two_input_graph(path: Path) -> None:
    """``start_logits = input_ids * attention_mask`` and ``end_logits = attention_mask`` (as floats)."""
    import onnx
    from onnx import TensorProto, helper

    ints = [helper.make_tensor_value_info(n, TensorProto.INT64, ["batch", "tokens"]) for n in ("input_ids", "attention_mask")]
    outs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, ["batch", "tokens"]) for n in ("start_logits", "end_logits")]
    nodes = [helper.make_node("Cast", ["input_ids"], ["ids_f"], to=TensorProto.FLOAT),
             helper.make_node("Cast", ["attention_mask"], ["end_logits"], to=TensorProto.FLOAT),
             helper.make_node("Mul", ["ids_f", "end_logits"], ["start_logits"])]
    graph = helper.make_graph(nodes, "two-inputs", ints, outs)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))


@pytest.fixture
def folder(tmp_path) -> Path:
    """A model folder whose export is already in the cache (``tmp_path/cache``)."""
    model = tmp_path / "tiny-reader"
    model.mkdir()
    (model / "model.safetensors").write_bytes(b"weights of a model that is never loaded here")
    _tokenizer(model, {"model_max_length": 10})
    _two_input_graph(exported_path(model, SPAN_READER, "fp32", tmp_path / "cache"))
    return model


def test_a_cached_export_runs_with_only_the_inputs_it_takes(folder, tmp_path):
    model = OnnxModel(folder, SPAN_READER, tmp_path / "cache", threads=1)
    assert not model.loaded
    tokenizer, length = load_tokenizer(folder, pair=True)
    feed = batch_feed(tokenizer.encode_batch([("who signed?", "the accord"), ("who?", "signed the accord in spring.")]))
    got = model.run(feed)  # token_type_ids is in the feed, not in the graph: left out
    assert model.loaded and model.input_names == ("input_ids", "attention_mask")
    assert length == 10 and feed["input_ids"].shape == (2, 10)  # the longer pair cut to the configured length
    assert np.array_equal(got["start_logits"], (feed["input_ids"] * feed["attention_mask"]).astype(np.float32))
    assert list(model.run(feed, ["end_logits"])) == ["end_logits"]


def test_a_cached_export_needs_no_torch(folder, tmp_path):
    code = (f"import sys; from qa_bot.inference.session import OnnxModel; from qa_bot.inference.export import SPAN_READER; "
            f"OnnxModel({str(folder)!r}, SPAN_READER, {str(tmp_path / 'cache')!r}).load(); "
            "print([m for m in ('torch', 'transformers') if m in sys.modules])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_batch_feed_pads_with_zeros_and_marks_the_second_segment(folder):
    tokenizer, _ = load_tokenizer(folder, max_length=64, pair=True)
    feed = batch_feed(tokenizer.encode_batch([("who?", "the accord."), ("who signed the accord?", "spring")]))
    first = feed["input_ids"][0].tolist()
    assert first == [2, 4, 10, 3, 6, 7, 11, 3, 0]  # [CLS] who ? [SEP] the accord . [SEP], one pad to the longer row
    assert feed["attention_mask"][0].tolist() == [1] * 8 + [0]
    assert feed["token_type_ids"][0].tolist() == [0, 0, 0, 0, 1, 1, 1, 1, 0]
    assert batch_feed([], ("input_ids",))["input_ids"].shape == (0, 0)


def test_a_long_passage_overflows_into_windows_that_overlap_by_the_stride(folder):
    tokenizer, _ = load_tokenizer(folder, max_length=12, pair=True, stride=2)
    [first] = tokenizer.encode_batch([("who signed?", "the accord in spring . the accord in spring . the accord")])
    windows = [first, *first.overflowing]
    assert len(windows) > 1 and all(len(w.ids) <= 12 for w in windows)
    passage = [[t for t, kind in zip(w.ids, w.type_ids) if kind == 1][:-1] for w in windows]  # minus [SEP]
    assert all(after[:2] == before[-2:] for before, after in zip(passage, passage[1:]))  # two pieces repeated
    assert all(w.ids[:4] == first.ids[:4] for w in windows)  # every window starts with the whole question


def test_a_tokenizer_without_a_length_gets_a_sane_one(tmp_path):
    _tokenizer(tmp_path, {"model_max_length": 1000000000000000019884624838656})  # "unlimited", as some configs say
    assert load_tokenizer(tmp_path)[1] == 512


def test_bad_arguments_and_files_are_one_clear_error(folder, tmp_path):
    with pytest.raises(ValueError, match="variant"):
        OnnxModel(folder, SPAN_READER, tmp_path, variant="fp16")
    with pytest.raises(ValueError, match="threads"):
        OnnxModel(folder, SPAN_READER, tmp_path, threads=0)
    (folder / "tokenizer.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="no readable tokenizer.json"):
        load_tokenizer(folder)
    exported_path(folder, SPAN_READER, "fp32", tmp_path / "cache").write_bytes(b"not a graph")
    with pytest.raises(ConfigError, match="does not load.*delete the file"):
        OnnxModel(folder, SPAN_READER, tmp_path / "cache").load()
