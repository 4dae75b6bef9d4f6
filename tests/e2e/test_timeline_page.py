"""The Timeline page in a real browser on the bundled corpus: events in date order, one summit event with
several sources, a topic that narrows it. Saves test-artifacts/e2e/timeline.png."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.test_browser import ensure_index, go_to, open_app, settled

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.timeout(900)]


def test_timeline_lists_the_story_in_date_order_and_narrows_to_a_topic(new_page, app_url):
    page = new_page()
    open_app(page, app_url)
    ensure_index(page)
    go_to(page, "Timeline")  # through the navigation: a direct load of /timeline makes Streamlit probe a 404 path
    summary = page.get_by_text(re.compile(r"^\d+ events, .+ to .+, from \d+ articles\.$"))
    summary.wait_for(timeout=180_000)
    settled(page)

    headings = page.get_by_test_id("stHeading").filter(has_text=re.compile(r"(19|20)\d\d")).all_inner_texts()
    assert any(h.startswith("1 November 2025") for h in headings)  # the earlier summit
    assert any(h.startswith("5 January 2026") for h in headings)
    assert headings.index(next(h for h in headings if h.startswith("1 November 2025"))) < \
        headings.index(next(h for h in headings if h.startswith("5 January 2026")))

    # The summit, reported by several outlets, is one event with all their citations.
    label = page.get_by_text(re.compile(r"^[2-9] sources: ")).first
    summit = page.get_by_test_id("stExpander").filter(has=label).first
    label.click()
    expect(summit.get_by_role("button", name="Open the full article").first).to_be_visible()
    expect(summit.get_by_text(re.compile(r"^\[2\] "))).to_be_visible()

    page.get_by_label("Topic").fill("North Korea missile launch")
    page.get_by_role("button", name="Show the timeline").click()
    narrowed = page.get_by_text(re.compile(r"^\d+ events? about “North Korea missile launch”"))
    narrowed.wait_for(timeout=120_000)
    settled(page)
    expect(page.get_by_text(re.compile("fired ballistic missiles")).first).to_be_visible()
    label = page.get_by_text(re.compile(r"^\d+ sources?: ")).first
    first = page.get_by_test_id("stExpander").filter(has=label).first
    closed = first.bounding_box()["height"]
    label.click()
    expect(first.get_by_role("button", name="Open the full article").first).to_be_visible()
    # the picture once the expander has finished opening: taller than closed, same height two frames running
    page.wait_for_function("([el, closed]) => { const h = el.getBoundingClientRect().height;"
                           " const done = h > closed + 40 && el.dataset.lastHeight === String(h);"
                           " el.dataset.lastHeight = String(h); return done; }",
                           arg=[first.element_handle(), closed], polling="raf")
    page.screenshot(path=str(ARTIFACTS / "timeline.png"), full_page=True)
