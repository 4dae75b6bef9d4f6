"""End to end in a real browser: build the index, ask, read the source, add a document, ask about it;
two sessions asking at once; a hostile document stays inert. Every test also fails on any request that
leaves the app's host or that the app answers with an error (see ``new_page``). Screenshots go to
test-artifacts/e2e/."""

from __future__ import annotations

import json
import re
import unicodedata

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.timeout(900)]

PANDAS = b"""---
title: Everland zoo to receive two giant pandas
outlet: E2E Gazette
published: 2026-01-06
url: https://e2e-gazette.example.com/pandas
---

China agreed on Tuesday to lend two giant pandas to the Everland zoo near Seoul. The pandas will stay at
Everland for fifteen years under the agreement, zoo officials said.
"""

HOSTILE = json.dumps({  # JSONL keeps every field verbatim
    "title": "Harbour <img src=x onerror=alert(1)> [crane](javascript:alert(2)) deal",
    "outlet": ":red[Evil Outlet]", "published": "2026-01-06",
    "text": "The harbour crane deal was signed in Dalian on Tuesday. <script>alert(3)</script> "
            "![pixel](https://evil.example/p.png) [Click here](javascript:alert(4)) :orange-background[urgent] "
            "$x^2$ www.evil.example and mail spy@evil.example. The cranes will be delivered in May.",
}).encode() + b"\n"
BAD_URL = json.dumps({"title": "Link trap", "text": "Nothing to see here, only a link.", "url": "javascript:alert(5)"})


def shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def ensure_index(page) -> None:
    """Build the index through the UI if this server's index is still empty."""
    build = page.get_by_role("button", name="Build the index")
    if build.is_visible():
        build.click()
        page.get_by_test_id("stProgress").get_by_text(re.compile(r"[1-9][\d,]* of \d")).first.wait_for(timeout=60_000)
        shot(page, "01b-building-index")  # the progress bar, part way
        page.get_by_text(re.compile(r"Indexed \d+ articles")).wait_for(timeout=300_000)


def open_app(page, url: str) -> None:
    page.goto(url)
    page.get_by_text("Not sure where to start?").or_(page.get_by_role("button", name="Build the index")) \
        .first.wait_for(timeout=120_000)


def ask(page, question: str, submit: bool = True):
    """Type a question (and send it); returns the locator of the assistant message that will answer it."""
    settled(page)  # while a run redraws the conversation, an old copy of a message would be counted too
    reply = page.get_by_test_id("stChatMessage").nth(page.get_by_test_id("stChatMessage").count() + 1)
    box = page.get_by_test_id("stChatInputTextArea")
    box.fill(question)
    if submit:
        box.press("Enter")
    return reply


def answered(message, timeout: float = 120_000):
    """``message`` once its sources (or closest passages) are shown."""
    message.get_by_text(re.compile(r"^(Sources|Closest passages) \(\d+\)$")).wait_for(timeout=timeout)
    # Attached, not visible: the closest passages after an abstention sit in a collapsed expander.
    message.get_by_role("button", name="Open the full article", include_hidden=True).first.wait_for(
        state="attached", timeout=timeout)
    # The run ends with the sidebar's export buttons, which include this answer.
    expect(message.page.get_by_role("button", name="Export as JSON")).to_be_enabled(timeout=timeout)
    return message


def answer_text(message) -> str:
    """What an assistant message says above its sources (a short answer, then the cited sentences)."""
    return message.inner_text().split("Sources (")[0]


def live(page):
    """The page's current elements: while a rerun (a tab switch, say) redraws a form, the old copy stays
    on the page, marked stale, until the run ends."""
    return page.locator(".stElementContainer[data-stale='false']")


def settled(page, timeout: float = 120_000) -> None:
    """Wait until the page's run has finished and been drawn: the app reports no script running (on a
    first run nothing is stale yet), and no element is left marked stale (an element of the previous run
    that this one has not redrawn yet, which a locator could otherwise pick up)."""
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning", timeout=timeout)
    expect(page.locator(".stElementContainer[data-stale='true']")).to_have_count(0, timeout=timeout)


def go_to(page, title: str) -> None:
    page.get_by_test_id("stSidebarNavLink").filter(has_text=title).click()


def invisible(text: str) -> set[str]:
    """Invisible characters (format, zero-width, line/paragraph separators) in copied text."""
    return {c for c in text if unicodedata.category(c) in ("Cf", "Zl", "Zp")}


