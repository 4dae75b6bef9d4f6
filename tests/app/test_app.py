"""The Streamlit app, page by page, through Streamlit's AppTest (no browser, the fake embedder).

``QA_BOT_APP_FACTORY`` points the app at :func:`fake_bot`, which builds the bot on the test's
fixture corpus with the hash embedder, so every test runs in about a second.
"""

from __future__ import annotations

import http.server
import json
import re
import threading
from datetime import date
from pathlib import Path

import pytest
import streamlit as st
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from app_pages.factory import bot_cache_key
from app_pages.markdown import BREAK
from qa_bot.bot import QABot
from qa_bot.config import Settings
from qa_bot.errors import StoreError
from qa_bot.models import Article
from tests.fakes import HashEmbedder, make_pdf

APP = Path(__file__).resolve().parents[2] / "app.py"
CHAT, CORPUS, EVALS = "app_pages/chat.py", "app_pages/corpus.py", "app_pages/evals.py"
_BOTS: dict[str, QABot] = {}


def fake_bot() -> QABot:
    """The factory the app calls in these tests: settings from the environment, the hash embedder.

    One bot per configuration (the app's cache key), so a test can reach the very bot the app uses.
    """
    key = bot_cache_key()
    if key not in _BOTS:
        _BOTS[key] = QABot(Settings(), embedder=HashEmbedder())
    return _BOTS[key]


def indexed_bot() -> QABot:
    """The app's bot for the current environment, with the fixture corpus indexed."""
    bot = fake_bot()
    bot.open()
    assert not bot.ingest().errors
    return bot


