"""The learned reader: its shipped weights match the model card, and it prefers answers to on-topic text."""

from __future__ import annotations

import re
import socket

import pytest

from qa_bot.answering.reader import CONTEXT_WORDS, DEFAULT_MODEL_DIR, Candidate, Reader, reader_input, sha256_of_weights
from qa_bot.errors import ConfigError

CARD = DEFAULT_MODEL_DIR / "MODEL_CARD.md"


def card_sha256() -> str:
    """The weights' sha256 as the model card states it."""
    found = re.search(r"`model\.safetensors`, sha256 `([0-9a-f]{64})`", CARD.read_text(encoding="utf-8"))
    assert found, f"{CARD} states no sha256 for model.safetensors"
    return found.group(1)


def test_shipped_weights_are_the_ones_the_model_card_describes():
    assert sha256_of_weights() == card_sha256()


def test_reader_input_keeps_the_sentence_first_and_bounds_the_context():
    long = " ".join(f"w{i}" for i in range(100))
    text = reader_input("The council approved three bridges.", long, long)
    assert text.startswith("The council approved three bridges. [SEP] ")
    before, after = text.split(" [SEP] ")[1:]
    assert before.split() == long.split()[-CONTEXT_WORDS:]
    assert after.split() == long.split()[:CONTEXT_WORDS]


def test_a_missing_model_folder_says_how_to_make_one(tmp_path):
    reader = Reader(tmp_path / "nowhere")  # constructing loads nothing, so it cannot fail yet
    with pytest.raises(ConfigError, match="train_reader.py"):
        reader.warm_up()


def test_no_candidates_need_no_model(tmp_path):
    assert Reader(tmp_path / "nowhere").score("Any question?", []).shape == (0,)


@pytest.mark.parametrize("kwargs", [{"batch_size": 0}, {"threads": 0}, {"dtype": "float16"}])
def test_constructor_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        Reader(**kwargs)


@pytest.mark.slow
def test_an_answer_outscores_an_on_topic_sentence_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")

    def no_network(*args, **kwargs):
        raise OSError("network access attempted while loading the reader")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    reader = Reader()
    reader.warm_up()
    question = "How many bridges did the city council approve?"
    answer = Candidate("The council approved three new bridges on Tuesday.",
                       "The city council met on Tuesday.", "Construction starts in spring.")
    topical = ("The council has debated bridge safety for years.", "The city council met on Tuesday.",
               "Construction starts in spring.")
    scores = reader.score(question, [answer, topical])
    assert scores[0] > scores[1]
    assert ((scores >= 0) & (scores <= 1)).all()
    # The order of the results follows the order of the candidates, whatever the batching does inside.
    assert reader.score(question, [topical, answer]).tolist() == pytest.approx(scores[::-1].tolist(), abs=1e-3)
