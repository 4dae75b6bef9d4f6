"""People page: who the coverage quotes, and everything a person said, by topic, each statement cited.

Display only: :func:`qa_bot.news.said.speakers` and :func:`qa_bot.news.said.statements` (the same calls
as ``qa-bot said``) find and attribute the statements; :mod:`app_pages.people_views` decides the text.
Results are kept for the session until the speaker, the topic or the index changes, so opening an
article does not recompute them.
"""

from __future__ import annotations

import streamlit as st

from app_pages.common import article_dialog, get_bot, show_error
from app_pages.markdown import escape_markdown
from app_pages.people_views import (citation_markdown, sources_label, speaker_of_option, speaker_options,
                                    statement_markdown, summary_text)
from qa_bot.errors import QABotError
from qa_bot.news.said import speakers, statements

bot = get_bot()
state = st.session_state

st.title("People")
st.caption("Who said what, as the coverage reports it: direct quotes and reported speech, each quoted "
           "exactly from its article. A statement several outlets report is shown once, with all of them. "
           "Names match in full: one Kim is never another Kim.")

index_key = tuple(sorted(bot.stats().items()))
if state.get("people_index") != index_key:
    try:
        state["people_speakers"] = speakers(bot)
        state["people_index"] = index_key
    except QABotError as err:
        show_error(err)
        st.stop()
rows = state["people_speakers"]
if not rows:
    st.info(escape_markdown("Nobody is quoted in the indexed coverage yet: add articles on the Corpus page."),
            icon=":material/info:")
    st.stop()

with st.form("people-filters", border=False):
    options = speaker_options(rows)
    choice = st.selectbox("Speaker", options, index=0, key="people_speaker",
                          help="Everyone the coverage reports speaking, most quoted first.")
    typed = st.text_input("…or type a name", key="people_name", placeholder="a name as the coverage writes it")
    topic = st.text_input("Topic", key="people_topic", placeholder="e.g. the trade talks (leave empty for all)")
    st.form_submit_button("Show statements", type="primary", icon=":material/record_voice_over:")

speaker = typed.strip() or speaker_of_option(choice, rows)
key = (speaker, topic.strip(), index_key)
if state.get("people_key") != key:
    try:
        with st.spinner("Reading who said what…"):
            state["people_result"] = statements(bot, speaker, topic)
        state["people_key"] = key
    except QABotError as err:
        state.pop("people_key", None)
        show_error(err)
        st.stop()
result = state["people_result"]

st.markdown(summary_text(result))
several = len(result.people) > 1
for g, group in enumerate(result.groups):
    st.subheader(escape_markdown(group.label), anchor=False)
    for i, s in enumerate(group.statements):
        with st.container(border=True):
            st.markdown(statement_markdown(s, show_speaker=several))
            with st.expander(sources_label(s)):
                for c in s.citations:
                    st.markdown(citation_markdown(c, with_id=True))
                    if st.button("Open the full article", key=f"pp-open-{g}-{i}-{c.n}", icon=":material/article:",
                                 type="tertiary"):
                        article_dialog(c.article_id, c.start, c.end)