def test_ask_read_the_source_add_a_document_and_ask_about_it(app_url, new_page):
    page = new_page()
    open_app(page, app_url)
    shot(page, "01-first-visit")
    ensure_index(page)
    page.get_by_text("Not sure where to start?").wait_for()

    answer = answered(ask(page, "What did Lee say about Taiwan?"))
    body = answer_text(answer)
    assert "Taiwan" in body and re.search(r"\[\d\]", body), body
    highlight = answer.locator(".stMarkdownColoredBackground").first
    highlight.wait_for()
    assert len(highlight.inner_text()) > 20
    assert answer.locator("a[href^='http']").count() >= 1  # source titles link to their articles
    assert not invisible(answer.inner_text()), "copied text would carry invisible characters"
    shot(page, "02-answer-with-sources")

    answer.get_by_role("button", name="Open the full article").first.click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for()
    expect(dialog.locator(".stMarkdownColoredBackground").first).to_be_visible(timeout=60_000)
    marked = dialog.locator(".stMarkdownColoredBackground").first
    marked.wait_for()
    assert marked.inner_text().strip() in dialog.inner_text()
    assert len(dialog.inner_text()) > 1000  # the whole article, not just the passage
    page.screenshot(path=str(ARTIFACTS / "03-article-dialog.png"))
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")

    go_to(page, "Corpus")
    heading = page.get_by_text(re.compile(r"^Articles \(\d+\)$"))
    before = int(re.search(r"\d+", heading.inner_text()).group())
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        files=[{"name": "pandas.md", "mimeType": "text/markdown", "buffer": PANDAS}])
    page.get_by_role("button", name="Add these files", exact=True).click()
    page.get_by_text("Added “Everland zoo to receive two giant pandas”.").wait_for(timeout=120_000)
    page.get_by_text(f"Articles ({before + 1})").wait_for()
    grid = page.get_by_test_id("stDataFrame")  # a canvas grid: its cells are in the DOM but not "visible"
    grid.get_by_text("Everland zoo to receive two giant pandas").wait_for(state="attached")
    shot(page, "04-corpus-after-upload")

    # A success, then a failure, in the "Paste text" tab: each shows its own outcome, in that tab.
    page.get_by_role("tab", name="Paste text").click()
    live(page).get_by_label("Article text").fill("The new rail link between Seoul and Dandong will open in the "
                                                 "autumn, the railway operator said on Thursday.")
    live(page).get_by_label("Title").fill("Rail link to open")
    live(page).get_by_role("button", name="Add text").click()
    panel = page.get_by_role("tabpanel")
    expect(panel.get_by_text("Added “Rail link to open”.")).to_be_visible(timeout=120_000)
    expect(live(page).get_by_label("Article text")).to_have_value("")  # the add's rerun is over: a fresh form
    live(page).get_by_role("button", name="Add text").click()  # nothing pasted this time
    expect(panel.get_by_test_id("stAlertContentError")).to_contain_text("no text found", timeout=60_000)
    expect(page.get_by_role("tab", name="Paste text")).to_have_attribute("aria-selected", "true")
    expect(panel.get_by_text("Added “Rail link to open”.")).to_have_count(0)
    shot(page, "04b-corpus-success-then-failure")

    go_to(page, "Evals")
    page.get_by_text("Pick a gold set and run it").wait_for()

    go_to(page, "Ask the coverage")
    expect(page.get_by_test_id("stChatMessage")).to_have_count(2)  # the conversation is still there
    # (The reader abstains on "Where will the pandas go?": its lead-sentence bias, a strict xfail in
    # tests/answering/test_reader_cases.py; this asks what the upload's second sentence answers.)
    answer = answered(ask(page, "How long will the two giant pandas stay at Everland?"))
    text = answer.inner_text()
    assert "fifteen years" in text and "E2E Gazette" in text, text
    shot(page, "05-answer-from-uploaded-document")

    miss = answered(ask(page, "Which football club won the 1998 cup final in Glasgow?"))
    expect(miss.get_by_text("The coverage doesn't say.")).to_be_visible()
    expect(miss.get_by_role("button", name="Open the full article", include_hidden=True).first).to_be_hidden()
    miss.scroll_into_view_if_needed()
    shot(page, "05b-abstention")

    # Both ends of the date range show the whole date at the default sidebar width.
    sidebar = page.get_by_test_id("stSidebar")
    for label, day in (("Published from", "2026-01-05"), ("Published until", "2026-01-06")):
        field = sidebar.get_by_role("group", name=label)  # year, month and day segments
        field.get_by_role("spinbutton", name=re.compile("^year")).click()
        page.keyboard.type(day.replace("-", ""))  # each segment moves on to the next when full
        expect(field).to_have_text(re.compile(r"\D*".join(day.replace("-", ""))))  # all of it, whatever the separators
        assert field.evaluate("el => el.scrollWidth <= el.clientWidth"), f"{label} is clipped"
        page.keyboard.press("Escape")  # close the calendar that typing opened, which covers the next field
    sidebar.screenshot(path=str(ARTIFACTS / "05c-sidebar.png"))

    with page.expect_download() as download:
        page.get_by_role("button", name="Export as Markdown").click()
    exported = open(download.value.path(), encoding="utf-8").read()
    assert "[1]" in exported and "\\[" not in exported and "](https://e2e-gazette.example.com/pandas)" in exported


