"""Sentence-aware chunking with exact character offsets into the article text.

Chunks are sized in the embedder's own word pieces so that nothing is silently truncated:
all-MiniLM-L6-v2 reads at most 256 pieces, two of which are its [CLS]/[SEP] markers, and each
chunk is embedded together with its article's title (see :func:`embedding_text`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from qa_bot.models import Article, Chunk
from qa_bot.text.sentences import sentence_spans

TokenCounter = Callable[[str], int]


def approx_token_count(text: str) -> int:
    """A model-free upper estimate of word pieces (for tests and fakes): ~1.4 per word plus punctuation."""
    n_words = len(text.split())
    n_punct = sum(1 for ch in text if not ch.isalnum() and not ch.isspace())
    return int(n_words * 1.4) + n_punct


def embedding_text(title: str, text: str) -> str:
    """What is embedded for a chunk: the title gives every chunk its article's context."""
    return f"{title}\n{text}" if title else text


@dataclass(frozen=True)
class Chunker:
    """Packs whole sentences into chunks of about ``target_tokens``, never over ``max_tokens``.

    Args:
        count_tokens: counts the embedder's word pieces in a string (no special tokens).
        max_tokens: hard cap per chunk including the title (must be below the model limit).
        target_tokens: a chunk closes once it reaches this size.
        overlap_sentences: sentences repeated at the start of the next chunk, for context.
    """

    count_tokens: TokenCounter = approx_token_count
    max_tokens: int = 200
    target_tokens: int = 140
    overlap_sentences: int = 1

    def __post_init__(self) -> None:
        if self.max_tokens < 16:
            raise ValueError("max_tokens must be at least 16")
        if not 0 < self.target_tokens <= self.max_tokens:
            raise ValueError("target_tokens must be between 1 and max_tokens")
        if self.overlap_sentences < 0:
            raise ValueError("overlap_sentences must be >= 0")

    def split(self, article: Article) -> list[Chunk]:
        """Chunks covering the whole article text, in order, each a verbatim slice of it."""
        text = article.text
        budget = self.max_tokens - (self.count_tokens(article.title) + 1 if article.title else 0)
        budget = max(budget, 16)
        target = min(self.target_tokens, budget)
        units = [u for s, e in sentence_spans(text) for u in self._fit(text, s, e, budget)]
        sizes = [self.count_tokens(text[s:e]) for s, e in units]
        chunks: list[Chunk] = []
        i = 0
        while i < len(units):
            j, total = i, 0
            while j < len(units) and (total + sizes[j] <= budget) and (total < target or j == i):
                total += sizes[j]
                j += 1
            j = max(j, i + 1)
            start, end = units[i][0], units[j - 1][1]
            while j - i > 1 and self.count_tokens(text[start:end]) > budget:  # sums can undercount
                j -= 1
                end = units[j - 1][1]
            chunks.append(Chunk(article.id, len(chunks), text[start:end], start, end))
            if j >= len(units):
                break
            back = min(self.overlap_sentences, j - i - 1)
            i = j - back
        return chunks

    def _fit(self, text: str, start: int, end: int, budget: int) -> list[tuple[int, int]]:
        """A sentence as one unit, or cut at spaces into pieces that fit the budget."""
        if self.count_tokens(text[start:end]) <= budget:
            return [(start, end)]
        pieces: list[tuple[int, int]] = []
        pos = start
        while pos < end:
            lo, hi = pos + 1, end
            while lo < hi:  # the longest prefix [pos, cut) that fits
                mid = (lo + hi + 1) // 2
                if self.count_tokens(text[pos:mid]) <= budget:
                    lo = mid
                else:
                    hi = mid - 1
            cut = lo
            if cut < end:
                space = text.rfind(" ", pos + 1, cut + 1)
                cut = space if space > pos else cut
            piece_end = cut
            while piece_end > pos and text[piece_end - 1].isspace():
                piece_end -= 1
            pieces.append((pos, piece_end))
            pos = cut
            while pos < end and text[pos].isspace():
                pos += 1
        return pieces