@pytest.fixture
def app_env(monkeypatch, settings):
    monkeypatch.setenv("QA_BOT_APP_FACTORY", "tests.app.test_app:fake_bot")
    monkeypatch.setenv("QA_BOT_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("QA_BOT_CORPUS_DIR", str(settings.corpus_dir))
    monkeypatch.setenv("QA_BOT_LOCK_TIMEOUT_S", "0.2")
    yield
    st.cache_resource.clear()
    for bot in _BOTS.values():
        bot.close()
    _BOTS.clear()


@pytest.fixture
def shared_bot(app_env) -> QABot:
    """The very bot the app uses, with the fixture corpus indexed (set QA_BOT_* variables before it)."""
    return indexed_bot()


def start(page: str = CHAT) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    if page != CHAT:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def ask(at: AppTest, question: str) -> AppTest:
    at.chat_input[0].set_value(question).run()
    assert not at.exception, at.exception
    return at


def markdown_of(at: AppTest) -> list[str]:
    """Every piece of Markdown the app sent: bodies, captions, alerts, expander labels."""
    out = [m.value for m in at.markdown] + [c.value for c in at.caption]
    out += [e.value for kind in ("error", "warning", "info", "success") for e in at.get(kind)]
    return out


def plain(md: str) -> str:
    """Text as displayed: Markdown escapes and the empty pattern-breaking directives removed."""
    return re.sub(r"\\(.)", r"\1", md.replace(BREAK, ""))


# ---------------------------------------------------------------- chat


def test_empty_index_welcomes_and_builds_the_index_in_one_click(app_env):
    at = start()
    assert any("index is empty" in i.value for i in at.info)
    assert not at.chat_input
    next(b for b in at.button if b.label == "Build the index").click().run()
    assert not at.exception
    assert [s.value for s in at.success] == ["Indexed 4 articles (4 passages)."]
    assert at.chat_input and "Not sure where to start?" in "".join(markdown_of(at))


def test_building_from_an_empty_corpus_folder_says_what_to_do(app_env, monkeypatch, tmp_path):
    monkeypatch.setenv("QA_BOT_CORPUS_DIR", str(tmp_path / "nothing-here"))
    at = start()
    next(b for b in at.button if b.label == "Build the index").click().run()
    assert not at.exception
    assert any("has no articles to index" in plain(e.value) for e in at.error)
    assert any(b.label == "Build the index" for b in at.button)


def test_question_gets_a_streamed_answer_with_a_rendered_citation(shared_bot):
    at = ask(start(), "What did Lee say about Taiwan?")
    assert not at.exception, at.exception
    answer = at.session_state["turns"][0]["answer"]
    assert not answer.abstained and answer.citations
    texts = markdown_of(at)
    assert any("one\\-China position" in t and "\\[1\\]" in t for t in texts)  # the answer, [1] inert
    heading = next(t for t in texts if t.startswith("**\\[1\\]**"))
    assert "Test Wire" in heading and "2026\\-01\\-02" in heading
    assert "](https://testwire.example.com/2026/01/02/lee-interview)" in heading  # title linked
    passage = next(t for t in texts if ":yellow-background[**" in t)
    assert "He added that the alliance with Washington" in plain(passage)  # the text around the quote
    highlighted = re.search(r":yellow-background\[\*\*(.*?)\*\*\]", passage).group(1)
    assert plain(highlighted) == answer.citations[0].quote
    assert "Sources (1)" in [e.label for e in at.expander]


def test_open_the_whole_article_with_the_quote_highlighted(shared_bot):
    at = ask(start(), "What did Lee say about Taiwan?")
    next(b for b in at.button if b.label == "Open the full article").click().run()
    assert not at.exception
    article = shared_bot.article(at.session_state["turns"][0]["answer"].citations[0].article_id).article
    full = next(t for t in markdown_of(at) if "partnership between equals" in t)  # the last paragraph
    assert ":yellow-background[**" in full and plain(full).replace(":yellow-background[**", "").replace(
        "**]", "") == article.text


def test_example_question_is_one_click(shared_bot):
    at = start()
    next(b for b in at.button if b.label == "What did Lee say about Taiwan?").click().run()
    assert at.session_state["turns"][0]["question"] == "What did Lee say about Taiwan?"
    assert not any(b.label.startswith("How many MOUs") for b in at.button)  # examples gone once chatting


def test_abstention_says_so_and_shows_the_closest_passages(shared_bot):
    at = ask(start(), "Which football club won the 1998 cup final in Glasgow?")
    assert any("The coverage doesn't say." in w.value for w in at.warning)
    labels = [e.label for e in at.expander]
    assert any(label.startswith("Closest passages") for label in labels)
    assert not any(label.startswith("Sources") for label in labels)
    assert not any(":yellow-background" in t for t in markdown_of(at))  # nothing presented as a quote


def test_follow_up_is_answered_in_the_context_of_the_conversation(shared_bot):
    at = ask(start(), "What did Lee say about Taiwan?")
    ask(at, "And what did he say about Xi?")
    follow = at.session_state["turns"][1]["answer"]
    assert follow.condensed_question.startswith("And what did Lee say about Xi")
    assert "Xi Jinping at least once every year" in follow.text
    assert any(t.startswith("Follow-up read as:") for t in markdown_of(at))
    assert len(at.chat_message) == 4


def test_outlet_date_and_passage_filters_restrict_the_sources(shared_bot):
    at = start()
    at.multiselect[0].set_value(["Test Ledger"]).run()
    ask(at, "What did executives sign at the forum in Beijing?")
    answer = at.session_state["turns"][-1]["answer"]
    assert answer.hits and {h.passage.outlet for h in answer.hits} == {"Test Ledger"}

    at.multiselect[0].set_value([]).run()
    at.date_input[0].set_value(date(2026, 1, 5)).run()
    at.date_input[1].set_value(date(2026, 1, 6)).run()
    at.slider[0].set_value(2).run()
    ask(at, "What happened in Beijing?")
    answer = at.session_state["turns"][-1]["answer"]
    assert 0 < len(answer.hits) <= 2
    assert all("2026-01-05" <= h.passage.published <= "2026-01-06" for h in answer.hits)


def test_new_conversation_clears_the_chat_and_export_follows_it(shared_bot):
    at = start()
    assert all(d.proto.disabled for d in at.get("download_button"))
    ask(at, "What did Lee say about Taiwan?")
    assert not any(d.proto.disabled for d in at.get("download_button"))
    next(b for b in at.button if b.label == "New conversation").click().run()
    assert at.session_state["turns"] == [] and not at.chat_message


def test_library_errors_are_shown_as_messages_not_tracebacks(shared_bot, monkeypatch):
    at = ask(start(), "   ")
    assert any("the question is empty" in plain(e.value) for e in at.error)

    def broken(*args, **kwargs):
        raise StoreError("the index is unusable (test); run `qa-bot ingest` to rebuild it")

    monkeypatch.setattr(shared_bot, "ask", broken)
    ask(at, "What did Lee say about Taiwan?")
    assert any("run `qa-bot ingest` to rebuild it" in plain(e.value) for e in at.error)
    assert not at.exception
    # Both questions stay in the conversation with their errors (shown again on every rerun), but
    # nothing of them goes back to the library as history.
    assert [t["answer"] for t in at.session_state["turns"]] == [None, None]
    at.run()
    assert len([e for e in at.error if "rebuild it" in plain(e.value)]) == 1 and len(at.chat_message) == 4
    from app_pages.conversation import history_for_library
    assert history_for_library(at.session_state["turns"]) == []


def test_the_verified_answer_replaces_the_streamed_draft_and_its_notice_is_shown(shared_bot, monkeypatch):
    from dataclasses import replace

    from qa_bot.models import Sentence

    real = shared_bot.ask("What did Lee say about Taiwan?")
    final = replace(real, notice="The model's reply could not be verified; showing the extractive answer.",
                    sentences=(Sentence(real.text, (1,), 0.1, supported=False),))

    def stream(question, k=None, filters=None, history=None, answerer=None):
        yield from ("A draft ", "the model ", "wrote [7]")
        yield final

    monkeypatch.setattr(shared_bot, "stream", stream)
    at = ask(start(), "What did Lee say about Taiwan?")
    texts = markdown_of(at)
    assert not any("draft" in t for t in texts) and any("one\\-China position" in t for t in texts)
    assert any("could not be verified" in plain(i.value) for i in at.info)
    assert any("1 sentence of this answer could not be matched" in t for t in texts)


# ---------------------------------------------------------------- corpus


def _add_button(at: AppTest, label: str):
    return next(b for b in [*at.button, *at.get("form_submit_button")] if b.label == label)


def test_paste_and_upload_then_ask_then_delete(shared_bot):
    at = start(CORPUS)
    assert at.get("dataframe") and "Articles (4)" in [h.value for h in at.subheader]

    at.text_area[0].set_value("The delegation toured the Hyundai battery plant in Nanjing on Tuesday afternoon, "
                              "where engineers showed a new sodium-ion cell line.")
    inputs = {t.label: t for t in at.text_input}
    inputs["Title"].set_value("Battery plant tour")
    inputs["Outlet"].set_value("Paste Post")
    inputs["URL (optional)"].set_value("https://pastepost.example.com/battery")
    at.date_input[0].set_value(date(2026, 1, 6))
    _add_button(at, "Add text").click().run()
    assert not at.exception and any("Battery plant tour" in s.value for s in at.success)

    note = b"---\ntitle: Panda loan agreed\noutlet: Upload Daily\npublished: 2026-01-06\n---\n\n" \
           b"China agreed to lend two giant pandas to the Everland zoo for fifteen years.\n"
    at.file_uploader[0].set_value(("panda.md", note, "text/markdown")).run()
    _add_button(at, "Add these files").click().run()
    assert not at.exception and any("Panda loan agreed" in s.value for s in at.success)
    assert "Articles (6)" in [h.value for h in at.subheader]
    table = at.get("dataframe")[0].value
    assert {"Battery plant tour", "Panda loan agreed"} <= set(table["title"])

    at.switch_page(CHAT).run()
    ask(at, "How many giant pandas will the Everland zoo get?")
    answer = at.session_state["turns"][-1]["answer"]
    assert not answer.abstained and answer.citations[0].title == "Panda loan agreed"

    at.switch_page(CORPUS).run()
    panda = next(r.id for r in shared_bot.articles() if r.article.title == "Panda loan agreed")
    at.selectbox[0].set_value(panda).run()
    assert any("fifteen years" in plain(t) for t in markdown_of(at))
    _add_button(at, "Delete this article…").click().run()
    assert any("Delete “Panda loan agreed”" in w.value for w in at.warning)
    _add_button(at, "Yes, delete it").click().run()
    assert not at.exception and any("Deleted" in s.value for s in at.success)
    assert "Panda loan agreed" not in {r.article.title for r in shared_bot.articles()}
    assert "Panda loan agreed" not in set(at.get("dataframe")[0].value["title"])


def test_each_rejected_upload_gets_its_own_message_and_the_rest_are_added(app_env, monkeypatch, tmp_path):
    monkeypatch.setenv("QA_BOT_MAX_UPLOAD_MB", "0.001")  # 1,000 bytes, enforced on the bytes by the library
    shared_bot = indexed_bot()
    at = start(CORPUS)
    good = b"Ferry talks resume\n\nThe two governments agreed to restart the Incheon to Weihai ferry route.\n"
    at.file_uploader[0].set_value([
        ("../../outside/ferry.txt", good, "text/plain"),
        ("huge.md", b"# Big\n\n" + b"word " * 400, "text/markdown"),
        ("empty.txt", b"   \n", "text/plain"),
        ("scan.pdf", make_pdf([]), "application/pdf"),
    ]).run()
    _add_button(at, "Add these files").click().run()
    assert not at.exception
    errors = [plain(e.value) for e in at.error]
    assert len(errors) == 3
    assert any("huge.md" in e and "limit" in e for e in errors), errors
    assert any("empty.txt" in e for e in errors) and any("scan.pdf" in e for e in errors)
    assert any("Ferry talks resume" in s.value for s in at.success)
    assert "Ferry talks resume" in {r.article.title for r in shared_bot.articles()}
    assert not (tmp_path / "outside").exists() and not (Path.cwd().parent / "outside").exists()


def test_url_ingest_refuses_private_and_non_http_addresses(shared_bot):
    at = start(CORPUS)
    for url, expected in (("http://127.0.0.1:9/story", "private"), ("ftp://example.com/story", "http")):
        field = next(t for t in at.text_input if t.label == "Web page address")
        field.set_value(url)
        _add_button(at, "Fetch and add").click().run()
        assert not at.exception
        assert any(expected in e.value.lower() for e in at.error), [e.value for e in at.error]
        assert next(t for t in at.text_input if t.label == "Web page address").value == url  # input kept


@pytest.fixture
def local_site():
    page = (b"<html><head><title>Ginseng exports rise</title><meta property='og:site_name' content='Local Times'>"
            b"</head><body><article><h1>Ginseng exports rise</h1><p>Korean ginseng exports to China rose by a "
            b"third after the summit, traders in Geumsan said.</p></article></body></html>")

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/ginseng"
    server.shutdown()


def test_url_ingest_fetches_a_page_when_private_addresses_are_allowed(app_env, monkeypatch, local_site):
    monkeypatch.setenv("QA_BOT_ALLOW_HOSTS", local_site.split("/")[2])
    indexed_bot()
    at = start(CORPUS)
    next(t for t in at.text_input if t.label == "Web page address").set_value(local_site)
    _add_button(at, "Fetch and add").click().run()
    assert not at.exception, [e.value for e in at.error]
    assert any("Ginseng exports rise" in s.value for s in at.success)
    assert "Ginseng exports rise" in set(at.get("dataframe")[0].value["title"])


def test_search_box_filters_the_article_table(shared_bot):
    at = start(CORPUS)
    lions = next(r.id for r in shared_bot.articles() if r.article.outlet == "Test Culture")
    at.selectbox[0].set_value(lions).run()
    at.text_input[-1].set_value("ledger").run()  # the open article no longer matches: no error
    assert not at.exception and list(at.get("dataframe")[0].value["outlet"]) == ["Test Ledger"]
    at.text_input[-1].set_value("no such thing").run()
    assert any("No article matches" in i.value for i in at.info)


def test_another_process_writing_is_reported_and_the_pasted_text_kept(shared_bot, settings):
    from qa_bot.storage.locking import WriteLock

    at = start(CORPUS)
    at.text_area[0].set_value("Officials said the new rail link would open in the autumn of next year.")
    with WriteLock(settings.data_dir).hold("a test standing in for another process"):
        _add_button(at, "Add text").click().run()
    assert not at.exception
    assert any("being written by" in plain(e.value) for e in at.error)
    assert at.text_area[0].value.startswith("Officials said the new rail link")


def test_an_add_in_one_session_is_visible_in_another(shared_bot):
    first, second = start(CORPUS), start(CORPUS)
    assert "Articles (4)" in [h.value for h in second.subheader]
    first.text_area[0].set_value("The ministers agreed to reopen the Dandong consulate before the spring festival.")
    next(t for t in first.text_input if t.label == "Title").set_value("Consulate to reopen")
    _add_button(first, "Add text").click().run()
    second.run()
    assert "Articles (5)" in [h.value for h in second.subheader]  # same shared bot, no restart
    assert first.session_state["corpus_gen"]["Paste text"] == 1  # own state: the first session's form is cleared,
    assert second.session_state["corpus_gen"]["Paste text"] == 0  # the second one's is not


# ---------------------------------------------------------------- safety

MALICIOUS = Article(
    id="evil0001", title="<script>alert('t')</script> [Click me](javascript:alert(1))", outlet=":red[Fake News]",
    url="javascript:alert(document.cookie)", published=date(2026, 1, 5),
    text=("The harbour crane contract was signed on Monday. <script>alert('x')</script> "
          "![tracker](https://evil.example/pixel.png) <img src=x onerror=alert(1)> "
          "[Read more](javascript:alert(2)) :red-background[urgent] $\\frac{1}{2}$ **bold** https://evil.example "
          "The harbour crane contract is worth nine billion won."),
)


def test_malicious_article_renders_as_inert_text(shared_bot):
    shared_bot.add_articles([MALICIOUS])
    at = ask(start(), "When was the harbour crane contract signed?")
    answer = at.session_state["turns"][0]["answer"]
    assert answer.citations and answer.citations[0].article_id == "evil0001"
    next(b for b in at.button if b.label == "Open the full article").click().run()
    chat = markdown_of(at)  # the answer, its sources and the whole article
    at.switch_page(CORPUS).run()
    at.selectbox[0].set_value("evil0001").run()
    assert not at.exception
    corpus = markdown_of(at)  # the success messages, the article view
    assert any("onerror" in t for t in chat) and any("onerror" in t for t in corpus)  # shown as text...
    assert any("alert(2)" in plain(t) for t in chat)
    texts = chat + corpus
    md = MarkdownIt("commonmark")
    for text in texts:  # ...but nothing becomes a link, an image, HTML, a colour directive or math
        tokens = [tok for block in md.parse(text) for tok in [block, *(block.children or [])]]
        kinds = {tok.type for tok in tokens}
        assert not kinds & {"image", "html_inline", "html_block"}, text
        for tok in tokens:
            if tok.type == "link_open":
                assert tok.attrs["href"].startswith("https://testwire.example.com"), text
        ours = text.replace(":yellow-background[**", "")  # the app's own highlight of a quote
        assert not re.search(r"(?<!\\):(red|orange|yellow|green|blue|violet|gray|grey|rainbow|primary)", ours)
        assert not re.search(r"(?<!\\)\$", text) and "https://evil" not in text.replace("\\", "")
    assert all(not m.proto.allow_html for m in at.markdown)


def test_no_page_renders_raw_html():
    sources = [APP, *sorted(APP.parent.joinpath("app_pages").glob("*.py"))]
    for path in sources:
        code = path.read_text()
        assert "unsafe_allow_html" not in code and "st.html" not in code and "components.html" not in code, path


# ---------------------------------------------------------------- evals

GOLD = [
    {"id": "g1", "question": "How far did the missiles travel, according to the Joint Chiefs of Staff?",
     "answers": ["900 kilometres"], "answerable": True, "type": "number",
     "evidence": [{"article_id": "525dc96078dedd12", "quote": "the missiles travelled roughly 900 kilometres"}]},
    {"id": "g2", "question": "What did Lee say about Taiwan?", "answers": ["one-China position"],
     "answerable": True, "type": "quote",
     "evidence": [{"article_id": "94a9a09053615b82", "quote": "Seoul still respects the one-China position"}]},
    {"id": "g3", "question": "Which football club won the 1998 cup final in Glasgow?", "answers": [],
     "answerable": False, "type": "unanswerable"},
    {"id": "g4", "question": "How tall is each stone lion?", "answers": ["three metres"],  # wrong on purpose
     "answerable": True, "type": "number"},
]


def test_evals_page_runs_an_uploaded_gold_set(shared_bot):
    at = start(EVALS)
    at.radio[0].set_value("Upload a gold set…").run()
    data = "\n".join(json.dumps(g) for g in GOLD).encode()
    at.file_uploader[0].set_value(("mine.jsonl", data, "application/jsonl")).run()
    next(b for b in at.button if b.label == "Run the eval").click().run(timeout=60)
    assert not at.exception, [e.value for e in at.error]
    run = at.session_state["eval_run"]
    assert run.metrics["questions"] == 4
    metrics = {m.label: m.value for m in at.metric}
    assert set(metrics) >= {"Pass rate", "Answer recall", "Citation precision", "Latency p50"}
    assert len(at.get("vega_lite_chart")) == 2  # per-type and latency charts
    table = at.get("dataframe")[0].value
    assert list(table["id"]) == ["g1", "g2", "g3", "g4"] and set(table["result"]) == {"pass", "fail"}
    at.toggle[0].set_value(True).run()
    failures = at.get("dataframe")[0].value
    assert set(failures["result"]) == {"fail"} and "g4" in set(failures["id"])
    assert len(failures) == sum(not r.passed for r in run.records) < 4


def test_a_bad_gold_set_is_refused_with_its_line_number(shared_bot):
    at = start(EVALS)
    at.radio[0].set_value("Upload a gold set…").run()
    at.file_uploader[0].set_value(("broken.jsonl", b'{"id": "a", "question": "ok?"}\n{not json\n', "x")).run()
    next(b for b in at.button if b.label == "Run the eval").click().run()
    assert not at.exception and "eval_run" not in at.session_state
    assert any("broken.jsonl line 2" in e.value.replace("\\", "") for e in at.error)


def test_evals_page_offers_the_bundled_gold_sets(shared_bot):
    bundled = sorted(p.name for p in (APP.parent / "eval").glob("*.jsonl"))
    at = start(EVALS)
    assert list(at.radio[0].options) == [*bundled, "Upload a gold set…"]


@pytest.mark.slow  # indexes the whole bundled corpus, then runs an eval through the page
def test_evals_page_runs_a_bundled_gold_set_on_the_bundled_corpus(app_env, monkeypatch):
    gold = APP.parent / "eval" / "summit_test.jsonl"
    if not gold.exists():
        pytest.skip("eval/summit_test.jsonl is not there yet")
    monkeypatch.setenv("QA_BOT_CORPUS_DIR", str(APP.parent / "corpus"))
    indexed_bot()
    at = start(EVALS)
    at.radio[0].set_value(gold.name).run()
    at.number_input[0].set_value(3).run()
    next(b for b in at.button if b.label == "Run the eval").click().run(timeout=120)
    assert not at.exception, [e.value for e in at.error]
    run = at.session_state["eval_run"]
    assert run.metrics["questions"] == 3 and run.dataset["path"].endswith(gold.name)
    assert len(at.get("dataframe")[0].value) == 3


# ---------------------------------------------------------------- an optional language model


def test_llm_choice_appears_only_when_configured(shared_bot):
    at = start()
    assert not [r for r in at.radio if r.label == "Answers written by"]


@pytest.mark.parametrize("marker, script", [
    ("server-error", {"status": 500}),
    ("hang", {"hang_s": 5}),
    ("empty", {"reply": ""}),
    ("garbled", {"malformed": True}),
])
def test_every_llm_failure_shows_the_extractive_answer_and_a_one_line_notice(app_env, monkeypatch, marker, script):
    from tests.llm_server import Script, ScriptedServer

    with ScriptedServer({marker: Script(**script)}) as server:
        monkeypatch.setenv("QA_BOT_LLM", "openai:test")
        monkeypatch.setenv("QA_BOT_LLM_BASE_URL", f"{server.url}/v1")
        monkeypatch.setenv("QA_BOT_LLM_TIMEOUT_S", "1")
        monkeypatch.setenv("QA_BOT_LLM_MAX_RETRIES", "0")
        indexed_bot()
        at = start()
        [choice] = [r for r in at.radio if r.label == "Answers written by"]
        assert choice.value == "openai:test" or "test" in choice.value
        ask(at, f"What did Lee say about Taiwan? {marker}")
        notices = [i.value for i in at.info]
        assert len(notices) == 1 and "\n" not in notices[0], notices
        assert not at.exception
        body = " ".join(plain(m) for m in markdown_of(at))
        assert "one-China" in body and "[1]" in body  # the extractive answer, with its citation
