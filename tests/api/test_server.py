"""The API over real HTTP: uvicorn in a thread (fast, fake embedder), and ``qa-bot serve`` itself (slow)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn

from qa_bot.api.app import create_app

from tests.api.conftest import sse_events

QUESTION = {"question": "What did Lee say about Taiwan?"}


def _wait_for_health(base: str, deadline_s: float, proc: subprocess.Popen | None = None) -> None:
    """Poll ``/health`` until it answers 200 (fail at the deadline, or at once if ``proc`` exits)."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            pytest.fail(f"the server exited with {proc.returncode}: {proc.stderr.read()}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    pytest.fail(f"{base}/health did not answer within {deadline_s}s")


def _check_the_api(base: str, token: str) -> None:
    """What a client of a token-protected server sees: the checks both server tests share."""
    auth = {"Authorization": f"Bearer {token}"}
    refused = httpx.post(f"{base}/ask", json=QUESTION, timeout=30)
    assert refused.status_code == 401 and "Authorization: Bearer" in refused.json()["error"]
    assert httpx.post(f"{base}/ask", json=QUESTION, headers={"Authorization": "Bearer wrong"},
                      timeout=30).status_code == 401

    answer = httpx.post(f"{base}/ask", json=QUESTION, headers=auth, timeout=60).json()
    assert not answer["abstained"] and "one-China" in answer["answer"] and "[1]" in answer["answer"]
    assert answer["citations"][0]["quote"] in answer["answer"]

    with httpx.stream("POST", f"{base}/ask/stream", json=QUESTION, headers=auth, timeout=60) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        events = sse_events("".join(response.iter_text()))
    assert [name for name, _ in events][-1] == "answer" and len(events) > 2
    assert "".join(d["text"] for name, d in events if name == "token") == events[-1][1]["answer"]
    assert events[-1][1]["citations"]

    bad = httpx.post(f"{base}/articles", files={"file": ("photo.txt", bytes(range(256)) * 4, "text/plain")},
                     headers=auth, timeout=30)
    assert bad.status_code == 422
    message = bad.json()["error"]
    assert "photo.txt" in message and "binary" in message and "\n" not in message
    assert len(httpx.get(f"{base}/articles", headers=auth, timeout=30).json()) == 4


def test_uvicorn_serves_the_api_over_http(api_bot):
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(create_app(api_bot, token="tok"), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        _wait_for_health(base, 20)
        _check_the_api(base, "tok")
    finally:
        server.should_exit = True
        thread.join(20)
        sock.close()
    assert not thread.is_alive()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_qa_bot_serve_runs_the_api_and_stops_on_ctrl_c(tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(Path(__file__).parent.parent / "fixtures" / "corpus", corpus)
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_BOT_")}
    env.update(QA_BOT_EMBED_MODEL="hashing", QA_BOT_READER="false", QA_BOT_DATA_DIR=str(tmp_path / "data"),
               QA_BOT_CORPUS_DIR=str(corpus), QA_BOT_API_TOKEN="s3cret", QA_BOT_SHARE_INDEX="false")
    port = _free_port()
    cli = Path(sys.executable).with_name("qa-bot")
    proc = subprocess.Popen([str(cli), "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        _wait_for_health(f"http://127.0.0.1:{port}", 60, proc)
        _check_the_api(f"http://127.0.0.1:{port}", "s3cret")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            _, stderr = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0, stderr
    assert "building it from" in stderr and "Traceback" not in stderr


@pytest.mark.slow
def test_qa_bot_serve_on_a_busy_port_fails_in_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_BOT_")}
    env.update(QA_BOT_EMBED_MODEL="hashing", QA_BOT_READER="false", QA_BOT_DATA_DIR=str(tmp_path / "data"),
               QA_BOT_CORPUS_DIR=str(tmp_path / "none"), QA_BOT_SHARE_INDEX="false")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        cli = Path(sys.executable).with_name("qa-bot")
        result = subprocess.run([str(cli), "serve", "--port", str(busy.getsockname()[1])], env=env,
                                capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "is already in use; stop the program using it or choose another --port" in result.stderr


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20"])
def test_serve_refuses_a_non_loopback_address_without_a_token_in_one_line(host, monkeypatch):
    from typer.testing import CliRunner

    from qa_bot import cli
    from qa_bot.commands import serve

    monkeypatch.setattr(serve, "listen", lambda *a: pytest.fail("it listened before refusing"))
    result = CliRunner().invoke(cli.app, ["serve", "--host", host, "--port", "8765"])
    assert result.exit_code == 6, result.output
    assert result.stdout == "" and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert f"--host {host} would let other machines use the API without a token" in result.stderr
    assert "QA_BOT_API_TOKEN=" in result.stderr


def test_listen_refuses_a_busy_port_and_an_unknown_host_in_one_line():
    from qa_bot.commands.serve import base_url, listen

    sock = listen("127.0.0.1", _free_port())
    try:
        port = sock.getsockname()[1]
        with pytest.raises(ValueError, match=rf"--port {port}: 127.0.0.1:{port} is already in use"):
            listen("127.0.0.1", port)
    finally:
        sock.close()
    with pytest.raises(ValueError, match="--host no-such-host.invalid: not an address"):
        listen("no-such-host.invalid", 8000)
    assert base_url("::1", 8000) == "http://[::1]:8000"


@pytest.mark.slow
def test_the_api_and_the_cli_share_one_index_while_the_server_runs(tmp_path):
    """With sharing on (the default), ``qa-bot add`` joins the server's index; the API sees the article."""
    corpus = tmp_path / "corpus"
    shutil.copytree(Path(__file__).parent.parent / "fixtures" / "corpus", corpus)
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_BOT_")}
    env.update(QA_BOT_EMBED_MODEL="hashing", QA_BOT_READER="false", QA_BOT_DATA_DIR=str(tmp_path / "data"),
               QA_BOT_CORPUS_DIR=str(corpus))
    cli = Path(sys.executable).with_name("qa-bot")
    port = _free_port()
    proc = subprocess.Popen([str(cli), "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for_health(base, 90, proc)
        before = len(httpx.get(f"{base}/articles", timeout=30).json())
        article = tmp_path / "harbour.md"
        article.write_text("---\ntitle: Harbour pilots strike over night shifts\noutlet: Port Gazette\n"
                           "published: 2026-02-01\n---\n\nHarbour pilots in Westport began a strike on Sunday "
                           "over night shifts, the pilots' union said.\n")
        added = subprocess.run([str(cli), "add", str(article)], env=env, capture_output=True, text=True,
                               timeout=300)
        assert added.returncode == 0, added.stderr
        listed = httpx.get(f"{base}/articles", timeout=30).json()
        assert len(listed) == before + 1 and any(a["outlet"] == "Port Gazette" for a in listed)
        answer = httpx.post(f"{base}/ask", json={"question": "Why did the harbour pilots strike?"},
                            timeout=60).json()
        assert any(c["outlet"] == "Port Gazette" for c in answer["citations"]), answer
        status = subprocess.run([str(cli), "status"], env=env, capture_output=True, text=True, timeout=120)
        assert status.returncode == 0 and f"articles:   {before + 1}" in status.stdout, status.stderr
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            _, stderr = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
    assert proc.returncode == 0 and "Traceback" not in stderr, stderr
