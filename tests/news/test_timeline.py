"""The story's timeline: dated sentences, one event per claim and date, cited, narrowed by topic and range."""

from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from qa_bot import cli
from qa_bot.bot import QABot
from qa_bot.errors import InputError
from qa_bot.news.timeline import build_timeline
from tests.fakes import HashEmbedder

FIRST = ("The two presidents signed a trade agreement in Geneva on Monday. Crowds gathered outside the hall. "
         "The ministers had met the previous day to settle the text. The delegations will travel to Bern on "
         "Thursday.")
SECOND = ("The two presidents signed a trade agreement in Geneva on 5 January. Earlier, in November 2025, the "
          "talks had stalled over tariffs.")


@pytest.fixture
def story(bot):
    """Two outlets reporting one signing, and an undated article."""
    for text, outlet, published in ((FIRST, "Outlet One", date(2026, 1, 6)), (SECOND, "Outlet Two", date(2026, 1, 7)),
                                    ("Nothing here says when anything happened.", "Outlet Three", date(2026, 1, 8))):
        assert not bot.add_text(text, title=f"{outlet} report", outlet=outlet, published=published).errors
    return bot


def labels(timeline) -> list[str]:
    return [e.label for e in timeline.events]


def test_events_are_ordered_by_when_they_happened_with_their_granularity(story):
    timeline = build_timeline(story)
    assert labels(timeline) == ["November 2025", "5 January 2026", "5 January 2026", "8 January 2026"]
    nov, signing, prep, travel = timeline.events  # one day's events in the order the first report tells them
    assert nov.granularity == "month" and signing.granularity == "day"
    assert "previous day" in prep.sentence  # the day before the article's Tuesday
    assert prep.citations[0].outlet == "Outlet One"
    assert travel.sentence.endswith("on Thursday.")  # "will travel": the coming Thursday
    assert all("Crowds" not in e.sentence and "Nothing here" not in e.sentence for e in timeline.events)


def test_one_claim_reported_by_two_outlets_is_one_event_citing_both_with_their_own_words(story):
    signing = next(e for e in build_timeline(story).events if "signed" in e.sentence)
    assert [c.outlet for c in signing.citations] == ["Outlet One", "Outlet Two"]  # the first report first
    assert [c.n for c in signing.citations] == [1, 2]
    assert signing.sentence == signing.citations[0].quote
    assert signing.citations[1].quote.endswith("on 5 January.")
    for c in signing.citations:
        assert story.article(c.article_id).article.text[c.start:c.end] == c.quote


def test_since_and_until_keep_events_whose_period_overlaps_the_range(story):
    assert labels(build_timeline(story, since=date(2026, 1, 5), until="2026-01-05")) == ["5 January 2026"] * 2
    assert labels(build_timeline(story, since="2025-11-20", until="2025-12-31")) == ["November 2025"]
    assert labels(build_timeline(story, since="2026-02-01")) == []


def test_a_topic_keeps_the_events_about_it(story):
    timeline = build_timeline(story, topic="tariffs")
    assert labels(timeline) == ["November 2025"] and timeline.topic == "tariffs"
    assert labels(build_timeline(story, topic="   ")) == labels(build_timeline(story))


def test_bad_ranges_and_topics_are_refused_with_what_to_do(story):
    with pytest.raises(InputError, match="not a date; use YYYY-MM-DD"):
        build_timeline(story, since="5 January")
    with pytest.raises(InputError, match="after until"):
        build_timeline(story, since="2026-02-01", until="2026-01-01")
    with pytest.raises(InputError, match="characters"):
        build_timeline(story, topic="x" * 10_000)


def test_to_dict_is_json_ready(story):
    data = json.loads(json.dumps(build_timeline(story, since="2026-01-05").to_dict()))
    assert data["since"] == "2026-01-05" and data["until"] is None and data["topic"] is None
    event = data["events"][0]
    assert {"date", "granularity", "label", "sentence", "date_text", "citations"} <= set(event)
    assert {"n", "article_id", "outlet", "published", "title", "quote", "start", "end"} <= set(event["citations"][0])


def test_the_fixture_corpus_timeline_quotes_every_source_exactly(bot):
    assert not bot.ingest().errors
    events = build_timeline(bot).events
    assert events and [e.date for e in events] == sorted(e.date for e in events)
    for e in events:
        for c in e.citations:
            assert bot.article(c.article_id).article.text[c.start:c.end] == c.quote


@pytest.fixture
def run(settings, monkeypatch):
    monkeypatch.setattr(cli, "make_bot", lambda: QABot(settings, embedder=HashEmbedder()))
    runner = CliRunner()
    return lambda *args: runner.invoke(cli.app, list(args))


