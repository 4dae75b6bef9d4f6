"""The same store code against a real Chroma server (``chroma run``) on 127.0.0.1."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from qa_bot.bot import QABot
from qa_bot.config import Settings
from qa_bot.errors import StoreError

from tests.fakes import HashEmbedder

pytestmark = pytest.mark.slow  # starts a Chroma server process


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    beside = Path(sys.executable).parent / "chroma"  # the venv's bin, even when it is not on PATH
    exe = str(beside) if beside.exists() else shutil.which("chroma")
    if exe is None:
        pytest.fail("the `chroma` command (from the chromadb package) is not on PATH")
    port = _free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    proc = subprocess.Popen([exe, "run", "--host", "127.0.0.1", "--port", str(port), "--path", str(path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("chroma run did not start within 60s")
    yield port
    proc.terminate()
    proc.wait(10)


def test_http_client_store_adds_answers_and_removes(chroma_server, tmp_path, corpus_dir):
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=corpus_dir, chroma_host="127.0.0.1",
                        chroma_port=chroma_server, collection="http_test")
    bot = QABot(settings, embedder=HashEmbedder())
    bot.open()
    assert not (tmp_path / "data" / "chroma").exists()  # nothing embedded on disk: the server holds it
    assert len(bot.ingest().report.added) == 4
    answer = bot.ask("What did Lee say about Taiwan?")
    assert any("Taiwan" in c.quote for c in answer.citations)
    lee = answer.citations[0].article_id
    bot.remove(lee)
    assert not any(i.startswith(lee) for i in bot.store.index.all_ids())
    bot.close()
    # A second client (as another app replica would) sees the same index.
    other = QABot(settings.model_copy(update={"data_dir": tmp_path / "data"}), embedder=HashEmbedder())
    other.open()
    assert other.store.index.count() == 3
    other.close()


def test_unreachable_server_gives_a_clear_error(tmp_path):
    settings = Settings(data_dir=tmp_path / "d", chroma_host="127.0.0.1", chroma_port=_free_port())
    with pytest.raises(StoreError, match="cannot reach the Chroma server"):
        QABot(settings, embedder=HashEmbedder()).open()
