"""`make run` says one thing at the end, the URL to open, and asks nothing of the network to say it."""

from __future__ import annotations

import os
import re
import select
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _recipe(target: str) -> list[str]:
    """The recipe lines of a Makefile target, without the leading tab."""
    lines = (ROOT / "Makefile").read_text().splitlines()
    start = next(i for i, line in enumerate(lines) if re.match(rf"{re.escape(target)}\s*:", line))
    recipe = []
    for line in lines[start + 1:]:
        if not line.startswith("\t"):
            break
        recipe.append(line[1:])
    return recipe


def test_streamlit_serves_localhost_so_it_never_looks_up_an_external_ip():
    """Streamlit asks a web service for the external IP only when no server address is set."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] in {"localhost", "127.0.0.1"}
    assert config["logger"]["level"] == "warning"  # no "Uvicorn server started on ..." line before the URL


def test_make_run_keeps_the_configured_address_and_quiets_the_editable_install_notice():
    run = _recipe("run")
    assert any("streamlit run app.py" in line for line in run)
    assert not any("server.address" in line for line in run)
    [editable] = [line for line in _recipe("$(STAMP)") if "-e ." in line]
    makefile = (ROOT / "Makefile").read_text()
    assert editable.startswith("$(QUIET_EDITABLE) ")
    assert 'QUIET_EDITABLE := PYTHONWARNINGS="ignore:Editable installation"' in makefile


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_streamlit_prints_the_local_url_and_no_network_noise(tmp_path):
    """What `make run` ends with: Streamlit's start-up lines, from the repository's own config."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_BOT_")}
    env.update(QA_BOT_DATA_DIR=str(tmp_path / "data"), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1",
               PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = b""
    try:
        deadline = time.monotonic() + 120
        # Raw reads on the descriptor: a buffered readline could hold lines that select() no longer reports.
        while not re.search(rb"URL: \S+\n", output) and time.monotonic() < deadline:  # the whole line
            ready, _, _ = select.select([proc.stdout], [], [], 1.0)
            if ready:
                data = os.read(proc.stdout.fileno(), 65536)
                if not data:  # the server exited
                    break
                output += data
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    text = output.decode()
    printed = text.splitlines()
    assert [line.strip() for line in printed if "URL" in line] == [f"URL: http://localhost:{port}"], text
    assert [line for line in printed if line.strip()][-1].strip() == f"URL: http://localhost:{port}", text
    for noise in ("external IP", "External URL", "Network URL", "Uvicorn"):
        assert noise not in text, text
