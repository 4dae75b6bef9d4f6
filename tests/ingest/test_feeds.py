"""RSS and Atom feeds through `qa-bot add`: entries become articles, re-adding adds nothing, a syndicated copy
from another outlet is recorded on the original instead of being indexed twice, a failing entry costs only itself."""

import json

import pytest
from typer.testing import CliRunner

from qa_bot import cli
from qa_bot.bot import QABot
from qa_bot.ingest.feeds import is_feed, load_feed, root_element
from qa_bot.ingest.syndication import COPY_JACCARD, jaccard, shingles

from tests.fakes import HashEmbedder
from tests.servers import PageServer

STORY = (
    "The harbour authority reopened the northern port on Monday after a week of emergency repairs to the main "
    "breakwater, which was damaged when an autumn storm drove waves over the sea wall. Cargo ships that had waited "
    "offshore began to move into the inner basin shortly after dawn, and the first container vessel was unloading "
    "by mid-morning. The authority's chief engineer said the repaired section had been rebuilt with heavier "
    "concrete blocks and a higher crest, and that divers would inspect the foundations again next month. Local "
    "fishing crews, who lost several days of work during the closure, asked the council for help with the cost of "
    "moving their boats to a neighbouring town. A council spokesperson said a compensation scheme would be "
    "discussed at the next public meeting, and that ferry services to the islands would run on the normal "
    "timetable from Wednesday. Traders at the fish market said business had already started to recover.")
BUDGET_PAGE = (b"<html><head><title>Council approves budget</title></head><body><article><h1>Council approves budget"
               b"</h1><p>The town council approved next year's budget on Tuesday evening after a long debate about "
               b"road repairs, school buildings and the cost of the new library.</p></article></body></html>")
FERRY_PAGE = (b"<html><head><title>Ferry timetable changes</title></head><body><main><p>The island ferry will add "
              b"two evening crossings from next week, the operator said, after passenger numbers rose through the "
              b"summer.</p></main></body></html>")


def rss(title: str, items: list[str]) -> bytes:
    """An RSS 2.0 feed with ``content:encoded`` support."""
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0" xmlns:content='
            f'"http://purl.org/rss/1.0/modules/content/"><channel><title>{title}</title><link>http://example.com/'
            f'</link>{"".join(items)}</channel></rss>').encode()


def item(title: str, link: str, date: str = "Mon, 05 Jan 2026 10:00:00 GMT", content: str = "",
         description: str = "A short teaser.") -> str:
    """One RSS item; ``content`` (HTML) becomes ``content:encoded``."""
    full = f"<content:encoded><![CDATA[{content}]]></content:encoded>" if content else ""
    return (f"<item><title>{title}</title><link>{link}</link><pubDate>{date}</pubDate>"
            f"<description>{description}</description>{full}</item>")


def atom(title: str, entries: list[str]) -> bytes:
    """An Atom 1.0 feed."""
    return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>{title}</title>'
            f'<id>urn:feed</id><updated>2026-01-06T00:00:00Z</updated>{"".join(entries)}</feed>').encode()


def atom_entry(title: str, link: str, content: str = "", summary: str = "Teaser.") -> str:
    """One Atom entry; ``content`` (HTML) is its full text."""
    body = f'<content type="html"><![CDATA[{content}]]></content>' if content else ""
    return (f'<entry><title>{title}</title><link href="{link}"/><id>{link}</id>'
            f"<published>2026-01-06T08:30:00Z</published><updated>2026-01-06T08:30:00Z</updated>"
            f"<summary>{summary}</summary>{body}</entry>")


def story_html(footer: str = "") -> str:
    """The story as two HTML paragraphs (as a feed's full-text field carries it), then ``footer``'s."""
    sentences = STORY.split(". ")
    half = len(sentences) // 2
    paragraphs = [". ".join(sentences[:half]) + ".", ". ".join(sentences[half:]), *([footer] if footer else [])]
    return "".join(f"<p>{p}</p>" for p in paragraphs)


def gazette_feed(extra_items: tuple[str, ...] = ()) -> bytes:
    """The local paper's feed: one entry with full text, one linking to a page, one linking to a refused address."""
    return rss("Harbor Gazette", [
        item("Port reopens after repairs", "/news/port", content=story_html()),
        item("Council approves budget", "/news/budget", date="Tue, 06 Jan 2026 19:00:00 GMT"),
        item("Metadata", "http://169.254.169.254/latest/meta-data"),
        *extra_items])


