"""Candidate sentences: every sentence of the retrieved passages, located in its article."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa_bot.models import ChunkSentences, Hit
from qa_bot.text.sentences import sentence_spans


@dataclass(frozen=True)
class Candidate:
    """One sentence of a retrieved passage, located in its article.

    ``start``/``end`` are offsets into the article text, so ``article.text[start:end] == text``;
    ``previous``/``following`` are the sentences before and after it in the passage ("" at an edge:
    "he said" continuations, and the reader's context) and ``vector`` its stored contextual vector,
    ``None`` when the index holds none.
    """

    hit: Hit
    text: str
    start: int
    end: int
    previous: str = ""
    vector: np.ndarray | None = None
    following: str = ""


def candidates(hits: list[Hit], sentence_index: dict[str, ChunkSentences] | None = None) -> list[Candidate]:
    """Every sentence of the passages, once each, in passage order.

    Args:
        hits: retrieved passages; overlapping chunks repeat sentences, which are kept only the
            first time they are seen.
        sentence_index: chunk id -> its stored sentence spans and vectors; a chunk missing from
            it is split here (and its sentences get no vector).

    Returns:
        The candidates, skipping questions the writer asks (they never answer anything).
    """
    sentence_index = sentence_index or {}
    seen: set[tuple[str, int, int]] = set()
    out: list[Candidate] = []
    for hit in hits:
        p = hit.passage
        stored = sentence_index.get(p.chunk_id)
        spans, vectors = (stored.spans, stored.vectors) if stored else (None, None)
        if not spans:
            spans, vectors = sentence_spans(p.text), None
        prev = ""
        texts = [p.text[s:e] for s, e in spans]
        for i, (s, e) in enumerate(spans):
            text = texts[i]
            key = (p.article_id, p.start + s, p.start + e)
            if key in seen or text.rstrip('"\'\u201d').endswith("?"):
                prev = text
                continue  # repeated in an overlapping chunk, or a question the writer asks
            seen.add(key)
            vec = vectors[i] if vectors is not None and i < len(vectors) else None
            nxt = texts[i + 1] if i + 1 < len(texts) else ""
            out.append(Candidate(hit, text, p.start + s, p.start + e, prev, vec, nxt))
            prev = text
    return out
