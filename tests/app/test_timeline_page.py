"""The Timeline page through Streamlit's AppTest (the fake bot on the fixture corpus), and its view helpers."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from app_pages.markdown import escape_markdown
from app_pages.timeline_views import (citation_markdown, day_groups, event_markdown, range_error, sources_label,
                                      summary_text)
from qa_bot.models import Citation
from tests.app.test_app import app_env, markdown_of, plain, shared_bot, start  # noqa: F401 (fixtures)

TIMELINE = "app_pages/timeline.py"


def submit(at):
    next(b for b in at.button if b.label == "Show the timeline").click().run()
    assert not at.exception, at.exception
    return at


def test_the_page_lists_dated_events_in_order_with_their_sources(shared_bot):
    at = start(TIMELINE)
    timeline = at.session_state["timeline"]
    assert timeline.events and [e.date for e in timeline.events] == sorted(e.date for e in timeline.events)
    headings = [plain(h.value) for h in at.subheader]
    assert timeline.story and timeline.background  # the fixture's 1933 auction is background to January 2026
    assert headings[0].startswith(timeline.story[0].label)  # the story's own window first
    assert any(plain(e.label).startswith("Earlier background: ") for e in at.expander)
    assert any(h.startswith("5 January 2026") for h in headings)
    first = timeline.story[0]
    texts = [plain(t) for t in markdown_of(at)]
    assert any(t.startswith(first.sentence) for t in texts)  # the sentence verbatim
    assert any(plain(e.label).startswith(("1 source:", f"{len(first.citations)} sources:")) for e in at.expander)
    assert any(first.citations[0].title in t for t in texts)


def test_a_topic_and_a_range_narrow_the_timeline(shared_bot):
    at = start(TIMELINE)
    everything = len(at.session_state["timeline"].events)
    at.text_input(key="timeline_topic").input("business forum")
    submit(at)
    narrowed = at.session_state["timeline"]
    assert narrowed.topic == "business forum" and 0 < len(narrowed.events) < everything
    assert all("forum" in e.sentence for e in narrowed.events)
    at.text_input(key="timeline_topic").input("")
    at.date_input(key="timeline_since").set_value(date(2026, 1, 5))
    at.date_input(key="timeline_until").set_value(date(2026, 1, 5))
    submit(at)
    assert {e.date for e in at.session_state["timeline"].events} == {date(2026, 1, 5)}


def test_a_backwards_range_is_an_error_message_not_a_traceback(shared_bot):
    at = start(TIMELINE)
    at.date_input(key="timeline_since").set_value(date(2026, 1, 9))
    at.date_input(key="timeline_until").set_value(date(2026, 1, 1))
    submit(at)
    assert any("is after the end date" in plain(e.value) for e in at.error)


def test_open_the_full_article_from_a_citation(shared_bot):
    at = start(TIMELINE)
    next(b for b in at.button if b.label == "Open the full article").click().run()
    assert not at.exception
    assert any(":yellow-background[**" in t for t in markdown_of(at))


def test_corpus_text_is_shown_literally(shared_bot):
    assert not shared_bot.add_text("On Monday, <img src=x onerror=alert(1)> and [a link](javascript:alert(1)) "
                                   "**appeared** in the hall.", title="Odd *title*", outlet="Odd <b>outlet</b>",
                                   published=date(2026, 1, 5)).errors
    at = start(TIMELINE)
    texts = markdown_of(at)
    odd = next(t for t in texts if "onerror" in t)
    assert "\\<img" in odd and "<img" not in odd.replace("\\<", "") and "](" not in odd and "**appeared**" not in odd
    assert plain(odd).startswith("On Monday, <img src=x onerror=alert(1)> and [a link](javascript:alert(1))")


# ------------------------------------------------------------ the pure helpers


def _citation(n: int, outlet: str, quote: str = "Talks were held on Monday.") -> Citation:
    return Citation(n=n, chunk_id="a:0", article_id=f"article-{outlet}", title="T [x](y)", outlet=outlet,
                    published="2026-01-05", url="javascript:alert(1)", quote=quote, start=0, end=len(quote))


def _event(label: str, sentence: str, *outlets: str, granularity: str = "day", context: str = ""):
    return SimpleNamespace(label=label, granularity=granularity, sentence=sentence, context=context,
                           citations=tuple(_citation(i, o) for i, o in enumerate(outlets, 1)))


def test_views_escape_everything_and_number_the_citations():
    event = _event("5 January 2026", "A *bold* <b>claim</b>.", "One", "Two")
    assert event_markdown(event) == escape_markdown("A *bold* <b>claim</b>.") + " **\\[1\\]\\[2\\]**"
    line = citation_markdown(event.citations[0])
    assert line.startswith("**\\[1\\]** One · 2026\\-01\\-05 · ") and "javascript" not in line
    assert line.endswith("> " + escape_markdown("Talks were held on Monday."))
    leaning = _event("1933", "They were *sold* in 1933.", "One", context="The [bells](x) hung there.")
    assert event_markdown(leaning) == (f":gray[{escape_markdown('The [bells](x) hung there.')}] "
                                       f"{escape_markdown('They were *sold* in 1933.')} **\\[1\\]**")
    many = _event("2025", "x", "A", "B", "C", "D", "E")
    assert sources_label(many) == escape_markdown("5 sources: A, B, C and 2 more")


def test_day_groups_keep_order_and_split_on_date_or_precision():
    events = [_event("2025", "a", "A", granularity="year"), _event("5 January 2026", "b", "A"),
              _event("5 January 2026", "c", "B"), _event("January 2026", "d", "C", granularity="month")]
    assert [(label, len(group)) for label, _, group in day_groups(events)] == [
        ("2025", 1), ("5 January 2026", 2), ("January 2026", 1)]


def test_summary_and_range_messages():
    events = [_event("2025", "a", "A"), _event("5 January 2026", "b", "B")]
    timeline = SimpleNamespace(events=events, story=events, topic="x")
    assert summary_text(timeline) == escape_markdown("2 events about “x”, 2025 to 5 January 2026, from 2 articles.")
    one_day = SimpleNamespace(events=[_event("2025", "a", "A"), _event("2025", "b", "A")], story=(), topic=None)
    assert summary_text(one_day) == escape_markdown("2 events, 2025, from 1 article.")
    folded = SimpleNamespace(events=events, story=events[1:], topic=None)
    assert summary_text(folded) == escape_markdown("1 event, 5 January 2026 (and 1 earlier background event), "
                                                   "from 2 articles.")
    assert "No dated events about" in summary_text(SimpleNamespace(events=[], story=(), topic="x"))
    assert range_error(date(2026, 1, 2), date(2026, 1, 1)).startswith("The start date (2026-01-02) is after")
    assert range_error(None, date(2026, 1, 1)) is None
