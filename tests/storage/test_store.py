import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qa_bot.errors import ConfigError, LockedError, NotFoundError
from qa_bot.storage.index import ChunkIndex, chroma_path, sanitize_metadata
from qa_bot.ingest.loaders import load_text
from qa_bot.storage.registry import PENDING
from qa_bot.storage.store import Store


def _art(i: int, extra: str = ""):
    return load_text(f"Article {i} reports that delegation {i} met officials in Beijing. {extra} "
                     f"A second sentence adds detail number {i}.", title=f"Story {i}", outlet="Wire",
                     url=f"https://wire.example.com/{i}", published="2026-01-0%d" % (i % 9 + 1))


@pytest.fixture
def store(settings, embedder):
    s = Store(settings, embedder)
    s.open()
    yield s
    s.close()


def test_add_is_idempotent_and_embeds_each_text_once(store, embedder):
    report = store.add([_art(1), _art(2)])
    assert sorted(report.added) == sorted([_art(1).id, _art(2).id]) and report.chunks_written == 2
    calls = embedder.embedded_texts
    again = store.add([_art(1), _art(2)])
    assert again.added == [] and sorted(again.unchanged) == sorted([_art(1).id, _art(2).id])
    assert again.chunks_written == 0 and embedder.embedded_texts == calls
    assert store.index.count() == 2


def test_changed_article_replaces_all_its_chunks(store):
    long = _art(3, extra=" ".join(f"Filler sentence {i} about talks." for i in range(60)))
    store.add([long])
    n_long = store.index.count()
    assert n_long > 1
    short = load_text("Article 3 was corrected to a single short sentence here.", title="Story 3",
                      url="https://wire.example.com/3")
    assert short.id == long.id
    report = store.add([short])
    assert report.updated == [short.id]
    assert store.index.count() == 1
    assert store.article(short.id).article.text.startswith("Article 3 was corrected")


def test_remove_leaves_no_chunk_and_unknown_ids_are_refused(store):
    store.add([_art(1), _art(2)])
    store.remove([_art(1).id])
    ids = store.index.all_ids()
    assert ids and not any(i.startswith(_art(1).id) for i in ids)
    with pytest.raises(NotFoundError, match="qa-bot list"):
        store.remove(["nope"])
    with pytest.raises(NotFoundError):
        store.article(_art(1).id)


def test_writes_are_split_under_the_per_call_limit(store, monkeypatch):
    calls = []
    original = store.index.collection.upsert

    def spy(**kw):
        calls.append(len(kw["ids"]))
        return original(**kw)

    monkeypatch.setattr(store.index.collection, "upsert", spy)
    store.index.max_batch = 3
    store.add([_art(i) for i in range(8)])
    assert max(calls) <= 3 and sum(calls) == 8
    assert store.index.count() == 8


def test_metadata_is_sanitised_for_chroma():
    assert sanitize_metadata({"a": None, "b": 1, "c": "x", "d": [1, 2], "e": True}) == {
        "b": 1, "c": "x", "d": "[1, 2]", "e": True}


def test_articles_without_dates_are_stored_and_filterable(store):
    art = load_text("An undated note that still has enough words.", title="Undated")
    store.add([art])
    [hit] = store.index.get([f"{art.id}:0"])
    assert hit.metadata["published"] == "" and hit.metadata["published_day"] == 0


