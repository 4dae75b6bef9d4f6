"""QABot's documents half: syncing the corpus folder, adding files, uploads and URLs, removing articles."""

import pytest

from tests.fakes import make_pdf


@pytest.fixture
def ingested(bot):
    result = bot.ingest()
    assert not result.errors and len(result.report.added) == 4
    return bot


def test_ingest_syncs_new_changed_and_deleted_corpus_files(ingested, corpus_dir):
    bot = ingested
    again = bot.ingest()
    assert again.report.added == [] and len(again.report.unchanged) == 4
    (corpus_dir / "missile.txt").unlink()
    lee = corpus_dir / "lee-interview.md"
    lee.write_text(lee.read_text().replace("once every year", "twice every year"))
    report = bot.ingest().report
    assert len(report.removed) == 1 and len(report.updated) == 1
    assert {a.article.title for a in bot.articles()} == {
        "Lee sets out his China policy before the Beijing trip", "Business leaders gather in Beijing for a trade forum",
        "Stone lions to travel to Xi'an"}


def test_ingest_keeps_articles_added_by_users(ingested):
    ingested.add_text("A user-supplied note about the state banquet and its menu.", title="Banquet note")
    ingested.ingest()
    assert "Banquet note" in {a.article.title for a in ingested.articles()}


def test_add_paths_adds_good_files_and_reports_each_bad_one(bot, tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.md").write_text("---\ntitle: A\n---\nThe first document has a few words in it.")
    (folder / "b.txt").write_text("Second title\nThe second document is plain text with words.")
    (folder / "c.html").write_text("<html><title>C</title><body><p>The third document is a web page.</p></body></html>")
    (folder / "d.pdf").write_bytes(make_pdf(["The fourth document is a PDF file with text."], title="D"))
    (folder / "e.txt").write_bytes(b"\x00\x01\x02binary")
    result = bot.add_paths([folder])
    assert len(result.report.added) == 4
    [error] = result.errors
    assert str(error).startswith(str(folder / "e.txt")) and "binary" in str(error)
    again = bot.add_paths([folder])
    assert again.report.added == [] and again.report.chunks_written == 0


def test_upload_names_never_choose_a_path_and_size_is_limited(bot, tmp_path):
    result = bot.add_upload(b"An uploaded article with enough words in it.", "../../etc/evil.txt")
    assert result.ok
    [art] = result.articles
    assert art.source == "upload:evil.txt"
    assert not (tmp_path / "etc").exists()
    big = bot.add_upload(b"x" * int(bot.settings.max_upload_mb * 1e6 + 1), "big.txt")
    assert not big.ok and "over the" in str(big.errors[0])


PAGE = (b"<html><head><title>Ginseng exports rise</title></head><body><article><h1>Ginseng exports rise</h1>"
        b"<p>Korean ginseng exports rose by a third after the summit, traders said on Friday.</p>"
        b"</article></body></html>")


@pytest.fixture
def site():
    """One web page at ``/ginseng`` on 127.0.0.1; every other path is a 404."""
    from tests.servers import PageServer

    with PageServer({"/ginseng": (200, {"Content-Type": "text/html; charset=utf-8"}, PAGE)}) as server:
        yield server


@pytest.fixture
def web_bot(settings, embedder):
    """A bot that may fetch from loopback addresses (where the test's web page is served)."""
    from qa_bot.bot import QABot

    b = QABot(settings.model_copy(update={"allow_hosts": "127.0.0.1"}), embedder=embedder)
    yield b
    b.close()


def test_add_inputs_merges_files_and_urls_and_keeps_going_after_bad_ones(web_bot, site, tmp_path):
    note = tmp_path / "note.md"
    note.write_text("---\ntitle: Banquet note\n---\nThe banquet menu featured several courses of local food.")
    binary = tmp_path / "photo.txt"
    binary.write_bytes(bytes(range(256)) * 4)
    missing = site.url("/missing")
    committed = []
    result = web_bot.add_inputs([missing, str(note), site.url("/ginseng"), binary],
                                on_article=lambda aid, what: committed.append((aid, what)))
    titles = {a.id: a.title for a in result.articles}
    assert sorted(titles[i] for i in result.report.added) == ["Banquet note", "Ginseng exports rise"]
    assert result.report.chunks_written == 2
    assert [e.source for e in result.errors] == [str(binary), missing]  # files are read first, then each URL
    assert committed == [(next(i for i, t in titles.items() if t == "Banquet note"), "added")]
    assert {r.article.title for r in web_bot.articles()} == {"Banquet note", "Ginseng exports rise"}
    again = web_bot.add_inputs([str(note), site.url("/ginseng")])
    assert again.ok and again.report.added == [] and len(again.report.unchanged) == 2


def test_remove_names_an_unknown_id_and_then_deletes_nothing(ingested):
    from qa_bot.errors import NotFoundError

    first, second = [r.id for r in ingested.articles()][:2]
    with pytest.raises(NotFoundError, match="'no-such-id'"):
        ingested.remove(first, "no-such-id")
    assert ingested.stats()["articles"] == 4
    assert ingested.remove(first, second) == [first, second]
    assert ingested.stats()["articles"] == 2 and first not in {r.id for r in ingested.articles()}


def test_ensure_indexed_builds_an_empty_index_once(bot, corpus_dir):
    builds = []
    result = bot.ensure_indexed(on_build=builds.append)
    assert builds == [corpus_dir] and len(result.report.added) == 4
    assert bot.ensure_indexed(on_build=builds.append) is None and builds == [corpus_dir]
    assert bot.stats()["articles"] == 4


def test_ensure_indexed_without_a_corpus_folder_does_nothing(settings, embedder, tmp_path):
    from qa_bot.bot import QABot

    bot = QABot(settings.model_copy(update={"corpus_dir": tmp_path / "absent"}), embedder=embedder)
    try:
        assert bot.ensure_indexed(on_build=pytest.fail) is None and bot.is_empty()
    finally:
        bot.close()


def test_resolve_ids_takes_whole_ids_and_unique_starts_and_names_the_ambiguous_ones(bot, tmp_path):
    import json

    from qa_bot.errors import AmbiguousIdError, NotFoundError

    bulk = tmp_path / "bulk.jsonl"
    bulk.write_text("\n".join(json.dumps({"id": i, "title": f"Note {i}", "text": f"A short note numbered {i} here."})
                              for i in ("x1", "memo-alpha", "memo-alpine")))
    assert not bot.add_paths([bulk]).errors
    assert bot.resolve_ids("x1", "memo-alph", " memo-alpine ", "memo-alpha") == ["x1", "memo-alpha", "memo-alpine"]
    with pytest.raises(AmbiguousIdError) as ambiguous:
        bot.resolve_ids("x1", "memo")
    assert [c.split()[0] for c in ambiguous.value.candidates] == ["memo-alpha", "memo-alpine"]
    assert ambiguous.value.exit_code == 2 and "'memo'" in str(ambiguous.value)
    with pytest.raises(NotFoundError, match="'mem'"):  # too short to be taken as the start of an id
        bot.resolve_ids("mem")
