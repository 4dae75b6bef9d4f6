"""Issue 14, finding 13: the app and ``qa-bot`` commands on one data folder at the same time.

The app's bot serves its embedded index (from its own process, for a secret drawn at each start);
commands join it with the secret from ``index-server.json``. Issue 27: nothing else gets in.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

import httpx
import pytest

from qa_bot.bot import QABot
from qa_bot.config import Settings
from qa_bot.embeddings import make_embedder
from qa_bot.storage.server import CALL_PATH, SERVER_FILE, live_server

pytestmark = pytest.mark.slow  # starts several qa-bot processes

BODY = "Delegates discussed {topic} at length in the capital, and officials promised a follow-up meeting soon."


@pytest.fixture
def app_bot(tmp_path, corpus_dir, monkeypatch):
    monkeypatch.setenv("QA_BOT_SHARE_INDEX", "true")
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=corpus_dir, embed_model="hashing")
    bot = QABot(settings, embedder=make_embedder("hashing"), serve_index=True)
    # Opened in a thread that ends at once, as the app opens it in a script run: the server must outlive it.
    opener = threading.Thread(target=lambda: (bot.open(), bot.ingest()))
    opener.start()
    opener.join(120)
    yield bot
    bot.close()


def _qa(tmp_path, corpus_dir, *args, timeout=180):
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_BOT_")}
    env.update(QA_BOT_DATA_DIR=str(tmp_path / "data"), QA_BOT_CORPUS_DIR=str(corpus_dir), QA_BOT_EMBED_MODEL="hashing",
               QA_BOT_READER="false")
    done = subprocess.run([sys.executable, "-m", "qa_bot.cli", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def test_commands_work_while_the_app_runs_and_nothing_is_lost(app_bot, tmp_path, corpus_dir):
    server_file = tmp_path / "data" / SERVER_FILE
    assert server_file.is_file() and server_file.stat().st_mode & 0o077 == 0
    address = live_server(tmp_path / "data")
    unauthenticated = httpx.post(f"http://{address.host}:{address.port}{CALL_PATH}", timeout=10, json={
        "op": "delete", "collection": app_bot.settings.collection, "args": {"where": {"article_id": {"$ne": ""}}}})
    assert unauthenticated.status_code == 401 and app_bot.stats()["index_records"] == app_bot.stats()["chunks"] > 0
    status = _qa(tmp_path, corpus_dir, "status")
    assert status.returncode == 0, status.stderr
    assert "articles:   4" in status.stdout
    assert "chroma:     served at 127.0.0.1:" in status.stdout  # not "embedded": the app serves the folder

    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(8):
        (docs / f"cli-{i}.txt").write_text(BODY.format(topic=f"fisheries quota number {i}"))
    app_added: list[str] = []

    def app_adds():  # the app adds while the command adds
        for i in range(8):
            app_added.extend(app_bot.add_text(BODY.format(topic=f"semiconductor tariff number {i}"),
                                              title=f"App note {i}").report.added)

    thread = threading.Thread(target=app_adds)
    thread.start()
    added = _qa(tmp_path, corpus_dir, "add", "-q", "--json", str(docs))
    thread.join(120)
    assert added.returncode == 0, added.stderr
    assert len(json.loads(added.stdout)["added"]) == 8 and len(app_added) == 8

    asked = _qa(tmp_path, corpus_dir, "ask", "What was said about the fisheries quota?", "--json")
    assert asked.returncode == 0, asked.stderr
    assert json.loads(asked.stdout)["citations"]

    listed = json.loads(_qa(tmp_path, corpus_dir, "list", "--json").stdout)
    assert len(listed) == 4 + 8 + 8
    stats = app_bot.stats()  # the app sees the command's articles, and every chunk is in the index once
    assert stats["articles"] == 20 and stats["chunks"] == stats["index_records"]
    assert any("fisheries" in c.quote for c in app_bot.ask("What was said about the fisheries quota?").citations)

    app_bot.close()  # the app exits: the server goes, the folder is an ordinary embedded folder again
    assert not (tmp_path / "data" / SERVER_FILE).exists()
    after = _qa(tmp_path, corpus_dir, "status")
    assert after.returncode == 0 and "articles:   20" in after.stdout, after.stderr
    assert "chroma:     embedded" in after.stdout
    assert "note:" not in after.stderr, "no repair or rebuild after the app closed cleanly"


def test_without_a_server_a_second_owner_is_still_refused_clearly(tmp_path, corpus_dir):
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=corpus_dir, embed_model="hashing")
    owner = QABot(settings, embedder=make_embedder("hashing"))  # not serving: e.g. QA_BOT_SHARE_INDEX=false
    owner.open()
    try:
        refused = _qa(tmp_path, corpus_dir, "status")
        assert refused.returncode == 4 and "is in use by" in refused.stderr
    finally:
        owner.close()


APP = """
import sys, time
from qa_bot.bot import QABot
from qa_bot.config import Settings
from qa_bot.embeddings import make_embedder
bot = QABot(Settings(embed_model="hashing"), embedder=make_embedder("hashing"), serve_index=True)
bot.open()
bot.ingest()
print("ready", flush=True)
time.sleep(600)
"""


def test_a_killed_app_takes_its_server_with_it_and_the_folder_works_after(tmp_path, corpus_dir):
    """The server is a thread of the app: once the app is killed, nothing listens on its port."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_BOT_")}
    env.update(QA_BOT_DATA_DIR=str(tmp_path / "data"), QA_BOT_CORPUS_DIR=str(corpus_dir), QA_BOT_SHARE_INDEX="true")
    app = subprocess.Popen([sys.executable, "-c", APP], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert app.stdout.readline().strip() == "ready"
        info = json.loads((tmp_path / "data" / SERVER_FILE).read_text())
        assert info["pid"] == app.pid
        assert _qa(tmp_path, corpus_dir, "add", "-q", str(_doc(tmp_path))).returncode == 0
    finally:
        app.kill()
        app.wait()
    with pytest.raises(httpx.ConnectError):
        httpx.post(f"http://127.0.0.1:{info['port']}{CALL_PATH}", timeout=5)
    assert live_server(tmp_path / "data") is None
    status = _qa(tmp_path, corpus_dir, "status")
    assert status.returncode == 0 and "articles:   5" in status.stdout, status.stderr


def _doc(tmp_path):
    path = tmp_path / "late.txt"
    path.write_text(BODY.format(topic="the ferry timetable"))
    return path