def feed_routes() -> dict:
    """Routes of the test site: feeds and the pages their entries link to."""
    return {
        "/feed.xml": (200, {"Content-Type": "application/rss+xml; charset=utf-8"}, gazette_feed()),
        "/news/budget": (200, {"Content-Type": "text/html"}, BUDGET_PAGE),
        "/news/ferry": (200, {"Content-Type": "text/html"}, FERRY_PAGE),
        "/atom.xml": (200, {"Content-Type": "application/xml"}, atom("Coastal Wire", [
            atom_entry("Ferry timetable changes", "/news/ferry"),
            atom_entry("Gone", "/news/gone"),
            atom_entry("Lighthouse repainted", "/wire/lighthouse", content="<p>The old lighthouse on the point was "
                       "repainted in its traditional red and white bands over the weekend.</p>")])),
        "/wire.xml": (200, {"Content-Type": "application/rss+xml"}, rss("Coastal Wire", [
            item("Northern port back in business", "/wire/port", date="Tue, 06 Jan 2026 07:00:00 GMT",
                 content=story_html(footer="This story was first published by the Harbor Gazette."))])),
    }


@pytest.fixture
def site():
    with PageServer(feed_routes()) as server:
        yield server


@pytest.fixture
def web_settings(settings):
    return settings.model_copy(update={"allow_hosts": "127.0.0.1"})


@pytest.fixture
def run(web_settings, monkeypatch):
    """``qa-bot ARGS`` through the CLI runner, on a bot that may fetch from 127.0.0.1."""
    monkeypatch.setattr(cli, "make_bot", lambda: QABot(web_settings, embedder=HashEmbedder()))
    runner = CliRunner()
    return lambda *args: runner.invoke(cli.app, list(args))


def listed(run) -> list[dict]:
    return json.loads(run("list", "--json").stdout)


def test_feeds_are_recognised_by_content_type_or_xml_root_and_html_pages_are_not():
    body = gazette_feed()
    assert is_feed("application/rss+xml", b"") and is_feed("application/atom+xml; charset=utf-8", b"")
    assert is_feed("text/xml", body) and is_feed("application/xml", atom("A", []))
    assert is_feed("", b'\xef\xbb\xbf<?xml version="1.0"?><!-- x --><rdf:RDF xmlns:rdf="r"></rdf:RDF>')
    assert root_element(b"<!DOCTYPE html><html><body>rss</body></html>") == "html"
    assert not is_feed("text/html", body)  # an HTML page goes the old way, whatever it contains
    assert not is_feed("application/xml", b"<?xml version='1.0'?><note>rss</note>")


def test_add_feed_imports_its_entries_and_reports_the_failing_one(run, site):
    result = run("add", site.url("/feed.xml"), "-q")
    assert result.exit_code == 2, result.output  # one entry failed: reported, the others are added
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "entry 3" in errors[0] and "169.254.169.254" in errors[0] and "refused" in errors[0]
    assert "2 added" in result.stdout
    articles = {a["title"]: a for a in listed(run)}
    port, budget = articles["Port reopens after repairs"], articles["Council approves budget"]
    assert port["outlet"] == budget["outlet"] == "Harbor Gazette"
    assert (port["published"], budget["published"]) == ("2026-01-05", "2026-01-06")
    assert port["url"] == site.url("/news/port") and budget["url"] == site.url("/news/budget")
    shown = run("show", budget["id"]).stdout
    assert "road repairs, school buildings" in shown  # the linked page's text, fetched through the guard
    assert "emergency repairs to the main breakwater" in run("show", port["id"]).stdout
    assert "<p>" not in run("show", port["id"]).stdout


def test_adding_the_same_feed_again_adds_nothing(run, site):
    run("add", site.url("/feed.xml"), "-q")
    before = listed(run)
    again = run("add", site.url("/feed.xml"), "-q", "--json")
    report = json.loads(again.stdout)
    assert report["added"] == [] and report["updated"] == [] and len(report["unchanged"]) == 2
    assert report["chunks_written"] == 0
    assert listed(run) == before


def test_atom_served_as_plain_xml_is_read_as_a_feed(run, site):
    result = run("add", site.url("/atom.xml"), "-q")
    assert "2 added" in result.stdout
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "entry 2" in errors[0] and "HTTP 404" in errors[0]
    articles = {a["title"]: a for a in listed(run)}
    outlets = {articles["Ferry timetable changes"]["outlet"], articles["Lighthouse repainted"]["outlet"]}
    assert outlets == {"Coastal Wire"}
    assert articles["Lighthouse repainted"]["published"] == "2026-01-06"


