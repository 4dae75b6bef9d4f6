"""Chat page: questions in, short cited answers out (or an honest "the coverage doesn't say").

Display only: the bot answers (``bot.stream``), condenses follow-ups (``history=``) and filters;
:mod:`app_pages.sources` and :mod:`app_pages.markdown` turn answers into safe, highlighted views.
The conversation lives in ``st.session_state`` — never in the shared bot.
"""

from __future__ import annotations

import itertools
from contextlib import nullcontext

import streamlit as st

from app_pages.common import get_bot, progress_bar, show_error, show_source
from app_pages.conversation import conversation_json, conversation_markdown, history_for_library, make_filters
from app_pages.markdown import MarkdownEscaper, escape_markdown
from app_pages.people_views import outlet_rows
from app_pages.sources import citation_views, disagreement_markdown, passage_views
from qa_bot.answering.llm import llm_configured, llm_label
from qa_bot.errors import QABotError
from qa_bot.models import Answer
from qa_bot.news.outlets import outlet_view
from qa_bot.text.plural import plural

EXAMPLES = (
    "What did Lee say about Taiwan?",
    "How many MOUs were signed at the summit?",
    "What happened with the stone lions?",
    "What did Xi tell Lee about the peninsula?",
)

bot = get_bot()
turns: list[dict] = st.session_state.setdefault("turns", [])
# Questions submitted but not yet answered. A submission is queued by its widget's callback, before
# the script runs, and leaves the queue only once its answer (or error) is in ``turns``: a rerun that
# cuts an answer short (a sidebar change, say) cannot drop the question; the next run answers it.
queued: list[str] = st.session_state.setdefault("queued", [])


def queue_question(text: str | None) -> None:
    """Widget callback: put a submitted question in the queue."""
    if text is not None:
        queued.append(text)


def render_answer(answer: Answer, key: str, latest: bool) -> None:
    """An answer and its sources, or an abstention and the closest passages."""
    if answer.condensed_question:
        st.caption(f"Follow-up read as: {escape_markdown(answer.condensed_question)}")
    if answer.abstained:
        st.warning("**The coverage doesn't say.** No passage in the index answers this question; "
                   "the closest passages are below.", icon=":material/search_off:")
        # Collapsed, so the abstention is what one reads; the passages are a click away.
        with st.expander(f"Closest passages ({min(len(answer.hits), 5)})", expanded=False):
            for view in passage_views(answer.hits):
                show_source(view, key=f"{key}-p{view.n}")
        return
    if answer.short_answer:  # the direct answer, bold, above the sentences that give it
        st.markdown(f"**{escape_markdown(answer.short_answer.text)}**")
    st.markdown(escape_markdown(answer.text))
    for block in disagreement_markdown(answer):
        st.warning(block, icon=":material/compare_arrows:")
    if answer.notice:  # e.g. the language model failed and the extractive answer is shown instead
        st.info(escape_markdown(answer.notice), icon=":material/info:")
    flagged = sum(not s.supported for s in answer.sentences)
    if flagged:
        st.caption(f":material/warning: {plural(flagged, 'sentence')} of this answer could not be "
                   "matched to the passage it cites; check the sources.")
    with st.expander(f"Sources ({len(answer.citations)})", expanded=latest, icon=":material/format_quote:"):
        for view in citation_views(answer):
            show_source(view, key=f"{key}-c{view.n}")


def compare_outlets(question: str, k: int, filters):
    """The outlet view of ``question`` (:func:`qa_bot.news.outlets.outlet_view`), this conversation as its history."""
    with st.spinner("Comparing outlets…"):
        return outlet_view(bot, question, k, filters, history_for_library(turns))


def render_outlets(view) -> None:
    """Under an answer, when "Compare outlets" was on: one row per outlet (plain table cells, never HTML)."""
    if view is not None:
        with st.expander(f"By outlet ({len(view.rows)})", expanded=True, icon=":material/newspaper:"):
            st.dataframe(outlet_rows(view), hide_index=True, width="stretch")


def stream_answer(question: str, k: int, filters, answerer: str | None) -> Answer:
    """Show the answer as it arrives (escaped piece by piece) and return the final ``Answer``."""
    waiting = not bot.models_ready()
    with st.spinner("Loading the models (only the first question waits for this)…") if waiting else nullcontext():
        bot.wait_for_models()  # at once when loaded; a failed load raises its error for every question
    loading_note.empty()
    final: dict[str, Answer] = {}
    stream = bot.stream(question, k=k, filters=filters, history=history_for_library(turns), answerer=answerer)
    with st.spinner("Reading the coverage…"):
        first = next(stream)  # retrieval and checking happen before the first word

    def pieces():
        escaper = MarkdownEscaper()
        for item in itertools.chain([first], stream):
            if isinstance(item, Answer):
                final["answer"] = item
            else:
                yield escaper.feed(item)

    box = st.empty()
    with box.container():
        st.write_stream(pieces)
    box.empty()  # redrawn below with its sources, exactly as it will look in the history
    return final["answer"]


# ---------------------------------------------------------------- first visit: an empty index

st.title("Ask the coverage")
if "flash" in st.session_state:
    for kind, message in st.session_state.pop("flash"):
        (st.success if kind == "ok" else show_error)(message)