def _child(code: str, *args: str) -> subprocess.Popen:
    """A separate Python process running ``code`` (not multiprocessing: Streamlit's AppTest, run
    earlier in the same session, replaces ``__main__``, which a spawned child would re-run)."""
    return subprocess.Popen([sys.executable, "-c", code, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, cwd=str(Path(__file__).resolve().parents[2]))


HOLD_WRITE_LOCK = """
import sys
from pathlib import Path
from qa_bot.storage.locking import WriteLock
with WriteLock(Path(sys.argv[1])).hold("test holder"):
    print("ready", flush=True)
    sys.stdin.readline()
"""


def test_a_second_writer_process_gets_a_clear_error(store):
    proc = _child(HOLD_WRITE_LOCK, str(store.data_dir))
    try:
        assert proc.stdout.readline().strip() == "ready"
        before = store.index.count()
        with pytest.raises(LockedError) as info:
            store.add([_art(5)])
        msg = str(info.value)
        assert "is being written by pid" in msg and "test holder" in msg and "retry" in msg
        assert store.index.count() == before
    finally:
        proc.communicate("go\n", timeout=30)
    store.add([_art(5)])  # once released, writing works again


def test_interrupted_write_is_repaired_on_next_open(settings, embedder):
    s = Store(settings, embedder)
    s.open()
    s.add([_art(1), _art(2)])
    # Simulate a crash between registry and index writes: article 3 pending, half its chunks written.
    art3 = _art(3)
    chunks = s.chunker.split(art3)
    s.registry.mark_pending([(art3, "added", chunks)])
    s.lock.journal_path.write_text("{}")
    s.index.collection.delete(ids=[f"{_art(2).id}:0"])  # and a lost chunk of an indexed article
    s.index.upsert(["stray:0"], np.ones((1, embedder.dim), dtype=np.float32), ["x"], [{"article_id": "stray"}])
    s.close()

    again = Store(settings, embedder)
    rec = again.open()
    assert not rec.rebuilt
    assert rec.repaired_articles == 2 and rec.orphans_removed == 1
    assert again.index.all_ids() == again.registry.chunk_ids()
    assert not list(again.registry.records(PENDING))
    assert not again.lock.interrupted()
    assert {a.id for a in again.articles()} == {_art(1).id, _art(2).id, art3.id}


def test_pending_articles_are_invisible_to_search(store, embedder):
    store.add([_art(1)])
    art2 = _art(2)
    chunks = store.chunker.split(art2)
    store.registry.mark_pending([(art2, "added", chunks)])
    vec = embedder.embed([chunks[0].text])
    store.index.upsert([c.id for c in chunks], vec, [c.text for c in chunks], [{"article_id": art2.id}])
    hits = store.query(embedder.embed(["delegation 2 met officials"])[0], 5)
    assert hits and all(h.metadata["article_id"] != art2.id for h in hits)


def test_deleted_index_folder_is_rebuilt_from_the_registry(settings, embedder):
    s = Store(settings, embedder)
    s.open()
    s.add([_art(i) for i in range(4)])
    s.close()
    from qa_bot.storage.index import remove_persistent

    remove_persistent(chroma_path(settings))
    again = Store(settings, embedder)
    rec = again.open()
    assert rec.repaired_articles == 4
    assert again.index.count() == 4


def test_a_corrupt_index_file_triggers_a_rebuild(settings, embedder):
    s = Store(settings, embedder)
    s.open()
    s.add([_art(i) for i in range(4)])
    s.close()
    from qa_bot.storage.index import release_persistent

    release_persistent(chroma_path(settings))
    db = chroma_path(settings) / "chroma.sqlite3"
    db.write_bytes(db.read_bytes()[:2000])
    again = Store(settings, embedder)
    rec = again.open()
    assert rec.rebuilt and "health check" in rec.reason
    assert again.index.count() == 4


def test_another_embedding_model_is_refused_until_the_index_is_reembedded(settings, embedder):
    s = Store(settings, embedder)
    s.open()
    s.add([_art(1), _art(2)])
    s.close()

    other = type(embedder)()
    other.name = "another-model"
    refused = Store(settings, other)
    with pytest.raises(ConfigError) as info:
        refused.open()
    message = str(info.value)
    assert "hash-embedder" in message and "another-model" in message and "qa-bot reindex" in message
    assert not other.embedded_texts  # nothing was re-embedded behind the user's back
    refused.close()

    kept = Store(settings, embedder)  # the index as it was still serves its own embedder
    assert not kept.open().rebuilt and kept.stats()["chunks"] >= 2
    kept.close()

    again = Store(settings, other)
    rec = again.open(reembed=True)
    assert rec.rebuilt and "another-model" in rec.reason
    assert again.registry.get_meta("index_signature").startswith("another-model")
    assert {a.id for a in again.articles()} == {_art(1).id, _art(2).id} and other.embedded_texts
    again.close()
    with pytest.raises(ConfigError, match="another-model"):  # and now the old embedder is the stranger
        Store(settings, embedder).open()


def test_changed_chunk_sizes_rebuild_the_index_with_the_same_embedder(settings, embedder):
    s = Store(settings, embedder)
    s.open()
    s.add([_art(1)])
    s.close()
    again = Store(settings.model_copy(update={"chunk_max_tokens": 100, "chunk_target_tokens": 60}), embedder)
    rec = again.open()
    assert rec.rebuilt and "chunk settings changed" in rec.reason and again.stats()["articles"] == 1
    again.close()


OWN_FOLDER = """
import json, sys
from qa_bot.config import Settings
from qa_bot.ingest.loaders import load_text
from qa_bot.storage.store import Store
from tests.fakes import HashEmbedder
s = Store(Settings(**json.loads(sys.argv[1])), HashEmbedder())
s.open()
s.add([load_text("The okapi zorblax flew over Busan in a balloon and waved.", title="Okapi")])
print("ready", flush=True)
sys.stdin.readline()
s.close()
"""


def test_a_second_process_is_refused_while_one_owns_the_folder(settings, embedder):
    proc = _child(OWN_FOLDER, settings.model_dump_json())
    try:
        assert proc.stdout.readline().strip() == "ready"
        with pytest.raises(LockedError) as info:
            Store(settings, embedder).open()
        msg = str(info.value)
        assert "is in use by pid" in msg and "QA_BOT_CHROMA_HOST" in msg
    finally:
        proc.communicate("go\n", timeout=60)
    assert proc.returncode == 0
    after = Store(settings, embedder)  # the owner closed: the folder is free, and its write is there
    after.open()
    hits = after.query(embedder.embed(["okapi balloon zorblax"])[0], 3)
    assert hits and hits[0].metadata["title"] == "Okapi"
    after.close()


def test_stores_in_one_process_share_the_folder_and_closing_one_keeps_the_other(settings, embedder, tmp_path):
    first = Store(settings, embedder)
    first.open()
    first.add([_art(1)])
    second = Store(settings, embedder)
    second.open()  # same process: allowed
    second.close()
    other = Store(settings.model_copy(update={"data_dir": tmp_path / "other"}), embedder)
    other.open()
    other.add([_art(2)])
    other.close()  # closing another folder's store leaves this one working
    assert first.query(embedder.embed(["delegation 1 met officials"])[0], 1)
    first.close()


def test_chunk_index_works_with_an_ephemeral_client(embedder):
    import uuid

    import chromadb

    from qa_bot.storage.index import chroma_settings

    index = ChunkIndex(chromadb.EphemeralClient(settings=chroma_settings()), f"t-{uuid.uuid4().hex[:8]}")
    vec = embedder.embed(["alpha beta", "gamma delta"])
    index.upsert(["a:0", "b:0"], vec, ["alpha beta", "gamma delta"], [{"article_id": "a"}, {"article_id": "b"}])
    [top, _] = index.query(vec[1], 2)
    assert top.id == "b:0"
    index.delete_articles(["b"])
    assert index.all_ids() == {"a:0"}


def test_a_folder_its_owner_serves_is_joined_without_waiting_out_the_owner_lock(settings, embedder, monkeypatch):
    """While the app serves its folder, a command joins its server at once: the owner lock's timeout (seconds)
    is for owners that do not serve; it is not even tried here."""
    import chromadb

    from qa_bot.storage import store as store_module
    from qa_bot.storage.index import chroma_settings
    from qa_bot.storage.locking import OwnerLock

    from qa_bot.storage.server import ServerAddress

    served = chromadb.EphemeralClient(settings=chroma_settings())
    joined = []
    address = ServerAddress("127.0.0.1", 4321, "per-start-secret")
    monkeypatch.setattr(store_module, "live_server", lambda data_dir: address)
    monkeypatch.setattr(store_module, "connect", lambda to: joined.append(to) or served)
    monkeypatch.setattr(OwnerLock, "acquire", lambda self, what: pytest.fail("waited on the owner's lock"))
    s = Store(settings, embedder)
    s.open()
    assert joined == [address] and s.joined == address
    s.add([_art(1)])
    assert s.stats()["articles"] == 1
    s.close()
