"""The answerer at the LangChain boundary: passages ranked by the decide stage, as ``Document`` objects.

``QABot.as_retriever()`` returns the passages the decide stage ranks first for a question, and
``ReaderCompressor`` re-ranks any retriever's documents the same way; both add what the decision
says about each passage to its metadata (:func:`answer_metadata`). The ranking is the decide
stage's own (:attr:`qa_bot.answering.decide.Decision.passages`): nothing here scores anything.

LangChain is imported only when these are called (``ReaderCompressor`` is built on first access).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from qa_bot.answering.decide import PassageVerdict
from qa_bot.answering.extractive import ExtractiveAnswerer, PreparedQuestion
from qa_bot.errors import InputError
from qa_bot.retrieval.langchain import document_to_hit, hit_to_document
from qa_bot.understanding.analysis import analyse
from qa_bot.understanding.condense import Condensed


def answer_metadata(verdict: PassageVerdict) -> dict:
    """What the decision says about one passage.

    ``answer_sentence`` (the sentence holding the passage's best answer span, "" when it has none),
    ``answer_start``/``answer_end`` (that sentence's offsets in the passage text; None when it has
    none or it reaches outside the passage), ``answer_span`` (the span itself), ``answer_score`` (the
    calibrated probability that the span answers the question) and ``answers`` (the answer quotes it).
    """
    best, p = verdict.best, verdict.hit.passage
    inside = best is not None and p.start <= best.sentence.start and best.sentence.end <= p.end
    return {"answer_sentence": best.sentence.text if best else "",
            "answer_start": best.sentence.start - p.start if inside else None,
            "answer_end": best.sentence.end - p.start if inside else None,
            "answer_span": best.text if best else "",
            "answer_score": round(verdict.score, 4), "answers": verdict.answers}


def verdict_to_document(verdict: PassageVerdict):
    """:func:`~qa_bot.retrieval.langchain.hit_to_document` for a judged passage, plus :func:`answer_metadata`."""
    doc = hit_to_document(verdict.hit)
    doc.metadata.update(answer_metadata(verdict))
    return doc


def rank_documents(answerer: ExtractiveAnswerer, documents: Sequence, query: str, *, top_n: int | None = None,
                   min_score: float | None = None) -> list:
    """``documents`` in the decide stage's order for ``query``, with :func:`answer_metadata` added.

    Args:
        answerer: reads and decides (as ``qa-bot ask`` does).
        documents: LangChain ``Document`` objects from any retriever; they are not modified.
        query: the question.
        top_n: keep at most this many (all when None).
        min_score: drop documents whose best span scores below this (keep all when None).

    Raises:
        InputError: an empty query.
    """
    from langchain_core.documents import Document

    if not query or not query.strip():
        raise InputError("the query is empty; pass the question the documents should answer")
    docs = list(documents)
    if not docs:
        return []
    hits = [document_to_hit(d, i) for i, d in enumerate(docs)]
    by_chunk = {h.passage.chunk_id: d for h, d in zip(hits, docs)}
    prepared = PreparedQuestion(Condensed(query), analyse(query), np.zeros(0, dtype=np.float32), tuple(hits), {}, {},
                                len(hits))
    out = []
    for verdict in answerer.judge(prepared, hits=hits).decision.passages:
        if min_score is not None and verdict.score < min_score:
            continue
        doc = by_chunk[verdict.hit.passage.chunk_id]
        out.append(Document(page_content=doc.page_content, id=doc.id,
                            metadata={**(doc.metadata or {}), **answer_metadata(verdict)}))
    return out[:top_n] if top_n is not None else out


def __getattr__(name: str):
    """``ReaderCompressor`` on first access (it subclasses a LangChain class, which is imported then)."""
    if name == "ReaderCompressor":
        return reader_compressor_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@lru_cache(maxsize=1)
def reader_compressor_class() -> type:
    """The ``ReaderCompressor`` class: the decide stage's ranking as a LangChain ``BaseDocumentCompressor``."""
    from langchain_core.documents import BaseDocumentCompressor
    from pydantic import ConfigDict, field_validator

    class ReaderCompressor(BaseDocumentCompressor):
        """Re-ranks any retriever's documents by how well each answers the query, as ``qa-bot ask`` decides.

        ``ReaderCompressor(bot)`` (or ``bot.as_compressor()``) reads every document with the bot's span
        reader, orders them as the decide stage does and adds ``answer_sentence``, ``answer_start``,
        ``answer_end``, ``answer_span``, ``answer_score`` and ``answers`` to each one's metadata (see
        :func:`answer_metadata`).

        Args:
            bot: a :class:`~qa_bot.bot.QABot` (its answerer is used) or an ``ExtractiveAnswerer``.
            top_n: keep at most this many documents (all when None).
            min_score: drop documents whose best span scores below this, 0-1 (keep all when None).

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
            """``documents`` in the decide stage's order for ``query``, filtered by ``min_score``, cut to ``top_n``."""
            return rank_documents(self.answerer, documents, query, top_n=self.top_n, min_score=self.min_score)

    return ReaderCompressor
