"""Corpus manager: add files, pasted text or a web page; list, search, read and delete articles.

Display only: ``bot.add_upload``/``add_text``/``add_url`` validate, enforce the size limit and
index; ``bot.articles``/``remove`` list and delete. Uploaded names never choose a path on disk.
"""

from __future__ import annotations

import math

import streamlit as st

from app_pages.common import add_safely, get_bot, progress_bar, show_add_result, show_error
from app_pages.corpus_views import article_label, article_rows
from app_pages.markdown import escape_markdown, markdown_link, safe_url
from qa_bot.errors import QABotError
from qa_bot.ingest.loaders import SUPPORTED_SUFFIXES
from qa_bot.text.plural import plural

UPLOAD, PASTE, URL = "Upload files", "Paste text", "From a web page"

bot = get_bot()
state = st.session_state
# Per tab, bumped after a successful add made in that tab, which gives that tab's inputs (only those) fresh
# keys: what is typed in one tab is never cleared by an add made in another.
gen = state.setdefault("corpus_gen", dict.fromkeys((UPLOAD, PASTE, URL), 0))


def finish_add(tab: str, results: list, keep_on_error: bool = True) -> None:
    """Show what each input did, in the ``tab`` it was made in. The tab's inputs are cleared (fresh keys,
    rerun, messages kept for that tab) unless something was refused and ``keep_on_error``: refused
    pasted text or a URL stays, to be fixed."""
    if keep_on_error and any(r.errors for r in results):
        with outcome[tab]:
            for r in results:
                show_add_result(r)
        return
    state["corpus_flash"] = (tab, results)
    gen[tab] += 1
    st.rerun()


def delete_article(article_id: str) -> None:
    """Confirmed delete (a button callback, so it may reset the article picker)."""
    try:
        bot.remove(article_id)
        state["corpus_deleted"] = True
    except QABotError as err:
        state["corpus_error"] = str(err)
    state.pop("confirm_delete", None)
    state["article_pick"] = None


st.title("Corpus")
st.caption("The articles answers are drawn from. Add your own; they are kept in the data folder and "
           "survive index rebuilds.")
# Messages go into containers that exist on every run, whether or not they hold anything: an element
# appearing or vanishing above the tabs would shift them in the page and reset them to the first tab.
with st.container():
    if state.pop("corpus_deleted", False):
        st.success("Deleted the article and all its passages.", icon=":material/delete:")
    if "corpus_error" in state:
        show_error(state.pop("corpus_error"))

# ---------------------------------------------------------------- add documents

st.subheader("Add documents")
# Keyed and tracked on the server, so the open tab survives every rerun, including an add's own.
tabs = dict(zip((UPLOAD, PASTE, URL), st.tabs([UPLOAD, PASTE, URL], key="corpus_add_tab", on_change="rerun")))
outcome = {label: tab.container() for label, tab in tabs.items()}  # each add's messages, in its own tab
limit_mb = bot.settings.max_upload_mb
with tabs[UPLOAD]:
    kinds = [s.lstrip(".") for s in SUPPORTED_SUFFIXES]
    files = st.file_uploader(
        "Markdown with front matter, plain text, HTML, PDF, or JSONL (one article a line)", type=kinds,
        accept_multiple_files=True, key=f"upload-{gen[UPLOAD]}", max_upload_size=max(1, math.ceil(limit_mb)),
        help=f"Up to {limit_mb:g} MB a file.")
    if st.button("Add these files", type="primary", disabled=not files, key=f"add-files-{gen[UPLOAD]}"):
        results = []
        with progress_bar("Indexing") as progress:
            for i, f in enumerate(files, start=1):
                def step(done, total, label, name=f.name, i=i):
                    progress(done, total, f"File {i} of {len(files)}, {name}: {label}")
                # The library enforces the size limit on the bytes and only reads the name's suffix.
                results.append(add_safely(bot.add_upload, f.name, f.getvalue(), f.name, step))
        finish_add(UPLOAD, results, keep_on_error=False)  # the files themselves are still on the user's disk

