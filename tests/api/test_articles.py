"""The /articles routes: list, read by id or prefix, add (JSON, upload, URL) with the library's refusals, delete."""

from __future__ import annotations

from tests.fakes import make_pdf

NOTE = {"title": "Banquet note", "text": "The state banquet menu featured seven courses and a dessert of pears.",
        "outlet": "Desk", "url": "https://desk.example.com/banquet", "published": "2026-01-06"}


def _ids(client) -> list[str]:
    return [a["id"] for a in client.get("/articles").json()]


def test_list_has_the_cli_json_fields_newest_first(client):
    articles = client.get("/articles").json()
    assert len(articles) == 4
    assert {"id", "title", "outlet", "published", "url", "chunks", "origin"} <= set(articles[0])
    dates = [a["published"] for a in articles if a["published"]]
    assert dates == sorted(dates, reverse=True)


def test_get_by_id_and_by_unique_prefix_includes_the_text(client):
    first = client.get("/articles").json()[0]
    whole = client.get(f"/articles/{first['id']}").json()
    assert whole["id"] == first["id"] and whole["text"]
    assert client.get(f"/articles/{first['id'][:6]}").json()["id"] == first["id"]


def test_unknown_and_too_short_ids_are_404_naming_the_id(client):
    missing = client.get("/articles/ffffffffffffffff")
    assert missing.status_code == 404 and "ffffffffffffffff" in missing.json()["error"]
    assert client.get("/articles/ab").status_code == 404


def test_an_ambiguous_prefix_is_400_with_the_candidates(client, api_bot, monkeypatch):
    from qa_bot.errors import AmbiguousIdError

    def ambiguous(*ids):
        raise AmbiguousIdError(ids[0], ["abcd1111  2026-01-05  Desk  One", "abcd2222  2026-01-06  Desk  Two"])

    monkeypatch.setattr(api_bot, "resolve_ids", ambiguous)
    response = client.get("/articles/abcd")
    assert response.status_code == 400
    assert response.json()["error"].startswith("id 'abcd' starts 2 article ids")
    assert response.json()["candidates"][1].startswith("abcd2222")


def test_add_json_article_then_read_ask_and_delete_it(client):
    added = client.post("/articles", json=NOTE)
    assert added.status_code == 200, added.text
    report = added.json()
    [article_id] = report["added"]
    assert report["index"]["articles"] == 5 and not report["errors"]
    assert client.post("/articles", json=NOTE).json()["unchanged"] == [article_id]  # re-adding changes nothing
    answer = client.post("/ask", json={"question": "How many courses did the banquet menu feature?"}).json()
    assert any(c["article_id"] == article_id for c in answer["citations"])
    deleted = client.delete(f"/articles/{article_id[:8]}")
    assert deleted.json()["removed"] == [article_id] and deleted.json()["index"]["articles"] == 4
    assert client.get(f"/articles/{article_id}").status_code == 404


def test_add_refuses_bad_json_articles_with_the_library_message(client):
    empty = client.post("/articles", json=dict(NOTE, text="   "))
    assert empty.status_code == 422 and "pasted text" in empty.json()["error"]
    bad_date = client.post("/articles", json=dict(NOTE, published="someday"))
    assert bad_date.status_code == 422 and "someday" in bad_date.json()["error"]
    unknown_field = client.post("/articles", json=dict(NOTE, colour="red"))
    assert unknown_field.status_code == 422 and "colour" in unknown_field.json()["error"]
    assert client.post("/articles", json=[NOTE]).status_code == 422
    assert len(_ids(client)) == 4


def test_upload_adds_a_file_and_refuses_a_binary_one(client):
    pdf = make_pdf(["Officials signed a water treaty on the river dispute."], title="Water treaty")
    ok = client.post("/articles", files={"file": ("treaty.pdf", pdf, "application/pdf")})
    assert ok.status_code == 200, ok.text
    assert len(ok.json()["added"]) == 1
    bad = client.post("/articles", files={"file": ("photo.txt", bytes(range(256)) * 4, "text/plain")})
    assert bad.status_code == 422
    message = bad.json()["error"]
    assert "photo.txt" in message and "binary" in message and "\n" not in message
    no_file = client.post("/articles", files={"other": ("a.txt", b"text", "text/plain")})
    assert no_file.status_code == 422 and "'file'" in no_file.json()["error"]
    assert len(_ids(client)) == 5


def test_url_refusal_is_the_fetchers_one_line(client):
    response = client.post("/articles", json={"url": "ftp://example.com/story"})
    assert response.status_code == 422 and "ftp://example.com/story" in response.json()["error"]
    private = client.post("/articles", json={"url": "http://127.0.0.1:9/story"})
    assert private.status_code == 422 and "127.0.0.1" in private.json()["error"]


def test_other_content_types_are_refused(client):
    response = client.post("/articles", content=b"title: x", headers={"content-type": "text/yaml"})
    assert response.status_code == 415 and "multipart/form-data" in response.json()["error"]


def test_delete_of_an_unknown_id_removes_nothing(client):
    response = client.delete("/articles/ffffffffffffffff")
    assert response.status_code == 404 and len(_ids(client)) == 4
