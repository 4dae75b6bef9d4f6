"""The exact span of a sentence that answers a typed question: a count, an amount, a date, a name.

Generic English patterns only: a quantity and the noun it counts ("14 memorandums of
understanding" for "how many ...s", acronyms included), money, durations, calendar dates, clock
times, and capitalised names that the question does not already contain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from qa_bot.text.numbers import CLOCK_TIME, DURATION, MONEY, MONTHS, NUMBER_WORDS, QUANTITY, TIME_OF_DAY
from qa_bot.text.tokens import STOPWORDS, fold, stem
from qa_bot.understanding.attribution import is_name_word
from qa_bot.understanding.analysis import QueryAnalysis

#: Answer types that have a short, exact answer span.
SHORT_ANSWER_TYPES = ("number", "date", "time", "person", "place", "entity")

_TOKEN = re.compile(r"\d[\d,.]*\d|\d|[^\W_][\w'\u2019-]*|\S")
_MAGNITUDE = {"hundred", "thousand", "million", "billion", "trillion", "dozen"}
_VERBISH = {"were", "was", "did", "do", "does", "have", "has", "had", "are", "is", "will", "would", "can", "could",
            "did", "got", "been", "be"}
_MONTH = "|".join(sorted((m for m in MONTHS if len(m) > 3 or m == "may"), key=len, reverse=True))
_DATE_SPAN = re.compile(rf"\b(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{_MONTH})(?:,?\s+\d{{4}})?|(?:{_MONTH})\s+\d{{1,2}}"
                        rf"(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?|(?:{_MONTH})\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}})\b", re.I)
_YEAR = re.compile(r"\b(?:1[89]|20)\d{2}\b")
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w'\u2019-]*(?:\s+(?:of\s+the\s+|of\s+|de\s+)?[A-Z][\w'\u2019-]*)*")
_MONEY_TAIL = re.compile(r"[\d,.]*(?:\s*(?:billion|million|trillion|bn|tn))?(?:\s+(?:won|yuan|dollars?|euros?|yen|"
                         r"rupees?|francs?|pesos?|rubles?|roubles?|[A-Z]{3}))?")


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


def _new(span: tuple[int, int] | None, text: str, question: str) -> tuple[int, int] | None:
    if span and fold(text[span[0]:span[1]]) not in fold(question):
        return span
    return None


def short_span(analysis: QueryAnalysis, text: str) -> tuple[int, int] | None:
    """Offsets in ``text`` of the exact words that answer the question, or None.

    "How many X" wants a quantity of X; "how much"/"cost"/"worth" an amount of money; "how long"
    a duration; "when" a calendar date (else a year); "what time" a clock time; "who" a name of
    two or more words; "where" and "which organisation" a capitalised name. A span the question
    already contains is not an answer.
    """
    kind, q = analysis.answer_type, analysis.question
    lq = q.lower()
    if kind == "number":
        noun = asked_noun(q)
        if noun:
            found = [x for x in quantities(text, noun) if x.counts_asked]
            return _new((found[0].start, found[0].end), text, q) if found else None
        if re.search(r"how much|worth|cost|price|amount|value", lq):
            m = MONEY.search(text)
            if m:
                tail = _MONEY_TAIL.match(text, m.end())
                return _new((m.start(), tail.end() if tail else m.end()), text, q)
        if "how long" in lq:
            m = DURATION.search(text)
            return _new((m.start(), m.end()), text, q) if m else None
        found = quantities(text)
        return _new((found[0].start, found[0].end), text, q) if found else None
    if kind == "date":
        for pattern in (_DATE_SPAN, _YEAR):
            for m in pattern.finditer(text):
                span = _new((m.start(), m.end()), text, q)
                if span:
                    return span
        return None
    if kind == "time":
        for pattern in (CLOCK_TIME, TIME_OF_DAY):
            for m in pattern.finditer(text):
                span = _new((m.start(), m.end()), text, q)
                if span:
                    return span
        return None
    if kind in ("person", "place", "entity"):
        for m in _NAME.finditer(text):
            name = m.group(0)
            if kind == "person" and len(name.split()) < 2 and "-" not in name:
                continue
            if not any(is_name_word(w) for w in name.split()) or all(fold(w) in fold(q) for w in name.split()):
                continue  # a weekday, month, title or function word is no name; nor is what the question says
            return m.start(), m.end()
    return None
