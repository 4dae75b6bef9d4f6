"""The shipped span reader end to end, on articles written for these tests (not the bundled corpus).

Each case is one a new user hit with the earlier answerer: a question the coverage does not answer
that shares its words ("what was eaten at the banquet"), a "what did X say about Y" whose answer is
reported speech, a date in a pasted note, and counts that differ between outlets. Slow: they load
the real embedder and the real reader.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from qa_bot.answering.read import DEFAULT_MODEL_DIR, WEIGHTS_FILE
from qa_bot.bot import QABot
from qa_bot.config import Settings

pytestmark = pytest.mark.slow

ARTICLES = [
    ("Okoye opens state visit to Veland with talks and a banquet", "Harbor Ledger", "2031-03-04",
     "President Mara Okoye of Ostria arrived in Veland on Monday for a three-day state visit. "
     "She held talks with Veland's premier, Tomas Rieke, at the lakeside palace. "
     "Rieke urged patience on the disputed river border and said both sides should return to the joint commission. "
     "Okoye said Ostria wanted steady trade and fewer tariffs. "
     "The day ended with a state banquet in Okoye's honour at the palace."),
    ("Ostria and Veland sign accords", "Harbor Ledger", "2031-03-05",
     "Officials of the two governments signed 11 cooperation accords on Tuesday, covering fisheries, rail and "
     "customs. The accords were signed after the leaders' talks."),
    ("Eleven accords mark Okoye visit", "North Courier", "2031-03-05",
     "In all, 11 cooperation accords were signed during the visit, a spokesman for the premier said. "
     "Fisheries and rail links lead the list."),
    ("Visit ends with accords", "Plains Daily", "2031-03-06",
     "The two sides signed 12 cooperation accords, according to a statement from Okoye's office. "
     "Okoye flew home on Wednesday."),
]
PASTED = ("Ports working group to meet in spring",
          "Officials from both ports agreed to set up a working group on shipping lanes. "
          "The working group will meet in Larsby in March, and its first session is set for 12 March. "
          "Its members will be named later.")


@pytest.fixture(scope="module")
def bot(tmp_path_factory, real_embedder):
    root = tmp_path_factory.mktemp("reader-cases")
    corpus = root / "corpus"
    corpus.mkdir()
    for i, (title, outlet, day, text) in enumerate(ARTICLES):
        (corpus / f"a{i}.md").write_text(f"---\ntitle: {title}\noutlet: {outlet}\npublished: {day}\n"
                                         f"url: https://example.org/{i}\n---\n\n{text}\n", encoding="utf-8")
    b = QABot(Settings(data_dir=root / "data", corpus_dir=corpus, reader=True), embedder=real_embedder)
    b.open()
    assert not b.ingest().errors
    assert b.add_text(PASTED[1], title=PASTED[0], outlet="Notes").ok
    yield b
    b.close()


def test_the_shipped_weights_are_the_ones_the_model_card_names():
    card = (DEFAULT_MODEL_DIR / "MODEL_CARD.md").read_text(encoding="utf-8")
    named = re.search(r"sha256 `([0-9a-f]{64})`", card).group(1)
    digest = hashlib.sha256((DEFAULT_MODEL_DIR / WEIGHTS_FILE).read_bytes()).hexdigest()
    assert digest == named
    assert (DEFAULT_MODEL_DIR / WEIGHTS_FILE).stat().st_size < 50_000_000
    settings = json.loads((DEFAULT_MODEL_DIR / "reader.json").read_text(encoding="utf-8"))
    assert settings["max_length"] == 192


def test_a_question_that_only_shares_words_with_the_coverage_is_not_answered(bot):
    answer = bot.ask("What did Okoye eat at the state banquet?")
    assert answer.abstained, answer.text


def test_what_did_x_say_about_y_is_answered_with_reported_speech(bot):
    answer = bot.ask("What did Rieke say about the river border?")
    assert not answer.abstained
    assert "patience" in answer.text or "joint commission" in answer.text
    assert answer.citations


# The three cases below are the targets that the shipped reader misses (measured: the reader's
# no-answer score wins on the pasted note, margin -8; North Courier's "11" scores 0.39 and Harbor Ledger's
# below 0.32 against a threshold of 0.40). They stay as strict expected failures, so that a better reader
# shows up as an unexpected pass that asks for the marker to go.
@pytest.mark.xfail(strict=True, reason="the shipped reader scores no answer on the pasted note (margin -8)")
def test_a_pasted_note_answers_when_its_group_meets(bot):
    answer = bot.ask("When will the ports working group meet?")
    assert not answer.abstained
    assert "12 March" in answer.text or "March" in answer.short_answer.text


@pytest.mark.xfail(strict=True, reason="only one outlet's 11 clears the threshold, so 12 and 11 tie")
def test_counts_that_differ_lead_with_the_majority_and_say_outlets_differ(bot):
    answer = bot.ask("How many cooperation accords were signed?", k=5)
    assert not answer.abstained
    short = answer.short_answer
    assert short is not None and short.text.startswith("11")
    assert any(v.startswith("12") for v in short.alternatives)
    assert "outlets differ" in short.display


@pytest.mark.xfail(strict=True, reason="the reader's spans in Harbor Ledger's accords article score below the threshold")
def test_the_outlet_view_gives_a_value_for_every_outlet_that_reports_one(bot):
    from qa_bot.news.outlets import outlet_view

    view = outlet_view(bot, "How many cooperation accords were signed?")
    rows = {r.outlet: r for r in view.rows}
    for outlet, value in (("Harbor Ledger", "11"), ("North Courier", "11"), ("Plains Daily", "12")):
        assert rows[outlet].reported and value in rows[outlet].value, rows[outlet]
    assert not rows["Notes"].reported


LEAD = ("China agreed on Tuesday to lend two giant pandas to the Everland zoo near Seoul. "
        "The pandas will stay at Everland for fifteen years under the agreement, zoo officials said.")
BEFORE = ("The city council met on Monday to discuss the budget for the coming year. "
          "Officials said road repairs would take most of the money. ")


@pytest.mark.xfail(strict=True, raises=AssertionError,
                   reason="position bias: with nothing before it, the answer sentence scores no answer "
                   "(margin -4.2 for 'Everland zoo'); after two unrelated sentences, +1.7. Training windows almost "
                   "always open with a neighbour sentence, which never holds the answer")
def test_the_reader_finds_an_answer_in_the_first_sentence_of_a_text(bot):
    from qa_bot.answering.windows import reading_passage

    reader = bot.answerer.reader
    question = "Which zoo will receive the two giant pandas?"
    margins = []
    for text in (LEAD, BEFORE + LEAD + " " + BEFORE):
        [reading] = reader.run(question, [reading_passage("lead", text, 0, len(text))])
        best = reading.spans[0]
        assert "Everland" in text[best.start:best.end]
        margins.append(reading.margin)
    assert margins[0] > 0 and margins[1] > 0, margins
