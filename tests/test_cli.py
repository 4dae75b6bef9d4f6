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
    web = settings.model_copy(update={"allow_hosts": "127.0.0.1"})
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


# --- qa-bot list / show / remove: ids that can be used as printed --------------------------------------------


def _add_jsonl(run, tmp_path, *records):
    bulk = tmp_path / "bulk.jsonl"
    bulk.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    result = run("add", str(bulk), "-q")
    assert result.exit_code == 0, result.output


def test_piped_list_prints_whole_ids_one_tab_separated_line_per_article(run):
    run("ingest", "-q")
    records = json.loads(run("list", "--json").stdout)
    lines = run("list").stdout.splitlines()  # CliRunner's stdout is not a terminal, as a pipe is not
    assert [line.split("\t") for line in lines] == [
        [r["id"], r["published"], r["outlet"], r["title"]] for r in records]
    assert all(len(r["id"]) == 16 and r["url"] is not None and "author" in r for r in records)
    first_id = lines[0].split("\t")[0]
    assert run("show", first_id).exit_code == 0


def test_list_keeps_ids_whole_at_a_narrow_terminal_and_cuts_titles_instead(run, monkeypatch, tmp_path):
    from rich.console import Console

    long_title = "A very long headline about ginseng exports that cannot fit in eighty columns at all, not even close"
    _add_jsonl(run, tmp_path, {"id": "ginseng-exports-2026", "title": long_title, "published": "2026-01-02",
                               "outlet": "The Long Outlet Name Weekly",
                               "text": "Korean ginseng exports rose by a third last year."})
    run("ingest", "-q")
    ids = [r["id"] for r in json.loads(run("list", "--json").stdout)]
    monkeypatch.setattr(cli, "_stdout_is_terminal", lambda: True)
    for columns in (80, 40):
        monkeypatch.setenv("COLUMNS", str(columns))
        monkeypatch.setattr(cli, "out", Console(soft_wrap=True, highlight=False))  # reads COLUMNS, as at a terminal
        result = run("list")
        assert result.exit_code == 0, result.output
        rows = result.stdout.splitlines()[1:-1]  # between the header and "N articles"
        assert [row.split()[0] for row in rows] == ids and result.stdout.rstrip().endswith(f"{len(ids)} articles")
        [row] = [row for row in rows if row.startswith("ginseng-exports-2026")]
        assert "A very long headline" in row and long_title not in row and "…" in row
        if columns == 80:
            assert max(len(line) for line in result.stdout.splitlines()) <= 80


def test_show_and_remove_take_a_unique_start_of_an_id(run):
    run("ingest", "-q")
    records = json.loads(run("list", "--json").stdout)
    target = records[0]
    shown = run("show", target["id"][:6])
    assert shown.exit_code == 0 and shown.stdout.startswith(target["title"])
    removed = run("remove", target["id"][:5])
    assert removed.exit_code == 0 and removed.stdout.startswith("Removed 1 article(s).")
    assert target["id"] not in [r["id"] for r in json.loads(run("list", "--json").stdout)]


def test_an_ambiguous_or_too_short_id_start_is_refused(run, tmp_path):
    text = "The banquet menu featured several courses and a dessert."
    _add_jsonl(run, tmp_path, {"id": "memo-alpha", "title": "Alpha memo", "text": text + " Alpha."},
               {"id": "memo-alpine", "title": "Alpine memo", "text": text + " Alpine."})
    for command in ("show", "remove"):
        result = run(command, "memo-alp")
        assert result.exit_code == 2, result.output
        first, *candidates = result.stderr.splitlines()
        assert first.startswith("error: id 'memo-alp' starts 2 article ids")
        assert sorted(line.split()[0] for line in candidates) == ["memo-alpha", "memo-alpine"]
        assert any("Alpine memo" in line for line in candidates)
    assert len(json.loads(run("list", "--json").stdout)) == 2  # the refused remove deleted nothing
    assert run("show", "memo-alph").stdout.startswith("Alpha memo")
    short = run("show", "mem")  # under 4 characters, an id start is not looked up: the user is asked for more
    assert short.exit_code == 3 and "'mem' is too short to pick an article" in short.stderr
    unknown = run("show", "zzzz")
    assert unknown.exit_code == 3 and "no article with id 'zzzz'" in unknown.stderr
    assert "qa-bot list" in short.stderr and "qa-bot list" in unknown.stderr


