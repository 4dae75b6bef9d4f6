"""What the span reader reads: a question and a passage cut into windows of word pieces.

A retrieved chunk is read together with the sentence before it and the sentence after it *as the
article has them* (not as the chunk has them), so that a chunk edge never leaves the reader without
context. The question and that passage are packed as ``[CLS] question [SEP] passage [SEP]`` into at
most ``max_length`` word pieces; a passage too long for one window is cut into overlapping windows.

Training (``eval/train_reader.py``) and inference (:mod:`qa_bot.answering.read`) both build their
inputs with :func:`reading_passage` and :func:`windows`, so the model is trained on what it reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from qa_bot.text.sentences import sentence_spans

#: Word pieces of the question kept at most (longer questions are cut at the end).
MAX_QUESTION_PIECES = 64


class Encoding(Protocol):
    """What a ``tokenizers`` encoding offers (ids and character offsets)."""

    ids: list[int]
    offsets: list[tuple[int, int]]


class PieceTokenizer(Protocol):
    """The part of a ``tokenizers.Tokenizer`` the windows need (no special tokens, no padding)."""

    def encode_batch(self, inputs: Sequence[str], add_special_tokens: bool = ...) -> list[Encoding]:
        """One encoding (ids, character offsets) per input string."""

    def token_to_id(self, token: str) -> int | None:
        """The id of a special token such as ``[CLS]``."""


@dataclass(frozen=True)
class ReadingPassage:
    """A chunk widened by one article sentence on each side.

    Attributes:
        key: the chunk's id (or any name the caller finds it by).
        text: the article's text from the start of the sentence before the chunk to the end of
            the sentence after it.
        offset: where ``text`` starts in the article, so ``article[offset + i]`` is ``text[i]``.
        focus: the chunk's own span inside ``text`` (start, end); the neighbours lie outside it.
    """

    key: str
    text: str
    offset: int
    focus: tuple[int, int]


@dataclass(frozen=True)
class Window:
    """One model input: ``[CLS] question [SEP] context [SEP]``.

    Attributes:
        passage: index of the :class:`ReadingPassage` in the list given to :func:`windows`.
        ids: the word-piece ids of the whole input.
        context_start: index in ``ids`` of the first context piece (the question's pieces plus two).
        offsets: per context piece, its (start, end) in the passage's ``text``.
    """

    passage: int
    ids: tuple[int, ...]
    context_start: int
    offsets: tuple[tuple[int, int], ...]

    @property
    def type_ids(self) -> list[int]:
        """Segment ids: 0 for ``[CLS] question [SEP]``, 1 for the context and its ``[SEP]``."""
        return [0] * self.context_start + [1] * (len(self.ids) - self.context_start)

    def piece_span(self, start: int, end: int) -> tuple[int, int] | None:
        """The input positions (first, last) of the context pieces covering ``text[start:end]``; None when
        that span is not wholly inside this window."""
        if not self.offsets or self.offsets[0][0] > start or self.offsets[-1][1] < end:
            return None
        first = next(i for i, (_, e) in enumerate(self.offsets) if e > start)
        last = max(i for i, (s, _) in enumerate(self.offsets) if s < end)
        if last < first:
            return None
        return first + self.context_start, last + self.context_start


def reading_passage(key: str, article: str, start: int, end: int,
                    spans: Sequence[tuple[int, int]] | None = None) -> ReadingPassage:
    """The chunk ``article[start:end]`` with the article sentence before it and the one after it.

    Args:
        key: the chunk's id.
        article: the whole article text.
        start, end: the chunk's offsets in ``article``.
        spans: the article's sentence spans, when the caller has them already (else they are computed).
    """
    spans = sentence_spans(article) if spans is None else spans
    left, right = start, end
    for s, e in spans:
        if e <= start:
            left = s  # the last sentence ending at or before the chunk's start
        elif s >= end:
            right = e  # the first sentence starting at or after the chunk's end
            break
    return ReadingPassage(key, article[left:right], left, (start - left, end - left))


def windows(tokenizer: PieceTokenizer, question: str, passages: Sequence[ReadingPassage], *,
            max_length: int = 192, stride: int = 48) -> list[Window]:
    """The model inputs for ``question`` over ``passages``, in passage order.

    A passage that fits is one window. Otherwise the chunk is kept whole when it fits and the room
    left is shared between the neighbours (the sentence before keeps its end, the one after its
    start); a chunk longer than a window is cut into windows overlapping by ``stride`` pieces.

    Args:
        tokenizer: a ``tokenizers.Tokenizer`` (or anything with ``encode_batch``/``token_to_id``).
        question: the question; its first :data:`MAX_QUESTION_PIECES` pieces are kept.
        passages: what to read.
        max_length: pieces per window, special tokens included.
        stride: pieces shared by consecutive windows of one long chunk (at most half the room the
            question leaves).

    Raises:
        ValueError: ``max_length`` leaves no room for context, or a negative ``stride``.
    """
    cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    encoded = tokenizer.encode_batch([question, *(p.text for p in passages)], add_special_tokens=False)
    q_ids = list(encoded[0].ids[:MAX_QUESTION_PIECES])
    head = [cls, *q_ids, sep]
    room = max_length - len(head) - 1
    if room < 8:
        raise ValueError("max_length leaves no room for the passage")
    if stride < 0:
        raise ValueError("stride must be at least 0")
    stride = min(stride, room // 2)  # a long question leaves less room: windows still advance
    out: list[Window] = []
    for n, (p, enc) in enumerate(zip(passages, encoded[1:])):
        offsets = [tuple(o) for o in enc.offsets]
        for lo, hi in _cuts(offsets, p.focus, room, stride):
            out.append(Window(n, tuple(head + list(enc.ids[lo:hi]) + [sep]), len(head), tuple(offsets[lo:hi])))
    return out


def _cuts(offsets: list[tuple[int, int]], focus: tuple[int, int], room: int, stride: int) -> list[tuple[int, int]]:
    """Piece ranges [lo, hi) of the windows for one passage (see :func:`windows`)."""
    total = len(offsets)
    if total <= room:
        return [(0, total)] if total else []
    first = next((i for i, (s, e) in enumerate(offsets) if e > focus[0]), total)
    last = next((i for i in range(total - 1, -1, -1) if offsets[i][0] < focus[1]), -1) + 1
    if last - first <= room:
        spare = room - (last - first)
        before = min(first, spare // 2)
        after = min(total - last, spare - before)
        before = min(first, spare - after)  # give what the end could not use back to the start
        return [(first - before, last + after)]
    cuts, lo = [], first
    while True:
        hi = min(lo + room, last)
        cuts.append((lo, hi))
        if hi >= last:
            return cuts
        lo = hi - stride
