"""Timeline page: the story's events in the order they happened, each with the articles that report it.

Display only: :func:`qa_bot.news.timeline.build_timeline` (the same call as ``qa-bot timeline``)
dates the sentences and merges restatements; :mod:`app_pages.timeline_views` decides the text.
The built timeline is kept for the session until the topic, the range or the index changes, so
opening an article does not rebuild it.
"""

from __future__ import annotations

import streamlit as st

from app_pages.common import article_dialog, get_bot, show_error
from app_pages.markdown import escape_markdown
from app_pages.timeline_views import (background_label, citation_markdown, day_groups, event_markdown, heading_markdown,
                                      range_error, sources_label, summary_text)
from qa_bot.errors import QABotError
from qa_bot.news.timeline import build_timeline

bot = get_bot()
state = st.session_state

st.title("Timeline")
st.caption("What happened when, as the coverage tells it: each sentence is dated from its own words "
           "(“on Monday”, “last November”) against its article's publication date. An event several "
           "outlets report is shown once, with all of them.")

with st.form("timeline-filters", border=False):
    topic = st.text_input("Topic", key="timeline_topic",
                          placeholder="e.g. the trade talks (leave empty for everything)")
    c1, c2 = st.columns(2)
    since = c1.date_input("From", value=None, key="timeline_since", format="YYYY-MM-DD")
    until = c2.date_input("To", value=None, key="timeline_until", format="YYYY-MM-DD")
    st.form_submit_button("Show the timeline", type="primary", icon=":material/timeline:")

problem = range_error(since, until)
if problem:
    show_error(problem)
    st.stop()

key = (topic.strip(), since, until, tuple(sorted(bot.stats().items())))
if state.get("timeline_key") != key:
    try:
        with st.spinner("Dating the coverage…"):
            state["timeline"] = build_timeline(bot, topic=topic, since=since, until=until)
        state["timeline_key"] = key
    except QABotError as err:
        state.pop("timeline_key", None)
        show_error(err)
        st.stop()
timeline = state["timeline"]



def show_events(events, prefix: str) -> None:
    """Date headings and event cards, each with its sources and an "Open the full article" button."""
    for g, (label, granularity, group) in enumerate(day_groups(events)):
        st.subheader(heading_markdown(label, granularity), anchor=False)
        for i, event in enumerate(group):
            with st.container(border=True):
                st.markdown(event_markdown(event))
                with st.expander(sources_label(event)):
                    for c in event.citations:
                        st.markdown(citation_markdown(c))
                        if st.button("Open the full article", key=f"{prefix}-open-{g}-{i}-{c.n}",
                                     icon=":material/article:", type="tertiary"):
                            article_dialog(c.article_id, c.start, c.end)


st.markdown(summary_text(timeline))
# The story's own window first; what happened before it (the history behind the story) folded below.
show_events(timeline.story or timeline.events, "tl")
if timeline.story and timeline.background:
    with st.expander(background_label(timeline), icon=":material/history:"):
        show_events(timeline.background, "tl-bg")
if not timeline.events and bot.is_empty():
    st.info(escape_markdown("The index is empty: add articles on the Corpus page first."), icon=":material/info:")