if bot.is_empty():
    st.info("**Welcome!** The index is empty, so there is nothing to ask about yet. Build it from the "
            "bundled news coverage (about a minute), or add your own documents on the Corpus page.",
            icon=":material/waving_hand:")
    if st.button("Build the index", type="primary", icon=":material/build:"):
        try:
            with progress_bar("Building the index") as progress:
                result = bot.ingest(progress)
        except QABotError as err:
            show_error(err)
            st.stop()
        flash = [("ok", f"Indexed {plural(len(result.articles), 'article')} "
                        f"({plural(result.report.chunks_written, 'passage')}).")
                 if result.articles else ("error", f"The corpus folder {bot.settings.corpus_dir} has no articles to "
                                                   "index; add documents on the Corpus page instead.")]
        flash += [("error", str(err)) for err in result.errors]
        st.session_state["flash"] = flash
        st.rerun()
    st.page_link("app_pages/corpus.py", label="Add documents", icon=":material/upload_file:")
    st.stop()

# ---------------------------------------------------------------- sidebar: filters and conversation

overview = bot.overview()
with st.sidebar:
    st.subheader("Search")
    outlets = st.multiselect("Outlets", overview["outlets"], placeholder="All outlets")
    bounds = overview["dates"]
    dates = (None, None)
    if bounds:
        # Two fields, not one range field: a range "2026/01/05 – 2026/01/06" does not fit the sidebar.
        dates = (st.date_input("Published from", value=None, min_value=bounds[0], max_value=bounds[1],
                               format="YYYY-MM-DD", help="Leave both empty for any date. Articles without "
                               "a date are left out of a date range."),
                 st.date_input("Published until", value=None, min_value=bounds[0], max_value=bounds[1],
                               format="YYYY-MM-DD"))
    k = st.slider("Passages to retrieve", 1, min(20, bot.settings.max_k), bot.settings.top_k)
    by_outlet = st.toggle("Compare outlets", key="by_outlet", help="Under each new answer, every outlet's best "
                          "answering sentence and its date, or “not reported” (quotes only, offline).")
    answerer = None
    if llm_configured(bot.settings):  # offered only when a language model is set up (QA_BOT_LLM)
        label = llm_label(bot.settings)
        choice = st.radio("Answers written by", [label, "Extractive (quotes only, offline)"],
                          help="Generated sentences are checked against the passages they cite; "
                               "unsupported ones are marked.")
        answerer = None if choice == label else "extractive"
    st.subheader("Conversation")
    conversation_box = st.container()  # filled at the end, so it includes this run's answer

st.caption(f"Answers come only from the {plural(overview['articles'], 'indexed article')} "
           f"({plural(len(overview['outlets']), 'outlet')}); "
           "every sentence cites the passage it rests on.")
loading_note = st.empty()  # cleared once a question has waited for the models
if not bot.models_ready():
    loading_note.caption(":material/hourglass_top: The models are still loading in the background; "
                         "your first question will wait for them.")

for i, turn in enumerate(turns):
    with st.chat_message("user"):
        st.markdown(escape_markdown(turn["question"]))
    with st.chat_message("assistant"):
        if turn["answer"] is None:
            show_error(turn["error"])
        else:
            render_answer(turn["answer"], key=f"t{i}", latest=i == len(turns) - 1)
            render_outlets(turn.get("outlets"))

examples_box = st.empty()
if not turns and not queued:
    with examples_box.container():
        st.markdown("**Not sure where to start?** Try one of these:")
        cols = st.columns(2)
        for i, text in enumerate(EXAMPLES):
            cols[i % 2].button(text, key=f"example-{i}", width="stretch", on_click=queue_question, args=(text,))

st.chat_input("Ask about the coverage…", max_chars=bot.settings.max_question_chars, key="question_box",
              on_submit=lambda: queue_question(st.session_state.get("question_box")))
while queued:
    question = queued[0]
    examples_box.empty()
    with st.chat_message("user"):
        st.markdown(escape_markdown(question))
    with st.chat_message("assistant"):
        try:
            answer = stream_answer(question, k, make_filters(outlets, dates), answerer)
            view = compare_outlets(question, k, make_filters(outlets, dates)) if by_outlet else None
        except QABotError as err:
            turns.append({"question": question, "answer": None, "error": str(err)})
            queued.pop(0)  # no Streamlit call between these two lines, so no rerun can come in between
            show_error(err)
        else:
            turns.append({"question": question, "answer": answer, "outlets": view})
            queued.pop(0)
            render_answer(answer, key=f"t{len(turns) - 1}", latest=True)
            render_outlets(view)

with conversation_box:
    st.button("New conversation", icon=":material/add_comment:", disabled=not turns, on_click=turns.clear)
    st.download_button("Export as Markdown", conversation_markdown(turns), "qa-bot-conversation.md",
                       "text/markdown", on_click="ignore", disabled=not turns, icon=":material/download:")
    st.download_button("Export as JSON", conversation_json(turns), "qa-bot-conversation.json",
                       "application/json", on_click="ignore", disabled=not turns, icon=":material/data_object:")
