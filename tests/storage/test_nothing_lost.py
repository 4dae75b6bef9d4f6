"""Issue 14's data-loss findings: a lost registry, corpus/added collisions, two folders on one server,
and reports that say what a write really did."""

from __future__ import annotations

import json

import chromadb
import pytest

from qa_bot.bot import QABot
from qa_bot.ingest.loaders import load_text
from qa_bot.storage.index import chroma_settings
from qa_bot.storage.store import Store

from tests.fakes import HashEmbedder

NOTE = "A user-supplied note about the state banquet, its menu and the seating plan of the evening."


def _bot(settings, client=None) -> QABot:
    bot = QABot(settings, embedder=HashEmbedder(), client=client)
    bot.open()
    return bot


def _titles(bot) -> set[str]:
    return {r.article.title for r in bot.articles()}


@pytest.mark.parametrize("damage", ["delete", "empty", "truncate", "scribble-header", "scribble-middle"])
def test_a_lost_or_damaged_registry_is_rebuilt_from_the_corpus_and_the_kept_articles(settings, damage):
    """Finding 1: the registry is derived; losing it must not lose an added article (it used to delete them all)."""
    bot = _bot(settings)
    bot.ingest()
    assert bot.add_text(NOTE, title="Banquet note", url="https://example.org/banquet").ok
    before_titles, before_chunks = _titles(bot), bot.stats()["chunks"]
    bot.close()
    path = settings.data_dir / "registry.sqlite3"
    for side in ("-wal", "-shm"):
        (settings.data_dir / f"registry.sqlite3{side}").unlink(missing_ok=True)
    data = path.read_bytes()
    if damage == "delete":
        path.unlink()
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "scribble-header":
        path.write_bytes(b"\x00not a database\x00" * 8 + data[128:])
    else:
        middle = len(data) // 2
        path.write_bytes(data[:middle] + b"\xff" * 4096 + data[middle + 4096:])

    again = _bot(settings)
    assert _titles(again) == before_titles
    assert again.stats()["chunks"] == before_chunks == again.stats()["index_records"]
    assert again.store.recovery.rebuilt and "registry" in again.store.recovery.reason
    [note] = [r for r in again.articles() if r.article.title == "Banquet note"]
    assert note.origin == "added" and note.article.text == NOTE
    if damage.startswith("scribble") or damage == "truncate":
        assert list(settings.data_dir.glob("registry.sqlite3.damaged-*")), "the damaged file is kept, not deleted"
    answer = again.ask("What was on the banquet menu?")
    assert any(c.article_id == note.id for c in answer.citations)
    again.close()


def test_added_articles_of_an_older_data_folder_are_archived_at_open(settings):
    """Data folders made before the archive existed: their added articles are kept at the next open."""
    bot = _bot(settings)
    bot.add_text(NOTE, title="Banquet note")
    for f in (settings.data_dir / "articles").iterdir():
        f.unlink()
    bot.store.registry.set_meta("archive", "")
    bot.close()
    again = _bot(settings)
    assert len(list((settings.data_dir / "articles").glob("*.json"))) == 1
    again.close()


def test_removing_an_article_removes_its_kept_copy(settings):
    bot = _bot(settings)
    [aid] = bot.add_text(NOTE, title="Banquet note").report.added
    assert (settings.data_dir / "articles" / f"{aid}.json").is_file()
    bot.remove(aid)
    assert not (settings.data_dir / "articles" / f"{aid}.json").exists()
    bot.close()


def test_adding_an_article_with_a_corpus_articles_url_is_refused_and_changes_nothing(settings, corpus_dir, tmp_path):
    """Finding 2: an add that collides with a bundled article is refused (naming the corpus file)."""
    bot = _bot(settings)
    bot.ingest()
    corpus = {r.article.url: r for r in bot.articles() if r.article.url}
    url, record = next(iter(corpus.items()))
    good = tmp_path / "good.md"
    good.write_text(f"---\ntitle: Unrelated\n---\n{NOTE}")
    clash = tmp_path / "clash.md"
    clash.write_text(f"---\ntitle: My own version\nurl: {url}\n---\nMy own text of the article, which differs.")
    result = bot.add_paths([clash, good])
    [error] = result.errors
    assert str(clash) in str(error) and f"corpus/{record.article.source}" in str(error)
    assert len(result.report.added) == 1, "the other input of the same command is still added"
    assert bot.article(record.id).article.text == record.article.text
    assert bot.ingest().report.updated == []
    bot.close()


def test_ingest_keeps_an_added_article_whose_url_a_corpus_file_later_takes(settings, corpus_dir):
    """Finding 2, the other way round: the user's version is kept and ``ingest`` names the conflict."""
    bot = _bot(settings)
    url = "https://example.org/shared-url"
    [aid] = bot.add_text(NOTE, title="Mine", url=url).report.added
    (corpus_dir / "late.md").write_text(f"---\ntitle: Corpus copy\nurl: {url}\n---\nThe corpus text of the article.")
    result = bot.ingest()
    assert any("late.md" in c and aid in c for c in result.report.conflicts)
    assert bot.article(aid).article.title == "Mine" and bot.article(aid).origin == "added"
    bot.close()


