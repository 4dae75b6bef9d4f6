"""GET /timeline and /said: the news features over HTTP, with the library's refusals as 400s."""

from __future__ import annotations


def test_timeline_lists_dated_events_with_citations(client):
    response = client.get("/timeline")
    assert response.status_code == 200, response.text
    events = response.json()["events"]
    assert events and all(e["citations"] for e in events)
    dates = [e["date"] for e in events]
    assert dates == sorted(dates)


def test_timeline_narrows_to_a_date_range(client):
    data = client.get("/timeline", params={"since": "2026-01-05", "until": "2026-01-05"}).json()
    assert data["since"] == data["until"] == "2026-01-05"
    assert all(e["date"] <= "2026-01-05" for e in data["events"])


def test_timeline_refuses_bad_dates_in_one_line(client):
    bad = client.get("/timeline", params={"since": "yesterday"})
    assert bad.status_code == 400 and "yesterday" in bad.json()["error"]
    backwards = client.get("/timeline", params={"since": "2026-02-01", "until": "2026-01-01"})
    assert backwards.status_code == 400 and "\n" not in backwards.json()["error"]


def test_said_lists_a_speakers_statements_with_citations(client):
    response = client.get("/said", params={"speaker": "Lee"})
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["speaker"] == "Lee" and data["count"] > 0
    quotes = [c["quote"] for g in data["groups"] for st in g["statements"] for c in st["citations"]]
    assert any("one-China" in q for q in quotes)


def test_said_refuses_a_blank_or_missing_speaker_in_one_line(client):
    blank = client.get("/said", params={"speaker": "  "})
    assert blank.status_code == 400 and "speaker is empty" in blank.json()["error"]
    missing = client.get("/said")
    assert missing.status_code == 422 and missing.json()["error"].startswith("speaker:")
