"""/docs in a real browser (issue 26): the POST /articles body shows its ``title`` field, the page asks for
nothing that fails (its icon included) and nothing outside the server."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import uvicorn

from qa_bot.api.app import create_app

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs the system Chromium (.ci/run installs it)")
def test_docs_page_shows_the_title_field_and_loads_cleanly(api_bot):
    from playwright.sync_api import sync_playwright

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(create_app(api_bot, token="tok"), log_level="warning"))
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    try:
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page()
            requests, failures, console = [], [], []
            page.on("request", lambda r: requests.append(r.url))
            page.on("response", lambda r: r.status >= 400 and failures.append(f"{r.status} {r.url}"))
            page.on("console", lambda m: m.type == "error" and console.append(m.text))
            page.goto(f"{base}/docs")
            page.wait_for_load_state("networkidle")
            heading = page.locator("h2", has_text="/articles").filter(has_text="POST")
            body = heading.locator("xpath=following-sibling::pre[1]").inner_text()
            text = page.inner_text("body")
            icon = page.request.get(f"{base}/favicon.ico")  # headless Chromium does not fetch icons itself
            icon_ok = (icon.status, icon.headers["content-type"]) == (200, "image/x-icon")
            browser.close()
        assert '"title": {' in body and '"text": {' in body
        assert "``" not in text and ":func:" not in text
        assert icon_ok  # without the token, as a browser asks for it
        assert not failures and not console, (failures, console)
        assert all(url.startswith(base) for url in requests), requests
    finally:
        server.should_exit = True
