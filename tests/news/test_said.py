"""Who said what: statements attributed by full name (roles and "she added" resolved), merged across outlets, by topic."""

from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner

from qa_bot import cli
from qa_bot.bot import QABot
from qa_bot.errors import InputError
from qa_bot.news.said import speakers, statements, what_was_said
from tests.fakes import HashEmbedder

FIRST = ("Foreign Minister Ana Silva met reporters in Geneva on Monday. Silva said the harbour agreement would cut "
         "tariffs by half. She added that the fishing quotas were settled. Trade Minister Tomas Silva, her cousin, "
         "told reporters the talks had been difficult. The foreign minister said the next round would be held in Bern. "
         "Silva's stance on tariffs is firm.")
SECOND = ("Ana Silva said the harbour agreement would cut tariffs by half. Analysts said the deal was fragile, "
          "and analysts expect more talks. \"The text is final,\" said Ana Silva.")


@pytest.fixture
def story(bot):
    """Two outlets quoting Ana Silva; her namesake Tomas Silva speaks once."""
    for text, outlet, published in ((FIRST, "Outlet One", date(2026, 1, 6)), (SECOND, "Outlet Two", date(2026, 1, 7))):
        assert not bot.add_text(text, title=f"{outlet} report", outlet=outlet, published=published).errors
    return bot


def texts(result) -> list[str]:
    return [s.text for s in result.statements]


def test_only_the_named_person_s_statements_each_quoted_exactly(story):
    result = statements(story, "Ana Silva")
    assert result.people == ("Ana Silva",)
    said = texts(result)
    assert "Trade Minister Tomas Silva, her cousin, told reporters the talks had been difficult." not in said
    assert "She added that the fishing quotas were settled." in said  # continues Silva's remarks
    assert "The foreign minister said the next round would be held in Bern." in said  # the role is Ana Silva
    assert '"The text is final," said Ana Silva.' in said  # a direct quote, speaker after it
    assert not any("stance" in t or "Analysts" in t or "met reporters" in t for t in said)
    for s in result.statements:
        assert {s.speaker} == {"Ana Silva"}
        for c in s.citations:
            assert story.article(c.article_id).article.text[c.start:c.end] == c.quote
    kinds = {s.text: s.kind for s in result.statements}
    assert kinds['"The text is final," said Ana Silva.'] == "quote"
    assert kinds["She added that the fishing quotas were settled."] == "reported"


def test_the_namesake_is_found_by_his_own_full_name_and_a_surname_finds_both(story):
    assert texts(statements(story, "Tomas Silva")) == [
        "Trade Minister Tomas Silva, her cousin, told reporters the talks had been difficult."]
    assert statements(story, "Silva").people == ("Ana Silva", "Tomas Silva")
    assert statements(story, "Nobody Here").groups == ()


def test_one_statement_reported_by_two_outlets_is_shown_once_citing_both(story):
    harbour = [s for s in statements(story, "Ana Silva").statements if "harbour" in s.text]
    assert len(harbour) == 1
    assert [c.outlet for c in harbour[0].citations] == ["Outlet One", "Outlet Two"]  # the first report first
    assert [c.n for c in harbour[0].citations] == [1, 2]
    assert harbour[0].text == harbour[0].citations[0].quote


def test_a_topic_keeps_the_statements_about_it(story):
    result = statements(story, "Ana Silva", topic="the next round in Bern")
    assert texts(result) == ["The foreign minister said the next round would be held in Bern."]
    assert result.to_dict()["topic"] == "the next round in Bern"


def test_groups_are_labelled_by_their_content_words_not_names_or_speech_verbs(story):
    for group in statements(story, "Ana Silva").groups:
        words = group.label.split(", ")
        assert words and not {"silva", "ana", "said", "added"} & set(words)
    assert what_was_said("Kim said on Monday that the port will open.") == "on Monday that the port will open"


def test_the_speaker_list_counts_people_not_common_words(story):
    counts = dict(speakers(story))
    # statements, as the People page shows them: the harbour claim two outlets report counts once
    assert counts["Ana Silva"] == len(statements(story, "Ana Silva").statements) == 4 and counts["Tomas Silva"] == 1
    assert not any(name.lower().startswith("analyst") for name in counts)


