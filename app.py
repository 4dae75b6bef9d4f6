"""qa-bot chat (minimal page; display only — every action calls the qa_bot library)."""

from __future__ import annotations

import streamlit as st

from qa_bot.bot import QABot


@st.cache_resource(show_spinner="Loading the model and opening the index…")
def get_bot() -> QABot:
    bot = QABot()
    bot.open()
    return bot


st.set_page_config(page_title="qa-bot", page_icon="📰")
st.title("Ask the coverage")
bot = get_bot()
if bot.is_empty():
    st.info("The index is empty. Build it from the bundled corpus to start asking questions.")
    if st.button("Build the index"):
        bar = st.progress(0.0, text="Embedding…")
        bot.ingest(lambda done, total, label: bar.progress(done / total if total else 0.0, text=f"{label} {done}/{total}"))
        st.rerun()
    st.stop()

if question := st.chat_input("What did Lee say about Taiwan?"):
    with st.chat_message("user"):
        st.text(question)
    answer = bot.ask(question)
    with st.chat_message("assistant"):
        st.text(answer.text)
        for c in answer.citations:
            st.caption(f"[{c.n}] {c.outlet}, {c.published} — {c.title}")
            st.text(c.quote)
