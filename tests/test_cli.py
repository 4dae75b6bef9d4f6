import json

import pytest
from typer.testing import CliRunner

from qa_bot import cli
from qa_bot.bot import QABot

from tests.fakes import HashEmbedder


@pytest.fixture
def run(settings, monkeypatch):
    """Invoke the CLI with the fake embedder and the fixture corpus."""
    monkeypatch.setattr(cli, "make_bot", lambda: QABot(settings, embedder=HashEmbedder()))
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(cli.app, list(args))

    return invoke


def test_ingest_then_ask_json_has_the_documented_shape(run, settings):
    result = run("ingest", "-q")
    assert result.exit_code == 0, result.output
    assert "4 added" in result.output
    result = run("ask", "What did Lee say about Taiwan?", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"answer", "abstained", "citations", "passages", "timings_ms"} <= set(data)
    assert data["citations"]
    for c in data["citations"]:
        assert {"n", "article_id", "title", "outlet", "published", "url", "quote", "start", "end"} <= set(c)


def test_ask_on_an_empty_index_builds_it_first(run):
    result = run("ask", "What did Lee say about Taiwan?")
    assert result.exit_code == 0, result.output
    assert "building it from" in result.output and "Taiwan" in result.output


def test_add_binary_file_fails_with_one_line_naming_it_and_changes_nothing(run, tmp_path):
    run("ingest", "-q")
    before = json.loads(run("list", "--json").stdout)
    bad = tmp_path / "photo.txt"
    bad.write_bytes(bytes(range(256)) * 4)
    result = run("add", str(bad), "-q")
    assert result.exit_code == 2
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and str(bad) in errors[0] and "binary" in errors[0]
    assert json.loads(run("list", "--json").stdout) == before


def test_add_remove_and_list(run, tmp_path):
    doc = tmp_path / "note.md"
    doc.write_text("---\ntitle: Banquet note\noutlet: Desk\n---\nThe banquet menu featured several courses.")
    assert run("add", str(doc), "-q").exit_code == 0
    listed = json.loads(run("list", "--json").stdout)
    [entry] = [a for a in listed if a["title"] == "Banquet note"]
    assert entry["chunks"] == 1 and entry["origin"] == "added"
    assert run("remove", entry["id"]).exit_code == 0
    assert all(a["id"] != entry["id"] for a in json.loads(run("list", "--json").stdout))
    result = run("remove", "does-not-exist")
    assert result.exit_code == 3 and "qa-bot list" in result.stderr


def test_ask_rejects_bad_dates_and_k(run):
    run("ingest", "-q")
    assert run("ask", "Taiwan?", "--since", "yesterday").exit_code == 2
    result = run("ask", "Taiwan?", "-k", "0")
    assert result.exit_code == 2 and "k must be between" in result.stderr


def test_ask_filters_by_outlet(run):
    run("ingest", "-q")
    data = json.loads(run("ask", "business forum executives", "--json", "--outlet", "Test Ledger").stdout)
    assert data["passages"] and {p["outlet"] for p in data["passages"]} == {"Test Ledger"}


def test_empty_environment_settings_mean_the_defaults(monkeypatch):
    """``QA_BOT_EMBED_MODEL= qa-bot ...`` (an empty variable) keeps the default, as an unset one would."""
    from qa_bot.config import PACKAGED_MODEL, Settings

    monkeypatch.setenv("QA_BOT_EMBED_MODEL", "")
    monkeypatch.setenv("QA_BOT_CHROMA_HOST", "")
    settings = Settings()
    assert settings.embed_model == PACKAGED_MODEL and settings.chroma_host is None
    monkeypatch.setenv("QA_BOT_EMBED_MODEL", "hashing")
    assert Settings().embed_model == "hashing"


def test_ask_reads_the_question_from_standard_input(run):
    assert run("ingest", "-q").exit_code == 0
    result = CliRunner().invoke(cli.app, ["ask", "-", "--json"], input="What did Lee say about Taiwan?\n")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["question"].strip() == "What did Lee say about Taiwan?"


def test_add_takes_files_and_urls_together_and_reports_each_refused_one(run, settings, monkeypatch, tmp_path):
    from tests.servers import PageServer

    page = b"<html><head><title>Ginseng exports rise</title></head><body><p>Korean ginseng exports rose by a third.</p>"
    web = settings.model_copy(update={"allow_private_urls": True})
    monkeypatch.setattr(cli, "make_bot", lambda: QABot(web, embedder=HashEmbedder()))
    note = tmp_path / "note.md"
    note.write_text("---\ntitle: Banquet note\n---\nThe banquet menu featured several courses.")
    with PageServer({"/ginseng": (200, {"Content-Type": "text/html"}, page)}) as server:
        result = run("add", server.url("/ginseng"), str(note), server.url("/gone"), "--json", "-q")
    assert result.exit_code == 2
    data = json.loads(result.stdout)
    assert len(data["added"]) == 2 and data["chunks_written"] == 2 and data["index"]["articles"] == 2
    [error] = data["errors"]
    assert error.startswith(server.url("/gone")) and "HTTP 404" in error
    assert [line for line in result.stderr.splitlines() if line.startswith("error:")] == [f"error: {error}"]


def test_remove_takes_several_ids_and_removes_none_when_one_is_unknown(run):
    run("ingest", "-q")
    ids = [a["id"] for a in json.loads(run("list", "--json").stdout)][:2]
    result = run("remove", ids[0], "no-such-id")
    assert result.exit_code == 3 and "'no-such-id'" in result.stderr
    assert len(json.loads(run("list", "--json").stdout)) == 4
    result = run("remove", *ids)
    assert result.exit_code == 0 and result.stdout.startswith("Removed 2 article(s). Index: 2 chunks.")


def test_ask_builds_the_index_only_while_it_is_empty(run):
    assert "building it from" in run("ask", "What did Lee say about Taiwan?").stderr
    again = run("ask", "What did Lee say about Taiwan?")
    assert again.exit_code == 0 and "building it from" not in again.stderr and "Taiwan" in again.stdout


def test_eval_refuses_a_bad_option_before_running(run, monkeypatch):
    def no_model():
        raise AssertionError("the eval must not start")

    monkeypatch.setattr(cli, "make_embedder", no_model)
    result = run("eval", "--ablate", "hybrid,telepathy")
    assert result.exit_code == 2 and result.stderr.startswith("error: --ablate: ") and "telepathy" in result.stderr
    result = run("eval", "--llm", "gpt")
    assert result.exit_code == 2 and result.stderr.startswith("error: --llm: ")
