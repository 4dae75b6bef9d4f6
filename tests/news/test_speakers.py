"""A speaker is a person (or a person's office, resolved to the name the article gives): places, parties,
outlets and companies never are. Read from the entities and speakers stored at ingest."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from qa_bot.bot import QABot
from qa_bot.config import Settings
from qa_bot.news.said import speakers, statements
from qa_bot.text.tokens import fold
from qa_bot.understanding.attribution import name_tokens
from tests.fakes import HashEmbedder

ROOT = Path(__file__).resolve().parents[2]
STORY = ("Foreign Minister Ana Silva arrived in Lisbon on Monday. Lisbon said the talks would last two days. "
         "The Harbour Workers Party welcomed the visit. Northwind Shipping said it would add ferries. "
         "The Morning Lantern said the visit was overdue. Silva said the ferry treaty was ready. "
         "She added that fishing quotas were settled. National Security Adviser Tomas Reyes briefed reporters. "
         "The national security adviser said the port was safe. Professor Mara Quint and Professor Ivo Brandt both "
         "described the treaty as a turning point.")


@pytest.fixture
def story(bot):
    assert not bot.add_text(STORY, title="Treaty talks", outlet="The Morning Lantern", published=date(2026, 1, 5)).errors
    return bot


def test_places_parties_companies_and_outlets_are_never_speakers(story):
    listed = dict(speakers(story))
    assert set(listed) == {"Ana Silva", "Tomas Reyes", "Mara Quint", "Ivo Brandt"}
    assert listed["Ana Silva"] == 2  # "Silva said", and "She added" continuing it


def test_an_office_is_the_person_the_article_names_with_it(story):
    said = [s.text for s in statements(story, "Tomas Reyes").statements]
    assert said == ["The national security adviser said the port was safe."]


def test_two_people_speaking_in_one_sentence_are_both_quoted(story):
    sentence = "Professor Mara Quint and Professor Ivo Brandt both described the treaty as a turning point."
    assert [s.text for s in statements(story, "Mara Quint").statements] == [sentence]
    assert [s.text for s in statements(story, "Ivo Brandt").statements] == [sentence]


@pytest.mark.slow
def test_on_the_bundled_corpus_said_list_names_people_only(tmp_path):
    """Acceptance: no outlet and no place the corpus's front matter names is listed; every listed name is
    one of the people labelled in eval/speakers_people.json, and every one of them is listed."""
    from qa_bot.ingest.loaders import load_path

    corpus = ROOT / "corpus"
    articles = [a for path in sorted(corpus.glob("*.md")) for a in load_path(path)]
    outlets = {fold(a.outlet) for a in articles}
    places = {"Beijing", "Seoul", "Tokyo", "Shanghai", "Gyeongju", "China", "Japan", "Korea", "Washington",
              "Taiwan", "Yellow Sea", "Diaoyutai"}
    front_matter = " ".join(f"{a.title} {a.outlet}" for a in articles)
    places = {p for p in places if p in front_matter}
    assert len(places) >= 6  # the places the titles and outlet names really name
    bot = QABot(Settings(data_dir=tmp_path / "data", corpus_dir=corpus, lock_timeout_s=0.2), embedder=HashEmbedder())
    try:
        assert not bot.ingest().errors
        listed = [name for name, _ in speakers(bot)]
    finally:
        bot.close()
    place_words = {w for p in places for w in name_tokens(p)}
    assert not [n for n in listed if fold(n) in outlets or any(fold(n) in o.split() for o in outlets)]
    assert not [n for n in listed if name_tokens(n) <= place_words]
    labelled = json.loads((ROOT / "eval" / "speakers_people.json").read_text())
    assert set(listed) == set(labelled["people"])


def test_a_pronoun_after_a_named_person_is_that_person_not_the_previous_speaker(bot):
    text = ("Harbour Minister Ana Silva said the ferry would run again in March. Tomas Reyes has pressed the point "
            "before: at the spring summit, he asked the city to repair the quay.")
    assert not bot.add_text(text, title="Quay", outlet="Harbour Post", published=date(2026, 1, 5)).errors
    pressed = "Tomas Reyes has pressed the point before: at the spring summit, he asked the city to repair the quay."
    assert [s.text for s in statements(bot, "Tomas Reyes").statements] == [pressed]
    assert pressed not in [s.text for s in statements(bot, "Ana Silva").statements]
