"""An API client on a bot with the fake embedder and the fixture corpus indexed."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from qa_bot.api.app import create_app
from qa_bot.bot import QABot

from tests.fakes import HashEmbedder

#: A server without a token answers only loopback host names (TestClient's default is "testserver").
LOCAL = "http://127.0.0.1"


@pytest.fixture
def api_bot(settings):
    """A bot on the fixture corpus (indexed), closed by the app when the client stops."""
    bot = QABot(settings, embedder=HashEmbedder())
    bot.ingest()
    return bot


@pytest.fixture
def client(api_bot):
    """A TestClient running the app's startup and shutdown (warm up, close)."""
    with TestClient(create_app(api_bot), base_url=LOCAL, raise_server_exceptions=False) as c:
        yield c


def sse_events(text: str) -> list[tuple[str, dict]]:
    """``(event, data)`` pairs of a server-sent event stream whose data lines are JSON."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        if not block.strip():
            continue
        fields = dict(line.split(": ", 1) for line in block.split("\n") if ": " in line)
        events.append((fields.get("event", "message"), json.loads(fields["data"])))
    return events