# --- help text ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("command", [[], ["ingest"], ["add"], ["remove"], ["list"], ["show"], ["ask"], ["eval"],
                                     ["reindex"], ["prepare"], ["status"], ["timeline"], ["said"], ["watch"],
                                     ["serve"]])
def test_help_has_no_type_tags_and_fits_80_columns(command):
    import re

    result = CliRunner().invoke(cli.app, [*command, "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    assert not re.search(r"<(bool|str|int|path|list\[str\])>", result.stdout), result.stdout
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    if not command:  # each command's summary is one line, not a paragraph broken where the source was
        listed = result.stdout.split("Commands:\n")[1].splitlines()
        assert len(listed) == 14 and all(re.match(r"  [a-z]+ +[A-Z]", line) and not line.endswith("...")
                                      for line in listed)


# --- add: no summary of nothing ------------------------------------------------------------------------------------


def test_add_prints_no_summary_when_every_input_failed(run, tmp_path):
    bad = tmp_path / "photo.txt"
    bad.write_bytes(bytes(range(256)) * 4)
    result = run("add", str(bad), str(tmp_path / "missing.md"), "-q")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len([line for line in result.stderr.splitlines() if line.startswith("error:")]) == 2
    note = tmp_path / "note.md"
    note.write_text("---\ntitle: Banquet note\n---\nThe banquet menu featured several courses.")
    result = run("add", str(bad), str(note), "-q")
    assert result.exit_code == 2 and result.stdout.startswith("1 added, 0 updated, 0 unchanged")


# --- eval: the run folder ----------------------------------------------------------------------------------------


def test_eval_writes_its_run_under_the_data_directory_and_says_where(monkeypatch, tmp_path, corpus_dir):
    from tests.conftest import FIXTURES

    monkeypatch.setattr(cli, "make_embedder", lambda: HashEmbedder())
    monkeypatch.setenv("QA_BOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("QA_BOT_CORPUS_DIR", str(corpus_dir))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # as when qa-bot is installed and run outside its checkout
    result = CliRunner().invoke(cli.app, ["eval", "--dataset", str(FIXTURES / "gold.jsonl"), "--limit", "2"])
    assert result.exit_code == 0, result.output
    [run_dir] = (tmp_path / "data" / "eval-runs").iterdir()
    assert {p.name for p in run_dir.iterdir()} == {"run.json", "summary.md", "report.html"}
    assert run_dir.name.endswith("-qa-bot-gold")
    assert f"wrote run.json, summary.md, report.html to {run_dir.resolve()}" in result.stderr
    assert list(elsewhere.iterdir()) == []


@pytest.mark.slow
def test_list_at_a_real_80_column_terminal_and_in_a_pipe(tmp_path, corpus_dir):
    """The installed command, its stdout a pseudo-terminal 80 columns wide, then a pipe."""
    import os
    import pty
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in {"FORCE_COLOR", "NO_COLOR"}}
    env.update(QA_BOT_DATA_DIR=str(tmp_path / "data"), QA_BOT_CORPUS_DIR=str(corpus_dir),
               QA_BOT_EMBED_MODEL="hashing", COLUMNS="80", TERM="dumb")
    qa_bot = [sys.executable, "-m", "qa_bot.cli"]
    subprocess.run([*qa_bot, "ingest", "-q"], env=env, check=True, capture_output=True, timeout=300)
    piped = subprocess.run([*qa_bot, "list"], env=env, check=True, capture_output=True, text=True, timeout=300)
    ids = [line.split("\t")[0] for line in piped.stdout.splitlines()]
    assert len(ids) == 4 and all(len(i) == 16 for i in ids)
    leader, follower = pty.openpty()
    with subprocess.Popen([*qa_bot, "list"], env=env, stdout=follower, stderr=subprocess.DEVNULL) as proc:
        os.close(follower)
        chunks = []
        while True:
            try:
                data = os.read(leader, 65536)
            except OSError:  # the pseudo-terminal closed: the command has finished
                break
            if not data:
                break
            chunks.append(data)
        assert proc.wait(timeout=300) == 0
    os.close(leader)
    shown = b"".join(chunks).decode().replace("\r\n", "\n")
    rows = shown.splitlines()
    assert rows[0].split()[:2] == ["id", "published"] and rows[-1] == "4 articles"
    assert [row.split()[0] for row in rows[1:-1]] == ids
    assert max(len(row) for row in rows) <= 80
