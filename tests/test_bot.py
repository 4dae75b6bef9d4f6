"""QABot's asking half: cited answers, abstention, filters, streaming, the answerer choice, warm-up."""

import re
from datetime import date

import pytest

from qa_bot.answering import ABSTAIN_TEXT
from qa_bot.errors import InputError
from qa_bot.retrieval.filters import Filters


@pytest.fixture
def ingested(bot):
    result = bot.ingest()
    assert not result.errors and len(result.report.added) == 4
    return bot


def test_answer_quotes_are_exact_substrings_of_their_articles(ingested):
    answer = ingested.ask("What did Lee say about Taiwan?")
    assert not answer.abstained and answer.citations
    for c in answer.citations:
        article = ingested.article(c.article_id).article
        assert article.text[c.start:c.end] == c.quote
        assert f"[{c.n}]" in answer.text
    assert any("Taiwan" in c.quote for c in answer.citations)


def test_every_answer_sentence_carries_a_citation(ingested):
    answer = ingested.ask("How far did the missiles travel, according to the Joint Chiefs of Staff?")
    assert answer.sentences and all(s.citations for s in answer.sentences)
    assert "900 kilometres" in answer.text


def test_unrelated_question_abstains_and_shows_closest_passages(ingested):
    answer = ingested.ask("Which football club won the 1998 cup final in Glasgow?")
    assert answer.abstained and answer.text == ABSTAIN_TEXT
    assert answer.citations == () and answer.hits


def test_filters_restrict_retrieval_by_outlet_and_date(ingested):
    hits = ingested.search("summit business Taiwan lions missiles", k=10, filters=Filters(outlets=("Test Ledger",)))
    assert hits and {h.passage.outlet for h in hits} == {"Test Ledger"}
    hits = ingested.search("summit business Taiwan lions missiles", k=10,
                           filters=Filters(since=date(2026, 1, 5), until=date(2026, 1, 6)))
    assert hits and all("2026-01-05" <= h.passage.published <= "2026-01-06" for h in hits)


def test_empty_range_and_bad_k_and_huge_questions_are_refused(ingested):
    with pytest.raises(ValueError, match="date range is empty"):
        Filters(since=date(2026, 2, 1), until=date(2026, 1, 1))
    with pytest.raises(InputError, match="k must be between 1 and 50"):
        ingested.ask("Taiwan?", k=0)
    with pytest.raises(InputError, match="k must be between"):
        ingested.ask("Taiwan?", k=10_000)
    with pytest.raises(InputError, match="characters; the limit is"):
        ingested.ask("x" * 1_000_000)
    with pytest.raises(InputError, match="empty"):
        ingested.ask("   ")


def test_langchain_retriever_returns_documents_with_citation_metadata(ingested):
    from langchain_core.documents import Document

    docs = ingested.as_retriever(k=2).invoke("stone lions Xi'an")
    assert len(docs) == 2 and all(isinstance(d, Document) for d in docs)
    meta = docs[0].metadata
    assert meta["title"] == "Stone lions to travel to Xi'an"
    article = ingested.article(meta["article_id"]).article
    assert article.text[meta["start"]:meta["end"]] == docs[0].page_content


def test_stream_yields_pieces_that_join_to_the_answer(ingested):
    parts = list(ingested.stream("What did Lee say about Taiwan?"))
    *pieces, final = parts
    assert "".join(pieces) == final.text and len(pieces) > 3


def test_importing_the_package_loads_no_model_or_database():
    import subprocess
    import sys

    code = ("import sys, qa_bot; qa_bot.Settings; "
            "bad = [m for m in ('torch', 'sentence_transformers', 'chromadb') if m in sys.modules]; "
            "print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_citation_lookalikes_in_an_article_never_pass_for_citations(ingested):
    ingested.add_text("The harbour crane deal was signed in Qingdao [7] on Monday [Source: Reuters]. "
                      "Officials said the cranes arrive in spring [1][2].", title="Crane deal", outlet="Port Wire")
    answer = ingested.ask("Where was the harbour crane deal signed?")
    assert not answer.abstained
    markers = {int(m) for m in re.findall(r"\[(\d+)\]", answer.text)}
    assert markers == {c.n for c in answer.citations}  # only the answer's own markers
    assert "[Source:" not in answer.text and "［7］" in answer.text
    crane = next(c for c in answer.citations if "Qingdao" in c.quote)
    assert "[7]" in crane.quote  # the citation keeps the exact words


def test_uses_llm_follows_the_answerer_and_refuses_unknown_ones(bot):
    from qa_bot.errors import ConfigError

    assert not bot.uses_llm() and not bot.uses_llm("extractive")
    assert bot.uses_llm("openai:some-model") and bot.uses_llm("ollama:some-model")
    with pytest.raises(ConfigError, match="unknown answerer"):
        bot.uses_llm("gpt")


def test_warm_up_opens_the_index_and_loads_the_model(settings):
    from qa_bot.bot import QABot
    from tests.fakes import HashEmbedder

    class Recording(HashEmbedder):
        warmed = 0

        def warm_up(self):
            self.warmed += 1

    embedder = Recording()
    bot = QABot(settings, embedder=embedder)
    assert not embedder.warmed and not any(settings.data_dir.glob("**/*"))  # the constructor does neither
    try:
        bot.warm_up()
        assert embedder.warmed == 1 and any(settings.data_dir.glob("**/*"))
    finally:
        bot.close()
