"""app_pages.ui: the pure helpers behind the app — safe Markdown, source views, exports, tables."""

from __future__ import annotations

import json
import math
import random
import re
from datetime import date, datetime, timezone
from types import SimpleNamespace

import pytest
from markdown_it import MarkdownIt

from app_pages import ui
from qa_bot.errors import ConfigError, InputError
from qa_bot.models import Article

WJ = "\u2060"
NASTY = [
    "[click](javascript:alert(1)) and <https://evil.example> and [ref][1]\n\n[1]: https://evil.example",
    "![pixel](https://evil.example/p.png) <img src=x onerror=alert(1)> <script>alert(1)</script>",
    ":red[red] :orange-background[bg] :material/home: :tada: :streamlit: :blue-badge[b]",
    "$x^2$ and $$\\int$$ cost $5 and $6",
    "https://evil.example www.evil.example mail me@evil.example",
    "**bold** __under__ *it* ~~strike~~ `code` ```fence``` -- -> <- <-> >= <= ~=",
    "# heading\n- list\n+ plus\n1. ordered\n> quote\n    indented code\n\tTabbed\n| a | b |\n|---|---|\nSetext\n===",
    "&amp; &lt;b&gt; &#58; \\ backslash \\[1\\] [1] [2]",
    "bidi \u202eevil\u202c and control \x00\x07 chars\r\nwindows line",
]


def rendered_text(md: str) -> tuple[str, set[str]]:
    """What CommonMark shows for ``md`` (text and line breaks) and which token types occur."""
    out, kinds = [], set()
    for block in MarkdownIt("commonmark").parse(md):
        kinds.add(block.type)
        if block.type == "paragraph_close":
            out.append("\n\n")
        for tok in block.children or []:
            kinds.add(tok.type)
            out.append("\n" if tok.type in ("softbreak", "hardbreak") else tok.content)
    return "".join(out).strip().replace(WJ, ""), kinds


