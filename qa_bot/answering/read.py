"""The read stage: a span reader finds answer spans in each passage, with a score for "no answer".

The model is an extractive question-answering head (start and end logits over the word pieces of
a window, "no answer" read from ``[CLS]``, the SQuAD 2.0 design) on all-MiniLM-L6-v2, the
packaged embedding model's BERT weights, trained by ``eval/train_reader.py``; its model card
(``qa_bot/data/reader/MODEL_CARD.md``) gives the data, the settings and the validation figures.

:func:`decode` turns one window's logits into scored character spans; :class:`SpanReader` runs the
model over the windows of the retrieved passages (:mod:`qa_bot.answering.windows`) and returns a
:class:`Reading` per passage. Nothing here decides whether the question is answered: that is
:mod:`qa_bot.answering.decide`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from qa_bot.answering.windows import ReadingPassage, Window, windows
from qa_bot.errors import ConfigError

DEFAULT_MODEL_DIR = Path(__file__).resolve().parent.parent / "data" / "reader"
WEIGHTS_FILE = "model.safetensors"
TOKENIZER_FILE = "tokenizer.json"


@dataclass(frozen=True)
class Span:
    """A candidate answer: ``passage.text[start:end]``, with its score (start logit + end logit)."""

    start: int
    end: int
    score: float


@dataclass(frozen=True)
class Reading:
    """What the reader found in one passage.

    Attributes:
        passage: the passage read.
        spans: its best spans over all its windows, best first (offsets into ``passage.text``).
        no_answer: the "no answer" score (``[CLS]`` start + end logits), the lowest over the
            passage's windows — the window that looks most like it holds an answer speaks for it.
    """

    passage: ReadingPassage
    spans: tuple[Span, ...]
    no_answer: float

    @property
    def margin(self) -> float:
        """Best span score minus the no-answer score: above 0 the model prefers an answer here."""
        return (self.spans[0].score if self.spans else -np.inf) - self.no_answer


def decode(start_logits: np.ndarray, end_logits: np.ndarray, window: Window, text: str, *,
           max_answer_pieces: int = 30, top_n: int = 5) -> list[Span]:
    """The ``top_n`` best context spans of one window, widened to whole words of ``text``.

    Args:
        start_logits, end_logits: the model's logits over the window's input positions.
        window: the window they were computed on.
        text: the passage text the window's offsets point into.
        max_answer_pieces: the longest span considered, in word pieces.
        top_n: spans returned at most.
    """
    c0, n = window.context_start, len(window.offsets)
    if n == 0:
        return []
    s = np.asarray(start_logits[c0:c0 + n], dtype=np.float64)
    e = np.asarray(end_logits[c0:c0 + n], dtype=np.float64)
    scores = s[:, None] + e[None, :]
    i, j = np.indices(scores.shape)
    scores[(j < i) | (j - i >= max_answer_pieces)] = -np.inf
    flat = scores.ravel()
    k = min(top_n * 3, flat.size)  # a few spare: widening to words can make two spans one
    best = np.argpartition(-flat, k - 1)[:k]
    out: list[Span] = []
    seen: set[tuple[int, int]] = set()
    for idx in best[np.argsort(-flat[best], kind="stable")]:
        if not np.isfinite(flat[idx]):
            break
        a, b = divmod(int(idx), n)
        start, end = _trim(text, *_whole_words(text, window.offsets[a][0], window.offsets[b][1]))
        if (start, end) in seen or start >= end:
            continue
        seen.add((start, end))
        out.append(Span(start, end, float(flat[idx])))
        if len(out) == top_n:
            break
    return out


def _whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Widen ``text[start:end]`` so that it neither starts nor ends inside a word."""
    while start > 0 and text[start - 1].isalnum() and text[start].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum() and text[end - 1].isalnum():
        end += 1
    return start, end


