"""The People page and the chat page's "Compare outlets" toggle through Streamlit's AppTest (the fake bot on
the fixture corpus), and the pure view helpers behind them."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from app_pages.markdown import escape_markdown
from app_pages.people_views import (citation_markdown, outlet_rows, sources_label, speaker_of_option, speaker_options,
                                    statement_markdown, summary_text)
from qa_bot.models import Citation
from tests.app.test_app import app_env, ask, markdown_of, plain, shared_bot, start  # noqa: F401 (fixtures)

PEOPLE = "app_pages/people.py"


def submit(at):
    next(b for b in at.button if b.label == "Show statements").click().run()
    assert not at.exception, at.exception
    return at


def test_the_page_lists_speakers_and_shows_the_most_quoted_person_s_statements(shared_bot):
    at = start(PEOPLE)
    options = at.selectbox(key="people_speaker").options
    assert options[0].startswith("Lee Jae Myung (")  # the most quoted first, with the count
    result = at.session_state["people_result"]
    assert result.people == ("Lee Jae Myung",) and result.statements
    assert options[0] == f"Lee Jae Myung ({len(result.statements)})"  # the picker counts what the page shows
    texts = [plain(t) for t in markdown_of(at)]
    first = result.groups[0].statements[0]
    assert any(t.startswith(first.text) for t in texts)  # the statement verbatim, not in quotation marks
    assert [plain(h.value) for h in at.subheader] == [g.label for g in result.groups]
    assert any(plain(e.label).startswith(("1 source:", f"{len(first.citations)} sources:")) for e in at.expander)


def test_a_typed_name_and_a_topic_narrow_the_statements_and_a_non_name_is_an_error(shared_bot):
    at = start(PEOPLE)
    everything = len(at.session_state["people_result"].statements)
    at.text_input(key="people_topic").input("Taiwan")
    submit(at)
    narrowed = at.session_state["people_result"]
    assert 0 < len(narrowed.statements) < everything and all("Taiwan" in s.text for s in narrowed.statements)
    at.text_input(key="people_topic").input("")
    at.text_input(key="people_name").input("Nobody Known")
    submit(at)
    assert any("No statements by" in plain(t) for t in markdown_of(at))
    at.text_input(key="people_name").input("the minister")
    submit(at)
    assert any("holds no name" in plain(e.value) for e in at.error)


def test_open_the_full_article_from_a_citation(shared_bot):
    at = start(PEOPLE)
    next(b for b in at.button if b.label == "Open the full article").click().run()
    assert not at.exception
    assert any(":yellow-background[**" in t for t in markdown_of(at))


def test_corpus_text_is_shown_literally(shared_bot):
    assert not shared_bot.add_text("Ana Silva said <img src=x onerror=alert(1)> and [a link](javascript:alert(1)) "
                                   "were **fine**.", title="Odd *title*", outlet="Odd <b>outlet</b>",
                                   published=date(2026, 1, 5)).errors
    at = start(PEOPLE)
    at.text_input(key="people_name").input("Ana Silva")
    submit(at)
    odd = next(t for t in markdown_of(at) if "onerror" in t)
    assert "\\<img" in odd and "<img" not in odd.replace("\\<", "") and "](" not in odd and "**fine**" not in odd
    assert plain(odd).startswith("Ana Silva said <img src=x onerror=alert(1)> and [a link](javascript:alert(1))")


def test_chat_toggle_shows_one_row_per_outlet_under_the_answer(shared_bot):
    at = start()
    at.toggle(key="by_outlet").set_value(True).run()
    ask(at, "What did Lee say about Taiwan?")
    view = at.session_state["turns"][-1]["outlets"]
    assert view is not None and {r.outlet for r in view.rows} == set(shared_bot.store.outlets())
    table = at.dataframe[0].value
    assert list(table.columns) == ["Outlet", "Date(s)", "Best answering sentence"]
    assert set(table["Outlet"]) == set(shared_bot.store.outlets())
    assert any(e.label.startswith("By outlet") for e in at.expander)
    at.toggle(key="by_outlet").set_value(False).run()
    ask(at, "What happened with the stone lions?")
    assert at.session_state["turns"][-1]["outlets"] is None and len(at.dataframe) == 1  # the earlier one stays


# ------------------------------------------------------------ the pure helpers


def _citation(n: int, outlet: str, quote: str = "Kim said the port will open.") -> Citation:
    return Citation(n=n, chunk_id="a:0", article_id=f"article-{outlet}", title="T [x](y)", outlet=outlet,
                    published="2026-01-05", url="javascript:alert(1)", quote=quote, start=0, end=len(quote))


def _statement(text: str, *outlets: str, kind: str = "reported", speaker: str = "Kim"):
    return SimpleNamespace(text=text, kind=kind, speaker=speaker,
                           citations=tuple(_citation(i, o) for i, o in enumerate(outlets, 1)))


def test_views_escape_everything_and_number_the_citations():
    s = _statement("Kim said a *bold* <b>claim</b>.", "One", "Two", kind="quote")
    assert statement_markdown(s) == (f"{escape_markdown('Kim said a *bold* <b>claim</b>.')} **\\[1\\]\\[2\\]** "
                                     ":gray[(direct quote)]")
    assert statement_markdown(s, show_speaker=True).endswith(f":gray[({escape_markdown('Kim, direct quote')})]")
    line = citation_markdown(s.citations[0], with_id=True)
    assert line.startswith("**\\[1\\]** One · 2026\\-01\\-05 · ") and "javascript" not in line
    assert line.endswith("> " + escape_markdown("Kim said the port will open."))
    assert sources_label(_statement("x", "A", "B", "C", "D")) == escape_markdown("4 sources: A, B, C and 1 more")


def test_speaker_picker_round_trips_and_summary_counts():
    rows = [("Kim Min-jun", 12), ("Ana Silva", 3)]
    assert speaker_options(rows) == ["Kim Min-jun (12)", "Ana Silva (3)"]
    assert speaker_of_option("Ana Silva (3)", rows) == "Ana Silva" and speaker_of_option(None, rows) == ""
    result = SimpleNamespace(speaker="Kim", people=("Kim Min-jun",), topic="ports",
                             groups=[SimpleNamespace()], statements=[_statement("a", "A"), _statement("b", "B")])
    assert summary_text(result) == escape_markdown("Kim Min-jun: 2 statements about “ports” in 1 topic, "
                                                   "from 2 articles.")
    empty = SimpleNamespace(speaker="Kim", people=(), topic=None, groups=(), statements=())
    assert summary_text(empty).startswith(escape_markdown("No statements by “Kim”"))


def test_outlet_rows_are_plain_cells():
    view = SimpleNamespace(rows=[SimpleNamespace(outlet="<b>One</b>", dates=("2026-01-05",), sentence="A [x](y)."),
                                 SimpleNamespace(outlet="Two", dates=(), sentence="not reported")])
    assert outlet_rows(view) == [
        {"Outlet": "<b>One</b>", "Date(s)": "2026-01-05", "Best answering sentence": "A [x](y)."},
        {"Outlet": "Two", "Date(s)": "—", "Best answering sentence": "not reported"}]
