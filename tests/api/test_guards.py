"""The token, the body size limit and the offline /docs page."""

from __future__ import annotations

import re


import pytest
from fastapi.testclient import TestClient

from qa_bot.api.app import create_app
from qa_bot.api.docs import render_docs
from qa_bot.api.guards import BODY_SLACK_BYTES, body_limit
from qa_bot.bot import QABot
from qa_bot.config import Settings

from tests.api.conftest import LOCAL
from tests.fakes import HashEmbedder



@pytest.fixture
def token_client(api_bot):
    with TestClient(create_app(api_bot, token="s3cret-token")) as c:
        yield c


def test_with_a_token_every_endpoint_but_health_needs_it(token_client):
    assert token_client.get("/health").status_code == 200
    for method, path in (("GET", "/articles"), ("POST", "/ask"), ("POST", "/ask/stream"), ("DELETE", "/articles/x"),
                         ("POST", "/eval"), ("GET", "/articles/abcd")):
        response = token_client.request(method, path, json={"question": "Taiwan?"})
        assert response.status_code == 401, (method, path)
        assert "Authorization: Bearer" in response.json()["error"]
        assert response.headers["WWW-Authenticate"] == "Bearer"


def test_a_wrong_token_is_told_apart_from_a_missing_one(token_client):
    missing = token_client.get("/articles").json()["error"]
    wrong = token_client.get("/articles", headers={"Authorization": "Bearer nope"}).json()["error"]
    basic = token_client.get("/articles", headers={"Authorization": "Basic s3cret-token"})
    assert "needs a token" in missing and "wrong" in wrong and basic.status_code == 401
    ok = token_client.get("/articles", headers={"Authorization": "Bearer s3cret-token"})
    assert ok.status_code == 200 and len(ok.json()) == 4


def test_the_token_comes_from_settings(settings):
    bot = QABot(settings.model_copy(update={"api_token": "from-env"}), embedder=HashEmbedder())
    with TestClient(create_app(bot), base_url=LOCAL) as c:
        assert c.get("/articles").status_code == 401
        assert c.get("/articles", headers={"Authorization": "Bearer from-env"}).status_code == 200


def test_api_token_is_read_from_the_environment_and_not_shown(monkeypatch):
    monkeypatch.setenv("QA_BOT_API_TOKEN", "t0ken")
    s = Settings()
    assert s.api_token == "t0ken" and "t0ken" not in repr(s)


def test_bodies_over_the_limit_are_413_before_they_are_read(tmp_path, corpus_dir):
    settings = Settings(data_dir=tmp_path / "d", corpus_dir=corpus_dir, max_upload_mb=0.01, max_article_chars=1000)
    limit = body_limit(settings)
    assert limit == 10_000 + BODY_SLACK_BYTES
    bot = QABot(settings, embedder=HashEmbedder())
    with TestClient(create_app(bot), base_url=LOCAL) as c:
        big = b"x" * (limit + 1)
        declared = c.post("/articles", files={"file": ("big.txt", big, "text/plain")})
        assert declared.status_code == 413 and "QA_BOT_MAX_UPLOAD_MB" in declared.json()["error"]

        def chunks():  # no Content-Length: the limit holds while the body streams in
            for _ in range(20):
                yield b"y" * 8192

        chunked = c.post("/ask", content=chunks(), headers={"content-type": "application/json"})
        assert chunked.status_code == 413 and "over the" in chunked.json()["error"]
        # Within the request limit but over the upload limit: the library's own refusal, still 413.
        over_upload = c.post("/articles", files={"file": ("note.txt", b"word " * 2_100, "text/plain")})
        assert over_upload.status_code == 413 and "note.txt" in over_upload.json()["error"]
        assert c.get("/health").json()["index"]["articles"] == 0


def test_docs_page_needs_no_external_asset_and_lists_every_endpoint(client):
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "<script" not in html and "cdn" not in html.lower()
    assert re.findall(r"<link[^>]*>", html) == ["<link rel='icon' href='/favicon.ico'>"]  # its own icon only
    for path in ("/ask", "/ask/stream", "/articles", "/articles/{article_id}", "/eval", "/health"):
        assert f"<code>{path}</code>" in html
    assert client.get("/openapi.json").json()["paths"]["/ask"]["post"]
    assert client.get("/redoc").status_code == 404


def test_docs_escape_the_schema_text():
    html = render_docs({"info": {"title": "<b>x</b>"}, "paths": {"/p": {"get": {"description": "<script>"}}}})
    assert "<script>" not in html and "&lt;script&gt;" in html and "<b>x</b>" not in html
