"""End-to-end through the real ``qa-bot`` command and the packaged model (marked slow)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from tests.fakes import make_pdf

pytestmark = pytest.mark.slow


@pytest.fixture
def env(tmp_path, corpus_dir):
    e = dict(os.environ, QA_BOT_DATA_DIR=str(tmp_path / "data"), QA_BOT_CORPUS_DIR=str(corpus_dir),
             HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    return e


def qa(env, *args, check=True):
    done = subprocess.run([sys.executable, "-m", "qa_bot.cli", *args], env=env, capture_output=True, text=True,
                          timeout=600)
    if check and done.returncode != 0:
        raise AssertionError(f"qa-bot {' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done


def chunk_count(env) -> int:
    return sum(a["chunks"] for a in json.loads(qa(env, "list", "--json").stdout))


def test_taiwan_question_is_answered_with_exact_quotes(env):
    qa(env, "ingest")
    data = json.loads(qa(env, "ask", "What did Lee say about Taiwan?", "--json").stdout)
    assert not data["abstained"] and data["citations"]
    texts = {a["id"]: a for a in json.loads(qa(env, "list", "--json").stdout)}
    for c in data["citations"]:
        shown = qa(env, "show", c["article_id"]).stdout
        body = shown.split("\n\n", 1)[1].rstrip("\n")
        assert body[c["start"]:c["end"]] == c["quote"]
        assert c["article_id"] in texts
    assert any("Taiwan" in c["quote"] for c in data["citations"])
    assert data["citations"][0]["outlet"] == "Test Wire"


def test_add_folder_twice_remove_and_binary(env, tmp_path):
    qa(env, "ingest", "-q")
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.md").write_text("---\ntitle: Banquet\noutlet: Desk\n---\nThe state banquet followed the signing ceremony.")
    (folder / "b.txt").write_text("Panda loans\nBoth sides discussed lending more giant pandas to zoos.")
    shutil.copy(FIXTURES / "corpus" / "lions.html", folder / "c.html")
    (folder / "d.pdf").write_bytes(make_pdf(["The delegation flew on to Shanghai on Tuesday afternoon."], title="Shanghai"))
    first = json.loads(qa(env, "add", str(folder), "--json", "-q").stdout)
    assert len(first["added"]) == 3 and len(first["unchanged"]) == 1  # the HTML duplicates a corpus article
    second = json.loads(qa(env, "add", str(folder), "--json", "-q").stdout)
    assert second["chunks_written"] == 0 and second["added"] == []
    before = chunk_count(env)
    binary = tmp_path / "blob.md"
    binary.write_bytes(os.urandom(4096) + b"\x00")
    bad = qa(env, "add", str(binary), "-q", check=False)
    assert bad.returncode != 0
    assert bad.stderr.strip().count("\n") == 0 and str(binary) in bad.stderr
    assert chunk_count(env) == before
    pdf_id = next(a["id"] for a in json.loads(qa(env, "list", "--json").stdout) if a["title"] == "Shanghai")
    qa(env, "remove", pdf_id)
    assert chunk_count(env) == before - 1
    data = json.loads(qa(env, "ask", "When did the delegation fly to Shanghai?", "--json").stdout)
    assert all(c["article_id"] != pdf_id for c in data["citations"])
    assert all(p["article_id"] != pdf_id for p in data["passages"])


def test_bulk_jsonl_of_1000_articles_imports_once(env, tmp_path):
    outlets = ["Wire A", "Daily B", "Review C"]
    path = tmp_path / "bulk.jsonl"
    with path.open("w") as fh:
        for i in range(1000):
            fh.write(json.dumps({
                "title": f"Generated report {i}", "outlet": outlets[i % 3], "published": f"2026-01-{i % 28 + 1:02d}",
                "url": f"https://bulk.example.com/{i}",
                "text": f"Report {i} covers delegation meeting number {i} in city {i % 17}. "
                        f"Officials signed {i % 9 + 1} agreements and promised follow-up talks.",
            }) + "\n")
    first = qa(env, "add", str(path), "--json")
    assert "Embedding" in first.stderr  # the progress bar
    assert len(json.loads(first.stdout)["added"]) == 1000
    second = json.loads(qa(env, "add", str(path), "--json", "-q").stdout)
    assert second["added"] == [] and len(second["unchanged"]) == 1000 and second["chunks_written"] == 0


@pytest.mark.parametrize("damage", ["delete", "truncate"])
def test_damaged_index_is_rebuilt_instead_of_crashing(env, damage):
    qa(env, "ingest", "-q")
    chroma = Path(env["QA_BOT_DATA_DIR"]) / "chroma"
    if damage == "delete":
        shutil.rmtree(chroma)
    else:
        for f in chroma.rglob("*"):
            if f.is_file():
                f.write_bytes(f.read_bytes()[: len(f.read_bytes()) // 3])
    done = qa(env, "ask", "What did Lee say about Taiwan?", "--json")
    data = json.loads(done.stdout)
    assert data["citations"] and any("Taiwan" in c["quote"] for c in data["citations"])
    assert "rebuilt" in done.stderr or "repaired" in done.stderr


def test_deleting_the_whole_data_folder_rebuilds_from_the_corpus(env):
    qa(env, "ingest", "-q")
    shutil.rmtree(env["QA_BOT_DATA_DIR"])
    done = qa(env, "ask", "What did Lee say about Taiwan?", "--json")
    assert "building it from" in done.stderr
    assert json.loads(done.stdout)["citations"]
