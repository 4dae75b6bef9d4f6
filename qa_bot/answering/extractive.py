"""The extractive answerer (the offline default): quote the best sentences, cite each one.

No text is generated: every answer sentence is a verbatim sentence of a retrieved passage, so
each citation's quote is exact by construction. The answerer abstains when no sentence is
supported well enough (``support_threshold``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from qa_bot.embeddings import Embedder
from qa_bot.models import Answer, Citation, Hit, Sentence
from qa_bot.text import content_words, sentence_spans

ABSTAIN_TEXT = "The coverage doesn't say: no passage in the index answers this question. The closest passages are listed below."


@dataclass(frozen=True)
class Candidate:
    """One sentence of a retrieved passage, located in its article."""

    hit: Hit
    text: str
    start: int  # offsets into the article text
    end: int


def candidates(hits: list[Hit]) -> list[Candidate]:
    """Every sentence of the passages, once each (overlapping chunks repeat sentences)."""
    seen: set[tuple[str, int, int]] = set()
    out: list[Candidate] = []
    for hit in hits:
        p = hit.passage
        for s, e in sentence_spans(p.text):
            key = (p.article_id, p.start + s, p.start + e)
            if key in seen or p.text[s:e].rstrip('"\'\u201d').endswith("?"):
                continue  # questions a writer asks are not answers
            seen.add(key)
            out.append(Candidate(hit, p.text[s:e], p.start + s, p.start + e))
    return out


def lexical_overlap(question_terms: list[str], sentence: str) -> float:
    """Share of the question's content words that the sentence contains."""
    if not question_terms:
        return 0.0
    present = set(content_words(sentence))
    terms = set(question_terms)
    return len(terms & present) / len(terms)


class ExtractiveAnswerer:
    """Selects and cites the sentences that best answer the question.

    Args:
        embedder: scores sentences against the question semantically.
        max_sentences: most sentences in an answer.
        support_threshold: abstain when the best sentence scores below this.
        semantic_weight: weight of embedding similarity vs. word overlap in a sentence's score.
    """

    name = "extractive"

    def __init__(self, embedder: Embedder, max_sentences: int = 3, support_threshold: float = 0.35,
                 semantic_weight: float = 0.65) -> None:
        if max_sentences < 1:
            raise ValueError("max_sentences must be at least 1")
        if not 0 <= semantic_weight <= 1:
            raise ValueError("semantic_weight must be between 0 and 1")
        self.embedder = embedder
        self.max_sentences = max_sentences
        self.support_threshold = support_threshold
        self.semantic_weight = semantic_weight

    def score(self, question: str, cands: list[Candidate]) -> np.ndarray:
        """One support score per candidate, in [0, 1]-ish: semantic similarity blended with overlap."""
        if not cands:
            return np.zeros(0)
        vectors = self.embedder.embed([question] + [c.text for c in cands])
        semantic = vectors[1:] @ vectors[0]
        terms = content_words(question)
        lexical = np.array([lexical_overlap(terms, c.text) for c in cands])
        return self.semantic_weight * semantic + (1 - self.semantic_weight) * lexical

    def answer(self, question: str, hits: list[Hit]) -> Answer:
        """Compose a cited answer from ``hits``, or abstain with them as the closest passages."""
        cands = candidates(hits)
        scores = self.score(question, cands)
        order = list(np.argsort(-scores)) if len(cands) else []
        best = float(scores[order[0]]) if order else 0.0
        if best < self.support_threshold:
            return Answer(question=question, text=ABSTAIN_TEXT, citations=(), abstained=True,
                          hits=tuple(hits), support=best, answerer=self.name)
        chosen: list[int] = []
        for i in order:
            if len(chosen) >= self.max_sentences or scores[i] < max(self.support_threshold, 0.8 * best):
                break
            chosen.append(int(i))
        citations, sentences, parts = [], [], []
        for n, i in enumerate(chosen, start=1):
            c = cands[i]
            p = c.hit.passage
            citations.append(Citation(n=n, chunk_id=p.chunk_id, article_id=p.article_id, title=p.title,
                                      outlet=p.outlet, published=p.published, url=p.url, quote=c.text,
                                      start=c.start, end=c.end, support=float(scores[i])))
            sentences.append(Sentence(text=c.text, citations=(n,), support=float(scores[i])))
            parts.append(f"{c.text} [{n}]")
        return Answer(question=question, text=" ".join(parts), citations=tuple(citations), abstained=False,
                      hits=tuple(hits), sentences=tuple(sentences), support=best, answerer=self.name)