def test_cli_prints_each_event_with_its_citations_and_json_on_request(run):
    assert run("ingest", "-q").exit_code == 0
    result = run("timeline")
    assert result.exit_code == 0, result.output
    assert "5 January 2026" in result.stdout and "[1] Test Ledger, 2026-01-05:" in result.stdout
    data = json.loads(run("timeline", "--json", "--until", "2026-01-05").stdout)
    assert data["until"] == "2026-01-05" and all(e["date"] <= "2026-01-05" for e in data["events"])


def test_cli_refuses_a_bad_date_in_one_line(run):
    result = run("timeline", "--since", "yesterday")
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: --since 'yesterday' is not a date; use YYYY-MM-DD"
    assert "Traceback" not in result.output


HISTORY = ("The city gave the museum a pair of bronze bells on Monday. The bells hung in the old harbour tower. "
           "They were cast in 1921 by a foundry that has since closed.\n\nThe mayor will visit the museum on Friday. "
           "The bells' long story, which began in a foundry in 1921, ends in a glass case. "
           "He said the gift closed a chapter in 1988 terms.")


@pytest.fixture
def bells(bot):
    """A story of January 2026 whose history goes back to 1921."""
    assert not bot.add_text(HISTORY, title="Bells for the museum", outlet="Outlet Four",
                            published=date(2026, 1, 6)).errors
    return bot


def test_the_default_view_is_the_story_s_window_with_earlier_background_folded(bells):
    timeline = build_timeline(bells)
    assert timeline.window == (date(2026, 1, 3), date(2026, 1, 9))  # the publication date, give or take 3 days
    assert [e.label for e in timeline.story] == ["5 January 2026", "9 January 2026"]
    assert {e.label for e in timeline.background} == {"1921", "1988"}
    assert all(e.background for e in timeline.background) and not any(e.background for e in timeline.story)
    assert timeline.to_dict()["window"] == {"start": "2026-01-03", "end": "2026-01-09"}


def test_an_event_opening_with_a_pronoun_carries_the_sentence_it_depends_on(bells):
    cast = next(e for e in build_timeline(bells).events if e.sentence.startswith("They were cast"))
    assert cast.context == "The bells hung in the old harbour tower."
    assert cast.citations[0].quote == cast.sentence  # the context is shown, never quoted
    assert cast.to_dict()["context"] == cast.context


def test_a_topic_finds_every_dated_sentence_about_it_by_meaning_or_words(bells):
    found = [e.sentence for e in build_timeline(bells, topic="bronze bells").events]
    assert "They were cast in 1921 by a foundry that has since closed." in found  # its paragraph names the bells
    assert "The bells' long story, which began in a foundry in 1921, ends in a glass case." in found  # named before
    assert "The mayor will visit the museum on Friday." not in found


def test_cli_timeline_opens_with_the_story_and_no_event_opens_with_a_bare_pronoun(bot, settings, monkeypatch, bells):
    monkeypatch.setattr(cli, "make_bot", lambda: bells)
    monkeypatch.setattr(bells, "close", lambda: None)
    result = CliRunner().invoke(cli.app, ["timeline"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    assert lines[0] == "5 January 2026"
    assert lines.index("Earlier background (3 events before 3 January 2026, the story's window)") > lines.index(
        "9 January 2026")
    events = [line.strip() for i, line in enumerate(lines) if i and lines[i - 1][0].isdigit()]
    assert events and not any(e.split()[0] in ("They", "He", "She", "It") for e in events)


@pytest.mark.slow
def test_on_the_bundled_corpus_the_timeline_opens_in_the_coverage_window_with_no_bare_pronoun(tmp_path):
    from pathlib import Path

    from qa_bot.config import Settings
    from qa_bot.understanding.attribution import opens_with_pronoun

    corpus = Path(__file__).resolve().parents[2] / "corpus"
    bot = QABot(Settings(data_dir=tmp_path / "data", corpus_dir=corpus, lock_timeout_s=0.2), embedder=HashEmbedder())
    try:
        assert not bot.ingest().errors
        timeline = build_timeline(bot)
    finally:
        bot.close()
    assert timeline.story and timeline.background  # the 1930s history is folded, not opening the story
    assert all(timeline.window[0] <= e.date for e in timeline.story)
    assert all(e.date < timeline.window[0] for e in timeline.background)
    leaning = [e for e in timeline.events if opens_with_pronoun(e.sentence)]
    assert leaning and all(e.context and not opens_with_pronoun(e.context) for e in leaning)
