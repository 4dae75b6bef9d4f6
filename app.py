"""qa-bot's Streamlit front end: the router. Display only — every action calls the qa_bot library.

Run with ``streamlit run app.py``. Pages live in ``app_pages/``; what they show is decided by the
pure helpers beside them (``app_pages/*_views.py``, ``markdown``, ``sources``, ``conversation``).
``QA_BOT_APP_FACTORY=module:function`` swaps the bot (tests; see :mod:`app_pages.factory`).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app_pages.common import get_bot, show_error
from qa_bot.errors import QABotError

ICON = Path(__file__).resolve().parent / "app_pages" / "icon.png"

# No page icons: Streamlit makes a page's icon the favicon, and for a ":material/...:" icon the browser
# fetches it from Google's font servers (an emoji needs an emoji font). The favicon is a file the app
# serves itself; icons inside the pages use the Material Symbols font that Streamlit serves locally.
chat = st.Page("app_pages/chat.py", title="Ask the coverage", default=True)
page = st.navigation([
    chat,
    st.Page("app_pages/corpus.py", title="Corpus", url_path="corpus"),
    st.Page("app_pages/evals.py", title="Evals", url_path="evals"),
    st.Page("app_pages/timeline.py", title="Timeline", url_path="timeline"),
    st.Page("app_pages/people.py", title="People", url_path="people"),
])
# Chat reads best in a narrow column; the corpus and evals tables need the width.
st.set_page_config(page_title=f"{page.title} · qa-bot", page_icon=str(ICON),
                   layout="centered" if page.url_path == chat.url_path else "wide")

try:
    get_bot()  # open the shared index once, with a spinner, before the page needs it
except QABotError as err:
    st.title("qa-bot")
    show_error(err)
    st.stop()

page.run()