def test_two_sessions_asking_at_once_both_get_their_own_cited_answer(app_url, new_page):
    first, second = new_page(), new_page()
    open_app(first, app_url)
    ensure_index(first)
    open_app(second, app_url)
    second.get_by_text("Not sure where to start?").wait_for()

    r1 = ask(first, "What did Lee say about Taiwan?", submit=False)
    r2 = ask(second, "How far did the North Korean missiles fly?", submit=False)
    first.get_by_test_id("stChatInputTextArea").press("Enter")  # both sent before either is answered
    second.get_by_test_id("stChatInputTextArea").press("Enter")
    a1, a2 = answered(r1), answered(r2)
    t1, t2 = answer_text(a1), answer_text(a2)
    assert "Taiwan" in t1 and "missile" not in t1.lower(), t1
    # the missiles answer ("... said they flew roughly 900 km") may leave the word to the question
    assert re.search(r"missile|\bkm\b", t2.lower()) and "Taiwan" not in t2 and re.search(r"\[\d\]", t2), t2
    assert a1.locator(".stMarkdownColoredBackground").count() and a2.locator(".stMarkdownColoredBackground").count()
    shot(first, "06-concurrent-session-1")
    shot(second, "07-concurrent-session-2")

    # An article added in one session is listed in the other without a restart.
    go_to(first, "Corpus")
    first.get_by_role("tab", name="Paste text").click()
    live(first).get_by_label("Article text").fill("Ferry services between Incheon and Weihai will double from "
                                                  "March, the two transport ministries announced on Wednesday.")
    live(first).get_by_label("Title").fill("Ferry services to double")
    live(first).get_by_role("button", name="Add text").click()
    first.get_by_text("Added “Ferry services to double”.").wait_for(timeout=120_000)
    go_to(second, "Corpus")
    second.get_by_placeholder("Search by title, outlet, source, URL or id").fill("ferry")
    second.keyboard.press("Enter")
    second.get_by_text("Articles (").wait_for()
    second.get_by_test_id("stDataFrame").get_by_text("Ferry services to double").wait_for(state="attached")
    shot(second, "08-other-session-sees-the-new-article")


def test_a_hostile_document_is_shown_as_inert_text(app_url, new_page):
    page = new_page()
    open_app(page, app_url)
    ensure_index(page)
    go_to(page, "Corpus")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(files=[
        {"name": "../../hostile.jsonl", "mimeType": "application/jsonl", "buffer": HOSTILE},
        {"name": "trap.jsonl", "mimeType": "application/jsonl", "buffer": BAD_URL.encode()}])
    page.get_by_role("button", name="Add these files", exact=True).click()
    page.get_by_text(re.compile("Added “Harbour")).wait_for(timeout=120_000)
    error = page.get_by_test_id("stAlertContentError")
    expect(error).to_have_count(1)  # the refused file has its own message; the other one is added
    assert "trap.jsonl" in error.inner_text() and "not an http(s) address" in error.inner_text()
    shot(page, "09a-one-file-refused-one-added")
    picker = page.get_by_role("combobox", name=re.compile("Open an article"))
    picker.click()
    picker.fill("Harbour")  # the list is long and virtualised: type to filter it
    page.get_by_role("option", name=re.compile("^Harbour")).click()
    page.get_by_text("The harbour crane deal was signed").wait_for()
    shot(page, "09b-hostile-article-view")

    go_to(page, "Ask the coverage")
    page.get_by_text("Not sure where to start?").wait_for()
    answer = answered(ask(page, "Where was the harbour crane deal signed?"))
    assert "Dalian" in answer.inner_text()
    answer.get_by_role("button", name="Open the full article").first.click()
    dialog = page.get_by_role("dialog")
    # The dialog opens with its title before its body renders: wait for the article's last sentence.
    expect(dialog).to_contain_text("The cranes will be delivered in May", timeout=60_000)
    shot(page, "10-hostile-answer-and-article")
    for root in (page.get_by_test_id("stMain"), page.get_by_role("dialog")):
        hostile = "a[href^='javascript'], a[href*='evil'], img[src='x'], img[src*='evil'], script"
        assert root.locator(hostile).count() == 0
        assert root.locator(".katex").count() == 0
    text = page.get_by_role("dialog").inner_text()
    # Copying the article gives back its text exactly: inert, and with nothing invisible added.
    assert not invisible(text), invisible(text)
    source = json.loads(HOSTILE)["text"]
    assert source[source.index("<script>"):] in " ".join(text.split()), text
    page.keyboard.press("Escape")
    page.get_by_test_id("stSidebar").get_by_role("combobox", name=re.compile("Outlets")).click()
    option = page.get_by_role("option", name=re.compile("Evil Outlet"))
    expect(option).to_have_text(":red[Evil Outlet]")  # option labels are plain text
    shot(page, "11-hostile-outlet-in-filter")
