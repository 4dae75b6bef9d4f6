"""What the verifier checks, and against what: the claims of a generated answer and the evidence
units of a passage.

A *claim* is one sentence of a model's answer with the passage numbers its ``[n]`` markers cite.
An *evidence unit* is a sentence of a cited passage, or two adjacent sentences, carrying the
sentence before it (which "he" or "they" in the unit refer to). Sentences that address
instructions to an AI model (a prompt injection carried by an article) are never evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa_bot.text.markers import leading_markers, marker_numbers, remove_markers
from qa_bot.text.sentences import sentence_spans

#: Text addressed to an AI model rather than to a reader: an instruction an article should never carry.
_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.]{0,60}\b(?:instructions?|rules|prompts?|guidelines|directions)\b"
    r"|\b(?:AI|language|chat|answer(?:ing)?)\s*(?:assistants?|models?|systems?|bots?|engines?)\b[^.]{0,120}?"
    r"\b(?:must|should|shall|are (?:told|instructed|required) to|need to|always|never)\b"
    r"|\bsystem prompt\b|\byou are now\b|\bnew instructions\b", re.I)


@dataclass(frozen=True)
class Claim:
    """One generated sentence: its text without markers, and the passage numbers it cites."""

    text: str
    cited: tuple[int, ...]


def split_claims(text: str) -> list[Claim]:
    """Sentences of a generated answer with the ``[n]`` markers each one carries.

    Markers written after the full stop ("... in the capital. [2]") belong to the sentence before
    them. Pieces with no letter or digit left once the markers are gone are dropped.
    """
    pieces: list[str] = []
    for s, e in sentence_spans(text):
        segment = text[s:e]
        lead = leading_markers(segment)
        if lead and pieces:
            pieces[-1] += " " + lead.strip()
            segment = segment[len(lead):]
        if segment.strip():
            pieces.append(segment.strip())
    claims = []
    for piece in pieces:
        clean = re.sub(r"\s+([.,;:!?])", r"\1", remove_markers(piece)).strip()
        if clean and any(ch.isalnum() for ch in clean):
            claims.append(Claim(clean, marker_numbers(piece)))
    return claims


def is_instruction(sentence: str) -> bool:
    """True for text that instructs an AI model (a prompt injection) instead of informing a reader."""
    return bool(_INSTRUCTION.search(sentence))


@dataclass(frozen=True)
class EvidenceUnit:
    """A stretch of a passage a claim may be checked against: offsets into the passage text, the
    sentence before it (for pronouns and names), and whether it is two sentences."""

    start: int
    end: int
    previous: str
    pair: bool = False


def evidence_units(text: str) -> list[EvidenceUnit]:
    """Sentences and adjacent sentence pairs of a passage, leaving out injected instructions."""
    spans = sentence_spans(text)
    ok = [not is_instruction(text[s:e]) for s, e in spans]
    units = []
    for i, (s, e) in enumerate(spans):
        prev = text[spans[i - 1][0]:spans[i - 1][1]] if i and ok[i - 1] else ""
        if ok[i]:
            units.append(EvidenceUnit(s, e, prev))
            if i + 1 < len(spans) and ok[i + 1]:
                units.append(EvidenceUnit(s, spans[i + 1][1], prev, pair=True))
    return units


def clauses(text: str) -> list[str]:
    """The clauses of a sentence that joins several (", and", "; ", ", while", ", but"; each at
    least five words), else an empty list."""
    parts = [p.strip(" ,;") for p in re.split(r",\s+and\s+|;\s+|,\s+while\s+|,\s+but\s+", text)]
    return parts if len(parts) > 1 and all(len(p.split()) >= 5 for p in parts) else []
