"""The ONNX backends against the torch models they are exported from (real weights: slow)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qa_bot.answering.read import DEFAULT_MODEL_DIR, WEIGHTS_FILE, SpanReader, pad_batch, sha256_of
from qa_bot.answering.windows import ReadingPassage, windows
from qa_bot.config import Settings
from qa_bot.embeddings import make_embedder
from qa_bot.inference.choice import model_cache
from qa_bot.inference.export import onnx_file

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def _texts(n: int = 60) -> list[str]:
    texts = []
    for path in sorted((ROOT / "corpus").glob("*.md"))[:10]:
        body = path.read_text(encoding="utf-8").split("---", 2)[-1]
        texts += [p.strip() for p in body.split("\n\n") if len(p.strip()) > 40]
    return texts[:n] + ["Short.", "x " * 400]  # and one over the model's 256-token limit


@pytest.fixture(scope="module")
def cache() -> Path:
    return model_cache(Settings())  # the install's cache, filled by `make install` (qa-bot prepare)


def test_float32_onnx_gives_the_torch_vectors_and_int8_stays_close(real_embedder, cache):
    texts = _texts()
    reference = real_embedder.embed(texts)
    fp32 = make_embedder(backend="onnx", cache_dir=cache)
    int8 = make_embedder(backend="onnx-int8", cache_dir=cache)
    assert fp32.name == real_embedder.name and int8.name == f"{real_embedder.name}+int8"
    assert np.min(np.sum(reference * fp32.embed(texts), axis=1)) > 0.9999
    cosine = np.sum(reference * int8.embed(texts), axis=1)
    assert cosine.min() > 0.95 and cosine.mean() > 0.985
    assert [fp32.count_tokens(t) for t in texts] == [real_embedder.count_tokens(t) for t in texts]


def test_float32_onnx_sentence_vectors_match_torch(real_embedder, cache):
    texts = _texts(8)
    spans = [[(0, len(t) // 2), (len(t) // 2 + 1, len(t))] for t in texts]
    ref_vectors, ref_spans = real_embedder.embed_spans(texts, spans)
    vectors, rows = make_embedder(backend="onnx", cache_dir=cache).embed_spans(texts, spans)
    assert np.allclose(vectors, ref_vectors, atol=1e-4)
    for ours, theirs in zip(rows, ref_spans):
        assert ours.shape == theirs.shape and np.allclose(ours, theirs, atol=1e-4)


def test_the_span_reader_gives_the_torch_logits_on_onnx(cache):
    import torch
    from transformers import AutoModelForQuestionAnswering

    reader = SpanReader(cache_dir=cache)
    reader.warm_up()
    passages = [ReadingPassage(f"p{i}", t, 0, (0, len(t))) for i, t in enumerate(_texts(6))]
    batch = pad_batch(windows(reader._tokenizer, "What did the president say about the economy?", passages,
                              max_length=reader.max_length, stride=reader.stride))
    start, end = reader._infer(batch)
    model = AutoModelForQuestionAnswering.from_pretrained(DEFAULT_MODEL_DIR, dtype=torch.float32).eval()
    with torch.inference_mode():
        ref = model(**{k: torch.from_numpy(v) for k, v in batch.items()})
    mask = batch["attention_mask"].astype(bool)
    assert np.abs(ref.start_logits.numpy() - start)[mask].max() < 1e-3
    assert np.abs(ref.end_logits.numpy() - end)[mask].max() < 1e-3


def test_exports_are_named_by_the_weights_hash_and_made_once(tmp_path):
    first = onnx_file("reader", DEFAULT_MODEL_DIR, "fp32", tmp_path)
    assert sha256_of(DEFAULT_MODEL_DIR / WEIGHTS_FILE)[:12] in first.name
    stamp = first.stat().st_mtime_ns
    assert onnx_file("reader", DEFAULT_MODEL_DIR, "fp32", tmp_path) == first and first.stat().st_mtime_ns == stamp
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".export-")]  # no half-written leftovers


ASK_WITHOUT_TORCH = """
import json, sys
from qa_bot.bot import QABot
bot = QABot()
answer = bot.ask("What did Lee say about Taiwan?")
heavy = [m for m in ("torch", "transformers", "sentence_transformers") if m in sys.modules]
print(json.dumps({"heavy": heavy, "embedder": bot.embedder.name, "cited": len(answer.citations)}))
"""


def test_asking_with_an_onnx_backend_never_imports_torch_or_transformers(tmp_path, corpus_dir):
    env = {**os.environ, "QA_BOT_DATA_DIR": str(tmp_path / "data"), "QA_BOT_CORPUS_DIR": str(corpus_dir),
           "QA_BOT_READER": "true", "QA_BOT_EMBED_BACKEND": "onnx-int8"}
    built = subprocess.run([sys.executable, "-m", "qa_bot.cli", "ingest", "-q"], env=env, capture_output=True,
                           text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    del env["QA_BOT_EMBED_BACKEND"]  # auto: the index's own embedder
    done = subprocess.run([sys.executable, "-c", ASK_WITHOUT_TORCH], env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {"heavy": [], "embedder": "all-MiniLM-L6-v2+int8", "cited": result["cited"]}
    assert result["cited"] > 0


def test_reindex_moves_a_real_index_between_backends(tmp_path, corpus_dir):
    env = {**os.environ, "QA_BOT_DATA_DIR": str(tmp_path / "data"), "QA_BOT_CORPUS_DIR": str(corpus_dir)}

    def qa_bot(*args, **extra):
        return subprocess.run([sys.executable, "-m", "qa_bot.cli", *args], env={**env, **extra},
                              capture_output=True, text=True, timeout=600)

    assert qa_bot("ingest", "-q", QA_BOT_EMBED_BACKEND="onnx-int8").returncode == 0
    listed = qa_bot("list", "--json").stdout
    refused = qa_bot("ask", "What did Lee say about Taiwan?", QA_BOT_EMBED_BACKEND="torch")
    assert refused.returncode == 6 and "qa-bot reindex" in refused.stderr and "Traceback" not in refused.stderr
    moved = qa_bot("reindex", "--backend", "torch")
    assert moved.returncode == 0, moved.stderr
    assert "Rebuilding the index" in moved.stderr  # the progress bar
    assert qa_bot("list", "--json").stdout == listed
    answered = qa_bot("ask", "What did Lee say about Taiwan?", "--json", QA_BOT_EMBED_BACKEND="torch")
    assert answered.returncode == 0 and json.loads(answered.stdout)["citations"]
