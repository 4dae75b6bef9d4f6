"""Follow-up detection and condensation: a follow-up carries the earlier turn's speaker and topic."""

from __future__ import annotations

import pytest

from qa_bot.understanding.condense import Turn, condense, is_followup, normalize_history

HISTORY = [Turn("What did Ana Silva say about the harbour tariffs?", "Ana Silva said the tariffs on shipping would fall next year [1].")]


@pytest.mark.parametrize("question, expected", [
    ("And what did she say about the bridge?", True),  # opens like a continuation
    ("How heavy is each one?", True),  # leans on an earlier turn, names nothing of its own
    ("Why?", True),
    ("What did Kim Min-jun say about the new bridge tolls?", False),
    ("How many ships did the shipyard deliver in spring?", False),
])
def test_is_followup(question, expected):
    assert is_followup(question) is expected


def test_a_follow_up_takes_the_previous_speaker_and_topic():
    out = condense("What did she say about the bridge?", HISTORY)
    assert out.is_followup
    assert "Ana Silva" in out.question and "she" not in out.question.split()
    assert "harbour" in out.carried_terms and "tariff" in out.carried_terms
    assert "bridge" not in out.carried_terms  # the follow-up's own word is not "carried"


def test_after_a_who_question_the_person_named_in_the_answer_is_carried():
    history = [Turn("Who opened the new bridge?", "Mayor Ana Silva opened the new bridge on Monday [1].")]
    out = condense("What did she promise?", history)
    assert "Ana Silva" in out.question
    assert "bridge" in out.carried_terms


def test_a_new_speaker_does_not_inherit_the_old_speakers_name():
    out = condense("And what did Kim say?", HISTORY)
    assert "tariff" in out.carried_terms
    assert "ana" not in out.carried_terms and "silva" not in out.carried_terms


def test_a_self_contained_question_is_not_rewritten():
    question = "What did Kim Min-jun say about the new bridge tolls?"
    out = condense(question, HISTORY)
    assert out.question == question and out.carried_terms == () and not out.is_followup
    assert condense("What did she say?", []).question == "What did she say?"  # no history, nothing to carry


def test_history_is_accepted_as_turns_dicts_or_chat_messages():
    messages = [{"role": "user", "content": "Who opened the bridge?"},
                {"role": "assistant", "content": "Ana Silva [1]."}, "What about the port?"]
    assert normalize_history(messages) == [Turn("Who opened the bridge?", "Ana Silva [1]."), Turn("What about the port?")]
    assert normalize_history([{"question": "Q?", "answer": None}]) == [Turn("Q?", "")]
