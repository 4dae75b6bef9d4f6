"""Quantities in a sentence and the noun each counts, for comparing outlets' counts (:mod:`qa_bot.answering.disagreement`).

Generic English patterns only: a quantity and the noun it counts ("14 memorandums of
understanding" for "how many ...s", acronyms included).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa_bot.text.numbers import MONTHS, NUMBER_WORDS, QUANTITY
from qa_bot.text.tokens import STOPWORDS, fold, stem

_TOKEN = re.compile(r"\d[\d,.]*\d|\d|[^\W_][\w'\u2019-]*|\S")
_MAGNITUDE = {"hundred", "thousand", "million", "billion", "trillion", "dozen"}
_YEAR = re.compile(r"\b(?:1[89]|20)\d{2}\b")
_VERBISH = {"were", "was", "did", "do", "does", "have", "has", "had", "are", "is", "will", "would", "can", "could",
            "did", "got", "been", "be"}


@dataclass(frozen=True)
class Quantity:
    """A quantity in a sentence and the words that say what it counts.

    ``text[start:end]`` is the phrase ("14 memorandums of understanding"); ``key`` the number it
    states, normalised ("14"); ``counts_asked`` is True when its noun is the noun the question counts.
    """

    start: int
    end: int
    key: str
    counts_asked: bool


def asked_noun(question: str) -> str:
    """The noun phrase a "how many" question counts ("MOUs" in "How many MOUs were signed?"), or ""."""
    m = re.search(r"\bhow many\s+(.+)", question, re.I)
    if not m:
        return ""
    out: list[str] = []
    for w in re.findall(r"[\w'\u2019-]+", m.group(1))[:4]:
        lw = w.lower()
        if lw in _VERBISH or lw in STOPWORDS or (out and lw.endswith("ed")):
            break
        out.append(w)
    return " ".join(out)


def _matches_noun(words: list[str], noun: str) -> int:
    """How many of ``words`` (from the first) name ``noun``: its stem, or the words its acronym stands for."""
    if not words or not noun:
        return 0
    if stem(fold(words[0])) == stem(fold(noun)):
        return 1
    letters = re.sub(r"s$", "", noun) if noun[:-1].isupper() else ""
    if len(letters) >= 2 and letters.isupper() and len(words) >= len(letters):
        if "".join(w[0].lower() for w in words[: len(letters)]) == letters.lower():
            return len(letters)
    return 0


def quantities(text: str, noun: str = "") -> list[Quantity]:
    """The quantities ``text`` states (not years or days of a date), with the noun each one counts.

    Args:
        text: the sentence.
        noun: the head noun the question counts; a quantity followed by it (one word may come between) is
            ``counts_asked`` and its phrase ends at that noun.
    """
    toks = [(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    head = noun.split()[-1] if noun else ""
    out: list[Quantity] = []
    i = 0
    while i < len(toks):
        tok, s, _ = toks[i]
        low = tok.lower()
        if not QUANTITY.fullmatch(tok) or low in _MAGNITUDE or low in ("once", "twice", "half", "third", "quarter"):
            i += 1
            continue
        j = i + 1
        while j < len(toks) and toks[j][0].lower() in _MAGNITUDE:
            j += 1
        near = toks[max(0, i - 1):j + 1]
        if _YEAR.fullmatch(tok) or any(w.lower() in MONTHS for w, _, _ in near if not w.isdigit()):
            i = j
            continue  # a year or a day of a month, not a count
        after = [w for w, _, _ in toks[j:j + 6]]
        end, asked = toks[j - 1][2], False
        for k in range(0, 2):  # the counted noun heads the phrase: "12 cranes", "12 new cranes"
            if k >= len(after) or not re.match(r"[^\W\d_]", after[k]) or QUANTITY.fullmatch(after[k]):
                break  # punctuation or another number: this quantity counts something else
            used = _matches_noun(after[k:], head)
            if used:
                end, asked = toks[j + k + used - 1][2], True
                break
        if not asked:  # the noun right after the number: "15 cooperation documents"
            for k in range(0, 3):
                if k >= len(after) or not re.match(r"[^\W\d_]", after[k]) or after[k].lower() in STOPWORDS:
                    break
                end = toks[j + k][2]
        key = NUMBER_WORDS.get(low, tok.replace(",", ""))
        out.append(Quantity(s, end, key, asked))
        i = j
    return out
