"""app_pages.corpus_views: the article table and its search, add messages, progress text."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from app_pages.corpus_views import add_messages, article_label, article_rows, progress_state
from qa_bot.documents import AddResult
from qa_bot.errors import LoaderError
from qa_bot.models import Article
from qa_bot.storage.store import WriteReport


def _record(title, outlet="", url="", source="", published=None, origin="added", n=1):
    art = Article(id=title.lower().replace(" ", "-"), title=title, text="t", outlet=outlet, url=url, source=source,
                  published=published)
    return SimpleNamespace(article=art, n_chunks=n, origin=origin)


def test_article_rows_search_and_unsafe_urls():
    records = [_record("Panda loan", "Upload Daily", "https://a.example/p", "upload:panda.md", date(2026, 1, 6)),
               _record("Lions", "Test Culture", "javascript:alert(1)", origin="corpus")]
    rows = article_rows(records)
    assert [r["title"] for r in rows] == ["Panda loan", "Lions"]
    assert rows[0]["url"] == "https://a.example/p" and rows[1]["url"] is None and rows[1]["source"] == "corpus"
    assert [r["title"] for r in article_rows(records, "  UPLOAD ")] == ["Panda loan"]
    assert [r["title"] for r in article_rows(records, "culture")] == ["Lions"]
    assert article_rows(records, "nothing") == []
    assert article_label(records[0].article) == "Panda loan — Upload Daily, 2026-01-06"


def test_progress_state():
    assert progress_state(0, 0, "Starting") == (0.0, "Starting")
    assert progress_state(5, 10, "Embedding") == (0.5, "Embedding\\: 5 of 10")
    assert progress_state(12, 10, "x")[0] == 1.0



def test_add_messages_name_each_article_and_each_refused_input():
    arts = [Article(id=f"a{i}", title=f"Title *{i}*", text="t") for i in range(8)]
    result = AddResult(report=WriteReport(added=["a0"], updated=["a1"], unchanged=["a2"]), articles=arts,
                       errors=[LoaderError("upload:x.pdf", "the PDF is encrypted"), LoaderError("y.txt", "empty")])
    assert add_messages(result) == [
        ("success", "Added “Title \\*0\\*”."), ("success", "Updated “Title \\*1\\*”."),
        ("info", "“Title \\*2\\*” is already in the index, unchanged."),
        ("error", "upload\\:x\\.pdf\\: the PDF is encrypted"), ("error", "y\\.txt\\: empty")]
    bulk = AddResult(report=WriteReport(added=[a.id for a in arts]), articles=arts)
    assert add_messages(bulk) == [("success", "Added 8 articles.")]