with tabs[PASTE], st.form(f"paste-{gen[PASTE]}"):
    text = st.text_area("Article text", height=200, placeholder="Paste the article's text here…")
    c1, c2 = st.columns(2)
    title = c1.text_input("Title", placeholder="First line of the text if empty")
    outlet = c2.text_input("Outlet")
    published = c1.date_input("Published", value=None, format="YYYY-MM-DD")  # the app's one date format
    author = c2.text_input("Author")
    url = st.text_input("URL (optional)", placeholder="https://…")
    if st.form_submit_button("Add text", type="primary"):
        with progress_bar("Indexing") as progress:
            result = add_safely(bot.add_text, "pasted text", text, title=title, outlet=outlet, url=url,
                                published=published, author=author, progress=progress)
        finish_add(PASTE, [result])

with tabs[URL], st.form(f"url-{gen[URL]}"):
    page_url = st.text_input("Web page address", placeholder="https://example.com/story")
    if st.form_submit_button("Fetch and add", type="primary"):
        with progress_bar("Fetching and indexing") as progress:
            result = add_safely(bot.add_url, page_url.strip() or "the web page", page_url.strip(), progress)
        finish_add(URL, [result])

# The last add's messages, drawn above the inputs but only now, once the inputs it cleared have been
# redrawn: until then the page still shows the old ones, and anything typed into them would be lost.
flash_tab, flash = state.pop("corpus_flash", (None, []))
for result in flash:
    with outcome[flash_tab]:
        show_add_result(result)

# ---------------------------------------------------------------- the articles

records = {r.id: r for r in bot.articles()}
st.subheader(f"Articles ({len(records)})")
query = st.text_input("Search articles", placeholder="Search by title, outlet, source, URL or id",
                      icon=":material/search:", label_visibility="collapsed")
rows = article_rows(records.values(), query)
if not rows:
    st.info("No article matches your search." if records else "The index is empty. Add documents above, or "
            "build the index from the bundled coverage on the chat page.")
else:
    st.dataframe(rows, hide_index=True, width="stretch", column_order=(
        "title", "outlet", "published", "author", "chunks", "source", "url", "id"), column_config={
        "title": st.column_config.TextColumn("Title", width="large"),
        "outlet": st.column_config.TextColumn("Outlet"),
        "published": st.column_config.DateColumn("Date", format="YYYY-MM-DD"),
        "author": st.column_config.TextColumn("Author"),
        "chunks": st.column_config.NumberColumn("Chunks", help="Passages the article is split into"),
        "source": st.column_config.TextColumn("Source", help="Corpus file, upload, pasted text or web page"),
        "url": st.column_config.LinkColumn("URL"),
        "id": st.column_config.TextColumn("ID"),
    })
    ids = [row["id"] for row in rows]
    pick = st.selectbox("Open an article", ids, index=None, key="article_pick", placeholder="Choose an article…",
                        format_func=lambda aid: article_label(records[aid].article))
    record = records.get(pick) if pick else None
    if record:
        article = record.article
        with st.container(border=True):
            st.markdown(f"#### {escape_markdown(article.title or 'Untitled')}")
            meta = [escape_markdown(b) for b in (article.outlet, article.published and article.published.isoformat(),
                                                 article.author and f"by {article.author}") if b]
            meta.append(plural(record.n_chunks, "passage"))
            meta.append(markdown_link("original", article.url) if safe_url(article.url) else "")
            st.caption(" · ".join(m for m in meta if m) + f"  \nid {escape_markdown(article.id)} · source: "
                       f"{escape_markdown(article.source or record.origin)}")
            with st.container(border=True, height=360 if len(article.text) > 1200 else "content"):
                st.markdown(escape_markdown(article.text))
            if state.get("confirm_delete") != article.id:
                if st.button("Delete this article…", icon=":material/delete:"):
                    state["confirm_delete"] = article.id
                    st.rerun()
            else:
                note = (" It is part of the bundled corpus, so it comes back the next time the index is built "
                        "from the corpus folder." if record.origin == "corpus" else "")
                st.warning(f"Delete “{escape_markdown(article.title)}” and its "
                           f"{plural(record.n_chunks, 'passage')} from the index?{note}", icon=":material/warning:")
                c1, c2 = st.columns(2)
                c1.button("Yes, delete it", type="primary", on_click=delete_article, args=(article.id,))
                c2.button("Cancel", on_click=lambda: state.pop("confirm_delete", None))
