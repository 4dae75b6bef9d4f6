"""Reading a question: who it asks about, what about, according to which outlet, and when.

Everything here is derived from the question's words and the index's own metadata (the outlet
names of indexed articles); no names, questions or answers are built in.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date

from qa_bot.text.tokens import STOPWORDS, content_words, fold

SPEECH_VERBS = (
    "say", "said", "says", "saying", "tell", "told", "tells", "add", "added", "argue", "argued", "describe", "described",
    "call", "called", "urge", "urged", "stress", "stressed", "note", "noted", "insist", "insisted", "warn", "warned",
    "ask", "asked", "pledge", "pledged", "promise", "promised", "remark", "remarked", "emphasise", "emphasised",
    "emphasize", "emphasized", "express", "expressed", "voice", "voiced", "propose", "proposed", "suggest",
    "suggested", "reply", "replied", "answer", "answered", "declare", "declared", "explain", "explained", "hail",
    "hailed", "praise", "praised", "question", "questioned", "dismiss", "dismissed", "reject", "rejected", "welcome",
    "welcomed", "frame", "framed", "characterise", "characterised", "characterize", "characterized", "predict",
    "predicted", "expect", "expects", "expected", "want", "wants", "wanted", "think", "thinks", "believe", "believes",
    "claim", "claimed", "claims", "criticise", "criticised", "criticize", "criticized", "announce", "announced",
    "describe", "recall", "recalled", "acknowledge", "acknowledged", "confirm", "confirmed", "reiterate",
    "reiterated", "underline", "underlined", "observe", "observed", "read", "interpreted", "interpret", "judged",
    "judge", "view", "views", "position", "stance", "reaction", "react", "reacted", "respond", "responded",
    "comment", "commented", "mention", "mentioned", "raise", "raised", "highlight", "highlighted", "cited", "cite",
    "vowed", "vow", "agreed", "agree", "assured", "assure", "conveyed", "convey", "spoke", "speak", "stated", "state",
)
_SPEECH = "|".join(sorted(set(SPEECH_VERBS), key=len, reverse=True))
_NAME = r"[A-Z][\w'\u2019-]*(?:\s+[A-Z][\w'\u2019-]*){0,3}"
_Q_SPEAKER = [
    re.compile(rf"\b(?:did|does|do|has|have|had|would|will|was|is)\s+(?:the\s+)?(?P<name>{_NAME})\s+(?:\w+\s+)?(?:{_SPEECH})\b"),
    re.compile(rf"\b(?:according to|in the view of|per)\s+(?:the\s+)?(?P<name>{_NAME})"),
    re.compile(rf"\b(?P<name>{_NAME})(?:'s|\u2019s)\s+(?:view|views|position|stance|reaction|remarks?|comments?|message|response|words|answer|assessment|reading|argument|complaint|criticism|request|proposal|pledge|promise|point)\b"),
    re.compile(rf"^(?:how|what|why|when|where)\s+(?P<name>{_NAME})\s+(?:{_SPEECH})\b", re.I),
]
_PRONOUN_START = re.compile(rf"^\W*(?:he|she|they)\s+(?:also\s+|later\s+|further\s+|then\s+)?(?:{_SPEECH})\b", re.I)
_SUBJECT_VERB = re.compile(rf"(?P<name>{_NAME})(?:,[^,]{{1,80}},)?\s+(?:also\s+|later\s+|further\s+|then\s+|had\s+|has\s+)?(?:{_SPEECH})\b")
_VERB_SUBJECT = re.compile(rf"\b(?:{_SPEECH})\s+(?P<name>{_NAME})")
_ACCORDING = re.compile(rf"\b[Aa]ccording to\s+(?:the\s+)?(?P<name>{_NAME})|\bIn\s+(?P<name2>{_NAME})(?:'s|\u2019s)\s+(?:view|words|telling|reading)")
_NOT_NAMES = {"He", "She", "They", "We", "I", "You", "The", "A", "An", "This", "That", "These", "Those", "It", "In", "On", "At", "For", "But", "And", "As",
              "After", "Before", "When", "While", "What", "Who", "How", "Why", "Where", "Which", "Did", "Does", "Do",
              "If", "Asked", "Speaking", "Seoul", "Beijing", "Tokyo", "Korea", "China", "Japan", "South", "North",
              "Chinese", "Korean", "Japanese", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
              "Sunday", "January", "February", "March", "April", "May", "June", "July", "August", "September",
              "October", "November", "December", "President", "Premier", "Minister", "Mr", "Ms", "Dr", "Rep",
              "Vice", "National", "Security", "Adviser", "Foreign", "Prime", "Chairman", "Both", "His", "Her",
              "Its", "Their", "Our", "Meanwhile", "However", "Instead", "There", "Here", "Still", "Yet", "So"}
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_DATE_PATTERNS = [
    re.compile(r"\b(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+(?P<month>[A-Z][a-z]{2,8})\b(?:,?\s+(?P<year>\d{4}))?"),
    re.compile(r"\b(?P<month>[A-Z][a-z]{2,8})\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(?P<year>\d{4}))?"),
    re.compile(r"\b(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})\b"),
]


def name_tokens(name: str) -> set[str]:
    """The distinctive parts of a name ("Wi Sung-lac" -> {"wi", "sung-lac"}); titles and fillers dropped."""
    parts = re.split(r"\s+", name.strip())
    return {p.lower().strip("'\u2019") for p in parts if p and p[0].isupper() and p not in _NOT_NAMES}


def _clean_name(raw: str) -> str:
    words = raw.split()
    while words and words[0] in _NOT_NAMES:
        words = words[1:]
    while words and words[-1] in _NOT_NAMES:
        words = words[:-1]
    return " ".join(words)


@dataclass(frozen=True)
class QueryAnalysis:
    """What a question asks for, beyond its words."""

    question: str
    speaker: str = ""
    speaker_tokens: frozenset[str] = frozenset()
    topic_terms: tuple[str, ...] = ()
    outlets: tuple[str, ...] = ()
    dates: tuple[date, ...] = ()
    answer_type: str = ""  # number | date | person | place | ""
    is_quote_question: bool = False
    extra: dict = field(default_factory=dict, compare=False)


_TYPE_RULES = [
    ("time", r"(what|which) time|at what time|how early|how late"),
    ("number", r"how (many|much|far|long|large|big|tall|heavy|old|high)|what (number|percentage|share|figure|size|range|"
               r"amount|distance|value|sum|total|proportion|height|weight)|by how much"),
    ("date", r"when|(what|which|on what) (date|day|year|month|week)|in what year"),
    ("person", r"who|whom|whose|(which|what)(\s+[\w-]+){0,2} (official|minister|leader|person|people|analyst|lawmaker|politician|"
               r"executive|scholar|diplomat|spokes\w*|adviser|premier|president|chairm[ae]n|lady|reporter)"),
    ("place", r"where|(which|what)(\s+[\w-]+){0,2} (city|place|country|venue|building|airfield|airport|base|park|site|location|hotel|"
              r"museum|island|region|province|town|capital)"),
    ("entity", r"(which|what)(\s+[\w-]+){0,2} (company|companies|firm|firms|outlet|paper|newspaper|agency|institution|organi[sz]ation|"
               r"group|party|ministry|museum|shipbuilder|bank|body|university|institute|brand|phone|document|platform)"),
]


def answer_type(question: str) -> str:
    """What kind of thing answers the question: time, number, date, person, place, entity, or ""."""
    q = question.lower()
    for kind, pattern in _TYPE_RULES:
        if re.search(rf"(^|[\s,(]){pattern}\b", q):
            return kind
    return ""


def find_dates(text: str, default_year: int | None = None) -> list[date]:
    """Calendar dates written in ``text`` ("January 5", "5 January 2026", "2026-01-05")."""
    out: list[date] = []
    for pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            month_raw = m.group("month")
            month = int(month_raw) if month_raw.isdigit() else _MONTHS.get(month_raw.lower())
            if not month:
                continue
            year = int(m.group("year")) if m.group("year") else default_year
            if not year:
                continue
            try:
                out.append(date(year, month, int(m.group("day"))))
            except ValueError:
                continue
    return sorted(set(out))


def match_outlets(question: str, outlets: list[str]) -> tuple[str, ...]:
    """Outlets the question names, by their distinctive words ("the Tokyo paper" -> "Tokyo Evening Courier")."""
    q = set(fold(question).split())
    found = []
    generic = {"daily", "news", "times", "review", "wire", "desk", "the", "paper", "post", "monitor", "ledger",
               "courier", "asia", "journal", "evening", "herald", "press", "media", "online"}
    for outlet in outlets:
        words = [w for w in fold(outlet).split() if w not in STOPWORDS and w not in generic]
        full = fold(outlet)
        if f" {full} " in f" {fold(question)} " or (words and all(w in q for w in words)):
            found.append(outlet)
    return tuple(found)


def analyse(question: str, outlets: list[str] | None = None, default_year: int | None = None) -> QueryAnalysis:
    """Read the speaker, topic, outlets, dates and expected answer type from a question."""
    outlets_found = match_outlets(question, outlets or [])
    speaker = ""
    for pattern in _Q_SPEAKER:
        m = pattern.search(question)
        if m:
            candidate = _clean_name(m.group("name"))
            if candidate and not any(fold(candidate) in fold(o) for o in outlets_found):
                speaker = candidate
                break
    tokens = frozenset(name_tokens(speaker))
    skip = set(tokens) | {w for w in SPEECH_VERBS} | {"view", "position", "stance", "reaction", "remark", "comment"}
    outlet_words = {w for o in outlets_found for w in fold(o).split()}
    topic = tuple(w for w in content_words(question) if w not in skip and w not in outlet_words)
    return QueryAnalysis(
        question=question, speaker=speaker, speaker_tokens=tokens, topic_terms=topic, outlets=outlets_found,
        dates=tuple(find_dates(question, default_year)), answer_type=answer_type(question),
        is_quote_question=bool(speaker),
    )


def sentence_speakers(sentence: str, previous: str = "") -> set[str]:
    """Name tokens of whoever the sentence reports as speaking (pronoun openers take the previous speaker)."""
    found: set[str] = set()
    head = sentence[:160]
    for pattern in (_SUBJECT_VERB, _VERB_SUBJECT):
        for m in pattern.finditer(head):
            found |= name_tokens(_clean_name(m.group("name")))
    for m in _ACCORDING.finditer(sentence):
        found |= name_tokens(_clean_name(m.group("name") or m.group("name2") or ""))
    if not found and previous and _PRONOUN_START.search(sentence):
        found = sentence_speakers(previous)
    return found
