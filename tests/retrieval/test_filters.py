"""Outlet and date filters, applied by a real (in-memory) Chroma collection to chunk metadata."""

import uuid
from datetime import date

import pytest

from qa_bot.models import day_number
from qa_bot.retrieval.filters import Filters

from tests.fakes import HashEmbedder

RECORDS = {  # id: (outlet, published)
    "alpha-early:0": ("Alpha Wire", date(2026, 1, 1)),
    "beta-mid:0": ("Beta Post", date(2026, 1, 5)),
    "alpha-late:0": ("Alpha Wire", date(2026, 1, 10)),
    "gamma-late:0": ("Gamma Times", date(2026, 1, 10)),
}


@pytest.fixture(scope="module")
def index():
    import chromadb

    from qa_bot.storage.index import ChunkIndex, chroma_settings

    chunk_index = ChunkIndex(chromadb.EphemeralClient(settings=chroma_settings()), f"f-{uuid.uuid4().hex[:8]}")
    ids = list(RECORDS)
    metadata = [{"article_id": i.split(":")[0], "outlet": o, "published": d.isoformat(),
                 "published_day": day_number(d)} for i, (o, d) in RECORDS.items()]
    chunk_index.upsert(ids, HashEmbedder().embed(ids), ids, metadata)
    return chunk_index


def _found(index, filters: Filters) -> set[str]:
    """Ids of every record the filters let through (k is larger than the collection)."""
    return {hit.id for hit in index.query(HashEmbedder().embed(["probe"])[0], 10, filters.where())}


def test_no_filters_restrict_nothing(index):
    assert Filters().where() is None and not Filters()
    assert _found(index, Filters()) == set(RECORDS)


def test_outlet_filters_keep_only_those_outlets(index):
    assert _found(index, Filters(outlets=("Alpha Wire",))) == {"alpha-early:0", "alpha-late:0"}
    assert _found(index, Filters(outlets=("Beta Post", "Gamma Times"))) == {"beta-mid:0", "gamma-late:0"}


def test_a_date_range_includes_both_of_its_end_days(index):
    assert _found(index, Filters(since=date(2026, 1, 5), until=date(2026, 1, 10))) == \
        {"beta-mid:0", "alpha-late:0", "gamma-late:0"}
    assert _found(index, Filters(since=date(2026, 1, 2))) == {"beta-mid:0", "alpha-late:0", "gamma-late:0"}
    assert _found(index, Filters(until=date(2026, 1, 4))) == {"alpha-early:0"}


def test_outlet_and_dates_must_all_hold(index):
    assert _found(index, Filters(outlets=("Alpha Wire",), since=date(2026, 1, 5))) == {"alpha-late:0"}
    assert _found(index, Filters(outlets=("Beta Post",), until=date(2026, 1, 4))) == set()


def test_an_empty_date_range_is_refused():
    with pytest.raises(ValueError, match="date range is empty"):
        Filters(since=date(2026, 1, 10), until=date(2026, 1, 1))
