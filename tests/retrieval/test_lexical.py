"""The BM25 side: the FTS5 expression built from a question, run against a real registry."""

from datetime import date

import pytest

from qa_bot.ingest.article import make_article
from qa_bot.models import Chunk
from qa_bot.retrieval.filters import Filters
from qa_bot.retrieval.lexical import fts_query, lexical_ranking
from qa_bot.storage.registry import ORIGIN_ADDED, Registry


def test_stopwords_and_single_letters_are_dropped_but_digits_kept():
    assert fts_query("What did the minister say about the budget?") == '"minister" OR "budget"'
    assert fts_query("Was a vote held on Article 5 or not?") == '"vote" OR "hold" OR "held" OR "article" OR "5"'


def test_each_term_once_and_none_for_a_question_of_only_stopwords():
    assert fts_query("Tariffs, tariffs and more TARIFFS") == '"tariffs"'
    assert fts_query("What was it?") == ""


@pytest.fixture
def indexed(tmp_path):
    """A registry with two indexed one-chunk articles, and their ids by title."""
    articles = [
        make_article(text="The harbour crane collapsed during the storm, the port's manager said.", source="test",
                     title="Crane collapse", outlet="Alpha Wire", published=date(2026, 1, 5)),
        make_article(text="Ferry tickets will cost more from March under the new tariff.", source="test",
                     title="Ferry fares", outlet="Beta Post", published=date(2026, 2, 10)),
    ]
    registry = Registry(tmp_path / "registry.sqlite3")
    registry.mark_pending([(a, ORIGIN_ADDED, [Chunk(a.id, 0, a.text, 0, len(a.text))]) for a in articles])
    registry.mark_indexed([a.id for a in articles])
    yield registry, {a.id: a.title for a in articles}
    registry.close()


@pytest.mark.parametrize("question", [
    'Why did the "harbour crane" collapse?',      # quotes inside the question
    "crane (harbour) - collapse: why?*",          # FTS5 operators: parentheses, minus, colon, star
    "Did the port's crane collapse NEAR the dock?",  # apostrophe and an FTS5 keyword
    "harbour AND crane OR NOT collapse",
    "Did the storm-damaged U.S. crane collapse?",  # hyphens and dots inside words
])
def test_punctuation_and_fts_syntax_in_a_question_still_find_the_passage(indexed, question):
    registry, titles = indexed
    ranked = lexical_ranking(registry, question, 5)
    assert ranked, f"no BM25 match for {question!r} ({fts_query(question)})"
    assert titles[ranked[0][0][0]] == "Crane collapse"


def test_lexical_side_applies_outlet_and_date_filters(indexed):
    registry, titles = indexed

    def found(filters):
        return {titles[aid] for (aid, _), _ in lexical_ranking(registry, "crane ferry tariff harbour", 5, filters)}

    assert found(Filters()) == {"Crane collapse", "Ferry fares"}
    assert found(Filters(outlets=("Beta Post",))) == {"Ferry fares"}
    assert found(Filters(since=date(2026, 2, 1))) == {"Ferry fares"}
    assert found(Filters(until=date(2026, 1, 5))) == {"Crane collapse"}  # until is inclusive


def test_an_irregular_verb_brings_its_other_forms():
    # Porter stemming relates "gives" and "giving" to "give", never "gave" or "given".
    assert fts_query("What did the mayor give the team?") == '"mayor" OR "give" OR "gave" OR "given" OR "team"'
    assert fts_query("Who won?") == '"won"'  # also a currency: not folded
