"""Test doubles: a deterministic embedder that needs no model, a scripted span reader, and a tiny PDF writer."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from qa_bot.answering.read import Reading, Span
from qa_bot.answering.windows import ReadingPassage
from qa_bot.embeddings import HashingEmbedder


class HashEmbedder(HashingEmbedder):
    """The package's hashing embedder, recording what it was asked to embed (to check nothing is embedded twice)."""

    name = "hash-embedder"

    def __init__(self, dim: int = 256) -> None:
        super().__init__(dim)
        self.name = "hash-embedder"
        self.calls: list[list[str]] = []

    def embed(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        self.calls.append(list(texts))
        return super().embed(texts, batch_size)

    @property
    def embedded_texts(self) -> int:
        return sum(len(c) for c in self.calls)


class ScriptedReader:
    """A span reader that finds the spans it is told to, with the scores it is told to.

    Args:
        spans: span text -> its score (start + end logits); every occurrence in a passage is proposed.
        no_answer: every passage's no-answer score.

    ``calls`` records each ``(question, passage texts)`` read.
    """

    def __init__(self, spans: dict[str, float], no_answer: float = 0.0) -> None:
        self.spans, self.no_answer = dict(spans), no_answer
        self.calls: list[tuple[str, list[str]]] = []

    def warm_up(self) -> None:
        """Nothing to load."""

    def run(self, question: str, passages: Sequence[ReadingPassage]) -> list[Reading]:
        self.calls.append((question, [p.text for p in passages]))
        out = []
        for p in passages:
            found = []
            for text, score in self.spans.items():
                at = p.text.find(text)
                while at >= 0:
                    found.append(Span(at, at + len(text), score))
                    at = p.text.find(text, at + 1)
            found.sort(key=lambda sp: -sp.score)
            out.append(Reading(p, tuple(found), self.no_answer))
        return out


def make_pdf(lines: list[str], title: str = "") -> bytes:
    """A minimal one-page PDF with real text objects (Helvetica), readable by pypdf."""

    def esc(s: str) -> str:
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    content = "BT /F1 11 Tf 50 750 Td 14 TL " + " ".join(f"({esc(line)}) Tj T*" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    if title:
        objects.append(f"<< /Title ({esc(title)}) >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out.extend(f"{i} 0 obj\n{obj}\nendobj\n".encode("latin-1"))
    xref = len(out)
    out.extend(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.extend(f"{off:010d} 00000 n \n".encode())
    info = f" /Info {len(objects)} 0 R" if title else ""
    out.extend(f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R{info} >>\nstartxref\n{xref}\n%%EOF\n".encode())
    return bytes(out)