_QUOTES = {'"': '"', "\u201c": "\u201d", "'": "'", "\u2018": "\u2019", "(": ")", "[": "]"}
_CLOSERS = {v: k for k, v in _QUOTES.items()}
_EDGE_PUNCT = ".,;:!?\u2014\u2013-"


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Drop edge punctuation, and quotation marks or brackets that open or close nothing inside the span."""
    while start < end:
        ch, last = text[start], text[end - 1]
        if ch.isspace() or ch in _EDGE_PUNCT:
            start += 1
        elif last.isspace() or last in _EDGE_PUNCT:
            end -= 1
        elif ch in _QUOTES and _QUOTES[ch] not in text[start + 1:end]:
            start += 1
        elif last in _CLOSERS and _CLOSERS[last] not in text[start:end - 1]:
            end -= 1
        else:
            break
    return start, end


def load_tokenizer(model_dir: Path | str):
    """The model folder's ``tokenizers`` tokenizer, with its saved padding and truncation switched off."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(Path(model_dir) / TOKENIZER_FILE))
    tok.no_padding()
    tok.no_truncation()
    return tok


def sha256_of(path: Path | str) -> str:
    """Hex sha256 of a file."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def pad_batch(batch: Sequence[Window]) -> dict[str, np.ndarray]:
    """``input_ids``, ``attention_mask`` and ``token_type_ids`` (int64), padded to the longest window."""
    width = max(len(w.ids) for w in batch)
    ids = np.zeros((len(batch), width), dtype=np.int64)
    mask = np.zeros_like(ids)
    types = np.zeros_like(ids)
    for r, w in enumerate(batch):
        ids[r, :len(w.ids)] = w.ids
        mask[r, :len(w.ids)] = 1
        types[r, w.context_start:len(w.ids)] = 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}


def read_windows(infer, question_windows: Sequence[Window], passages: Sequence[ReadingPassage], *,
                 batch_size: int = 16, max_answer_pieces: int = 30, top_n: int = 5) -> list[Reading]:
    """Run ``infer`` (padded batch -> (start_logits, end_logits) arrays) over the windows; one Reading a passage."""
    spans: list[list[Span]] = [[] for _ in passages]
    null = [np.inf] * len(passages)
    order = sorted(range(len(question_windows)), key=lambda i: -len(question_windows[i].ids))
    for at in range(0, len(order), batch_size):
        rows = [question_windows[i] for i in order[at:at + batch_size]]
        start, end = infer(pad_batch(rows))
        for r, w in enumerate(rows):
            null[w.passage] = min(null[w.passage], float(start[r, 0] + end[r, 0]))
            spans[w.passage] += decode(start[r], end[r], w, passages[w.passage].text,
                                       max_answer_pieces=max_answer_pieces, top_n=top_n)
    out = []
    for n, p in enumerate(passages):
        best: dict[tuple[int, int], Span] = {}
        for sp in spans[n]:  # overlapping windows find the same span twice: keep its best score
            if (sp.start, sp.end) not in best or best[(sp.start, sp.end)].score < sp.score:
                best[(sp.start, sp.end)] = sp
        ranked = sorted(best.values(), key=lambda sp: -sp.score)[:top_n]
        out.append(Reading(p, tuple(ranked), null[n] if np.isfinite(null[n]) else 0.0))
    return out


class SpanReader:
    """Finds answer spans in passages with the trained reader, on ONNX Runtime (no torch at query time).

    Settings live in ``__init__``; the model loads in :meth:`warm_up` (local files only): the shipped
    weights are exported once to an ONNX graph kept in ``cache_dir`` (see :mod:`qa_bot.inference.export`),
    and the window length and stride are the ones the model was trained with (``reader.json``).

    Args:
        model_dir: the model folder (default: the one shipped in ``qa_bot/data/reader``).
        cache_dir: where the exported ONNX file is kept (default: ``<model_dir>/.onnx``).
        variant: ``"fp32"`` or ``"int8"`` (dynamic quantisation of the fp32 graph).
        max_answer_pieces: the longest answer span, in word pieces.
        top_n: spans kept per passage.
        batch_size: windows per forward pass.
        threads: intra-op threads (default: the CPUs this process may use, at most 4).

    Raises:
        ValueError: a non-positive size or thread count, or an unknown variant.
    """

    def __init__(self, model_dir: Path | str = DEFAULT_MODEL_DIR, *, cache_dir: Path | str | None = None,
                 variant: str = "fp32", max_answer_pieces: int = 30, top_n: int = 5, batch_size: int = 16,
                 threads: int | None = None) -> None:
        from qa_bot.inference.export import SPAN_READER
        from qa_bot.inference.session import OnnxModel

        if min(max_answer_pieces, top_n, batch_size) < 1:
            raise ValueError("max_answer_pieces, top_n and batch_size must be greater than 0")
        self.model_dir = Path(model_dir)
        self.max_answer_pieces, self.top_n, self.batch_size = max_answer_pieces, top_n, batch_size
        self.model = OnnxModel(self.model_dir, SPAN_READER, Path(cache_dir) if cache_dir else self.model_dir / ".onnx",
                               variant, threads, label="span-reader")
        self.max_length, self.stride = 192, 48
        self._tokenizer = None

    def warm_up(self) -> None:
        """Load the tokenizer, the training settings and the ONNX model (exported on first use); once.

        Raises:
            ConfigError: the folder holds no reader model, or it does not export or load.
        """
        if self._tokenizer is not None:
            return
        if not (self.model_dir / WEIGHTS_FILE).is_file() or not (self.model_dir / TOKENIZER_FILE).is_file():
            raise ConfigError(f"{self.model_dir}: no reader model ({WEIGHTS_FILE}, {TOKENIZER_FILE}); "
                              "train one with `python eval/train_reader.py`")
        try:
            trained = json.loads((self.model_dir / "reader.json").read_text(encoding="utf-8"))
            self.max_length, self.stride = int(trained["max_length"]), int(trained["stride"])
        except (OSError, ValueError, KeyError, TypeError):
            raise ConfigError(f"{self.model_dir / 'reader.json'}: missing or unreadable (it records the window "
                              "the model was trained on); re-train with `python eval/train_reader.py`") from None
        self.model.load()
        self._tokenizer = load_tokenizer(self.model_dir)

    def _infer(self, batch: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        out = self.model.run(batch)
        return out["start_logits"], out["end_logits"]

    def run(self, question: str, passages: Sequence[ReadingPassage]) -> list[Reading]:
        """Read ``passages`` for ``question``: one :class:`Reading` per passage, in the order given."""
        if not passages:
            return []
        self.warm_up()
        wins = windows(self._tokenizer, question, passages, max_length=self.max_length, stride=self.stride)
        return read_windows(self._infer, wins, passages, batch_size=self.batch_size,
                            max_answer_pieces=self.max_answer_pieces, top_n=self.top_n)


class Reader(Protocol):
    """The read stage: one :class:`Reading` per passage, in the order given."""

    def warm_up(self) -> None:
        """Load whatever the reader needs (a no-op when loaded)."""

    def run(self, question: str, passages: Sequence[ReadingPassage]) -> list[Reading]:
        """One :class:`Reading` per passage, in the order given."""


class LexicalReader:
    """A model-free stand-in for the span reader: each sentence is a span, scored by the question's words in it.

    A sentence's share of the question's content words (rarer words within the passages weigh more) is
    mapped onto the trained reader's logit range: a span scores 4 to 12 and "no answer" 8 down to 4 as
    the passage's best share goes from none to all. For tests and as the reader left out of an ablation;
    it cannot tell answering from mentioning, which is what the trained reader is for.
    """

    def warm_up(self) -> None:
        """Nothing to load."""

    def run(self, question: str, passages: Sequence[ReadingPassage]) -> list[Reading]:
        """One :class:`Reading` per passage: its sentences as spans, best first."""
        from qa_bot.text.sentences import sentence_spans
        from qa_bot.text.tokens import content_words

        terms = set(content_words(question))
        per_passage = [[(s, e, set(content_words(p.text[s:e]))) for s, e in sentence_spans(p.text)] for p in passages]
        bags = [b for sents in per_passage for _, _, b in sents]
        weight = {t: float(np.log(1 + (len(bags) + 1) / (1 + sum(t in b for b in bags)))) for t in terms}
        total = sum(weight.values()) or 1.0
        out = []
        for p, sents in zip(passages, per_passage):
            shares = [(s, e, sum(weight[t] for t in terms & b) / total) for s, e, b in sents]
            spans = sorted((Span(s, e, 4.0 + 8.0 * share) for s, e, share in shares), key=lambda sp: -sp.score)
            best = max((share for _, _, share in shares), default=0.0)
            out.append(Reading(p, tuple(spans[:5]), 8.0 - 4.0 * best))
        return out
