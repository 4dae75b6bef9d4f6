"""`qa-bot watch`: rounds that add new feed entries and new files, a failing feed retried, a clean stop."""

from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from qa_bot import cli
from qa_bot.bot import QABot
from qa_bot.ingest import watch as watch_module
from qa_bot.ingest.watch import parse_interval, watch

from tests.fakes import HashEmbedder
from tests.ingest.test_feeds import gazette_feed, item
from tests.servers import PageServer

BUDGET = (b"<html><head><title>Council approves budget</title></head><body><p>The town council approved next year's "
          b"budget on Tuesday evening after a long debate about road repairs and the new library.</p></body></html>")
NEW_ITEM = item("Lifeboat crew honoured", "/news/lifeboat", date="Wed, 07 Jan 2026 09:00:00 GMT",
                content="<p>The volunteer lifeboat crew received a bravery award for a night rescue in the bay.</p>")


@pytest.fixture
def site():
    routes = {"/feed.xml": (200, {"Content-Type": "application/rss+xml"}, gazette_feed()),
              "/news/budget": (200, {"Content-Type": "text/html"}, BUDGET),
              "/broken.xml": (500, {"Content-Type": "text/plain"}, b"server error")}
    with PageServer(routes) as server:
        yield server


@pytest.fixture
def web_bot(settings):
    b = QABot(settings.model_copy(update={"allow_hosts": "127.0.0.1"}), embedder=HashEmbedder())
    b.open()
    yield b
    b.close()


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("15m", 900), ("1h", 3600), ("90", 90), ("1.5m", 90)])
def test_intervals_take_seconds_minutes_and_hours(text, seconds):
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "15 minutes", "0s", "-5m", "2d"])
def test_a_bad_interval_is_refused_with_examples(text):
    with pytest.raises(ValueError, match="30s, 15m or 1h"):
        parse_interval(text)


def test_two_rounds_pick_up_a_new_entry_and_a_new_file_and_retry_a_failing_feed(web_bot, site, tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "a.md").write_text("---\ntitle: Harbour note\n---\nThe harbour office opens at eight on weekdays.")
    reports, sleeps = [], []

    def between_rounds(seconds):  # what happens while the watcher sleeps: the world moves on
        sleeps.append(seconds)
        site.routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"}, gazette_feed((NEW_ITEM,)))
        site.routes["/broken.xml"] = site.routes["/feed.xml"]
        (folder / "b.txt").write_text("Tide tables\nThe new tide tables for the spring are posted at the quay.")

    rounds = watch(web_bot, [site.url("/feed.xml"), site.url("/broken.xml"), str(folder)], 900,
                   on_round=reports.append, sleep=between_rounds, stop=lambda: len(reports) >= 2)
    assert rounds == 2 and sleeps == [900]
    first, second = reports
    assert (first.added, first.failed) == (3, 2)  # the note and two entries; the refused entry and the broken feed
    assert any(site.url("/broken.xml") in str(e) and "HTTP 500" in str(e) for e in first.errors)
    assert first.line().startswith("round 1: 3 added, 0 also published by, 2 failed (")
    # Round 2: the new entry (in both feeds now: once added, once unchanged) and the new file; the feed that
    # failed is read this time; its entries already indexed are not fetched again.
    assert (second.added, second.also_published) == (2, 0)
    assert second.failed == 2  # the refused entry, in each feed
    assert site.hits["/news/budget"] == 1
    titles = {r.article.title for r in web_bot.articles()}
    assert {"Lifeboat crew honoured", "Tide tables", "Harbour note", "Council approves budget"} <= titles


def test_an_unchanged_folder_adds_nothing_in_later_rounds(web_bot, tmp_path):
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "a.md").write_text("---\ntitle: Harbour note\n---\nThe harbour office opens at eight on weekdays.")
    reports = []
    watch(web_bot, [str(folder)], 1, on_round=reports.append, sleep=lambda s: None, stop=lambda: len(reports) >= 3)
    assert [r.added for r in reports] == [1, 0, 0] and [r.line() for r in reports][1] == (
        "round 2: 0 added, 0 also published by, 0 failed")


@pytest.fixture
def run(settings, monkeypatch):
    web = settings.model_copy(update={"allow_hosts": "127.0.0.1"})
    monkeypatch.setattr(cli, "make_bot", lambda: QABot(web, embedder=HashEmbedder()))
    runner = CliRunner()
    return lambda *args: runner.invoke(cli.app, list(args))


def test_watch_once_runs_one_round_and_prints_its_summary(run, site, tmp_path):
    result = run("watch", site.url("/feed.xml"), str(tmp_path / "missing"), "--once", "-q")
    assert result.exit_code == 2, result.output  # something failed in the only round
    assert "round 1: 2 added, 0 also published by, 2 failed" in result.stdout
    assert "no such folder" in result.stderr and "169.254.169.254" in result.stderr
    again = run("watch", site.url("/feed.xml"), "--once", "-q", "--every", "30s")
    assert "round 1: 0 added" in again.stdout


def test_watch_refuses_a_bad_interval_before_doing_anything(run, site):
    result = run("watch", site.url("/feed.xml"), "--every", "soon")
    assert result.exit_code == 2 and "30s, 15m or 1h" in result.stderr
    assert site.hits == {}


def test_ctrl_c_stops_watching_with_a_short_message(run, site, monkeypatch):
    def interrupted(seconds):
        raise KeyboardInterrupt

    monkeypatch.setattr(watch_module, "time", SimpleNamespace(sleep=interrupted))  # Ctrl-C while waiting
    result = run("watch", site.url("/feed.xml"), "-q", "--every", "1h")
    assert result.exit_code == 0, result.output
    assert "round 1: 2 added" in result.stdout and "stopped after 1 round(s)" in result.stderr
    assert "Traceback" not in result.output
