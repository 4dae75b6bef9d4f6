"""The LangChain boundary: hits as ``Document`` objects and a ``BaseRetriever`` over any search function.

LangChain is imported only when these are called, so ``import qa_bot`` stays cheap.
"""

from __future__ import annotations

from collections.abc import Callable

from qa_bot.models import Hit
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


def make_langchain_retriever(search: Callable[[str, int, Filters], list[Hit]], k: int = 5,
                             filters: Filters = Filters()):
    """A LangChain ``BaseRetriever`` over ``search(query, k, filters) -> list[Hit]``.

    Args:
        search: the retrieval to wrap (e.g. :meth:`qa_bot.bot.QABot.search`).
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
            return [hit_to_document(h) for h in search(query, self.k, self.filters)]

    return QABotRetriever(k=k, filters=filters)
