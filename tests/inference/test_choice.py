"""Which embedder runs: auto follows the index; another embedder's index is refused until re-embedded."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from qa_bot import cli
from qa_bot.config import Settings
from qa_bot.embeddings import make_embedder
from qa_bot.errors import ConfigError
from qa_bot.inference.choice import DEFAULT_BACKEND, choose_backend
from qa_bot.ingest.loaders import load_text
from qa_bot.storage.meta import rebuild_reason, recorded_embedder
from qa_bot.storage.store import Store

from tests.fakes import HashEmbedder


def _index_with(settings: Settings, name: str) -> None:
    embedder = HashEmbedder()
    embedder.name = name
    store = Store(settings, embedder)
    store.open()
    store.add([load_text("Officials met in the capital on Monday to sign a trade accord.", title="Accord",
                         url="https://example.com/accord")])
    store.close()


@pytest.mark.parametrize("built_with, backend", [("all-MiniLM-L6-v2+int8", "onnx-int8"),
                                                 ("all-MiniLM-L6-v2", "onnx")])
def test_auto_runs_the_embedder_the_index_was_built_with(settings, built_with, backend):
    _index_with(settings, built_with)
    assert recorded_embedder(settings.data_dir) == built_with
    assert choose_backend(settings) == backend
    assert choose_backend(settings, follow_index=False) == DEFAULT_BACKEND  # evals build their own indexes
    assert choose_backend(settings.model_copy(update={"embed_backend": "torch"})) == "torch"  # a choice is kept


def test_a_new_data_folder_gets_the_measured_default(settings):
    assert recorded_embedder(settings.data_dir) == ""
    assert choose_backend(settings) == DEFAULT_BACKEND


def test_a_damaged_registry_does_not_stop_the_choice(settings):
    settings.data_dir.mkdir(parents=True)
    (settings.data_dir / "registry.sqlite3").write_bytes(b"not a database" * 100)
    assert recorded_embedder(settings.data_dir) == ""  # the store's own checks restore it on open
    assert choose_backend(settings) == DEFAULT_BACKEND


def test_rebuild_reason_refuses_another_embedder_and_rebuilds_for_chunk_settings(tmp_path):
    same = "model-a|max=200|target=140|title-prefix"
    assert rebuild_reason(tmp_path, same, same, reembed=False) == ""
    assert rebuild_reason(tmp_path, "", same, reembed=False) == ""  # an index from before signatures
    assert "chunk settings changed" in rebuild_reason(tmp_path, same, "model-a|max=100|target=60|title-prefix", False)
    with pytest.raises(ConfigError, match=r"holds vectors of the model-a embedder.*qa-bot reindex"):
        rebuild_reason(tmp_path, same, "model-b|max=200|target=140|title-prefix", reembed=False)
    assert "re-embedding every article with model-b" in rebuild_reason(
        tmp_path, same, "model-b|max=200|target=140|title-prefix", reembed=True)


def test_an_onnx_backend_needs_a_local_model_folder(tmp_path):
    with pytest.raises(ConfigError, match="not a local model folder"):
        make_embedder("some-hub-name/that-is-not-here", "onnx-int8", tmp_path)
    with pytest.raises(ConfigError, match="choose auto"):
        make_embedder("packaged:all-MiniLM-L6-v2", "tensorrt", tmp_path)


def test_switching_embedders_is_refused_until_reindex_rewrites_every_vector(monkeypatch, corpus_dir, tmp_path):
    monkeypatch.setenv("QA_BOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("QA_BOT_CORPUS_DIR", str(corpus_dir))
    runner = CliRunner()

    def run(*args, model="hashing:128"):
        monkeypatch.setenv("QA_BOT_EMBED_MODEL", model)
        return runner.invoke(cli.app, list(args))

    assert run("ingest", "-q").exit_code == 0
    listed = run("list", "--json").stdout
    refused = run("ask", "What did Lee say about Taiwan?", model="hashing:64")
    assert refused.exit_code == 6, refused.output
    assert "hashing-128" in refused.stderr and "hashing-64" in refused.stderr and "qa-bot reindex" in refused.stderr
    assert run("ask", "What did Lee say about Taiwan?").exit_code == 0  # the index is as it was

    done = run("reindex", model="hashing:64")
    assert done.exit_code == 0, done.output
    assert "Re-embedded 4 articles" in done.stdout and "hashing-64" in done.stdout
    assert run("list", "--json", model="hashing:64").stdout == listed  # every article kept, unchanged
    assert run("ask", "What did Lee say about Taiwan?", model="hashing:64").exit_code == 0
    assert "nothing to re-embed" in run("reindex", model="hashing:64").stdout
    assert run("ask", "What did Lee say about Taiwan?").exit_code == 6  # now the old one is the stranger
    bad = run("reindex", "--backend", "tensorrt")
    assert bad.exit_code == 2 and "--backend 'tensorrt'" in bad.stderr
