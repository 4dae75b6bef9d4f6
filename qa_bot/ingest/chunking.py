"""Sentence-aware chunking with exact character offsets into the article text.

Chunks are sized in the embedder's own word pieces so that nothing is silently truncated:
all-MiniLM-L6-v2 reads at most 256 pieces, two of which are its [CLS]/[SEP] markers, and each
chunk is embedded together with its article's title (see :func:`embedding_text`).
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass

from qa_bot.models import Article, Chunk
from qa_bot.text.sentences import sentence_spans

TokenCounter = Callable[[str], int]
_SPACE = re.compile(" ")


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
        units, sizes = self._units(text, budget)
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

    def _units(self, text: str, budget: int) -> tuple[list[tuple[int, int]], list[int]]:
        """The sentences, long ones cut into pieces (see :meth:`_fit`), and their token counts."""
        units: list[tuple[int, int]] = []
        sizes: list[int] = []
        for start, end in sentence_spans(text):
            tokens = self.count_tokens(text[start:end])
            if tokens <= budget:
                units.append((start, end))
                sizes.append(tokens)
            else:
                pieces = self._fit(text, start, end, budget, tokens)
                units.extend(pieces)
                sizes.extend(self.count_tokens(text[s:e]) for s, e in pieces)
        return units, sizes

    def _fit(self, text: str, start: int, end: int, budget: int, tokens: int) -> list[tuple[int, int]]:
        """A sentence of ``tokens`` (over the budget) cut at spaces into pieces that fit the budget."""
        spaces = array("q", (m.start() for m in _SPACE.finditer(text, start, end)))
        pieces: list[tuple[int, int]] = []
        pos, width = start, (end - start) * budget // tokens  # the first piece's length, estimated
        while pos < end:
            cut = self._cut(text, pos, end, spaces, budget, pos + width)
            piece_end = cut
            while piece_end > pos and text[piece_end - 1].isspace():
                piece_end -= 1
            pieces.append((pos, piece_end))
            width = cut - pos  # the next piece is probably about as long
            pos = cut
            while pos < end and text[pos].isspace():
                pos += 1
        return pieces

    def _cut(self, text: str, pos: int, end: int, spaces: array, budget: int, guess: int) -> int:
        """Where the piece from ``pos`` ends: at the last space (or ``end``) up to which it fits the
        budget, or inside the first word when that word alone does not fit.

        For a count that grows with the text this is where bisecting ``[pos, end]`` lands, but the
        probes stay near ``guess``: bisecting probes half the remaining text first, which made a long
        sentence cost a quadratic number of counted characters (issue 14).
        """
        def fits(x: int) -> bool:
            return self.count_tokens(text[pos:x]) <= budget

        reach, over = max(2 * (guess - pos), 64), end + 1  # text[pos:over] is known not to fit

        def fits_within_reach(x: int) -> bool:
            # A word boundary far past the guess (words can be long) is ruled out by a probe at ``reach``.
            nonlocal reach, over
            while over > end and x - pos > reach:
                if fits(pos + reach):
                    reach *= 2
                else:
                    over = pos + reach
            return x < over and fits(x)

        first = bisect_right(spaces, pos)  # the word boundaries after pos: spaces[first:], then end

        def boundary(k: int) -> int:
            return spaces[k] if k < len(spaces) else end

        k = _last_fitting(lambda k: fits_within_reach(boundary(k)), first, len(spaces), bisect_right(spaces, guess) - 1)
        if k >= first:
            return boundary(k)
        return max(pos + 1, _last_fitting(fits, pos + 1, min(boundary(first), over) - 1, guess))


def _last_fitting(fits: Callable[[int], bool], lo: int, hi: int, guess: int) -> int:
    """The largest ``x`` in ``[lo, hi]`` with ``fits(x)``, or ``lo - 1`` if there is none.

    ``fits`` must hold up to some point and fail after it. The search starts at ``guess`` and widens in
    doubling steps until it brackets the answer, then bisects: probes stay close to the answer.
    """
    if hi < lo:
        return lo - 1
    good, bad = lo - 1, hi + 1  # fits(good) holds (or good is below the range); fits(bad) fails (or above)
    x, step = min(max(guess, lo), hi), 1
    if fits(x):
        good = x
        while good + step < bad and fits(good + step):
            good, step = good + step, step * 2
        bad = min(bad, good + step)
    else:
        bad = x
        while bad - step > good and not fits(bad - step):
            bad, step = bad - step, step * 2
        good = max(good, bad - step)
    while bad - good > 1:
        mid = (good + bad) // 2
        good, bad = (mid, bad) if fits(mid) else (good, mid)
    return good
