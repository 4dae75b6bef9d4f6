"""app_pages.factory: the bot the app serves is named by an environment variable."""

from __future__ import annotations

import pytest

from app_pages.factory import FACTORY_ENV, bot_cache_key, make_bot
from qa_bot.bot import QABot
from qa_bot.errors import ConfigError

NOT_CALLABLE = "a module attribute that is not a function"


def _factory():
    """A stand-in factory the tests name through the environment."""
    return "a bot"


def test_bot_factory_is_named_by_an_environment_variable(monkeypatch):
    monkeypatch.setenv(FACTORY_ENV, "tests.app.test_factory:_factory")
    assert make_bot() == "a bot"
    assert (FACTORY_ENV, "tests.app.test_factory:_factory") in bot_cache_key()
    monkeypatch.setenv("OTHER_VARIABLE", "x")
    assert all(k.startswith("QA_BOT_") for k, _ in bot_cache_key())
    for spec in ("no-colon", "tests.app.test_factory:missing", "no.such.module:f",
                 "tests.app.test_factory:NOT_CALLABLE"):
        with pytest.raises(ConfigError):
            make_bot(spec)



def test_without_the_variable_the_app_serves_the_production_bot(monkeypatch):
    monkeypatch.delenv(FACTORY_ENV, raising=False)
    bot = make_bot()  # builds the bot only: no index is opened and no model loaded
    assert type(bot) is QABot
