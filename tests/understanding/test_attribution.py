"""Who says what: the speaker a question asks about, and the speakers a sentence reports."""

from __future__ import annotations

import pytest

from qa_bot.understanding.attribution import (asked_speaker, first_speaker, is_name_word, name_tokens,
                                              speaker_named, speakers_of)

PREVIOUS = "Park Ji-hoon said the harbour would reopen in spring."


@pytest.mark.parametrize("sentence, expected", [
    ("Ana Silva said the plan would cut costs.", {"ana", "silva"}),
    ('"We will build it," said Park Ji-hoon.', {"park", "ji-hoon"}),
    ("According to Ana Silva, the plan would cut costs.", {"ana", "silva"}),
    ("In Park Ji-hoon's words, the tariffs are too high.", {"park", "ji-hoon"}),
    ("Kim, who chairs the committee, also warned that funds were short.", {"kim"}),
    # titles and what describes them are not the name; a weekday before it is not either
    ("Northland's Foreign Minister Ana Silva told reporters the talks went well.", {"ana", "silva"}),
    ("On Monday Kim said the port was ready.", {"kim"}),
    ("The harbour reopened in spring after repairs.", set()),
])
def test_speakers_of_a_sentence(sentence, expected):
    assert speakers_of(sentence) == expected


def test_he_said_continues_the_previous_speaker():
    assert speakers_of("He added that the tariffs would fall.", PREVIOUS) == {"park", "ji-hoon"}
    assert speakers_of("He added that the tariffs would fall.") == set()  # nobody to continue
    assert speakers_of("He visited the harbour on Tuesday.", PREVIOUS) == set()  # not reported speech


def test_first_speaker_is_the_subject_not_the_addressee_or_a_possessive():
    assert first_speaker("Kim assured Park that the deal would hold.") == {"kim"}
    assert speakers_of("Kim assured Park that the deal would hold.") == {"kim", "park"}  # everyone, by contrast
    assert first_speaker("Asked about Kim's call, Park said the deal would hold.") == {"park"}
    assert first_speaker("According to Ana Silva, the deal will hold.") == {"ana", "silva"}
    assert first_speaker("She added that the deal would hold.", PREVIOUS) == {"park", "ji-hoon"}
    assert first_speaker("The deal will hold.", PREVIOUS) == set()


@pytest.mark.parametrize("question, expected", [
    ("What did Kim say about the harbour tariffs?", "Kim"),
    ("How many ships were ordered, according to Ana Silva?", "Ana Silva"),
    ("How did reporters read Park Ji-hoon's remarks on the tariffs?", "Park Ji-hoon"),
    ("What did Foreign Minister Ana Silva tell reporters?", "Ana Silva"),
    ("How many ships were ordered?", ""),
])
def test_the_speaker_a_question_asks_about(question, expected):
    assert asked_speaker(question) == expected


def test_an_outlet_the_question_names_is_a_source_not_a_speaker():
    question = "How many ships were ordered, according to Lantern Daily?"
    assert asked_speaker(question) == "Lantern Daily"
    assert asked_speaker(question, ["Lantern Daily"]) == ""


def test_speaker_named_needs_the_name_before_a_reporting_verb():
    assert speaker_named("Park Ji-hoon told reporters the port would open.", "Park Ji-hoon")
    assert speaker_named("Park, the harbour chief, said the port would open.", "Park Ji-hoon")
    assert speaker_named("According to the minister Park, the port will open.", "Park Ji-hoon")
    assert not speaker_named("Kim said Park was right about the port.", "Park Ji-hoon")
    assert not speaker_named("Park's stance on the port is firm.", "Park Ji-hoon")  # a view, not a report
    assert not speaker_named("Kim said so.", "")


def test_name_words_leave_out_titles_pronouns_and_calendar_words():
    assert name_tokens("President Kim Min-jun") == {"kim", "min-jun"}
    assert name_tokens("However He Monday") == set()
    assert is_name_word("Silva") and is_name_word("Ji-hoon")
    assert not any(is_name_word(w) for w in ("He", "Minister", "March", "Meanwhile", "silva", ""))
