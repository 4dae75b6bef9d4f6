"""POST /ask and /ask/stream: the CLI's answer shape, follow-ups, filters, validation, streaming."""

from __future__ import annotations

import pytest

from tests.api.conftest import sse_events

CITATION_KEYS = {"n", "article_id", "title", "outlet", "published", "url", "quote", "start", "end"}


def test_ask_returns_a_cited_answer_in_the_cli_json_shape(client):
    response = client.post("/ask", json={"question": "What did Lee say about Taiwan?"})
    assert response.status_code == 200, response.text
    data = response.json()
    assert {"answer", "abstained", "citations", "passages", "timings_ms"} <= set(data)
    assert not data["abstained"] and "one-China" in data["answer"]
    assert data["citations"] and all(CITATION_KEYS <= set(c) for c in data["citations"])
    assert "[1]" in data["answer"]


def test_ask_takes_a_follow_up_with_its_history(client):
    history = [{"role": "user", "content": "What did Lee say about Taiwan?"},
               {"role": "assistant", "content": "Lee said Seoul still respects the one-China position [1]."}]
    data = client.post("/ask", json={"question": "And what did he say about Xi?", "history": history}).json()
    assert "Lee" in data["condensed_question"]


def test_ask_filters_by_outlet_and_dates(client):
    only = client.post("/ask", json={"question": "What happened in Beijing?", "k": 10,
                                     "filters": {"outlets": ["Test Ledger"]}}).json()
    assert only["passages"] and {p["outlet"] for p in only["passages"]} == {"Test Ledger"}
    dated = client.post("/ask", json={"question": "What happened in Beijing?", "k": 10,
                                      "filters": {"since": "2026-01-05", "until": "2026-01-05"}}).json()
    assert dated["passages"] and {p["published"] for p in dated["passages"]} == {"2026-01-05"}


@pytest.mark.parametrize("body, status, words", [
    ({"question": "   "}, 400, "question is empty"),
    ({"question": "Taiwan?", "k": 0}, 400, "k must be between 1 and"),
    ({"question": "Taiwan?", "k": 999}, 400, "k must be between 1 and"),
    ({"question": "x" * 5000}, 400, "the limit is"),
    ({"question": "Taiwan?", "answerer": "gpt"}, 400, "unknown answerer"),
    ({"question": "Taiwan?", "filters": {"since": "2026-02-01", "until": "2026-01-01"}}, 400, "date range is empty"),
    ({"question": "Taiwan?", "filters": {"since": "last week"}}, 422, "filters.since"),
    ({"question": "Taiwan?", "kk": 3}, 422, "kk"),
    ({}, 422, "question"),
])
def test_bad_questions_are_refused_with_one_line_naming_the_problem(client, body, status, words):
    response = client.post("/ask", json=body)
    assert response.status_code == status, response.text
    message = response.json()["error"]
    assert words in message and "\n" not in message and "Traceback" not in response.text


def test_a_body_that_is_not_json_is_refused_in_one_line(client):
    response = client.post("/ask", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422 and "\n" not in response.json()["error"]


def test_stream_sends_tokens_then_the_checked_answer(client):
    with client.stream("POST", "/ask/stream", json={"question": "What did Lee say about Taiwan?"}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        text = "".join(response.iter_text())
    events = sse_events(text)
    names = [name for name, _ in events]
    assert names[-1] == "answer" and set(names[:-1]) == {"token"} and len(names) > 2
    answer = events[-1][1]
    assert "".join(data["text"] for _, data in events[:-1]) == answer["answer"]
    assert answer["citations"]


def test_stream_refuses_a_bad_question_with_a_status_not_a_broken_stream(client):
    response = client.post("/ask/stream", json={"question": "Taiwan?", "k": 0})
    assert response.status_code == 400 and "k must be" in response.json()["error"]


def test_an_unexpected_failure_is_a_500_with_one_line_and_no_traceback(client, api_bot, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(api_bot, "ask", broken)
    response = client.post("/ask", json={"question": "What did Lee say about Taiwan?"})
    assert response.status_code == 500
    assert response.json() == {"error": "internal error (RuntimeError); the server log has the details, "
                                        "report this as a bug"}


def test_a_broken_index_is_503_with_its_message(client, api_bot, monkeypatch):
    from qa_bot.errors import StoreError

    def broken(*args, **kwargs):
        raise StoreError("the index cannot be read; run `qa-bot ingest` to rebuild it")

    monkeypatch.setattr(api_bot, "ask", broken)
    response = client.post("/ask", json={"question": "What did Lee say about Taiwan?"})
    assert response.status_code == 503 and "Retry-After" in response.headers
    assert response.json()["error"].startswith("the index cannot be read")


def test_health_and_unknown_paths(client):
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["index"]["articles"] == 4
    response = client.get("/nowhere")
    assert response.status_code == 404 and "/docs" in response.json()["error"]


def test_a_failure_midway_through_a_stream_ends_it_with_an_error_event(client, api_bot, monkeypatch):
    from qa_bot.errors import StoreError

    def failing(*args, **kwargs):
        yield "The first words "
        raise StoreError("the index became unreadable; restart the server to rebuild it")

    monkeypatch.setattr(api_bot, "stream", failing)
    response = client.post("/ask/stream", json={"question": "What did Lee say about Taiwan?"})
    assert response.status_code == 200
    assert sse_events(response.text) == [
        ("token", {"text": "The first words "}),
        ("error", {"error": "the index became unreadable; restart the server to rebuild it", "status": 503})]