def test_a_syndicated_copy_is_recorded_on_the_original_not_indexed_again(run, site):
    run("add", site.url("/feed.xml"), "-q")
    chunks = json.loads(run("add", site.url("/feed.xml"), "-q", "--json").stdout)["index"]["chunks"]
    result = run("add", site.url("/wire.xml"), "-q")
    assert result.exit_code == 0, result.output
    assert "0 added" in result.stdout and "1 also published by" in result.stdout
    report = json.loads(run("add", site.url("/wire.xml"), "-q", "--json").stdout)
    assert report["index"]["chunks"] == chunks and report["also_published"] == []  # already recorded: a no-op
    assert report["unchanged"] and report["added"] == []
    titles = [a["title"] for a in listed(run)]
    assert "Northern port back in business" not in titles
    port = next(a for a in listed(run) if a["title"] == "Port reopens after repairs")
    shown = run("show", port["id"]).stdout
    assert f"also published by Coastal Wire · 2026-01-06 · {site.url('/wire/port')}" in shown
    assert run("remove", port["id"]).exit_code == 0  # the original gone, the copy is an article of its own
    assert "1 added" in run("add", site.url("/wire.xml"), "-q").stdout


def test_near_identical_copies_in_one_bulk_file_are_indexed_once(bot, tmp_path):
    bulk = tmp_path / "bulk.jsonl"
    rows = [{"title": "Port reopens", "outlet": "Harbor Gazette", "url": "https://a.example/port", "text": STORY},
            {"title": "Port back", "outlet": "Coastal Wire", "url": "https://b.example/port",
             "text": "By a staff reporter. " + STORY},
            {"title": "Budget", "outlet": "Coastal Wire", "url": "https://b.example/budget",
             "text": BUDGET_PAGE.decode()}]
    bulk.write_text("\n".join(json.dumps(r) for r in rows))
    result = bot.add_paths([bulk])
    assert len(result.report.added) == 2 and [c.article.outlet for c in result.also_published] == ["Coastal Wire"]
    original = result.also_published[0].original_id
    assert bot.also_published(original) == [("Coastal Wire", "https://b.example/port", "")]


def test_copy_measure_separates_republished_stories_from_other_reports():
    story = shingles(STORY)
    assert jaccard(story, shingles(STORY + " This story was first published by the Harbor Gazette.")) >= COPY_JACCARD
    other = ("Ships returned to the northern port on Monday. The harbour authority said the breakwater, damaged by "
             "an autumn storm, had been rebuilt with heavier concrete blocks, and fishing crews asked for help.")
    assert jaccard(story, shingles(other)) < 0.2


def test_feedparser_is_handed_bytes_and_never_opens_what_they_name(web_settings, tmp_path):
    local = tmp_path / "local.xml"
    local.write_bytes(gazette_feed())
    result = load_feed(str(local).encode(), "http://127.0.0.1/feed", "http://127.0.0.1/feed",
                       "application/rss+xml", web_settings)
    assert result.articles == [] and len(result.errors) == 1


def test_a_copy_of_an_indexed_article_is_caught_on_every_add_path(bot, tmp_path):
    original = bot.add_text(STORY, title="Port reopens", outlet="Harbor Gazette", url="https://a.example/port")
    [original_id] = original.report.added
    chunks = bot.stats()["chunks"]
    edited = "By a staff reporter. " + STORY + " Reporting by the wire desk."
    pasted = bot.add_text(edited, title="Port back", outlet="Coastal Wire", url="https://b.example/port",
                          published="2026-01-06")
    note = tmp_path / "copy.md"
    note.write_text(f"---\ntitle: Port story\noutlet: Bay Post\nurl: https://c.example/port\n---\n{STORY}")
    from_file = bot.add_paths([note])
    assert pasted.report.added == [] and [c.original_id for c in pasted.also_published] == [original_id]
    assert from_file.report.added == [] and [c.original_id for c in from_file.also_published] == [original_id]
    assert bot.stats()["chunks"] == chunks
    assert bot.also_published(original_id) == [("Bay Post", "https://c.example/port", ""),
                                                ("Coastal Wire", "https://b.example/port", "2026-01-06")]
    different = bot.add_text(STORY[: len(STORY) // 2], title="Port, in brief", outlet="Coastal Wire")
    assert len(different.report.added) == 1 and not different.also_published  # half the story is not a copy
