"""The app's answers to a new user's papercuts, through AppTest: each submission's outcome in its own
tab, counts in the right number, a collapsed abstention, full dates in the sidebar, and no question
lost to a rerun."""

from __future__ import annotations

from datetime import date

import streamlit as st

from tests.app.test_app import CORPUS, _add_button, app_env, ask, plain, shared_bot, start  # noqa: F401

PASTE = "Paste text"


def _tab(at, label):
    return next(t for t in at.tabs if t.label == label)


def test_a_failure_after_a_success_is_shown_in_the_tab_where_it_was_made(shared_bot):
    at = start(CORPUS)
    at.session_state["corpus_add_tab"] = PASTE  # the user opens the "Paste text" tab
    at.run()
    at.text_area[0].set_value("The two leaders planted a pine tree at the guesthouse garden on Wednesday morning.")
    next(t for t in at.text_input if t.label == "Title").set_value("Pine tree planted")
    _add_button(at, "Add text").click().run()
    assert not at.exception
    assert [s.value for s in _tab(at, PASTE).success] == ["Added “Pine tree planted”."]
    assert at.session_state["corpus_add_tab"] == PASTE  # the add's own rerun kept the tab open

    at.text_area[0].set_value("   ")  # then an empty submission in the same tab
    _add_button(at, "Add text").click().run()
    assert not at.exception
    assert any("pasted text" in plain(e.value) for e in _tab(at, PASTE).error), [e.value for e in at.error]
    assert not _tab(at, PASTE).success  # the earlier success is not passed off as this one's outcome
    assert at.session_state["corpus_add_tab"] == PASTE
    assert not any(t.error or t.success for t in at.tabs if t.label != PASTE)


def test_an_add_clears_only_the_inputs_of_its_own_tab(shared_bot):
    # What is typed into a form lives in the browser until it is sent; it is kept as long as the form's
    # widgets keep their ids. (tests/e2e/test_corpus_form.py types into the real page.)
    at = start(CORPUS)
    ids = {t.label: t.id for t in at.text_input}
    uploader = at.file_uploader[0].id
    note = b"Bridge repainting begins\n\nCrews began repainting the old river bridge on Monday morning.\n"
    at.file_uploader[0].set_value(("bridge.txt", note, "text/plain")).run()
    _add_button(at, "Add these files").click().run()
    assert not at.exception and any("Bridge repainting begins" in s.value for s in at.success)
    assert {t.label: t.id for t in at.text_input} == ids  # the paste and web page forms are the same forms
    assert at.file_uploader[0].id != uploader and not at.file_uploader[0].value  # the upload is a fresh one


def test_the_delete_prompt_counts_its_passages_in_the_singular(shared_bot):
    at = start(CORPUS)
    one = next(r for r in shared_bot.articles() if r.n_chunks == 1)
    at.selectbox[0].set_value(one.id).run()
    meta = next(c.value for c in at.caption if "passage" in c.value)
    assert "1 passage" in meta and "1 passages" not in meta
    _add_button(at, "Delete this article…").click().run()
    warning = next(w.value for w in at.warning if w.value.startswith("Delete"))
    assert "its 1 passage from the index" in warning and "1 passages" not in warning


def test_the_closest_passages_after_an_abstention_are_collapsed(shared_bot):
    at = ask(start(), "Which football club won the 1998 cup final in Glasgow?")
    assert any(w.value.startswith("**The coverage doesn't say.**") for w in at.warning)
    closest = [e for e in at.expander if e.label.startswith("Closest passages (")]
    assert len(closest) == 1 and not closest[0].proto.expanded


def test_the_date_range_is_two_full_date_fields(shared_bot):
    at = start()
    fields = {d.label: d for d in at.date_input}
    assert set(fields) == {"Published from", "Published until"}
    assert all(d.proto.format == "YYYY-MM-DD" and d.value is None for d in fields.values())
    fields["Published from"].set_value(date(2026, 1, 5)).run()  # only a start: from that day on
    ask(at, "What happened in Beijing?")
    hits = at.session_state["turns"][-1]["answer"].hits
    assert hits and all(h.passage.published >= "2026-01-05" for h in hits)


def test_a_question_cut_short_by_a_rerun_is_answered_on_the_next_run(shared_bot, monkeypatch):
    real = shared_bot.stream
    calls = []

    def interrupted_once(*args, **kwargs):
        calls.append(args[0])
        if len(calls) == 1:  # a widget change arrives while the first question is being answered:
            st.stop()        # Streamlit ends that run where it is, as a rerun request does
        return real(*args, **kwargs)

    monkeypatch.setattr(shared_bot, "stream", interrupted_once)
    at = start()
    at.chat_input[0].set_value("What did Lee say about Taiwan?").run()
    for k in (3, 4, 5, 6, 7):  # quick presses on "Passages to retrieve"
        at.slider[0].set_value(k).run()
        assert not at.exception
    turns = at.session_state["turns"]
    assert [t["question"] for t in turns] == ["What did Lee say about Taiwan?"]
    assert turns[0]["answer"] is not None and "one-China position" in turns[0]["answer"].text
    assert len(at.chat_message) == 2 and at.session_state["queued"] == []

    ask(at, "And what did he say about Xi?")  # the conversation goes on as usual
    assert len(at.session_state["turns"]) == 2 and len(at.chat_message) == 4


def test_the_paste_form_writes_dates_as_the_rest_of_the_app_and_shows_the_author(shared_bot):
    at = start(CORPUS)
    assert at.date_input[0].proto.format == "YYYY-MM-DD"  # not Streamlit's default YYYY/MM/DD
    at.text_area[0].set_value("The two ministers opened a ferry terminal at the harbour on Thursday afternoon.")
    typed = {"Title": "Ferry terminal opens", "Outlet": "Paste Post", "Author": "Mina Cho"}
    for field in at.text_input:
        field.set_value(typed.get(field.label, field.value))
    at.date_input[0].set_value(date(2026, 1, 8))
    _add_button(at, "Add text").click().run()
    assert not at.exception
    table = at.get("dataframe")[0].value
    assert list(table.loc[table["title"] == "Ferry terminal opens", "author"]) == ["Mina Cho"]
    pasted = next(r.id for r in shared_bot.articles() if r.article.title == "Ferry terminal opens")
    at.selectbox[0].set_value(pasted).run()
    assert any("Paste Post · 2026\\-01\\-08 · by Mina Cho" in c.value for c in at.caption)
