"""The LangChain boundary of retrieval: passages as ``Document`` objects and back, and a ``BaseRetriever``
over any search function. The reader-ranked retriever and compressor, which need the answerer, are in
:mod:`qa_bot.answering.langchain`.

LangChain is imported only when these are called, so ``import qa_bot`` stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from qa_bot.models import Hit, Passage
from qa_bot.retrieval.filters import Filters


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


def make_langchain_retriever(search: Callable[[str, int, Filters], Sequence], k: int = 5,
                             filters: Filters = Filters(), to_document: Callable = hit_to_document):
    """A LangChain ``BaseRetriever`` over ``search(query, k, filters)``.

    Args:
        search: the retrieval to wrap, returning hits (e.g. :meth:`qa_bot.bot.QABot.search`) or
            anything ``to_document`` turns into a ``Document``.
        k: passages per query.
        filters: restrictions applied to every query.
        to_document: turns one search result into a ``Document`` (:func:`hit_to_document` by default).

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
            return [to_document(item) for item in search(query, self.k, self.filters)]

    return QABotRetriever(k=k, filters=filters)


def document_to_hit(doc, position: int) -> Hit:
    """A retrieved passage for any LangChain ``Document``, so that the answerer can read it.

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
