"""The LangChain boundary: passages as ``Document`` objects, a ``BaseRetriever`` over any search function,
and the answerer's reader ranking as a ``BaseDocumentCompressor`` that re-ranks any retriever's documents.

LangChain is imported only when these are called (``ReaderCompressor`` is built on first access), so
``import qa_bot`` stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

from qa_bot.answering.extractive import ExtractiveAnswerer
from qa_bot.errors import InputError
from qa_bot.models import Hit, Passage
from qa_bot.retrieval.filters import Filters
from qa_bot.retrieval.reranking import RankedPassage, rank_passages


def hit_to_document(hit: Hit):
    """A LangChain ``Document`` carrying the passage text and all its citation metadata.

    The metadata holds ``chunk_id``, ``article_id``, ``title``, ``outlet``, ``url``, ``published``,
    the ``start``/``end`` offsets into the article, and the retrieval ``score``.
    """
    from langchain_core.documents import Document

    p = hit.passage
    return Document(
        page_content=p.text,
        id=p.chunk_id,
        metadata={
            "chunk_id": p.chunk_id, "article_id": p.article_id, "title": p.title, "outlet": p.outlet,
            "url": p.url, "published": p.published, "start": p.start, "end": p.end, "score": hit.score,
        },
    )


def answer_metadata(ranked: RankedPassage) -> dict:
    """The reader ranking's metadata for one passage.

    ``answer_sentence`` (the passage's best sentence, "" when it has none), ``answer_start`` and
    ``answer_end`` (that sentence's character offsets in the passage text, None without one),
    ``answer_score`` (the answerer's probability that the sentence answers the question, the learned
    reader's probability its strongest signal) and ``answers`` (that probability, and the question's,
    reach the answerer's support threshold; see :class:`~qa_bot.retrieval.reranking.RankedPassage`).
    """
    span = ranked.span
    return {"answer_sentence": ranked.sentence.text if ranked.sentence else "",
            "answer_start": span[0] if span else None, "answer_end": span[1] if span else None,
            "answer_score": ranked.score, "answers": ranked.answers}


def ranked_to_document(ranked: RankedPassage):
    """:func:`hit_to_document` for a reader-ranked passage, plus :func:`answer_metadata`."""
    doc = hit_to_document(ranked.hit)
    doc.metadata.update(answer_metadata(ranked))
    return doc


def make_langchain_retriever(search: Callable[[str, int, Filters], Sequence[Hit | RankedPassage]], k: int = 5,
                             filters: Filters = Filters()):
    """A LangChain ``BaseRetriever`` over ``search(query, k, filters)``.

    Args:
        search: the retrieval to wrap, returning hits (e.g. :meth:`qa_bot.bot.QABot.search`) or
            reader-ranked passages (their documents then carry :func:`answer_metadata` too).
        k: passages per query.
        filters: restrictions applied to every query.

    Example:
        ``bot.as_retriever(k=4).invoke("What did the minister say about the budget?")`` returns
        ``Document`` objects (see :func:`hit_to_document`).
    """
    from langchain_core.callbacks import CallbackManagerForRetrieverRun
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever
    from pydantic import ConfigDict

    class QABotRetriever(BaseRetriever):
        """qa-bot retrieval as a LangChain retriever; metadata carries outlet, title, date and offsets."""

        model_config = ConfigDict(arbitrary_types_allowed=True)
        k: int = 5
        filters: Filters = Filters()

        def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[Document]:
            return [ranked_to_document(item) if isinstance(item, RankedPassage) else hit_to_document(item)
                    for item in search(query, self.k, self.filters)]

    return QABotRetriever(k=k, filters=filters)


def document_to_hit(doc, position: int) -> Hit:
    """A retrieved passage for any LangChain ``Document``, so that the answerer can score its sentences.

    The citation metadata of :func:`hit_to_document` is used where present. A document from elsewhere
    is its own article (offsets from 0); its place in the input list counts as its retrieval rank.
    """
    meta = doc.metadata or {}
    text = doc.page_content or ""
    article_id = str(meta.get("article_id") or doc.id or f"document-{position + 1}")
    start = meta.get("start") if meta.get("article_id") and isinstance(meta.get("start"), int) else 0
    score = meta.get("score")
    passage = Passage(chunk_id=str(meta.get("chunk_id") or doc.id or f"{article_id}:{position}"),
                      article_id=article_id, text=text, start=start, end=start + len(text),
                      title=str(meta.get("title") or ""), outlet=str(meta.get("outlet") or ""),
                      url=str(meta.get("url") or ""), published=str(meta.get("published") or ""))
    return Hit(passage, float(score) if isinstance(score, (int, float)) else 0.0, rank=position + 1)


def rerank_documents(answerer: ExtractiveAnswerer, documents: Sequence, query: str, *, top_n: int | None = None,
                     min_score: float | None = None) -> list:
    """``documents`` re-ranked by their best answering sentence for ``query``, with :func:`answer_metadata` added.

    Args:
        answerer: scores the sentences (see :func:`~qa_bot.retrieval.reranking.rank_passages`).
        documents: LangChain ``Document`` objects from any retriever; they are not modified.
        query: the question.
        top_n: keep at most this many (all when None).
        min_score: drop documents whose best sentence scores below this (keep all when None).

    Raises:
        InputError: an empty query.
    """
    from langchain_core.documents import Document

    if not query or not query.strip():
        raise InputError("the query is empty; pass the question the documents should answer")
    docs = list(documents)
    hits = [document_to_hit(d, i) for i, d in enumerate(docs)]
    by_hit = {id(h): d for h, d in zip(hits, docs)}
    out = []
    for ranked in rank_passages(answerer, query, hits):
        if min_score is not None and ranked.score < min_score:
            continue
        doc = by_hit[id(ranked.hit)]
        out.append(Document(page_content=doc.page_content, id=doc.id,
                            metadata={**(doc.metadata or {}), **answer_metadata(ranked)}))
    return out[:top_n] if top_n is not None else out


def __getattr__(name: str):
    """``ReaderCompressor`` on first access (it subclasses a LangChain class, which is imported then)."""
    if name == "ReaderCompressor":
        return reader_compressor_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@lru_cache(maxsize=1)
def reader_compressor_class() -> type:
    """The ``ReaderCompressor`` class: the answerer's reader ranking as a LangChain ``BaseDocumentCompressor``."""
    from langchain_core.documents import BaseDocumentCompressor
    from pydantic import ConfigDict, field_validator

    class ReaderCompressor(BaseDocumentCompressor):
        """Re-ranks any retriever's documents by the sentence of each that best answers the query.

        ``ReaderCompressor(bot)`` (or ``bot.as_compressor()``) scores every sentence of every document
        with the bot's extractive answerer — its learned reader and fitted sentence model, as
        ``qa-bot ask`` scores them — orders the documents by their best sentence and adds
        ``answer_sentence``, ``answer_start``, ``answer_end``, ``answer_score`` and ``answers`` to
        each one's metadata (see :func:`answer_metadata`).

        Args:
            bot: a :class:`~qa_bot.bot.QABot` (its answerer is used) or an ``ExtractiveAnswerer``.
            top_n: keep at most this many documents (all when None).
            min_score: drop documents whose best sentence scores below this, 0-1 (keep all when None).

        Raises:
            ValueError: ``top_n`` below 1 or ``min_score`` outside 0-1.
        """

        model_config = ConfigDict(arbitrary_types_allowed=True)
        answerer: ExtractiveAnswerer
        top_n: int | None = None
        min_score: float | None = None

        def __init__(self, bot=None, /, **data) -> None:
            if bot is not None:
                data["answerer"] = getattr(bot, "answerer", bot)
            super().__init__(**data)

        @field_validator("top_n")
        @classmethod
        def _check_top_n(cls, value: int | None) -> int | None:
            if value is not None and value < 1:
                raise ValueError("top_n must be at least 1")
            return value

        @field_validator("min_score")
        @classmethod
        def _check_min_score(cls, value: float | None) -> float | None:
            if value is not None and not 0.0 <= value <= 1.0:
                raise ValueError("min_score must be between 0 and 1")
            return value

        def compress_documents(self, documents: Sequence, query: str, callbacks=None) -> Sequence:
            """``documents`` ordered by best answering sentence for ``query``, filtered by ``min_score``, cut to ``top_n``."""
            return rerank_documents(self.answerer, documents, query, top_n=self.top_n, min_score=self.min_score)

    return ReaderCompressor
