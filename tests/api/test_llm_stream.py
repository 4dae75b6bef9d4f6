"""/ask/stream with a language model (the scripted OpenAI-compatible server): its words stream as they come."""

from __future__ import annotations

import importlib.util

import pytest
from fastapi.testclient import TestClient

from qa_bot.api.app import create_app
from qa_bot.bot import QABot

from tests.api.conftest import LOCAL, sse_events
from tests.fakes import HashEmbedder
from tests.llm_server import Script, ScriptedServer

pytestmark = pytest.mark.skipif(not importlib.util.find_spec("langchain_openai"), reason="pip install -e '.[openai]'")

REPLY = ("Lee said that Seoul still respects the one-China position {cite:one-China position}. "
         "Lee plans to visit Taipei in May {cite:one-China position}.")


def test_the_models_words_stream_then_the_verified_answer(settings):
    with ScriptedServer({"Taiwan": Script(REPLY)}) as server:
        s = settings.model_copy(update=dict(llm_base_url=server.url + "/v1", llm_timeout_s=5.0, llm_max_retries=0))
        bot = QABot(s, embedder=HashEmbedder())
        bot.ingest()
        with TestClient(create_app(bot), base_url=LOCAL) as client:
            response = client.post("/ask/stream", json={"question": "What did Lee say about Taiwan?",
                                                         "answerer": "openai:test"})
            unknown = client.post("/ask", json={"question": "What did Lee say about Taiwan?", "answerer": "gpt"})
    events = sse_events(response.text)
    tokens = "".join(d["text"] for name, d in events if name == "token")
    assert tokens.startswith("Lee said that Seoul still respects the one-China position [")
    name, answer = events[-1]
    assert name == "answer" and answer["answerer"] == "openai:test"
    assert [sent["supported"] for sent in answer["sentences"]] == [True, False]  # Taipei is not in the passage
    assert answer["citations"] and "one-China" in answer["citations"][0]["quote"]
    assert unknown.status_code == 400 and "unknown answerer 'gpt'" in unknown.json()["error"]