def test_roles_resolve_within_their_article_and_others_words_about_a_role_do_not(bot):
    text = ("Presidential spokesperson Lina Park briefed reporters on Monday. \"The visit is on track,\" said the "
            "spokesperson. Critics argued the spokesperson should have said more. According to the spokesperson, "
            "the date is fixed.")
    assert not bot.add_text(text, title="Briefing", outlet="Outlet Three", published=date(2026, 1, 6)).errors
    assert texts(statements(bot, "Lina Park")) == ['"The visit is on track," said the spokesperson.',
                                                   "According to the spokesperson, the date is fixed."]
    assert "Critics" not in dict(speakers(bot))  # a plural noun opening a sentence is not a name


@pytest.mark.parametrize("speaker, message", [("  ", "empty"), ("the minister", "holds no name"),
                                              ("Kim " * 600, "characters")])
def test_unusable_names_are_one_line_errors(story, speaker, message):
    with pytest.raises(InputError, match=message):
        statements(story, speaker)


def test_to_dict_is_json_with_every_citation(story):
    data = json.loads(json.dumps(statements(story, "Ana Silva").to_dict()))
    assert data["speaker"] == "Ana Silva" and data["count"] == sum(len(g["statements"]) for g in data["groups"])
    cite = data["groups"][0]["statements"][0]["citations"][0]
    assert {"article_id", "outlet", "published", "title", "quote", "start", "end"} <= set(cite)


@pytest.fixture
def run(settings, monkeypatch):
    monkeypatch.setattr(cli, "make_bot", lambda: QABot(settings, embedder=HashEmbedder()))
    runner = CliRunner()
    return lambda *args: runner.invoke(cli.app, list(args))


def test_cli_said_prints_statements_lists_speakers_and_refuses_a_non_name(run, settings):
    assert run("ingest", "-q").exit_code == 0
    result = run("said", "Lee", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["people"] == ["Lee Jae Myung"] and data["count"] >= 2
    quotes = [c["quote"] for g in data["groups"] for s in g["statements"] for c in s["citations"]]
    assert any(q.startswith("Asked about Taiwan, Lee said") for q in quotes)
    shown = run("said", "Lee")
    assert shown.exit_code == 0 and "Asked about Taiwan, Lee said" in shown.stdout and "[1]" in shown.stdout
    listed = run("said", "--list")
    assert listed.exit_code == 0 and "Lee" in listed.stdout
    assert json.loads(run("said", "--json").stdout)[0]["count"] >= 2
    refused = run("said", "the")
    assert refused.exit_code == 2 and "holds no name" in refused.output and "Traceback" not in refused.output


@pytest.mark.slow
def test_on_the_bundled_corpus_wi_sung_lac_s_statements_are_his_and_quoted_exactly(tmp_path, real_embedder):
    from pathlib import Path

    from qa_bot.config import Settings

    corpus = Path(__file__).resolve().parents[2] / "corpus"
    bot = QABot(Settings(data_dir=tmp_path / "data", corpus_dir=corpus, lock_timeout_s=0.2), embedder=real_embedder)
    try:
        assert not bot.ingest().errors
        result = statements(bot, "Wi Sung-lac")
        assert result.people == ("Wi Sung-lac",) and len(result.statements) >= 5
        for s in result.statements:
            for c in s.citations:
                assert bot.article(c.article_id).article.text[c.start:c.end] == c.quote
                assert "Wi" in c.quote  # his name, or "Wi" continuing an article's "Wi Sung-lac"
        assert any(len({c.outlet for c in s.citations}) > 1 for s in result.statements)  # merged across outlets
        assert dict(speakers(bot))["Wi Sung-lac"] >= len(result.statements)
    finally:
        bot.close()


REWORDED = [("Outlet One", "Mara Quint said the ferry tariff would fall by half in March."),
            ("Outlet Two", "Mara Quint told reporters that ferry tariffs were going to be halved from March."),
            ("Outlet Three", "Mara Quint said the tariff on ferries would be cut by half from March, with no exemptions."),
            ("Outlet Four", "Mara Quint said the harbour pilots would strike in April over pay.")]


def test_one_claim_reworded_by_several_outlets_is_one_statement_and_the_picker_counts_statements(bot):
    for day, (outlet, text) in enumerate(REWORDED, 5):
        assert not bot.add_text(f"{text} Officials gave no more details.", title=f"{outlet} report", outlet=outlet,
                                published=date(2026, 1, day)).errors
    result = statements(bot, "Mara Quint")
    tariff = [s for s in result.statements if "ferr" in s.text]
    assert len(tariff) == 1 and [c.outlet for c in tariff[0].citations] == ["Outlet One", "Outlet Two", "Outlet Three"]
    assert any("strike" in s.text for s in result.statements)  # another claim stays its own statement
    assert dict(speakers(bot))["Mara Quint"] == len(result.statements) == 2
