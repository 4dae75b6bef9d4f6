"""Every question the chat page suggests is answered, with citations, by the bundled corpus (slow: the real
model and answerer, as the app runs them)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from qa_bot.bot import QABot
from qa_bot.config import Settings

ROOT = Path(__file__).resolve().parents[2]


def suggested_questions() -> tuple[str, ...]:
    """The chat page's ``EXAMPLES``, read from its source (importing a page runs it)."""
    tree = ast.parse((ROOT / "app_pages" / "chat.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "EXAMPLES" for t in node.targets):
            return tuple(ast.literal_eval(node.value))
    raise AssertionError("app_pages/chat.py defines no EXAMPLES")


def test_the_page_suggests_some_questions():
    assert len(suggested_questions()) >= 3


@pytest.mark.slow
def test_every_suggested_question_answers_with_a_citation_on_the_bundled_corpus(tmp_path, monkeypatch,
                                                                                real_embedder):
    monkeypatch.delenv("QA_BOT_READER", raising=False)  # the answerer as the app configures it
    bot = QABot(Settings(data_dir=tmp_path / "data", corpus_dir=ROOT / "corpus"), embedder=real_embedder)
    bot.open()
    try:
        assert not bot.ingest().errors
        unanswered = {}
        for question in suggested_questions():
            answer = bot.ask(question)
            if answer.abstained or not answer.citations:
                unanswered[question] = answer.text
        assert not unanswered, f"suggested questions the bundled corpus does not answer: {unanswered}"
    finally:
        bot.close()
