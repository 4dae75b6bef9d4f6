"""Open-time recovery beyond the store's own tests: the health probe child, and rebuilding an index
that lives behind a given Chroma client (a server's collection is dropped, never a folder)."""

import uuid

import pytest

from qa_bot.ingest.loaders import load_text
from qa_bot.errors import ConfigError
from qa_bot.storage import recovery
from qa_bot.storage.index import chroma_path, release_persistent
from qa_bot.storage.recovery import probe_in_subprocess
from qa_bot.storage.store import Store


def _articles(n: int):
    return [load_text(f"Report {i} says the ferry to the island runs twice a day. It is cheap.", title=f"Ferry {i}")
            for i in range(n)]


def test_the_probe_child_passes_a_healthy_index_and_fails_a_truncated_one(settings, embedder):
    s = Store(settings, embedder)
    s.open()
    s.add(_articles(3))
    s.close()
    folder = chroma_path(settings)
    assert probe_in_subprocess(folder, settings.collection)
    release_persistent(folder)
    db = folder / "chroma.sqlite3"
    db.write_bytes(db.read_bytes()[:2000])
    assert not probe_in_subprocess(folder, settings.collection)


def test_changed_index_files_are_probed_and_a_healthy_index_is_kept(settings, embedder, monkeypatch):
    probed = []

    def spy(path, collection):
        probed.append(path)
        return probe_in_subprocess(path, collection)

    monkeypatch.setattr(recovery, "probe_in_subprocess", spy)
    s = Store(settings, embedder)
    s.open()
    s.add(_articles(2))
    s.close()
    clean = Store(settings, embedder)
    clean.open()
    clean.close()
    assert probed == []  # the folder is as the last write left it: no child process needed
    (chroma_path(settings) / "left-by-a-backup-tool").write_text("x")  # the folder changed outside the store
    again = Store(settings, embedder)
    rec = again.open()
    assert probed == [chroma_path(settings)]
    assert not rec.rebuilt and rec.repaired_articles == 0
    assert again.index.count() == 2
    again.close()


def test_reembedding_rebuilds_a_collection_behind_a_given_client(settings, embedder):
    import chromadb

    from qa_bot.storage.index import chroma_settings

    client = chromadb.EphemeralClient(settings=chroma_settings())
    settings = settings.model_copy(update={"collection": f"t-{uuid.uuid4().hex[:8]}"})
    first = Store(settings, embedder, client=client)
    first.open()
    first.add(_articles(3))
    first.close()

    other = type(embedder)()
    other.name = "another-model"
    with pytest.raises(ConfigError, match="qa-bot reindex"):
        Store(settings, other, client=client).open()
    again = Store(settings, other, client=client)
    rec = again.open(reembed=True)
    assert rec.rebuilt and "another-model" in rec.reason
    assert again.index.count() == 3 and other.embedded_texts  # every article embedded again, by the new model
    assert not chroma_path(settings).exists()  # nothing was written to (or deleted from) disk
    again.close()
