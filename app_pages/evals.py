"""Evals page: run a gold question set and see retrieval, answer, citation and abstention quality.

Display only: ``qa_bot.evaluation.evaluate`` is the same entry point as ``qa-bot eval`` (it builds
an index of its own from the corpus folder, so the user's index is never touched); uploaded gold
sets are validated by ``qa_bot.evaluation.dataset``. The run is kept in this session only.
"""

from __future__ import annotations

import json

import altair as alt
import pandas as pd
import streamlit as st

from app_pages.common import get_bot, progress_bar, show_error
from app_pages.eval_views import bundled_gold_sets, by_type_rows, headline_metrics, read_gold_upload, record_rows
from app_pages.markdown import escape_markdown
from qa_bot.errors import QABotError
from qa_bot.evaluation import evaluate
from qa_bot.text.plural import plural

UPLOAD = "Upload a gold set…"
bot = get_bot()
state = st.session_state

st.title("Answer-quality evals")
st.caption("Runs a gold question set through qa-bot on a separate index of the corpus folder "
           f"({escape_markdown(bot.settings.corpus_dir.name)}/) — the same run as `qa-bot eval`.")

sets = {p.name: p for p in bundled_gold_sets()}
choice = st.radio("Gold set", [*sets, UPLOAD], horizontal=True,
                  help="JSONL, one question a line: id, question, answers, answerable, type, evidence, history.")
upload = None
if choice == UPLOAD:
    upload = st.file_uploader("Gold set (JSONL)", type=["jsonl"], key="gold-upload")
c1, c2 = st.columns(2)
limit = c1.number_input("Questions to run (0 = all)", min_value=0, value=0, step=10)
k = c2.number_input("Passages per question", min_value=1, max_value=bot.settings.max_k, value=bot.settings.top_k)

if st.button("Run the eval", type="primary", icon=":material/play_arrow:", disabled=choice == UPLOAD and not upload):
    try:
        if upload is not None:
            path, items = read_gold_upload(upload.getvalue(), upload.name, bot.settings.data_dir / "gold-uploads")
            name = upload.name
        else:
            path, items, name = sets[choice], None, choice
        with progress_bar("Preparing the eval index") as progress:
            run = evaluate(path, items=items, settings=bot.settings, embedder=bot.embedder, limit=limit or None,
                           k=int(k), progress=progress)
    except QABotError as err:
        show_error(err)
    else:
        state["eval_run"], state["eval_name"] = run, name

run = state.get("eval_run")
if run is None:
    st.info("Pick a gold set and run it. The bundled sets take about a minute each.", icon=":material/info:")
    st.stop()

m = run.metrics
st.subheader(f"Results: {escape_markdown(state['eval_name'])}")
st.caption(f"{plural(m['questions'], 'question')} ({m['answerable']} answerable, {m['unanswerable']} unanswerable) · "
           f"{plural(run.corpus['articles'], 'article')} · k = {run.settings.get('k')} · {run.seconds:.1f} s · "
           f"{escape_markdown(run.started_at)}")
cols = st.columns(4)
for i, (label, value) in enumerate(headline_metrics(m)):
    cols[i % 4].metric(label, value, border=True)

st.markdown("**By question type**")
by_type = pd.DataFrame(by_type_rows(run.by_type))
if by_type.empty:
    st.caption("No per-type scores for this run.")
else:
    st.altair_chart(alt.Chart(by_type).mark_bar().encode(
        x=alt.X("value:Q", title=None, scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%")),
        y=alt.Y("type:N", title=None), yOffset="metric:N", color=alt.Color("metric:N", title=None),
        tooltip=["type", "metric", alt.Tooltip("value:Q", format=".1%"), "questions"],
    ).properties(height=alt.Step(12)), width="stretch")

st.markdown("**Latency per question**")
records = pd.DataFrame(record_rows(run.records))
marks = pd.DataFrame({"label": ["p50", "p95"], "ms": [m["latency_p50_ms"], m["latency_p95_ms"]]})
st.altair_chart(alt.layer(
    alt.Chart(records).mark_bar().encode(x=alt.X("latency_ms:Q", bin=alt.Bin(maxbins=30), title="milliseconds"),
                                         y=alt.Y("count():Q", title="questions")),
    alt.Chart(marks).mark_rule(color="red", strokeDash=[4, 3]).encode(x="ms:Q", tooltip=["label", "ms"]),
).properties(height=220), width="stretch")

st.markdown("**Questions**")
failures_only = st.toggle("Only failures", value=False)
table = record_rows(run.records, failures_only=failures_only)
if table:
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "id": st.column_config.TextColumn("ID"),
        "type": st.column_config.TextColumn("Type"),
        "question": st.column_config.TextColumn("Question", width="large"),
        "expected": st.column_config.TextColumn("Expected"),
        "answer": st.column_config.TextColumn("Answer", width="large"),
        "citations": st.column_config.TextColumn("Citations"),
        "result": st.column_config.TextColumn("Result"),
        "latency_ms": st.column_config.NumberColumn("Latency (ms)", format="%.0f"),
    })
else:
    st.success("Every question passed.", icon=":material/check_circle:")
st.download_button("Download the run (JSON)", json.dumps(run.to_dict(), ensure_ascii=False, indent=1),
                   "qa-bot-eval-run.json", "application/json", on_click="ignore", icon=":material/download:")
