"""Typed values passed between the stages: Article, Chunk, Hit, Citation, Answer."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

_EPOCH = date(1970, 1, 1)


def day_number(value: date | None) -> int:
    """Days since 1970-01-01, the integer form of a date that Chroma can range-filter; 0 if unknown."""
    return (value - _EPOCH).days if value else 0


@dataclass(frozen=True)
class Article:
    """One news article, normalised: ``text`` is the exact string every offset points into."""

    id: str
    title: str
    text: str
    outlet: str = ""
    url: str = ""
    published: date | None = None
    author: str = ""
    source: str = ""
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def content_hash(self) -> str:
        """Hash of everything that is indexed; equal hashes mean nothing to re-embed."""
        payload = json.dumps(
            [self.title, self.text, self.outlet, self.url, self.published and self.published.isoformat(), self.author],
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def to_dict(self) -> dict:
        """A JSON-ready dict (the JSONL bulk format plus ``source``)."""
        out = asdict(self)
        out["published"] = self.published.isoformat() if self.published else ""
        return out


@dataclass(frozen=True)
class Chunk:
    """A sentence-aligned slice of an article: ``article.text[start:end] == text``."""

    article_id: str
    n: int
    text: str
    start: int
    end: int

    @property
    def id(self) -> str:
        """Deterministic id, so re-adding the same article upserts the same records."""
        return f"{self.article_id}:{self.n}"


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk with the article metadata needed to cite it."""

    chunk_id: str
    article_id: str
    text: str
    start: int
    end: int
    title: str
    outlet: str
    url: str
    published: str

    def to_dict(self) -> dict:
        """The passage as JSON-ready data."""
        return asdict(self)


@dataclass(frozen=True)
class ChunkSentences:
    """The sentences of one stored chunk: spans relative to the chunk text, and their vectors.

    ``vectors`` (one row per span, unit length) are the contextual sentence vectors computed at
    ingest; ``None`` when the index holds none (e.g. an embedder without span support).
    """

    spans: tuple[tuple[int, int], ...]
    vectors: np.ndarray | None = None

    @classmethod
    def from_stored(cls, spans, blob: bytes | None) -> "ChunkSentences":
        """From the registry's columns: the spans, and the vectors as float16 bytes (or None)."""
        import numpy as np

        vectors = None
        if blob is not None and spans:
            vectors = np.frombuffer(blob, dtype=np.float16).reshape(len(spans), -1).astype(np.float32)
        return cls(tuple(tuple(s) for s in spans), vectors)


@dataclass(frozen=True)
class Hit:
    """A passage and its scores; ``score`` is the one results are ordered by."""

    passage: Passage
    score: float
    dense: float | None = None
    lexical: float | None = None
    rank: int = 0

    def to_dict(self) -> dict:
        """The hit as JSON-ready data: its passage plus rounded scores and rank."""
        out = self.passage.to_dict()
        out.update(score=round(self.score, 4), dense=self.dense, lexical=self.lexical, rank=self.rank)
        return out


@dataclass(frozen=True)
class Citation:
    """One ``[n]`` marker: where the quoted words stand, exactly, in which article."""

    n: int
    chunk_id: str
    article_id: str
    title: str
    outlet: str
    published: str
    url: str
    quote: str
    start: int
    end: int
    support: float = 0.0

    def to_dict(self) -> dict:
        """The citation as JSON-ready data (the ``citations`` entries of ``ask --json``)."""
        return asdict(self)


@dataclass(frozen=True)
class Sentence:
    """One sentence of an answer, the citations that back it and how strongly."""

    text: str
    citations: tuple[int, ...]
    support: float
    supported: bool = True


@dataclass(frozen=True)
class ShortAnswer:
    """The exact span that answers a who/what/when/how-many question, inside one citation's quote.

    ``start``/``end`` are offsets into the cited article's text (so ``text`` is
    ``article.text[start:end]``); ``citation`` is the ``n`` of the citation whose quote holds it.
    ``alternatives`` are the other values cited outlets give for it ("15" beside "14"), verbatim.
    """

    text: str
    citation: int
    start: int
    end: int
    alternatives: tuple[str, ...] = ()

    @property
    def display(self) -> str:
        """The short answer as shown: ``"14 or 15 — outlets differ"`` when outlets disagree, else the span."""
        if not self.alternatives:
            return self.text
        values = [self.text, *self.alternatives]
        return f"{', '.join(values[:-1])} or {values[-1]} — outlets differ"


@dataclass(frozen=True)
class DisagreementValue:
    """One value the sources give for what was asked, and the citations that give it."""

    value: str
    citations: tuple[int, ...]


@dataclass(frozen=True)
class Disagreement:
    """Cited passages that give different values for the same thing (a count, an amount, a date)."""

    about: str
    values: tuple[DisagreementValue, ...]


@dataclass(frozen=True)
class Answer:
    """What ``ask`` returns: text with ``[n]`` markers, its citations and how it was made."""

    question: str
    text: str
    citations: tuple[Citation, ...]
    abstained: bool
    hits: tuple[Hit, ...] = ()
    sentences: tuple[Sentence, ...] = ()
    support: float = 0.0
    answerer: str = "extractive"
    timings_ms: dict[str, float] = field(default_factory=dict)
    notice: str = ""
    condensed_question: str = ""
    short_answer: ShortAnswer | None = None
    disagreements: tuple[Disagreement, ...] = ()

    def to_dict(self) -> dict:
        """The stable ``ask --json`` shape (see DESIGN.md), plus a few diagnostic fields."""
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "citations": [c.to_dict() for c in self.citations],
            "passages": [h.to_dict() for h in self.hits],
            "sentences": [asdict(s) for s in self.sentences],
            "support": round(self.support, 4),
            "answerer": self.answerer,
            "notice": self.notice,
            "condensed_question": self.condensed_question,
            "short_answer": asdict(self.short_answer) if self.short_answer else None,
            "disagreements": [{"about": d.about, "values": [{"value": v.value, "citations": list(v.citations)}
                                                            for v in d.values]} for d in self.disagreements],
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }
