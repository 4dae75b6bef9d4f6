"""LangChain users get the decide stage's ranking: the reader-ranked retriever and the ReaderCompressor.

Fast tests use the hashing embedder and a scripted reader that finds the answer spans it is told to;
the slow test runs the real embedder and the shipped span reader on the bundled corpus.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from langchain_core.documents import Document
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda, RunnablePassthrough

from qa_bot.bot import QABot
from qa_bot.config import Settings
from qa_bot.errors import InputError
from qa_bot.text.sentences import sentence_spans

from tests.fakes import ScriptedReader

ROOT = Path(__file__).resolve().parents[2]
ANSWER_KEYS = {"answer_sentence", "answer_start", "answer_end", "answer_span", "answer_score", "answers"}
CITATION_KEYS = {"chunk_id", "article_id", "title", "outlet", "url", "published", "start", "end", "score"}

ARTICLES = {
    "closure": ("Harbour bridge closure frustrates commuters",
                "The harbour bridge closed on Monday. Commuters crowded the harbour bridge ferries all week. "
                "The harbour bridge closure is the longest in years, and traffic on the harbour bridge detour is slow."),
    "works": ("Engineers inspect the bridge",
              "Engineers spent the week under the deck. Engineers expect the harbour bridge to reopen in March. "
              "The inspection found corroded cables."),
    "quotes": ("Council members on the bridge",
               "Okafor said the bridge repairs were overdue. Mensah said the bridge would reopen in March, "
               "weather permitting. The council meets again next week."),
    "market": ("Fish market moves indoors", "The fish market moved into the old depot. Stallholders welcomed the roof."),
}


class RecordingReader(ScriptedReader):
    """The scripted reader, remembering which questions it read."""

    @property
    def questions(self) -> list[str]:
        return [q for q, _ in self.calls]


def reader_for(*spans: str, score: float = 5.0) -> RecordingReader:
    """Each of ``spans`` is an answer wherever it occurs (margin ``score``); nothing else is."""
    return RecordingReader({s: score for s in spans}, no_answer=0.0)


@pytest.fixture
def reader_bot(tmp_path, embedder):
    corpus = tmp_path / "news"
    corpus.mkdir()
    for n, (name, (title, body)) in enumerate(ARTICLES.items(), start=1):
        (corpus / f"{name}.md").write_text(
            f"---\ntitle: {title}\noutlet: Test Wire\npublished: 2026-02-0{n}\n"
            f"url: https://testwire.example.com/{name}\n---\n\n{body}\n", encoding="utf-8")
    bot = QABot(Settings(data_dir=tmp_path / "data", corpus_dir=corpus, reader=True, lock_timeout_s=0.2),
                embedder=embedder)
    bot.answerer.reader = reader_for("reopen in March", "reopen in April", "reopen in May")
    bot.open()
    assert not bot.ingest().errors
    yield bot
    bot.close()


def assert_points_at_sentence(doc: Document, citations: bool = True) -> None:
    meta = doc.metadata
    assert ANSWER_KEYS | (CITATION_KEYS if citations else set()) <= set(meta)
    if meta["answer_sentence"]:
        assert doc.page_content[meta["answer_start"]:meta["answer_end"]] == meta["answer_sentence"]
        assert meta["answer_span"] in meta["answer_sentence"]
    else:  # the reader found no answer span in this passage
        assert meta["answer_start"] is None and meta["answer_end"] is None and not meta["answers"]
    assert 0.0 <= meta["answer_score"] <= 1.0 and isinstance(meta["answers"], bool)


def test_lcel_chain_gets_reader_ranked_documents_with_answer_metadata(reader_bot):
    seen: list[list[Document]] = []
    prompts: list[str] = []

    def format_docs(docs: list[Document]) -> str:
        seen.append(docs)
        return "\n\n".join(f"[{i}] {d.metadata['answer_sentence']}" for i, d in enumerate(docs, start=1))

    def record_prompt(value):
        prompts.append(value.to_string())
        return value

    prompt = ChatPromptTemplate.from_messages([("system", "Answer from these passages:\n{context}"),
                                               ("human", "{question}")])
    model = FakeListChatModel(responses=["In March [1]."])
    chain = ({"context": reader_bot.as_retriever(k=3) | RunnableLambda(format_docs), "question": RunnablePassthrough()}
             | prompt | RunnableLambda(record_prompt) | model | StrOutputParser())

    assert chain.invoke("When will the harbour bridge reopen?") == "In March [1]."
    (docs,) = seen
    assert len(docs) == 3
    for doc in docs:
        assert_points_at_sentence(doc)
    scores = [d.metadata["answer_score"] for d in docs]
    assert scores == sorted(scores, reverse=True)
    assert docs[0].metadata["title"] == "Engineers inspect the bridge"
    assert docs[0].metadata["answer_sentence"] == "Engineers expect the harbour bridge to reopen in March."
    assert docs[0].metadata["answers"] and not docs[-1].metadata["answers"]
    assert "[1] Engineers expect the harbour bridge to reopen in March." in prompts[0]
    # The reader read the question the chain was invoked with.
    assert reader_bot.answerer.reader.questions == ["When will the harbour bridge reopen?"]


def test_hybrid_rank_keeps_the_plain_retrieval(reader_bot):
    question = "When will the harbour bridge reopen?"
    plain = reader_bot.as_retriever(k=3, rank="hybrid").invoke(question)
    assert [d.id for d in plain] == [h.passage.chunk_id for h in reader_bot.search(question, 3)]
    assert plain[0].metadata["title"] == "Harbour bridge closure frustrates commuters"  # on topic, answers nothing
    assert all(set(d.metadata) == CITATION_KEYS for d in plain)
    assert reader_bot.answerer.reader.questions == []


def test_what_did_x_say_ranks_x_speaking_first(reader_bot):
    reader_bot.answerer.reader = reader_for("the bridge would reopen in March", score=5.0)
    reader_bot.answerer.reader.spans["the bridge repairs were overdue"] = -1.0
    question = "What did Okafor say about the bridge?"
    # By the reader alone Mensah's words come first, but the question asks for Okafor's words.
    docs = reader_bot.as_retriever(k=3).invoke(question)
    assert docs[0].metadata["answer_sentence"] == "Okafor said the bridge repairs were overdue."
    assert docs[0].metadata["answer_span"] == "the bridge repairs were overdue"
    assert_points_at_sentence(docs[0])
    assert not any(d.metadata["answers"] for d in docs[1:])  # nobody else's words answer "what did Okafor say"


def test_unknown_rank_is_a_one_line_error(reader_bot):
    with pytest.raises(InputError, match="unknown rank 'best'.*'reader'.*'hybrid'"):
        reader_bot.as_retriever(rank="best")


def test_compressor_reranks_any_documents_and_keeps_their_metadata(reader_bot):
    docs = [
        Document("The harbour bridge is old. The harbour bridge is busy.", metadata={"source": "a"}),
        Document("Crews cleaned the deck. The city says the harbour bridge will reopen in April.",
                 metadata={"source": "b"}),
        Document("Ferries ran every ten minutes.", metadata={"source": "c"}),
    ]
    out = reader_bot.as_compressor().compress_documents(docs, "When will the harbour bridge reopen?")
    assert [d.metadata["source"] for d in out][0] == "b" and len(out) == 3
    assert out[0].metadata["answer_sentence"] == "The city says the harbour bridge will reopen in April."
    for doc in out:
        assert_points_at_sentence(doc, citations=False)
    scores = [d.metadata["answer_score"] for d in out]
    assert scores == sorted(scores, reverse=True)
    assert docs[1].metadata == {"source": "b"}  # the inputs are left alone

    kept = reader_bot.as_compressor(top_n=1).compress_documents(docs, "When will the harbour bridge reopen?")
    assert [d.metadata["source"] for d in kept] == ["b"]
    threshold = (scores[0] + scores[1]) / 2
    strict = reader_bot.as_compressor(min_score=threshold).compress_documents(docs, "When will the harbour bridge reopen?")
    assert [d.metadata["source"] for d in strict] == ["b"]


def test_compressor_in_an_lcel_composition_over_the_plain_retriever(reader_bot):
    from qa_bot.answering.langchain import ReaderCompressor

    compressor = ReaderCompressor(reader_bot, top_n=2)
    chain = ({"docs": reader_bot.as_retriever(k=4, rank="hybrid"), "query": RunnablePassthrough()}
             | RunnableLambda(lambda x: compressor.compress_documents(x["docs"], x["query"])))
    docs = chain.invoke("When will the harbour bridge reopen?")
    assert len(docs) == 2
    assert "reopen in March" in docs[0].metadata["answer_sentence"]
    assert CITATION_KEYS | ANSWER_KEYS <= set(docs[0].metadata)  # the retriever's citation metadata survives
    article = reader_bot.article(docs[0].metadata["article_id"]).article
    meta = docs[0].metadata
    assert article.text[meta["start"] + meta["answer_start"]:meta["start"] + meta["answer_end"]] == meta["answer_sentence"]


@pytest.mark.parametrize("kwargs, message", [({"top_n": 0}, "top_n must be at least 1"),
                                             ({"min_score": 1.5}, "min_score must be between 0 and 1")])
def test_compressor_rejects_bad_arguments(reader_bot, kwargs, message):
    with pytest.raises(ValueError, match=message):
        reader_bot.as_compressor(**kwargs)


def test_compressor_needs_a_query_and_accepts_no_documents(reader_bot):
    compressor = reader_bot.as_compressor()
    assert compressor.compress_documents([], "When will it reopen?") == []
    with pytest.raises(InputError, match="query is empty"):
        compressor.compress_documents([Document("Some text.")], "  ")


def test_the_passages_flagged_as_answering_are_those_whose_sentence_the_answer_quotes(reader_bot):
    question = "When will the harbour bridge reopen?"
    answer = reader_bot.ask(question)
    assert not answer.abstained
    quoted = {c.quote for c in answer.citations}
    docs = reader_bot.as_retriever(k=4).invoke(question)
    flagged = {d.metadata["answer_sentence"] for d in docs if d.metadata["answers"]}
    assert quoted and quoted <= flagged
    assert all(d.metadata["answer_score"] < min(dd.metadata["answer_score"] for dd in docs if dd.metadata["answers"])
               for d in docs if not d.metadata["answers"])


# --- the real reader on the bundled corpus ---------------------------------------------------------

SPEECH = re.compile(r"\b(said|says|told|telling|stressed|added)\b|\bspeaking of\b")


def lee_speaks_about_taiwan(doc: Document) -> bool:
    """Some sentence of the passage has Lee speaking (a speech verb), and it or the sentence before it names Taiwan
    ("On Taiwan, Lee's message stayed the same. Reports said Lee affirmed ..." reports Lee on Taiwan)."""
    text = doc.page_content
    sents = [text[a:b] for a, b in sentence_spans(text)]
    return any("Lee" in s and SPEECH.search(s) and ("Taiwan" in s or (i > 0 and "Taiwan" in sents[i - 1]))
               for i, s in enumerate(sents))


@pytest.mark.slow
def test_reader_ranking_finds_lee_on_taiwan_where_the_hybrid_top_three_does_not(tmp_path, real_embedder):
    settings = Settings(data_dir=tmp_path / "data", corpus_dir=ROOT / "corpus", reader=True)
    bot = QABot(settings, embedder=real_embedder)
    try:
        bot.open()
        assert not bot.ingest().errors
        question = "What did Lee say about Taiwan?"
        plain = bot.as_retriever(k=3, rank="hybrid").invoke(question)
        ranked = bot.as_retriever(k=3).invoke(question)
        assert not any(lee_speaks_about_taiwan(d) for d in plain)
        assert lee_speaks_about_taiwan(ranked[0])
        top = ranked[0].metadata
        assert "Lee" in top["answer_sentence"] and top["answers"]
        for doc in ranked:
            assert_points_at_sentence(doc)
    finally:
        bot.close()
