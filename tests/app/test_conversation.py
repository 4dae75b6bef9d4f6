"""app_pages.conversation: history for follow-ups, sidebar filters, and exports that keep text inert."""

from __future__ import annotations

import json
from datetime import date, datetime, timezone
from types import SimpleNamespace

import pytest
from markdown_it import MarkdownIt

from app_pages.conversation import conversation_json, conversation_markdown, history_for_library, make_filters
from qa_bot.errors import InputError
from tests.app.rendering import rendered_text


def test_history_passes_questions_and_answers_but_not_abstentions(ingested):
    first = ingested.ask("What did Lee say about Taiwan?")
    miss = ingested.ask("Which football club won the 1998 cup final in Glasgow?")
    history = history_for_library([{"question": "q1", "answer": first}, {"question": "q2", "answer": miss}])
    assert history == [{"question": "q1", "answer": first.text}, {"question": "q2", "answer": ""}]


def test_exports_carry_every_citation(ingested):
    answer = ingested.ask("What did Lee say about Taiwan?")
    turns = [{"question": "What did Lee say about Taiwan?", "answer": answer}]
    when = datetime(2026, 1, 8, 12, 0, tzinfo=timezone.utc)
    data = json.loads(conversation_json(turns, now=when))
    assert data["exported_at"] == "2026-01-08T12:00:00+00:00"
    assert data["turns"][0]["question"] == "What did Lee say about Taiwan?"
    assert data["turns"][0]["citations"][0]["quote"] == answer.citations[0].quote
    md = conversation_markdown(turns, now=when)
    assert "## 1. What did Lee say about Taiwan?" in md and "Test Wire" in md
    assert f"  > {answer.citations[0].quote}" in md and "](https://testwire.example.com/" in md


def test_markdown_export_reads_as_a_reader_expects_markers_sources_and_working_links(ingested):
    answer = ingested.ask("What did Lee say about Taiwan?")
    md = conversation_markdown([{"question": "What did Lee say about Taiwan?", "answer": answer}])
    assert "\\[" not in md and "[1]" in md.split("Sources:")[0]  # the marker as written, no backslashes
    shown, _ = rendered_text(md)
    assert answer.text in shown  # the answer reads exactly as it was given, [1] and all
    c = answer.citations[0]
    tokens = [t for b in MarkdownIt("commonmark").parse(md) for t in b.children or []]
    links = [(t.attrs["href"], tokens[i + 2].content) for i, t in enumerate(tokens) if t.type == "link_open"]
    assert links == [(c.url, c.title)]  # the cited article's title links to it
    assert f"- [1] {c.outlet}, {c.published}: [*{c.title}*]({c.url})" in md


def test_a_marker_in_untrusted_text_cannot_become_a_link_in_the_export():
    answer = SimpleNamespace(text="Read [1](javascript:x) then\n[2]: https://evil.example", citations=[],
                             abstained=False, hits=())
    md = conversation_markdown([{"question": "q", "answer": answer}])
    shown, kinds = rendered_text(md)
    assert "link_open" not in kinds and "Read [1](javascript:x) then [2]: https://evil.example" in shown
    assert conversation_markdown([{"question": "failed", "answer": None, "error": "x"}]).count("##") == 0


def test_markdown_export_keeps_untrusted_text_inert():
    citation = SimpleNamespace(n=1, outlet="Evil", published="", title="[t](javascript:x)", url="javascript:x",
                               quote="![p](https://evil.example/p.png) <b>")
    answer = SimpleNamespace(text="See [here](javascript:x) [1]", citations=[citation], abstained=False, hits=())
    md = conversation_markdown([{"question": "<script>q</script>", "answer": answer}])
    _, kinds = rendered_text(md)
    assert not kinds & {"link_open", "image", "html_inline", "html_block"}
    answer.text = "# Heading?\n\n1. a list\n- another"
    citation.quote = "line one\n\n## line two"
    tokens = [t.type for t in MarkdownIt("commonmark").parse(conversation_markdown([
        {"question": "- q", "answer": answer}]))]
    assert tokens.count("heading_open") == 2 and tokens.count("bullet_list_open") == 1  # only the export's own
    assert "ordered_list_open" not in tokens and tokens.count("blockquote_open") == 1


def test_filters_from_the_sidebar():
    assert not make_filters([], ())
    f = make_filters(["Test Wire"], (date(2026, 1, 2), date(2026, 1, 5)))
    assert (f.outlets, f.since, f.until) == (("Test Wire",), date(2026, 1, 2), date(2026, 1, 5))
    assert (make_filters([], (date(2026, 1, 2),)).since, make_filters([], date(2026, 1, 2)).until) == \
           (date(2026, 1, 2), None)  # a range still being picked: from that day on
    with pytest.raises(InputError, match="date range is empty"):
        make_filters([], (date(2026, 2, 1), date(2026, 1, 1)))
