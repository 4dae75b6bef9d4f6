"""Shared fixtures: temporary data folders, the fake embedder, and the real model once per session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from qa_bot.config import Settings

from tests.fakes import HashEmbedder

FIXTURES = Path(__file__).parent / "fixtures"
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the tests must never reach a model hub
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """No test reads the user's QA_BOT_* settings or data."""
    for key in list(os.environ):
        if key.startswith("QA_BOT_"):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("QA_BOT_DATA_DIR", str(tmp_path / "default-data"))
    # The learned reader is a second model: tests opt in (tests/answering/test_reader.py); the quality gate
    # (`make eval-check`) runs the real pipeline with it.
    monkeypatch.setenv("QA_BOT_READER", "false")
    # The app serves its index to CLI commands through a local Chroma server: the tests of that opt in
    # (tests/storage/test_shared_folder.py); elsewhere the app keeps the in-process index.
    monkeypatch.setenv("QA_BOT_SHARE_INDEX", "false")


@pytest.fixture
def corpus_dir(tmp_path) -> Path:
    """A writable copy of the fixture corpus."""
    dest = tmp_path / "corpus"
    shutil.copytree(FIXTURES / "corpus", dest)
    return dest


@pytest.fixture
def settings(tmp_path, corpus_dir) -> Settings:
    return Settings(data_dir=tmp_path / "data", corpus_dir=corpus_dir, lock_timeout_s=0.2)


@pytest.fixture
def embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture
def bot(settings, embedder):
    from qa_bot.bot import QABot

    b = QABot(settings, embedder=embedder)
    b.open()
    yield b
    b.close()


@pytest.fixture(scope="session")
def real_embedder():
    """The packaged all-MiniLM-L6-v2, loaded once for every test that needs it."""
    from qa_bot.embeddings import SentenceTransformerEmbedder

    emb = SentenceTransformerEmbedder()
    emb.warm_up()
    return emb
