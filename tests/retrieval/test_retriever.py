"""HybridRetriever end to end over a stub store whose two rankings the test chooses."""

from datetime import date
from types import SimpleNamespace

import pytest

from qa_bot.params import FusionWeights
from qa_bot.retrieval.filters import Filters
from qa_bot.retrieval.retriever import HybridRetriever
from qa_bot.storage.index import RawHit

from tests.fakes import HashEmbedder

STORY = ("The port authority said on Monday that the new container terminal would open in March after "
         "two years of delays, and that shipping lines had already booked most of its berths for the spring.")


class StubRegistry:
    """One chunk per article; BM25 results are whatever the test lists."""

    def __init__(self, articles: dict[str, dict], lexical: list[str]) -> None:
        self.articles = articles
        self.lexical = lexical
        self.lexical_calls: list[tuple] = []

    def lexical_search(self, match, limit, outlets=(), since="", until=""):
        self.lexical_calls.append((outlets, since, until))
        return [(aid, 0, 10.0 - i) for i, aid in enumerate(self.lexical)][:limit]

    def chunk_details(self, keys):
        out = {}
        for aid, n in keys:
            a = self.articles.get(aid)
            if a is not None:
                out[(aid, n)] = {"start": 0, "end": len(a["text"]), "title": aid, "outlet": a["outlet"], "url": "",
                                 "published": a["published"], "state": a.get("state", "indexed")}
        return out

    def texts(self, article_ids):
        return {aid: self.articles[aid]["text"] for aid in article_ids}


class StubStore:
    """Dense results are whatever the test lists, nearest first."""

    def __init__(self, articles: dict[str, dict], dense: list[str], lexical: list[str] = ()) -> None:
        self.registry = StubRegistry(articles, list(lexical))
        self.dense = dense
        self.wheres: list = []

    def query(self, vector, k, where=None):
        self.wheres.append(where)
        return [RawHit(id=f"{aid}:0", text="", metadata={"article_id": aid}, distance=0.1 * (i + 1))
                for i, aid in enumerate(self.dense)][:k]


def _articles(**texts):
    return {aid: {"text": text, "outlet": "Alpha Wire", "published": "2026-01-01"} for aid, text in texts.items()}


def _search(store, k=3, weights=FusionWeights(), **kw):
    return HybridRetriever(store, HashEmbedder(), weights=weights).search("question", k, **kw)


def _ids(hits):
    return [h.passage.article_id for h in hits]


def test_a_passage_both_sides_find_comes_first_with_both_scores_and_ranks_from_one():
    store = StubStore(_articles(d="dense only text", b="found by both", l="lexical only words"),
                      dense=["d", "b"], lexical=["l", "b"])
    hits = _search(store)
    assert _ids(hits)[0] == "b"
    assert hits[0].dense is not None and hits[0].lexical is not None
    assert [h.rank for h in hits] == [1, 2, 3]
    assert hits[0].passage.text == "found by both" and hits[0].passage.chunk_id == "b:0"


def test_lexical_weight_zero_leaves_bm25_out():
    store = StubStore(_articles(d="dense text", l="lexical text"), dense=["d"], lexical=["l"])
    assert _ids(_search(store, weights=FusionWeights(lexical=0.0))) == ["d"]
    assert store.registry.lexical_calls == []


def test_filters_reach_both_sides():
    store = StubStore(_articles(d="dense text"), dense=["d"], lexical=["d"])
    filters = Filters(outlets=("Alpha Wire",), since=date(2026, 1, 1), until=date(2026, 1, 31))
    _search(store, filters=filters)
    assert store.wheres == [filters.where()]
    assert store.registry.lexical_calls == [(("Alpha Wire",), "2026-01-01", "2026-01-31")]


def test_an_outlet_named_in_the_question_lifts_its_passage():
    articles = _articles(a="first passage", b="second passage")
    articles["b"]["outlet"] = "Beta Post"
    store = StubStore(articles, dense=["a", "b"])
    assert _ids(_search(store)) == ["a", "b"]
    assert _ids(_search(store, analysis=SimpleNamespace(outlets=("Beta Post",), dates=()))) == ["b", "a"]


def test_a_day_named_in_the_question_lifts_passages_from_that_day():
    articles = _articles(a="first passage", b="second passage")
    articles["b"]["published"] = "2026-03-02"
    store = StubStore(articles, dense=["a", "b"])
    assert _ids(_search(store, analysis=SimpleNamespace(outlets=(), dates=(date(2026, 3, 2),)))) == ["b", "a"]


def test_a_syndicated_copy_is_collapsed_and_k_is_still_filled():
    articles = _articles(a=STORY, copy=STORY.replace("Monday", "Tuesday"), c="Farmers protested about water.",
                         e="Exports rose for a third month.")
    articles["copy"]["outlet"] = "Beta Post"
    hits = _search(StubStore(articles, dense=["a", "copy", "c", "e"]), k=3)
    assert _ids(hits) == ["a", "c", "e"]


def test_passages_of_articles_no_longer_indexed_are_never_returned():
    articles = _articles(gone="removed article text", kept="live article text")
    articles["gone"]["state"] = "pending"
    assert _ids(_search(StubStore(articles, dense=["gone", "kept"]))) == ["kept"]


def test_k_below_one_is_refused():
    with pytest.raises(ValueError, match="k must be at least 1"):
        _search(StubStore({}, dense=[]), k=0)
