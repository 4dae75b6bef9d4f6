"""How each outlet told it: one row per outlet, its best answering sentence or "not reported", and the disagreement."""

from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from qa_bot import cli
from qa_bot.bot import QABot
from qa_bot.errors import InputError
from qa_bot.news.outlets import outlet_view
from qa_bot.retrieval.filters import Filters
from tests.fakes import HashEmbedder

QUESTION = "How many memorandums of understanding were signed in Geneva?"
ARTICLES = (
    ("The two governments signed 14 memorandums of understanding in Geneva on Monday. The talks lasted all day.",
     "Outlet One", date(2026, 1, 6)),
    ("Officials signed 15 memorandums of understanding in Geneva on Monday, according to the ministry.",
     "Outlet Two", date(2026, 1, 7)),
    ("The football season opened with a draw in the capital. Fans filled the stadium despite the rain.",
     "Sports Desk", date(2026, 1, 8)),
)


@pytest.fixture
def story(bot):
    for text, outlet, published in ARTICLES:
        assert not bot.add_text(text, title=f"{outlet} report", outlet=outlet, published=published).errors
    return bot


def test_every_outlet_gets_a_row_with_its_own_sentence_or_not_reported(story):
    view = outlet_view(story, QUESTION)
    rows = {r.outlet: r for r in view.rows}
    assert set(rows) == {"Outlet One", "Outlet Two", "Sports Desk"}
    assert not rows["Sports Desk"].reported and rows["Sports Desk"].sentence == "not reported"
    assert rows["Sports Desk"].dates == ()
    for outlet, number, day in (("Outlet One", "14", "2026-01-06"), ("Outlet Two", "15", "2026-01-07")):
        row = rows[outlet]
        assert row.reported and number in row.sentence and row.dates == (day,)
        c = row.citation
        assert c.outlet == outlet and story.article(c.article_id).article.text[c.start:c.end] == c.quote
    assert [r.reported for r in view.rows] == [True, True, False]  # reported first


def test_the_view_carries_the_answer_and_its_disagreement_block(story):
    view = outlet_view(story, QUESTION)
    assert not view.answer.abstained and view.disagreements == view.answer.disagreements
    assert view.disagreements and {v.value.split()[0] for v in view.disagreements[0].values} == {"14", "15"}
    data = json.loads(json.dumps(view.to_dict()))
    assert data["disagreements"][0]["about"] and len(data["outlets"]) == 3
    assert {o["outlet"]: o["reported"] for o in data["outlets"]}["Sports Desk"] is False


def test_outlet_filters_choose_the_rows(story):
    view = outlet_view(story, QUESTION, filters=Filters(outlets=("Outlet Two",)))
    assert [r.outlet for r in view.rows] == ["Outlet Two"] and view.rows[0].reported


def test_a_bad_question_is_an_input_error(story):
    with pytest.raises(InputError, match="empty"):
        outlet_view(story, "  ")


@pytest.fixture
def run(settings, monkeypatch):
    monkeypatch.setattr(cli, "make_bot", lambda: QABot(settings, embedder=HashEmbedder()))
    runner = CliRunner()
    return lambda *args: runner.invoke(cli.app, list(args))


def test_cli_ask_by_outlet_prints_a_row_per_outlet_and_json(run):
    assert run("ingest", "-q").exit_code == 0
    result = run("ask", "What did Lee say about Taiwan?", "--by-outlet")
    assert result.exit_code == 0, result.output
    assert "Outlet" in result.stdout and "Best answering sentence" in result.stdout
    data = json.loads(run("ask", "What did Lee say about Taiwan?", "--by-outlet", "--json").stdout)
    assert data["outlets"] and all(set(o) >= {"outlet", "reported", "sentence", "dates"} for o in data["outlets"])
    assert any(o["reported"] for o in data["outlets"])
    assert run("ask", " ", "--by-outlet").exit_code == 2
