"""The registry's BM25 search, on registries small enough that the right answer is obvious from the
texts: more occurrences of the query term rank higher, and outlet and date restrictions remove
exactly the articles outside them."""

from datetime import date

import pytest

from qa_bot.ingest.article import make_article
from qa_bot.models import Chunk
from qa_bot.storage.registry import ORIGIN_ADDED, Registry


def _registry(path, articles, indexed=None) -> Registry:
    """A registry holding each article as one chunk, indexed unless left out of ``indexed``."""
    registry = Registry(path / "registry.sqlite3")
    registry.mark_pending([(a, ORIGIN_ADDED, [Chunk(a.id, 0, a.text, 0, len(a.text))]) for a in articles])
    registry.mark_indexed([a.id for a in articles if indexed is None or a.id in indexed])
    return registry


def _report(count: int, outlet: str, published: date | None, label: str):
    # Every text has ten words, so only the count of "ferry" separates their BM25 scores.
    words = ["ferry"] * count + ["harbour", "crowds", "gathered", "along", "quay", "morning", "tide", "boats",
                                 "waited", "calm"][: 10 - count]
    return make_article(text=" ".join(words).capitalize() + ".", source="test", title=f"Harbour report {label}",
                        outlet=outlet, published=published)


@pytest.fixture
def four(tmp_path):
    three = _report(3, "North Post", date(2026, 1, 5), "one")
    two = _report(2, "South Post", date(2026, 1, 10), "two")
    one = _report(1, "North Post", date(2026, 1, 15), "three")
    none = _report(0, "South Post", date(2026, 1, 20), "four")
    undated = _report(4, "South Post", None, "five")
    # Articles without the term keep it rare enough for BM25 to weigh it (FTS5 floors a common term's weight).
    others = [make_article(text=f"Gulls circled the quay on day {i}.", source="test", title=f"Gulls {i}",
                           outlet="West Post", published=date(2026, 1, i + 1)) for i in range(5)]
    registry = _registry(tmp_path, [three, two, one, none, undated, *others])
    yield registry, {"undated": undated.id, "three": three.id, "two": two.id, "one": one.id, "none": none.id}
    registry.close()


def _labels(hits, ids) -> list[str]:
    by_id = {v: k for k, v in ids.items()}
    return [by_id[article_id] for article_id, _, _ in hits]


def test_more_occurrences_rank_higher_and_absent_terms_never_match(four):
    registry, ids = four
    hits = registry.lexical_search('"ferry"', 10)
    assert _labels(hits, ids) == ["undated", "three", "two", "one"]
    scores = [score for *_, score in hits]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == 4 and scores[-1] > 0
    assert _labels(registry.lexical_search('"ferry"', 2), ids) == ["undated", "three"]
    assert registry.lexical_search('"lighthouse"', 10) == []


@pytest.mark.parametrize("restriction, expected", [
    ({"outlets": ("North Post",)}, ["three", "one"]),
    ({"outlets": ("South Post", "North Post")}, ["undated", "three", "two", "one"]),
    ({"outlets": ("Nobody",)}, []),
    ({"since": "2026-01-08"}, ["two", "one"]),  # an undated article is outside every date range
    ({"until": "2026-01-12"}, ["three", "two"]),
    ({"since": "2026-01-08", "until": "2026-01-12"}, ["two"]),
    ({"outlets": ("South Post",), "until": "2026-01-31"}, ["two"]),
])
def test_restrictions_remove_exactly_the_articles_outside_them(four, restriction, expected):
    registry, ids = four
    assert _labels(registry.lexical_search('"ferry"', 10, **restriction), ids) == expected


def test_articles_not_yet_indexed_are_not_searched(tmp_path):
    done, pending = _report(1, "North Post", date(2026, 1, 5), "done"), _report(3, "North Post", None, "pending")
    registry = _registry(tmp_path, [done, pending], indexed={done.id})
    try:
        assert [a for a, _, _ in registry.lexical_search('"ferry"', 10)] == [done.id]
    finally:
        registry.close()


def test_empty_or_unparseable_queries_find_nothing(four):
    registry, _ = four
    assert registry.lexical_search("", 10) == []
    assert registry.lexical_search('"ferry', 10) == []  # unbalanced quote: FTS5 cannot parse it


def test_a_restriction_matching_only_low_ranked_chunks_still_finds_them(tmp_path):
    """The search ranks a first page of matches before applying restrictions; an outlet whose only
    match ranks below that page must still be found."""
    busy = [make_article(text=f"Lions dance. Lions parade. Lions rest {i}.", source="test", title=f"Busy {i}",
                         outlet="Busy Outlet") for i in range(260)]
    filler = " ".join(f"word{i}" for i in range(60))
    rare = make_article(text=f"One stone lions pair stood by the gate. {filler}.", source="test", title="Rare",
                        outlet="Rare Outlet")
    registry = _registry(tmp_path, [*busy, rare])
    try:
        everything = registry.lexical_search('"lions"', 300)
        assert len(everything) == 261 and everything[-1][0] == rare.id  # one mention in a long text ranks last
        assert [a for a, _, _ in registry.lexical_search('"lions"', 3, outlets=("Rare Outlet",))] == [rare.id]
    finally:
        registry.close()
