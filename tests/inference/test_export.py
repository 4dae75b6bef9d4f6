"""The generic exporter and session on tiny random models made here (any Auto class with named outputs).

The models are a few kilobytes of random weights, so exporting one takes a second, but exporting needs
torch and transformers (seconds to import): slow tier, like ``test_onnx.py`` with the packaged weights.
``test_session.py`` covers what runs without them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qa_bot.errors import ConfigError
from qa_bot.inference.export import SPAN_READER, GraphSpec, export_model
from qa_bot.inference.session import OnnxModel, batch_feed, load_tokenizer

pytestmark = pytest.mark.slow

WORDS = "who what when signed the trade accord in spring talks were held at city hall on monday".split()


def _tokenizer_file(folder: Path) -> None:
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors

    vocab = {w: i for i, w in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", *WORDS, "?", "."])}
    tokenizer = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", 2), ("[SEP]", 3)])
    tokenizer.save(str(folder / "tokenizer.json"))
    (folder / "tokenizer_config.json").write_text('{"model_max_length": 24}', encoding="utf-8")


def _tiny(folder: Path, kind: str = "bert", seed: int = 0) -> Path:
    """A 2-layer model folder with random weights: a BERT or DistilBERT span reader."""
    torch, transformers = _hf()
    torch.manual_seed(seed)
    if kind == "bert":
        config = transformers.BertConfig(vocab_size=40, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                         intermediate_size=64, max_position_embeddings=64)
        model = transformers.BertForQuestionAnswering(config)
    else:
        config = transformers.DistilBertConfig(vocab_size=40, dim=32, n_layers=2, n_heads=2, hidden_dim=64,
                                               max_position_embeddings=64)
        model = transformers.DistilBertForQuestionAnswering(config)
    model.save_pretrained(str(folder))
    _tokenizer_file(folder)
    return folder


@pytest.fixture(scope="module")
def span_model(tmp_path_factory) -> Path:
    return _tiny(tmp_path_factory.mktemp("span-bert"))


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("cache")


def _hf():
    """torch and transformers, imported only when a test of this (slow) module runs, never at collection."""
    return pytest.importorskip("torch"), pytest.importorskip("transformers")


def _torch_logits(folder: Path, feed: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    torch, transformers = _hf()
    model = transformers.AutoModelForQuestionAnswering.from_pretrained(str(folder), attn_implementation="eager").eval()
    accepted = {k: torch.from_numpy(v) for k, v in feed.items() if k in ("input_ids", "attention_mask")}
    if "token_type_ids" in feed and model.config.model_type == "bert":
        accepted["token_type_ids"] = torch.from_numpy(feed["token_type_ids"])
    with torch.inference_mode():
        out = model(**accepted)
    return out.start_logits.numpy(), out.end_logits.numpy()


def _pairs(folder: Path) -> dict[str, np.ndarray]:
    tokenizer, _ = load_tokenizer(folder, pair=True)
    encodings = tokenizer.encode_batch([("who signed the accord?", "the trade accord was signed in spring."),
                                        ("when were talks held?", "talks were held at city hall on monday " * 4)])
    return batch_feed(encodings)


def test_a_span_reader_exports_once_and_gives_the_torch_logits(span_model, cache):
    model = OnnxModel(span_model, SPAN_READER, cache)
    assert not model.loaded  # nothing happens before the first use
    feed = _pairs(span_model)
    assert feed["input_ids"].shape[1] == 24  # the second text was cut at the configured 24 word pieces
    got = model.run(feed)
    start, end = _torch_logits(span_model, feed)
    real = feed["attention_mask"].astype(bool)
    assert set(got) == {"start_logits", "end_logits"} and got["start_logits"].shape == start.shape
    assert np.allclose(got["start_logits"][real], start[real], atol=1e-4)
    assert np.allclose(got["end_logits"][real], end[real], atol=1e-4)
    assert model.input_names == ("input_ids", "attention_mask", "token_type_ids")

    path = model.path
    assert path.parent == cache and SPAN_READER.digest in path.name and path.name.endswith("-fp32-r3.onnx")
    stamp = path.stat().st_mtime_ns
    assert export_model(span_model, cache, SPAN_READER) == path and path.stat().st_mtime_ns == stamp
    assert path.with_name(path.name + ".data").is_file()  # the weights, beside the graph
    assert not [p for p in cache.iterdir() if p.name.startswith(".export-")]  # no half-written leftovers


def test_int8_is_its_own_file_and_stays_close(span_model, cache):
    fp32 = OnnxModel(span_model, SPAN_READER, cache)
    int8 = OnnxModel(span_model, SPAN_READER, cache, variant="int8")
    feed = _pairs(span_model)
    a, b = fp32.run(feed)["start_logits"], int8.run(feed)["start_logits"]
    weights = [p.with_name(p.name + ".data").stat().st_size for p in (fp32.path, int8.path)]
    assert int8.path != fp32.path and weights[1] < weights[0]
    real = feed["attention_mask"].astype(bool)
    assert np.corrcoef(a[real], b[real])[0, 1] > 0.9


def test_new_weights_get_a_new_file(tmp_path, cache):
    first = export_model(_tiny(tmp_path / "a", seed=1), cache, SPAN_READER)
    second = export_model(_tiny(tmp_path / "b", seed=2), cache, SPAN_READER, label="a")
    assert first.name.split("-")[1] != second.name.split("-")[1]  # the weights' hash differs


def test_a_model_without_token_types_takes_two_inputs_and_ignores_the_third(tmp_path, cache):
    folder = _tiny(tmp_path / "distil", kind="distilbert")
    model = OnnxModel(folder, SPAN_READER, cache)
    feed = _pairs(folder)
    got = model.run(feed)  # token_type_ids in the feed is left out
    assert model.input_names == ("input_ids", "attention_mask")
    start, _ = _torch_logits(folder, feed)
    real = feed["attention_mask"].astype(bool)
    assert np.allclose(got["start_logits"][real], start[real], atol=1e-4)


def test_a_missing_output_or_folder_is_one_clear_error(span_model, tmp_path, cache):
    with pytest.raises(ConfigError, match=r"gives no logits; its outputs are .*start_logits"):
        export_model(span_model, cache, GraphSpec("scorer", "AutoModelForQuestionAnswering", ("logits",)))
    with pytest.raises(ConfigError, match="no model.safetensors"):
        OnnxModel(tmp_path, SPAN_READER, cache).load()
    with pytest.raises(ConfigError, match="transformers has no AutoNothing"):
        export_model(span_model, cache, GraphSpec("x", "AutoNothing"))
    with pytest.raises(ConfigError, match="no readable tokenizer.json"):
        load_tokenizer(tmp_path)


def test_a_damaged_export_says_how_to_recover(span_model, tmp_path):
    path = export_model(span_model, tmp_path, SPAN_READER)
    path.write_bytes(b"not an onnx graph")
    with pytest.raises(ConfigError, match="delete the file and it is exported again"):
        OnnxModel(span_model, SPAN_READER, tmp_path).load()