def expected_text(text: str) -> str:
    """The text as the escaper shows it: bidi and control characters gone, lines left-trimmed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(" " if (ord(c) < 32 and c != "\n") else c for c in text if c not in "\u202e\u202c")
    lines = [line.lstrip(" ") for line in text.split("\n")]
    return re.sub(r"\n{2,}", "\n\n", "\n".join(lines)).strip()


@pytest.mark.parametrize("text", NASTY)
def test_escaped_markdown_shows_the_text_literally_and_nothing_else(text):
    shown, kinds = rendered_text(ui.escape_markdown(text))
    assert shown == expected_text(text)
    assert kinds <= {"paragraph_open", "paragraph_close", "inline", "text", "softbreak"}


@pytest.mark.parametrize("text", NASTY)
def test_escaping_also_breaks_what_streamlit_rewrites_after_parsing(text):
    out = ui.escape_markdown(text)
    assert not re.search(r"(?<!\\)[:$<>\[\]!`*_~|#&]", out)  # directives, math, HTML, links, emphasis...
    unescaped = out.replace("\\", "")
    for pattern in ("http://", "https://", "www.", "->", "<-", "--", ">=", "<=", "~="):
        assert pattern not in unescaped  # no autolink, no typographic arrow, no emoji/icon shortcode
    assert not re.search(r"\w@", unescaped) and not re.search(r":\w", unescaped)


def test_escaping_a_stream_piece_by_piece_equals_escaping_it_whole():
    rng = random.Random(7)
    alphabet = "ab :/.@-<>=~$[]()!*_`#\n\r\t w"
    for _ in range(300):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        cuts = sorted(rng.sample(range(len(text) + 1), k=min(3, len(text) + 1)))
        escaper = ui.MarkdownEscaper()
        pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)])]
        assert "".join(escaper.feed(p) for p in pieces) == ui.escape_markdown(text), repr(text)


def test_plain_prose_stays_readable():
    assert ui.escape_markdown("Lee met Xi in Beijing on Monday") == "Lee met Xi in Beijing on Monday"


@pytest.mark.parametrize("url", [
    "https://example.com/a", "http://example.com:8080/path?q=1&r=2#frag", "HTTPS://EXAMPLE.COM/"])
def test_safe_url_accepts_http_and_https(url):
    assert ui.safe_url(url) == url


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<b>x</b>", "ftp://example.com/f",
    "//evil.example/x", "/relative/path", "https://", "https://user:pw@evil.example/", "https://a.example/ b",
    "https://a.example/\u202egpj", "https://a.example/\"onmouseover=x", "", None, "vbscript:msgbox"])
def test_safe_url_refuses_everything_else(url):
    assert ui.safe_url(url) is None


def test_links_are_made_only_for_safe_urls_and_cannot_break_out():
    assert ui.markdown_link("Story", "https://a.example/x_(y)") == "[Story](https://a.example/x_%28y%29)"
    assert ui.markdown_link("Story [1]", "javascript:alert(1)") == "Story \\[1\\]"
    _, kinds = rendered_text(ui.markdown_link("](javascript:x) [a", "https://a.example/"))
    assert "link_open" in kinds
    tokens = [t for b in MarkdownIt("commonmark").parse(ui.markdown_link("](javascript:x)", "https://a.example/"))
              for t in b.children or []]
    assert [t.attrs.get("href") for t in tokens if t.type == "link_open"] == ["https://a.example/"]


def test_highlight_wraps_exactly_the_span_and_escapes_the_rest():
    text = "Before [x](javascript:1). The quoted $words$ here. After :red[x]."
    start, end = text.index("The"), text.index(" After")
    out = ui.highlight_markdown(text, start, end)
    spans = re.findall(r":yellow-background\[\*\*(.*?)\*\*\]", out)
    assert [re.sub(r"\\(.)", r"\1", s).replace(WJ, "") for s in spans] == ["The quoted $words$ here."]
    outside = re.sub(r":yellow-background\[\*\*.*?\*\*\]", "", out)
    assert not re.search(r"(?<!\\)[:$\[\]]", outside)


def test_a_highlight_across_paragraphs_is_one_highlight_per_line():
    text = "One two.\n\nThree four."
    out = ui.highlight_markdown(text, 4, len(text) - 1)
    assert re.findall(r":yellow-background\[\*\*(.*?)\*\*\]", out) == ["two\\.", "Three four"]
    assert ui.highlight_markdown("abc", 5, 1) == "a:yellow-background[**bc**]"  # clamped, ordered


def test_window_keeps_the_quote_inside_its_paragraph():
    text = "First paragraph here.\n\nSome words then THE QUOTE then more words.\n\nLast."
    i = text.index("THE QUOTE")
    snip = ui.window(text, i, i + 9, context=400)
    assert snip.text == "Some words then THE QUOTE then more words." and snip.quote == "THE QUOTE"
    assert not snip.cut_before and not snip.cut_after
    short = ui.window(text, i, i + 9, context=8)
    assert short.quote == "THE QUOTE" and short.cut_before and short.cut_after
    assert short.markdown().startswith("… ") and short.markdown().endswith(" …")


@pytest.fixture
def ingested(bot):
    assert not bot.ingest().errors
    return bot


def test_citation_views_show_each_quote_in_its_passage(ingested):
    answer = ingested.ask("What did Lee say about Taiwan?")
    views = ui.citation_views(answer)
    assert [v.n for v in views] == [c.n for c in answer.citations]
    for view, c in zip(views, answer.citations):
        assert view.snippet.quote == c.quote and c.quote in view.snippet.text
        assert (view.start, view.end) == (c.start, c.end)
        assert view.url == c.url and view.heading_markdown().startswith(f"**\\[{c.n}\\]** ")


def test_closest_passages_are_numbered_differently_from_citations(ingested):
    answer = ingested.ask("Which football club won the 1998 cup final in Glasgow?")
    views = ui.passage_views(answer.hits, limit=2)
    assert answer.abstained and len(views) == 2
    assert views[0].heading_markdown().startswith("**1\\.** ") and not views[0].cited
    assert views[0].snippet.start == views[0].snippet.end  # nothing highlighted


def test_history_passes_questions_and_answers_but_not_abstentions(ingested):
    first = ingested.ask("What did Lee say about Taiwan?")
    miss = ingested.ask("Which football club won the 1998 cup final in Glasgow?")
    history = ui.history_for_library([{"question": "q1", "answer": first}, {"question": "q2", "answer": miss}])
    assert history == [{"question": "q1", "answer": first.text}, {"question": "q2", "answer": ""}]


def test_exports_carry_every_citation(ingested):
    answer = ingested.ask("What did Lee say about Taiwan?")
    turns = [{"question": "What did Lee say about Taiwan?", "answer": answer}]
    when = datetime(2026, 1, 8, 12, 0, tzinfo=timezone.utc)
    data = json.loads(ui.conversation_json(turns, now=when))
    assert data["exported_at"] == "2026-01-08T12:00:00+00:00"
    assert data["turns"][0]["question"] == "What did Lee say about Taiwan?"
    assert data["turns"][0]["citations"][0]["quote"] == answer.citations[0].quote
    md = ui.conversation_markdown(turns, now=when)
    assert "## 1. What did Lee say about Taiwan?" in md and "Test Wire" in md
    assert f"  > {answer.citations[0].quote}" in md and "<https://testwire.example.com/" in md


def test_markdown_export_keeps_untrusted_text_inert():
    citation = SimpleNamespace(n=1, outlet="Evil", published="", title="[t](javascript:x)", url="javascript:x",
                               quote="![p](https://evil.example/p.png) <b>")
    answer = SimpleNamespace(text="See [here](javascript:x) [1]", citations=[citation], abstained=False, hits=())
    md = ui.conversation_markdown([{"question": "<script>q</script>", "answer": answer}])
    _, kinds = rendered_text(md)
    assert not kinds & {"link_open", "image", "html_inline", "html_block"}
    answer.text = "# Heading?\n\n1. a list\n- another"
    citation.quote = "line one\n\n## line two"
    tokens = [t.type for t in MarkdownIt("commonmark").parse(ui.conversation_markdown([
        {"question": "- q", "answer": answer}]))]
    assert tokens.count("heading_open") == 2 and tokens.count("bullet_list_open") == 1  # only the export's own
    assert "ordered_list_open" not in tokens and tokens.count("blockquote_open") == 1


def test_filters_from_the_sidebar():
    assert not ui.make_filters([], ())
    f = ui.make_filters(["Test Wire"], (date(2026, 1, 2), date(2026, 1, 5)))
    assert (f.outlets, f.since, f.until) == (("Test Wire",), date(2026, 1, 2), date(2026, 1, 5))
    assert (ui.make_filters([], (date(2026, 1, 2),)).since, ui.make_filters([], date(2026, 1, 2)).until) == \
           (date(2026, 1, 2), None)  # a range still being picked: from that day on
    with pytest.raises(InputError, match="date range is empty"):
        ui.make_filters([], (date(2026, 2, 1), date(2026, 1, 1)))
    assert ui.date_bounds([None, date(2026, 1, 5), date(2026, 1, 2)]) == (date(2026, 1, 2), date(2026, 1, 5))
    assert ui.date_bounds([None]) is None


def _record(title, outlet="", url="", source="", published=None, origin="added", n=1):
    art = Article(id=title.lower().replace(" ", "-"), title=title, text="t", outlet=outlet, url=url, source=source,
                  published=published)
    return SimpleNamespace(article=art, n_chunks=n, origin=origin)


def test_article_rows_search_and_unsafe_urls():
    records = [_record("Panda loan", "Upload Daily", "https://a.example/p", "upload:panda.md", date(2026, 1, 6)),
               _record("Lions", "Test Culture", "javascript:alert(1)", origin="corpus")]
    rows = ui.article_rows(records)
    assert [r["title"] for r in rows] == ["Panda loan", "Lions"]
    assert rows[0]["url"] == "https://a.example/p" and rows[1]["url"] is None and rows[1]["source"] == "corpus"
    assert [r["title"] for r in ui.article_rows(records, "  UPLOAD ")] == ["Panda loan"]
    assert [r["title"] for r in ui.article_rows(records, "culture")] == ["Lions"]
    assert ui.article_rows(records, "nothing") == []
    assert ui.article_label(records[0].article) == "Panda loan — Upload Daily, 2026-01-06"


def test_progress_state():
    assert ui.progress_state(0, 0, "Starting") == (0.0, "Starting")
    assert ui.progress_state(5, 10, "Embedding") == (0.5, "Embedding\\: 5 of 10")
    assert ui.progress_state(12, 10, "x")[0] == 1.0


def test_gold_upload_is_validated_and_saved_under_a_hashed_name(tmp_path):
    good = b'{"id": "a", "question": "What did Lee say?", "answers": ["x"]}\n'
    path, items = ui.read_gold_upload(good, "../../etc/evil.jsonl", tmp_path)
    assert [i.id for i in items] == ["a"]
    assert path.parent == tmp_path / "qa-bot-gold-uploads" and path.name.startswith("gold-")
    assert not (tmp_path / "etc").exists()
    with pytest.raises(InputError, match=r"^evil\.jsonl line 2: not valid JSON"):
        ui.read_gold_upload(good + b"{oops\n", "dir/evil.jsonl", tmp_path)


def test_eval_tables():
    assert ui.format_metric(0.8312, "pct") == "83.1%" and ui.format_metric(41.4, "ms") == "41 ms"
    assert ui.format_metric(math.nan, "pct") == "n/a" and ui.format_metric(None, "ms") == "n/a"
    labels = dict(ui.headline_metrics({"pass_rate": 0.5, "latency_p50_ms": 12.0}))
    assert labels["Pass rate"] == "50.0%" and labels["Latency p50"] == "12 ms" and labels["Answer recall"] == "n/a"
    rows = ui.by_type_rows({"quote": {"pass_rate": 1.0, "answer_recall": math.nan, "questions": 2}})
    assert rows == [{"type": "quote", "metric": "pass rate", "value": 1.0, "questions": 2}]
    rec = lambda i, passed, answerable=True: SimpleNamespace(  # noqa: E731
        id=i, type="fact", question="q?", references=["x", "y"], answerable=answerable, abstained=not answerable,
        answer="a [1]", citations=[{"n": 1, "outlet": "O", "title": "T"}], passed=passed, latency_ms=3.14159)
    table = ui.record_rows([rec("a", True), rec("b", False, answerable=False)])
    assert table[0] | {} == {"id": "a", "type": "fact", "question": "q?", "expected": "x | y", "answer": "a [1]",
                             "citations": "[1] O: T", "result": "pass", "latency_ms": 3.1}
    assert table[1]["expected"] == "(should abstain)" and table[1]["answer"] == "(abstained)"
    assert [r["id"] for r in ui.record_rows([rec("a", True), rec("b", False)], failures_only=True)] == ["b"]


def test_bundled_gold_sets(tmp_path):
    (tmp_path / "b.jsonl").write_text("{}")
    (tmp_path / "a.jsonl").write_text("{}")
    (tmp_path / "notes.md").write_text("x")
    assert [p.name for p in ui.bundled_gold_sets(tmp_path)] == ["a.jsonl", "b.jsonl"]
    assert ui.bundled_gold_sets(tmp_path / "missing") == []


def _factory():
    return "a bot"


def test_bot_factory_is_named_by_an_environment_variable(monkeypatch):
    monkeypatch.setenv(ui.FACTORY_ENV, "tests.app.test_ui:_factory")
    assert ui.make_bot() == "a bot"
    assert (ui.FACTORY_ENV, "tests.app.test_ui:_factory") in ui.bot_cache_key()
    monkeypatch.setenv("OTHER_VARIABLE", "x")
    assert all(k.startswith("QA_BOT_") for k, _ in ui.bot_cache_key())
    for spec in ("no-colon", "tests.app.test_ui:missing", "no.such.module:f", "tests.app.test_ui:WJ"):
        with pytest.raises(ConfigError):
            ui.make_bot(spec)


def test_add_messages_name_each_article_and_each_refused_input():
    from qa_bot.bot import AddResult
    from qa_bot.errors import LoaderError
    from qa_bot.storage.store import WriteReport

    arts = [Article(id=f"a{i}", title=f"Title *{i}*", text="t") for i in range(8)]
    result = AddResult(report=WriteReport(added=["a0"], updated=["a1"], unchanged=["a2"]), articles=arts,
                       errors=[LoaderError("upload:x.pdf", "the PDF is encrypted"), LoaderError("y.txt", "empty")])
    assert ui.add_messages(result) == [
        ("success", "Added “Title \\*0\\*”."), ("success", "Updated “Title \\*1\\*”."),
        ("info", "“Title \\*2\\*” is already in the index, unchanged."),
        ("error", "upload\\:\u2060x\\.pdf\\: the PDF is encrypted"), ("error", "y\\.txt\\: empty")]
    bulk = AddResult(report=WriteReport(added=[a.id for a in arts]), articles=arts)
    assert ui.add_messages(bulk) == [("success", "Added 8 articles.")]
