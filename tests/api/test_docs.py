"""What an HTTP client reads (issue 26): /docs keeps every field and shows plain text, the icon is served, and
errors speak HTTP (no command-line hints; malformed JSON located in words)."""

from __future__ import annotations

import html
import re

import pytest

from qa_bot.api.docs import plain_text, render_docs


def _section(page: str, method: str, path: str) -> str:
    start = page.index(f"<span class='m'>{method}</span><code>{path}</code>")
    end = page.find("<h2>", start + 1)
    return html.unescape(page[start:end if end > 0 else None])


def test_the_articles_body_in_docs_keeps_its_title_field(client):
    body = _section(client.get("/docs").text, "POST", "/articles")
    assert re.search(r'"title": \{\s*"type": "string"', body), body[:2000]
    assert all(f'"{field}"' in body for field in ("text", "outlet", "url", "published", "author"))


def test_docs_show_descriptions_as_plain_text(client):
    page = html.unescape(client.get("/docs").text)
    assert "``" not in page and ":func:" not in page and ":class:" not in page
    assert "the shape of qa-bot ask --json" in page.lower()


def test_plain_text_drops_rest_and_markdown_marks_only():
    assert plain_text("The ``ask --json`` shape, :func:`~qa_bot.news.said.statements`, `token` [1]") == \
        "The ask --json shape, statements, token [1]"
    schema = {"paths": {"/p": {"post": {"requestBody": {"content": {"application/json": {"schema": {
        "title": "Generated", "properties": {"title": {"title": "Title", "type": "string"},
                                             "properties": {"type": "integer", "description": "``n`` things"}}}}}}}}}}
    page = html.unescape(render_docs(schema))
    assert '"title": {' in page and '"Generated"' not in page and '"Title"' not in page and '"n things"' in page


def test_the_favicon_is_an_icon_open_without_the_token(api_bot):
    from fastapi.testclient import TestClient

    from qa_bot.api.app import create_app

    with TestClient(create_app(api_bot, token="t")) as c:
        icon = c.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/x-icon"
    assert icon.content[:4] == b"\x00\x00\x01\x00" and b"PNG" in icon.content[:40]


def test_a_missing_article_names_the_http_way_to_find_ids(client):
    message = client.get("/articles/ffffffffffffffff").json()["error"]
    assert "GET /articles lists them" in message and "qa-bot" not in message


def test_said_hints_at_the_speakers_endpoint_which_lists_the_names(client):
    message = client.get("/said", params={"speaker": "the minister"}).json()["error"]
    assert "GET /speakers lists them" in message and "qa-bot" not in message
    speakers = client.get("/speakers").json()["speakers"]
    assert speakers and all(set(s) == {"name", "statements"} for s in speakers)


@pytest.mark.parametrize("path, body, words", [
    ("/ask", b'{"question": "Taiwan?",\n "k": }', "a value was expected at line 2, column 7"),
    ("/ask", b'{"question" "Taiwan?"}', "a colon was expected at line 1, column 13"),
    ("/articles", b'{"title": "A", "text": "unclosed}', "the string that starts at line 1, column 24 is never closed"),
    ("/eval", b'{"questions": [1 2]}', "a comma was expected at line 1, column 18"),
])
def test_malformed_json_is_located_in_words(client, path, body, words):
    response = client.post(path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422
    message = response.json()["error"]
    assert f"the body is not valid JSON ({words})" in message and not message[0].isdigit()
