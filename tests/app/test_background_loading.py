"""The chat shows before the models have loaded; the first question waits for them (AppTest, fake models).

The factory's bot loads its "models" by waiting on an event the test sets, so the test decides when
loading ends, or makes it fail.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from qa_bot.bot import QABot
from qa_bot.config import Settings
from qa_bot.errors import ConfigError
from tests.fakes import HashEmbedder

APP = Path(__file__).resolve().parents[2] / "app.py"
LOADING = "still loading in the background"


class SlowModelsBot(QABot):
    """A bot whose model loading blocks until ``release`` is set (and then fails if ``failure`` is set)."""

    release = threading.Event()
    failure: Exception | None = None
    loads = 0

    def load_models(self) -> None:
        type(self).loads += 1
        assert type(self).release.wait(timeout=30), "the test never released the models"
        if type(self).failure is not None:
            raise type(self).failure


_BOT: list[QABot] = []


def slow_bot() -> QABot:
    """The factory the app calls here: the fixture corpus indexed, models still loading."""
    bot = SlowModelsBot(Settings(), embedder=HashEmbedder())
    bot.open()
    assert not bot.ingest().errors
    _BOT.append(bot)
    return bot


@pytest.fixture
def app_env(monkeypatch, settings):
    monkeypatch.setenv("QA_BOT_APP_FACTORY", "tests.app.test_background_loading:slow_bot")
    monkeypatch.setenv("QA_BOT_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("QA_BOT_CORPUS_DIR", str(settings.corpus_dir))
    SlowModelsBot.release = threading.Event()
    SlowModelsBot.failure = None
    SlowModelsBot.loads = 0
    yield
    SlowModelsBot.release.set()  # no loading thread outlives the test
    st.cache_resource.clear()
    while _BOT:
        _BOT.pop().close()


def _captions(at: AppTest) -> str:
    return " ".join(c.value for c in at.caption)


def test_the_chat_shows_while_the_models_load_and_the_first_question_waits_for_them(app_env):
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    assert not at.exception, at.exception
    assert at.chat_input and LOADING in _captions(at)  # the page did not wait for the models
    assert len([b for b in at.button if b.key and b.key.startswith("example-")]) == 4
    assert SlowModelsBot.loads == 1 and not _BOT[0].models_ready()

    threading.Timer(0.3, SlowModelsBot.release.set).start()  # loading ends while the question waits
    at.chat_input[0].set_value("Who signed the accord?").run()
    assert not at.exception, at.exception
    assert at.session_state["turns"][0]["answer"] is not None and not at.error
    assert _BOT[0].models_ready() and LOADING not in _captions(at)
    assert SlowModelsBot.loads == 1  # loaded once, in the background


def test_models_that_fail_to_load_are_one_message_on_the_question(app_env):
    SlowModelsBot.failure = ConfigError("the exported model does not load; delete the file")
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    SlowModelsBot.release.set()
    at.chat_input[0].set_value("Who signed the accord?").run()
    assert not at.exception, at.exception
    assert [e.value.replace("\\", "") for e in at.error] == ["the exported model does not load; delete the file"]
    assert at.session_state["turns"][0]["answer"] is None
