"""Reading a question: speaker, topic, outlets, dates and the kind of answer it wants."""

from __future__ import annotations

from datetime import date

import pytest

from qa_bot.understanding.analysis import analyse, answer_type, match_outlets

OUTLETS = ["Lantern Daily", "Harbour Daily", "Harbour News"]


def test_a_quote_question_reads_its_speaker_and_topic():
    a = analyse("What did Park Ji-hoon say about the harbour tariffs?")
    assert a.speaker == "Park Ji-hoon" and a.is_quote_question
    assert a.speaker_tokens == {"park", "ji-hoon"}
    assert a.topic_terms == ("harbour", "tariff")  # neither the speaker nor "say"


def test_a_plain_question_has_no_speaker():
    a = analyse("How many ships were ordered for the harbour?")
    assert a.speaker == "" and not a.is_quote_question and a.speaker_tokens == frozenset()
    assert "ship" in a.topic_terms


@pytest.mark.parametrize("question, expected", [
    ("How many ships were ordered, according to Lantern Daily?", ("Lantern Daily",)),
    ("What did the Harbour News report about the ships?", ("Harbour News",)),
    ("What did the Harbour Daily report about the ships?", ("Harbour Daily",)),
    ("What did the Harbour paper report?", ()),  # "Harbour" alone names two outlets
    ("What did the daily papers report?", ()),  # "Daily" is in several names
])
def test_outlets_are_named_by_full_name_or_the_words_that_set_them_apart(question, expected):
    assert match_outlets(question, OUTLETS) == expected


def test_an_outlet_in_the_question_is_not_taken_for_its_speaker_or_topic():
    a = analyse("How many ships were ordered, according to Lantern Daily?", OUTLETS)
    assert a.outlets == ("Lantern Daily",) and a.speaker == ""
    assert "lantern" not in a.topic_terms and "daily" not in a.topic_terms


def test_dates_in_the_question_use_the_default_year_when_none_is_written():
    assert analyse("What happened on 5 March?", default_year=2030).dates == (date(2030, 3, 5),)
    assert analyse("What happened on March 5, 2031?", default_year=2030).dates == (date(2031, 3, 5),)
    assert analyse("What happened on 5 March?").dates == ()


@pytest.mark.parametrize("question, kind", [
    ("Who opened the bridge?", "person"),
    ("Which official opened the bridge?", "person"),
    ("Where was the bridge opened?", "place"),
    ("Which city will host the fair?", "place"),
    ("Which company built the ships?", "entity"),
    ("How many ships were ordered?", "number"),
    ("By how much did the tariffs rise?", "number"),
    ("When did the bridge open?", "date"),
    ("In what year was the harbour built?", "date"),
    ("What time did the ceremony start?", "time"),
    ("What did the mayor promise?", ""),
    ("What colour is the new bridge?", ""),
])
def test_answer_type_from_the_wh_word_and_head_noun(question, kind):
    assert answer_type(question) == kind
