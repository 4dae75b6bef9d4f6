"""A feed's links are judged on their own (issue 27) and an entry whose page cannot be fetched is added from its
own summary, then upgraded when the page can be read (issue 26); impossible feed dates are not rolled over."""

from __future__ import annotations

import socket

import pytest

from qa_bot.bot import QABot
from qa_bot.ingest.feeds import SUMMARY_MARK, load_feed
from qa_bot.ingest.watch import watch

from tests.fakes import HashEmbedder
from tests.ingest.test_feeds import item, rss
from tests.servers import PageServer

HARBOUR = ("The harbour master said on Friday that the outer moorings would close for dredging in March, and that "
           "owners of the larger yachts should book a berth in the inner basin before the end of February.")
BRIDGE = ("Engineers found the footbridge over the river sound after a week of tests, the county said, and it "
          "will reopen to walkers and cyclists on Saturday morning.")
BRIDGE_PAGE = (b"<html><head><title>Footbridge reopens</title></head><body><article><p>Engineers found the "
               b"footbridge over the river sound after a week of load tests, the county said on Thursday. It will "
               b"reopen to walkers and cyclists on Saturday morning, and the temporary ferry across the river will "
               b"stop running the same day.</p></article></body></html>")


@pytest.fixture
def connections(monkeypatch):
    """Every address a socket of this process tries to connect to, in order."""
    tried: list[tuple] = []
    real = socket.socket.connect

    def recording(sock, address):
        tried.append(address)
        return real(sock, address)

    monkeypatch.setattr(socket.socket, "connect", recording)
    return tried


@pytest.fixture
def feed_site():
    routes = {"/internal.xml": (200, {"Content-Type": "application/rss+xml"}, rss("Town Notes", [
        item("Moorings close for dredging", "http://10.0.0.1/harbour", description=HARBOUR),
        item("Footbridge reopens", "http://192.168.1.1:8080/bridge", description=BRIDGE)]))}
    with PageServer(routes) as server:
        yield server


def _bot(settings, allow: str) -> QABot:
    bot = QABot(settings.model_copy(update={"allow_hosts": allow}), embedder=HashEmbedder())
    bot.open()
    return bot


def test_links_in_an_allowed_feed_to_private_hosts_are_never_connected_and_entries_come_from_summaries(
        settings, feed_site, connections):
    bot = _bot(settings, f"127.0.0.1:{feed_site.port}")
    try:
        first = bot.add_url(feed_site.url("/internal.xml"))
        assert len(first.report.added) == 2 and first.errors == [] and sorted(first.summaries) == sorted(
            first.report.added)
        assert "2 from feed summaries (their pages could not be fetched)" in first.summary()
        again = bot.add_url(feed_site.url("/internal.xml"))
        assert again.report.added == [] and sorted(again.report.unchanged) == sorted(first.report.added)
    finally:
        bot.close()
    hosts = {address[0] for address in connections}
    assert hosts == {"127.0.0.1"}, f"connections were attempted to {hosts - {'127.0.0.1'}}"
    records = {r.article.title: r.article for r in _records(settings)}
    assert set(records) == {"Moorings close for dredging", "Footbridge reopens"}
    assert records["Moorings close for dredging"].text == HARBOUR
    assert "10.0.0.1 resolves to a private" in records["Moorings close for dredging"].extra[SUMMARY_MARK]
    assert records["Footbridge reopens"].url == "http://192.168.1.1:8080/bridge"


def _records(settings):
    bot = QABot(settings, embedder=HashEmbedder())
    try:
        return bot.articles()
    finally:
        bot.close()


def test_a_summary_is_replaced_by_its_page_once_the_page_can_be_fetched(settings):
    feed = rss("County News", [item("Footbridge reopens", "/news/bridge", description=BRIDGE)])
    routes = {"/feed.xml": (200, {"Content-Type": "application/rss+xml"}, feed),
              "/news/bridge": (503, {"Content-Type": "text/plain"}, b"down for maintenance")}
    reports = []
    with PageServer(routes) as server:
        bot = _bot(settings, f"127.0.0.1:{server.port}")

        def between_rounds(seconds):
            server.routes["/news/bridge"] = (200, {"Content-Type": "text/html"}, BRIDGE_PAGE)

        try:
            watch(bot, [server.url("/feed.xml")], 60, on_round=reports.append, sleep=between_rounds,
                  stop=lambda: len(reports) >= 2)
            [record] = bot.articles()
        finally:
            bot.close()
    first, second = reports
    assert (first.added, first.summaries, first.failed) == (1, 1, 0)
    assert first.line() == "round 1: 1 added, 1 from a feed summary (its page could not be fetched), " \
                           "0 also published by, 0 failed"
    assert (second.added, second.updated, second.summaries) == (0, 1, 0)
    assert "load tests" in record.article.text and SUMMARY_MARK not in record.article.extra
    assert server.hits["/news/bridge"] == 2  # the summary's link was fetched again in round 2


def test_an_entry_whose_summary_is_too_short_still_fails_with_both_reasons(settings):
    feed = rss("County News", [item("Gone", "http://10.0.0.1/gone", description="Teaser.")])
    result = load_feed(feed, "http://feeds.example/f.xml", "http://feeds.example/f.xml", "application/rss+xml",
                       settings)
    assert result.articles == [] and len(result.errors) == 1
    assert "10.0.0.1 resolves to a private" in str(result.errors[0]) and "no summary long enough" in str(result.errors[0])


@pytest.mark.parametrize("raw, expected", [
    ("2026-13-45T25:61:00Z", None), ("2026-02-30", None), ("2026-01-05T10:61:00Z", None),
    ("2026-01-05T10:00:00Z", "2026-01-05"), ("Tue, 06 Jan 2026 10:00:00 GMT", "2026-01-06"),
    ("Mon, 45 Jan 2026 25:61:00 GMT", None),
])
def test_an_impossible_feed_date_is_no_date_rather_than_another_day(settings, raw, expected):
    feed = rss("County News", [item("Footbridge reopens", "/news/bridge", date=raw,
                                    content=f"<p>{BRIDGE}</p>")])
    [article] = load_feed(feed, "http://feeds.example/f.xml", "http://feeds.example/f.xml", "application/rss+xml",
                          settings).articles
    assert (article.published.isoformat() if article.published else None) == expected
