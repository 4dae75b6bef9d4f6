"""Models loaded on a background thread: once, errors kept for whoever waits."""

from __future__ import annotations

import threading

import pytest

from qa_bot.bot import QABot
from qa_bot.errors import ConfigError, QABotError
from qa_bot.inference.loading import BackgroundLoad


class Recording(QABot):
    def __init__(self, *args, gate: threading.Event, error: Exception | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.gate, self.error, self.loads = gate, error, 0

    def load_models(self) -> None:
        self.loads += 1
        self.gate.wait(10)
        if self.error is not None:
            raise self.error


def test_the_bot_loads_its_models_once_in_the_background(settings, embedder):
    gate = threading.Event()
    bot = Recording(settings, embedder=embedder, gate=gate)
    assert not bot.models_ready()
    bot.load_models_in_background()
    bot.load_models_in_background()
    assert not bot.models_ready()  # still waiting on the gate
    gate.set()
    bot.wait_for_models()
    assert bot.models_ready() and bot.loads == 1


def test_waiting_starts_the_load_when_nothing_did(settings, embedder):
    bot = Recording(settings, embedder=embedder, gate=threading.Event())
    bot.gate.set()
    bot.wait_for_models()
    assert bot.loads == 1 and bot.models_ready()


def test_a_failed_load_is_raised_to_every_waiter(settings, embedder):
    gate = threading.Event()
    gate.set()
    bot = Recording(settings, embedder=embedder, gate=gate, error=ConfigError("the reader does not load"))
    for _ in range(2):
        with pytest.raises(ConfigError, match="the reader does not load"):
            bot.wait_for_models()
    assert bot.models_ready() and bot.loads == 1


def test_an_unexpected_failure_becomes_one_configuration_error():
    def broken():
        raise RuntimeError("bad file header")

    load = BackgroundLoad(broken)
    with pytest.raises(QABotError, match=r"the models did not load \(RuntimeError: bad file header\).*qa-bot prepare"):
        load.wait()
