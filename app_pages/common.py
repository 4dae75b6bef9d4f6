"""Streamlit glue shared by the pages: the shared bot, error display, progress bars, sources.

Everything that decides *what* to show lives in the pure, tested helper modules beside it
(:mod:`app_pages.markdown`, :mod:`~app_pages.sources`, :mod:`~app_pages.conversation`,
:mod:`~app_pages.corpus_views`, :mod:`~app_pages.eval_views`, :mod:`~app_pages.factory`); this
module only draws it.
"""

from __future__ import annotations

from contextlib import contextmanager

import streamlit as st

from app_pages.corpus_views import add_messages, progress_state
from app_pages.factory import bot_cache_key, make_bot
from app_pages.markdown import escape_markdown, highlight_markdown, markdown_link, safe_url
from app_pages.sources import SourceView
from qa_bot.bot import QABot
from qa_bot.documents import AddResult
from qa_bot.errors import LoaderError, QABotError


@st.cache_resource(show_spinner="Opening the index…", max_entries=4)
def _shared_bot(key: tuple) -> QABot:
    # One bot per configuration, shared by every session: it is thread-safe, and sharing it is
    # what makes an article added in one tab visible in the others. No per-user state lives here.
    bot = make_bot()
    bot.open()
    bot.load_models_in_background()  # the pages show meanwhile; the first question waits for what is left
    return bot


def get_bot() -> QABot:
    """The process-wide bot for the current ``QA_BOT_*`` configuration."""
    return _shared_bot(bot_cache_key())


def show_error(err: Exception | str) -> None:
    """One error, as a red box with its message shown literally (messages quote user input)."""
    st.error(escape_markdown(str(err)), icon=":material/error:")


@contextmanager
def progress_bar(label: str):
    """A progress bar and its ``progress(done, total, label)`` callback; removed when done."""
    bar = st.progress(0.0, text=escape_markdown(label))

    def update(done: int, total: int, what: str) -> None:
        frac, text = progress_state(done, total, what)
        bar.progress(frac, text=text)

    try:
        yield update
    finally:
        bar.empty()


def add_safely(add, source: str, *args, **kwargs) -> AddResult:
    """Call one of the bot's ``add_*`` methods. Refused inputs come back in ``AddResult.errors``; an
    error that is not about the input (another process holds the index, say) becomes this input's
    message too, so the other inputs still go ahead."""
    try:
        return add(*args, **kwargs)
    except QABotError as err:
        return AddResult(errors=[LoaderError(source, str(err))])


def show_add_result(result) -> None:
    """What an add did: a line per article (summarised for bulk imports), an error per refused input."""
    icons = {"success": ":material/check_circle:", "info": ":material/info:", "error": ":material/error:"}
    for kind, message in add_messages(result):
        getattr(st, kind)(message, icon=icons[kind])


@st.dialog("Article", width="large")
def article_dialog(article_id: str, start: int, end: int) -> None:
    """The whole article, the cited span highlighted."""
    try:
        article = get_bot().article(article_id).article
    except QABotError as err:
        show_error(err)
        return
    st.markdown(f"### {escape_markdown(article.title or 'Untitled')}")
    meta = [escape_markdown(b) for b in (article.outlet, article.published and article.published.isoformat(),
                                             article.author) if b]
    if safe_url(article.url):
        meta.append(markdown_link("original article", article.url))
    st.caption(" · ".join(meta))
    st.markdown(highlight_markdown(article.text, start, end))


def show_source(view: SourceView, key: str) -> None:
    """One source: heading, the passage with its quote highlighted, a button to read the whole article."""
    with st.container(border=True):
        st.markdown(view.heading_markdown())
        st.markdown(view.snippet.markdown())
        if st.button("Open the full article", key=key, icon=":material/article:", type="tertiary"):
            article_dialog(view.article_id, view.start, view.end)
