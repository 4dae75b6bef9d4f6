"""The People page in a real browser on the bundled corpus: the speakers list, a person's statements by
topic with their sources, and a full name that returns only that person. Saves test-artifacts/e2e/people.png."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_browser import ensure_index, go_to, open_app, settled

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.timeout(900)]


def test_people_shows_a_person_s_statements_by_topic_with_their_sources(new_page, app_url):
    page = new_page()
    open_app(page, app_url)
    ensure_index(page)
    go_to(page, "People")  # through the navigation: a direct load of /people makes Streamlit probe a 404 path
    summary = page.get_by_text(re.compile(r"^Lee Jae Myung: \d+ statements in \d+ topics, from \d+ articles\.$"))
    summary.wait_for(timeout=180_000)
    settled(page)

    page.get_by_label("…or type a name").fill("Wi Sung-lac")
    page.get_by_role("button", name="Show statements").click()
    summary = page.get_by_text(re.compile(r"^Wi Sung-lac: \d+ statements in \d+ topics, from \d+ articles\.$"))
    summary.wait_for(timeout=120_000)
    settled(page)
    statements = page.get_by_test_id("stMarkdown").filter(
        has_text=re.compile(r"\((?:direct quote|reported speech)\)\s*$")).all_inner_texts()
    assert statements and all(re.search(r"\bWi\b", s) for s in statements)  # only Wi's words
    assert all(re.search(r"\[\d+\]", s) for s in statements)  # each one cited

    # A statement several outlets report is one entry with all their citations.
    label = page.get_by_text(re.compile(r"^[2-9] sources: ")).first
    merged = page.get_by_test_id("stExpander").filter(has=label).first
    closed = merged.bounding_box()["height"]
    label.click()
    expect(merged.get_by_role("button", name="Open the full article").first).to_be_visible()
    expect(merged.get_by_text(re.compile(r"^\[2\] "))).to_be_visible()
    # the picture once the expander has finished opening: taller than closed, same height two frames running
    page.wait_for_function("([el, closed]) => { const h = el.getBoundingClientRect().height;"
                           " const done = h > closed + 40 && el.dataset.lastHeight === String(h);"
                           " el.dataset.lastHeight = String(h); return done; }",
                           arg=[merged.element_handle(), closed], polling="raf")
    page.screenshot(path=str(ARTIFACTS / "people.png"), full_page=True)
