"""A real ``streamlit run app.py`` on a free port, with the real model and a fresh data folder,
and headless Chromium driven by Playwright (never downloaded: the system's /usr/bin/chromium)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"streamlit did not become healthy in {timeout:.0f}s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """The app's address; the server runs on the bundled corpus with an empty data folder."""
    if not CHROMIUM.exists():
        pytest.skip("needs /usr/bin/chromium (apt-get install -y chromium chromium-driver)")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_BOT_")}
    env.update(QA_BOT_DATA_DIR=str(tmp_path_factory.mktemp("e2e-data")), QA_BOT_CORPUS_DIR=str(ROOT / "corpus"),
               HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    log = ARTIFACTS / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc, log)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


def foreign(url: str, app_url: str) -> bool:
    """Whether a request for ``url`` leaves the app's own server (inline ``data:``/``blob:`` stay home)."""
    parts = urlsplit(url)
    return parts.scheme not in ("data", "blob", "about") and parts.netloc != urlsplit(app_url).netloc


@pytest.fixture
def new_page(browser, app_url):
    """Open pages in fresh browser contexts (separate sessions). Fails the test on any JavaScript dialog,
    on any request to a host other than the app's own (offline means offline: fonts, icons, favicons,
    downloads), and on any request the app's server answers with an error (a 404 in the console)."""
    contexts, alerts, outside, failed = [], [], [], []

    def make():
        context = browser.new_context(viewport={"width": 1280, "height": 1800})
        context.set_default_timeout(60_000)
        contexts.append(context)
        page = context.new_page()
        page.on("dialog", lambda d: (alerts.append(d.message), d.dismiss()))
        context.on("request", lambda r: foreign(r.url, app_url) and outside.append(r.url))
        context.on("response", lambda r: r.status >= 400 and failed.append(f"{r.status} {r.url}"))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not alerts, f"a page ran script: {alerts}"
    assert not outside, f"requests left the app's host: {outside}"
    assert not failed, f"requests the app answered with an error: {failed}"
