"""A new user's command-line papercuts, through the console script's entry point: honest option suggestions,
no stray blank line, short ids asked to be longer, plain usage lines, where the index really is, and a
pasted article's byline."""

from __future__ import annotations

from datetime import date

from qa_bot import cli
from qa_bot.bot import QABot
from qa_bot.commands.usage import close_options
from qa_bot.storage.server import ServerAddress
from tests.fakes import HashEmbedder
from tests.test_cli_failures import main  # noqa: F401 (fixture)


def test_a_misspelled_option_suggests_only_the_option_it_is_a_typo_of(main):
    code, _, err = main("timeline", "--jsn")
    assert code == 2 and "No such option: --jsn" in err and "--json" in err and "--since" not in err
    code, _, err = main("ask", "What happened?", "--zzz")
    assert code == 2 and "No such option: --zzz" in err and "Possible" not in err
    assert close_options("--sinse", ["--since", "--json", "--until"]) == ["--since"]


def test_adding_a_missing_file_prints_its_error_first(main, tmp_path):
    code, out, err = main("add", tmp_path / "missing.md")
    assert code == 2 and err.splitlines()[0] == f"error: {tmp_path / 'missing.md'}: no such file"


def test_a_too_short_id_asks_for_four_characters(main):
    assert main("ingest", "-q")[0] == 0
    code, _, err = main("show", "ab")
    assert code == 3 and "'ab' is too short to pick an article" in err and "at least 4 characters" in err


def test_usage_lines_name_required_arguments_plainly(main):
    code, out, _ = main("ask", "--help")
    assert code == 0 and out.splitlines()[0].endswith(" ask [OPTIONS] QUESTION")
    assert "{" not in main("show", "--help")[1] and "INPUT..." in main("add", "--help")[1]


def test_status_says_when_the_app_serves_the_folder(main, settings, monkeypatch):
    def make_bot():  # the folder is open in the app, which serves its index: this command joined it
        bot = QABot(settings, embedder=HashEmbedder())
        opened = bot.open

        def open_joined(*args, **kwargs):
            recovery = opened(*args, **kwargs)
            bot.store.joined = ServerAddress("127.0.0.1", 8765, "secret")
            return recovery

        bot.open = open_joined
        return bot

    code, out, _ = main("status")
    assert code == 0 and "chroma:     embedded (" in out
    monkeypatch.setattr(cli, "make_bot", make_bot)
    code, out, _ = main("status")
    assert code == 0 and "chroma:     served at 127.0.0.1:8765 by the process that has this folder open" in out
    assert "secret" not in out


def test_show_of_a_pasted_article_has_no_dangling_separator_and_names_the_author(main, settings, monkeypatch):
    bot = QABot(settings, embedder=HashEmbedder())
    bot.open()
    result = bot.add_text("The harbour reopened on Thursday after the storm.", title="Harbour reopens",
                          outlet="Paste Post", published=date(2026, 1, 8), author="Mina Cho")
    article_id = result.articles[0].id
    bot.close()
    code, out, _ = main("show", article_id)
    assert code == 0 and out.splitlines()[1] == "Paste Post · 2026-01-08 · by Mina Cho"
