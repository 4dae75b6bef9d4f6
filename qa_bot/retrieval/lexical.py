"""The lexical side of retrieval: the question's content words, ranked by BM25 over SQLite FTS5."""

from __future__ import annotations

from typing import TYPE_CHECKING

from qa_bot.retrieval.filters import Filters
from qa_bot.retrieval.fusion import Ranking
from qa_bot.text.tokens import STOPWORDS, words
from qa_bot.text.verbs import all_forms

if TYPE_CHECKING:
    from qa_bot.storage.registry import Registry

#: Most terms in one lexical query (BM25 over more adds cost, not recall).
MAX_TERMS = 32


def fts_query(text: str) -> str:
    """An FTS5 ``MATCH`` expression: the question's content words, OR-ed and quoted (BM25 ranks them).

    Stopwords and one-letter words (but not single digits) are dropped, an irregular verb brings
    its other forms ("give": gave, given), each term appears once (at most :data:`MAX_TERMS`), and double quotes and edge punctuation are stripped so the expression always parses.

    Args:
        text: the question (any text).

    Returns:
        ``'"term" OR "term" ...'``, or ``""`` when the text has no content words.
    """
    terms: dict[str, None] = {}  # an ordered set: a list's `in` made long texts quadratic (issue 27)
    for word in words(text):
        if word in STOPWORDS or (len(word) < 2 and not word.isdigit()):
            continue
        term = word.replace('"', "").strip(".'-")
        for form in all_forms(term) if term else ():  # "give" also finds "gave" and "given"
            terms.setdefault(form)
        if len(terms) >= MAX_TERMS:
            break
    return " OR ".join(f'"{t}"' for t in list(terms)[:MAX_TERMS])


def lexical_ranking(registry: Registry, query: str, n: int, filters: Filters = Filters()) -> Ranking:
    """The ``n`` chunks that best match ``query``'s words by BM25, best first, within ``filters``.

    Args:
        registry: the :class:`~qa_bot.storage.registry.Registry` holding the FTS index.
        query: the question.
        n: most chunks to return.
        filters: the same outlet and date restrictions the dense side applies.

    Returns:
        ``((article_id, chunk_number), bm25_score)`` pairs, higher score better.
    """
    since = filters.since.isoformat() if filters.since else ""
    until = filters.until.isoformat() if filters.until else ""
    rows = registry.lexical_search(fts_query(query), n, filters.outlets, since, until)
    return [((article_id, chunk_n), score) for article_id, chunk_n, score in rows]
