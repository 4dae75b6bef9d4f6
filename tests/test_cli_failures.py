"""Issue 14's crash findings, through the console script's entry point (`qa_bot.cli.run`): every failure is
one line and an exit code, the other inputs of the command are still added, and nothing is lost."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from qa_bot import cli
from qa_bot.bot import QABot

from tests.fakes import HashEmbedder

BODY = "The two leaders met in Beijing and spoke about trade, tourism and the ocean border for an hour."


@pytest.fixture
def main(settings, monkeypatch, capsys):
    """``qa-bot ARGS`` as the console script runs it; returns ``(exit code, stdout, stderr)``."""
    bots = []

    def make_bot():
        bots.append(QABot(getattr(cli, "test_settings", settings), embedder=HashEmbedder()))
        return bots[-1]

    monkeypatch.setattr(cli, "make_bot", make_bot)

    def invoke(*args):
        monkeypatch.setattr(sys, "argv", ["qa-bot", *map(str, args)])
        with pytest.raises(SystemExit) as stop:
            cli.run()
        while bots:  # each command is its own process in real use: release the folder as its exit would
            bots.pop().close()
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return stop.value.code or 0, out, err

    return invoke


def _errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


BAD_FRONT_MATTER = {
    "feb30.md": "published: 2026-02-30",
    "year0.md": "published: 0000-01-01",
    "offset.md": "published: 2026-01-05T10:00:00+99:00",
    "url-int.md": "url: 12345",
    "url-list.md": "url: [https://a.example, https://b.example]",
    "title-map.md": "title: {a: 1}",
    "nested.md": "title: " + "[" * 3000 + "]" * 3000,
}


def test_bad_front_matter_costs_one_line_per_file_and_the_good_file_is_added(main, tmp_path):
    """Finding 5: each of these used to be a traceback that aborted the whole batch."""
    paths = []
    for name, header in BAD_FRONT_MATTER.items():
        path = tmp_path / name
        path.write_text(f"---\n{header}\n---\n{BODY}")
        paths.append(path)
    good = tmp_path / "good.md"
    good.write_text(f"---\ntitle: Good\n---\n{BODY}")
    code, out, err = main("add", "-q", *paths, good)
    assert code == 2
    errors = _errors(err)
    assert len(errors) == len(paths)
    for path in paths:
        assert sum(str(path) in e for e in errors) == 1, (path, errors)
    assert "1 added" in out


def test_bad_jsonl_fields_are_named_and_other_files_still_added(main, tmp_path):
    """Finding 5: a JSONL ``"url": 5`` and a lone surrogate are one error for their file, not a crash."""
    bulk = tmp_path / "bulk.jsonl"
    bulk.write_text(json.dumps({"text": BODY, "url": 5}) + "\n" + '{"text": "' + BODY + ' \\ud83d broken"}\n')
    good = tmp_path / "good.txt"
    good.write_text(BODY)
    code, out, err = main("add", "-q", bulk, good)
    assert code == 2
    [error] = _errors(err)
    assert str(bulk) in error and "line 1" in error and "line 2" in error and "surrogate" in error
    assert "1 added" in out


def test_one_bad_corpus_file_does_not_stop_ingest(main, corpus_dir):
    (corpus_dir / "broken.md").write_text(f"---\npublished: 2026-02-30\n---\n{BODY}")
    code, out, err = main("ingest", "-q")
    assert code == 2
    [error] = _errors(err)
    assert "broken.md" in error
    assert "4 added" in out


@pytest.mark.parametrize("url", ["file:///etc/passwd", "gopher://example.org/1", "ftp://example.org/a.txt",
                                 "dict://example.org:2628/d:word"])
def test_non_http_urls_are_refused_as_urls(main, url):
    """Finding 7: they were taken for file paths and the URL was mangled in the message."""
    code, _, err = main("add", "-q", url)
    assert code == 2
    [error] = _errors(err)
    assert url in error and "only http and https" in error


def test_a_data_dir_that_is_a_file_is_one_clear_line(main, settings, monkeypatch, tmp_path):
    """Finding 6: ``QA_BOT_DATA_DIR`` pointing at a file was a FileExistsError traceback."""
    target = tmp_path / "not-a-folder"
    target.write_text("x")
    monkeypatch.setattr(cli, "test_settings", settings.model_copy(update={"data_dir": target}), raising=False)
    code, _, err = main("list")
    assert code == 5
    [error] = _errors(err)
    assert str(target) in error and "QA_BOT_DATA_DIR" in error


@pytest.mark.parametrize("name", ["owner.lock", "owner.lock.owner", "write.lock", "write.lock.owner", "journal",
                                  "registry.sqlite3"])
def test_a_folder_in_place_of_a_data_file_is_one_clear_line_and_loses_nothing(main, settings, name):
    """Finding 6: a directory where qa-bot keeps a file was an IsADirectoryError traceback."""
    assert main("add", "-q", _note(settings))[0] == 0
    (settings.data_dir / name).unlink(missing_ok=True)
    (settings.data_dir / name).mkdir()
    code, _, err = main("add", "-q", _note(settings, "second"))
    assert code in (4, 5)
    [error] = _errors(err)
    assert name in error
    (settings.data_dir / name).rmdir()
    code, out, _ = main("list", "--json")
    assert code == 0 and any(a["title"] == "note" for a in json.loads(out))


def _note(settings, name: str = "note"):
    path = settings.data_dir.parent / f"{name}.md"
    path.write_text(f"---\ntitle: {name}\n---\n{BODY} ({name})")
    return path


def test_list_strips_bidirectional_and_zero_width_controls(main, tmp_path):
    """Finding 11: what a terminal shows is what is stored, without direction overrides."""
    doc = tmp_path / "bidi.md"
    doc.write_text(f"---\ntitle: \"Evil\u202etxt.exe \u200bname\"\noutlet: \"Desk\u2066\"\n---\n{BODY}")
    assert main("add", "-q", doc)[0] == 0
    code, out, _ = main("list")
    assert code == 0
    assert "\u202e" not in out and "\u200b" not in out and "\u2066" not in out and "Evil" in out


def _can_mount_tmpfs() -> bool:
    return os.geteuid() == 0 and shutil.which("mount") is not None


@pytest.fixture
def small_disk(tmp_path, corpus_dir):
    """A 24 MB tmpfs holding the data folder (root only), and ``qa(*args)`` running the console script on it."""
    mount = tmp_path / "small"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)]).returncode != 0:
        pytest.skip("mount -t tmpfs is not permitted here")
    env = dict(os.environ, QA_BOT_DATA_DIR=str(mount / "data"), QA_BOT_CORPUS_DIR=str(corpus_dir),
               QA_BOT_EMBED_MODEL="hashing", QA_BOT_READER="false")

    def qa(*args):
        done = subprocess.run([sys.executable, "-m", "qa_bot.cli", *args], env=env, capture_output=True,
                              text=True, timeout=300)
        assert "Traceback" not in done.stderr, done.stderr
        return done

    try:
        yield mount, qa
    finally:
        subprocess.run(["umount", "-l", str(mount)])


@pytest.mark.slow
@pytest.mark.skipif(not _can_mount_tmpfs(), reason="needs root to mount a small tmpfs")
def test_a_full_disk_is_one_line_and_loses_nothing(small_disk, tmp_path):
    """Finding 6: a full disk during ``add`` was a chromadb/sqlite traceback; with 0 bytes free even ``list``."""
    mount, qa = small_disk
    assert qa("ingest", "-q").returncode == 0
    before = json.loads(qa("list", "--json").stdout)
    filler = mount / "filler"
    subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=1M"], capture_output=True)
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(40):
        (docs / f"d{i}.txt").write_text(f"{BODY} Paragraph {i}. " * 60)
    full = qa("add", "-q", str(docs))
    assert full.returncode in (2, 5)
    assert len(_errors(full.stderr)) >= 1 and all(len(e) < 600 for e in _errors(full.stderr))
    listed = qa("list", "--json")
    assert listed.returncode in (0, 5)
    filler.unlink()
    after = qa("list", "--json")
    assert after.returncode == 0, after.stderr
    titles = {a["title"] for a in json.loads(after.stdout)}
    assert {a["title"] for a in before} <= titles
    assert qa("add", "-q", str(docs)).returncode == 0


def test_an_article_too_long_to_chunk_in_bounded_time_is_refused_and_the_rest_added(main, tmp_path):
    """Finding 4: a 5 MB one-line text ran for minutes under the write lock; now it is one line at once."""
    big = tmp_path / "one-line.txt"
    big.write_text("word " * 1_000_000)
    good = tmp_path / "good.txt"
    good.write_text(BODY)
    code, out, err = main("add", "-q", big, good)
    assert code == 2
    [error] = _errors(err)
    assert str(big) in error and "QA_BOT_MAX_ARTICLE_CHARS" in error
    assert "1 added" in out


@pytest.mark.slow
@pytest.mark.skipif(not _can_mount_tmpfs(), reason="needs root to mount a small tmpfs")
def test_a_read_only_data_folder_is_one_line_and_loses_nothing(small_disk, tmp_path):
    """Finding 6: a read-only data folder (a read-only mount: as root, permissions alone do not stop writes)."""
    mount, qa = small_disk
    assert qa("ingest", "-q").returncode == 0
    before = json.loads(qa("list", "--json").stdout)
    note = tmp_path / "note.txt"
    note.write_text(BODY)
    assert subprocess.run(["mount", "-o", "remount,ro", str(mount)]).returncode == 0
    for args in (("add", "-q", str(note)), ("list",), ("ask", "What did the leaders discuss?")):
        done = qa(*args)
        errors = _errors(done.stderr)
        assert done.returncode == 5 and len(errors) == 1 and str(mount / "data") in errors[0], (args, done.stderr)
    assert subprocess.run(["mount", "-o", "remount,rw", str(mount)]).returncode == 0
    assert json.loads(qa("list", "--json").stdout) == before
    assert qa("add", "-q", str(note)).returncode == 0
