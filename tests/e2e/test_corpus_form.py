"""What a person types into the Corpus page's paste form stays there through every rerun they did not
ask for: another session's add, switching tabs, an add made in another tab of the page, a search of the
table. The page has no periodic refresh. Only a successful add clears its own tab's inputs, and its
message shows once the fresh inputs are on the page (issue 28: the reliability campaign typed a title
into the old form while the add's rerun was still drawing, and the article was added untitled)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.test_browser import ensure_index, go_to, live, open_app, settled, shot

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.timeout(900)]

NOTICE = b"""---
title: Night market extends its opening hours
outlet: Form Test Weekly
published: 2026-01-07
---

The riverside night market will stay open until two in the morning from next month, the market's
traders' association said on Wednesday.
"""


def paste(page, title: str, text: str) -> None:
    """Fill the paste form of a settled Corpus page (the "Paste text" tab open) and send it."""
    live(page).get_by_label("Title").fill(title)
    live(page).get_by_label("Article text").fill(text)
    live(page).get_by_role("button", name="Add text").click()


def titles_on_page(page) -> list[str]:
    """The values of every Title field on the page now, the old copy of a redrawn form included."""
    return page.locator("input[aria-label='Title']").evaluate_all("fields => fields.map(f => f.value)")


def test_a_title_typed_into_the_paste_form_survives_the_reruns_until_it_is_added(app_url, new_page):
    page, other = new_page(), new_page()
    open_app(page, app_url)
    ensure_index(page)
    go_to(page, "Corpus")
    settled(page)
    page.get_by_role("tab", name="Paste text").click()
    settled(page)
    title = "Harbour tram depot to reopen"
    live(page).get_by_label("Title").fill(title)

    # Another session adds an article meanwhile.
    open_app(other, app_url)
    go_to(other, "Corpus")
    settled(other)
    other.get_by_role("tab", name="Paste text").click()
    settled(other)
    paste(other, "Library opens a reading room", "The city library opened a new reading room on its top floor "
                                                 "on Monday, the librarians said.")
    other.get_by_role("tabpanel").get_by_text("Added “Library opens a reading room”.").wait_for(timeout=120_000)
    settled(other)
    settled(page)
    expect(live(page).get_by_label("Title")).to_have_value(title)

    # This session switches tabs and adds a file there: that add clears the upload, not the paste form.
    page.get_by_role("tab", name="Upload files").click()
    settled(page)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(
        files=[{"name": "notice.md", "mimeType": "text/markdown", "buffer": NOTICE}])
    settled(page)
    live(page).get_by_role("button", name="Add these files", exact=True).click()
    page.get_by_text("Added “Night market extends its opening hours”.").wait_for(timeout=120_000)
    settled(page)
    # ... then searches the table, and goes back to the paste form.
    page.get_by_placeholder("Search by title, outlet, source, URL or id").fill("reading room")
    page.keyboard.press("Enter")
    settled(page)
    page.get_by_role("tab", name="Paste text").click()
    settled(page)
    expect(live(page).get_by_label("Title")).to_have_value(title)
    shot(page, "12-paste-form-title-kept")

    live(page).get_by_label("Article text").fill("The tram depot by the harbour will reopen in the spring after "
                                                 "two years of repairs, the transport office said.")
    expect(live(page).get_by_label("Title")).to_have_value(title)  # still there when it is sent
    live(page).get_by_role("button", name="Add text").click()
    panel = page.get_by_role("tabpanel")
    panel.get_by_test_id("stAlertContentSuccess").first.wait_for(timeout=120_000)
    # The moment the message shows, the fresh (empty) form is already on the page to type the next one into.
    assert "" in titles_on_page(page), titles_on_page(page)
    expect(panel.get_by_test_id("stAlertContentSuccess")).to_have_count(1)
    expect(panel.get_by_text(f"Added “{title}”.", exact=True)).to_be_visible()  # the title typed, added
    settled(page)
    expect(live(page).get_by_label("Title")).to_have_value("")
    expect(live(page).get_by_label("Article text")).to_have_value("")