def test_two_data_folders_on_one_chroma_server_never_delete_each_others_chunks(tmp_path, corpus_dir):
    """Finding 3: each data folder has its own collection on a shared server."""
    from qa_bot.config import Settings

    client = chromadb.EphemeralClient(settings=chroma_settings())
    one = _bot(Settings(data_dir=tmp_path / "one", corpus_dir=corpus_dir), client)
    one.ingest()
    two = _bot(Settings(data_dir=tmp_path / "two", corpus_dir=corpus_dir), client)
    two.add_text(NOTE, title="Only in two")
    chunks_one = one.stats()
    one.close()
    two.close()
    one = _bot(Settings(data_dir=tmp_path / "one", corpus_dir=corpus_dir), client)
    two = _bot(Settings(data_dir=tmp_path / "two", corpus_dir=corpus_dir), client)
    assert one.stats() == chunks_one and one.store.recovery.orphans_removed == 0
    assert two.stats()["chunks"] == two.stats()["index_records"] > 0
    assert _titles(two) == {"Only in two"}
    one.close()
    two.close()


def test_a_write_reports_duplicates_in_its_input(settings):
    """Finding 10: the second copy of an id in one add is named, not dropped silently."""
    store = Store(settings, HashEmbedder())
    store.open()
    a = load_text(NOTE, title="Note", url="https://example.org/n")
    b = load_text(NOTE + " A second version.", title="Note", url="https://example.org/n")
    report = store.add([a, b])
    assert report.added == [a.id] and report.duplicates == [a.id]
    assert "duplicate" in report.summary()
    store.close()


def test_concurrent_writers_report_what_really_happened(settings):
    """Finding 10: two adds of overlapping sets, serialised by the lock, used to both say "N added"."""
    import threading

    articles = [load_text(f"{NOTE} Number {i}.", url=f"https://example.org/{i}") for i in range(450)]
    settings = settings.model_copy(update={"lock_timeout_s": 60.0})  # the second writer waits for the first
    stores = [Store(settings, HashEmbedder()) for _ in range(2)]
    for s in stores:
        s.open()
    reports = [None, None]
    start = threading.Barrier(2)

    def run(n, part):
        start.wait()
        reports[n] = stores[n].add(part)

    threads = [threading.Thread(target=run, args=(0, articles[:300])),
               threading.Thread(target=run, args=(1, articles[150:]))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    added = reports[0].added + reports[1].added
    assert sorted(added) == sorted(a.id for a in articles), "each article reported added exactly once"
    assert len(reports[0].unchanged) + len(reports[1].unchanged) == 150
    assert stores[0].stats()["articles"] == 450
    for s in stores:
        s.close()


def test_embedding_runs_outside_the_write_lock(settings):
    """Finding 4: chunk and embed without the lock; hold it only to write (other writers are not blocked)."""
    embedder = HashEmbedder()
    store = Store(settings, embedder)
    store.open()
    held = []
    original = embedder.embed

    def spy(texts, *args, **kwargs):
        held.append(store.lock._file_lock.is_locked)
        return original(texts, *args, **kwargs)

    embedder.embed = spy
    store.add([load_text(f"{NOTE} Number {i}.", url=f"https://example.org/{i}") for i in range(20)])
    assert held and not any(held)
    store.close()


def test_the_same_text_in_nfc_and_nfd_is_one_unchanged_article(settings):
    """Finding 11: metadata is NFC-normalised at load, so re-adding the other form changes nothing."""
    import unicodedata

    store = Store(settings, HashEmbedder())
    store.open()
    title, outlet = "Caf\u00e9 diplomacy in S\u00e9oul", "Le Qu\u00e9bec"
    nfc = load_text(NOTE, title=title, outlet=outlet)
    nfd = load_text(unicodedata.normalize("NFD", NOTE), title=unicodedata.normalize("NFD", title),
                    outlet=unicodedata.normalize("NFD", outlet))
    assert store.add([nfc]).added and store.add([nfd]).unchanged == [nfc.id]
    assert store.outlets() == [outlet]
    store.close()


def test_kept_articles_are_checksummed(settings):
    bot = _bot(settings)
    [aid] = bot.add_text(NOTE, title="Banquet note").report.added
    path = settings.data_dir / "articles" / f"{aid}.json"
    payload = json.loads(path.read_text())
    assert payload["article"]["text"] == NOTE and len(payload["sha256"]) == 64
    payload["article"]["text"] = "tampered"
    path.write_text(json.dumps(payload))
    assert bot.store.archive.load_all().damaged == [str(path)]
    bot.close()
