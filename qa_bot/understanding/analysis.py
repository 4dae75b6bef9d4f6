"""Reading a question: who it asks about, what about, according to which outlet, and when.

Everything here is derived from the question's words and the index's own metadata (the outlet
names of indexed articles); no names, questions or answers are built in.

Whose words a question asks for is read by the patterns of :func:`~qa_bot.understanding.attribution.asked_speaker`
("What did Kim say ...", "according to Kim"); when they find no one in a question about what someone said
("What remark did Kim make ...?", "What promise did Kim give?"), spaCy's entity recogniser and parser name
the person who is the subject of the question (:func:`parsed_speaker`). Measured on the 158 questions of
the two summit gold sets: the patterns name the asked speaker of 22 of the 32 quote questions, the two
together 25; the parse names a speaker in one other question ("... did Lee and Xi call for?", about their
words too) and no wrong one.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from qa_bot.errors import ConfigError
from qa_bot.text.numbers import find_dates
from qa_bot.text.tokens import STOPWORDS, content_words, fold
from qa_bot.understanding.attribution import SPEECH_WORDS, STATEMENT_NOUNS, asked_speaker, clean_name, name_tokens


@dataclass(frozen=True)
class QueryAnalysis:
    """What a question asks for, beyond its words."""

    question: str
    speaker: str = ""
    speaker_tokens: frozenset[str] = frozenset()
    topic_terms: tuple[str, ...] = ()
    outlets: tuple[str, ...] = ()
    dates: tuple[date, ...] = ()
    answer_type: str = ""  # time | number | date | person | place | entity | ""
    is_quote_question: bool = False
    extra: dict = field(default_factory=dict, compare=False)


# The answer type from the wh-word and, for "which/what ... NOUN", the question's head noun, in
# general categories of English nouns. The first rule that matches wins.
_PERSON_NOUNS = (r"person|people|man|men|woman|women|officials?|leaders?|ministers?|presidents?|politicians?|"
                 r"executives?|spokes\w*|experts?|members?|advisers?|advisors?")
_PLACE_NOUNS = (r"city|cities|towns?|villages?|places?|country|countries|nations?|regions?|provinces?|areas?|"
                r"sites?|locations?|buildings?|capitals?|islands?")
_ORGANISATION_NOUNS = (r"company|companies|firms?|organi[sz]ations?|institutions?|agency|agencies|groups?|party|"
                       r"parties|governments?|ministry|ministries|newspapers?|outlets?")
_TYPE_RULES = [
    ("time", r"(what|which) time|at what time|how early|how late"),
    ("number", r"how (many|much|far|long|large|big|tall|heavy|old|high)|what (number|percentage|share|figure|size|range|"
               r"amount|distance|value|sum|total|proportion|height|weight)|by how much"),
    ("date", r"when|(what|which|on what) (date|day|year|month|week)|in what year"),
    ("person", rf"who|whom|whose|(which|what)(\s+[\w-]+){{0,2}} ({_PERSON_NOUNS})"),
    ("place", rf"where|(which|what)(\s+[\w-]+){{0,2}} ({_PLACE_NOUNS})"),
    ("entity", rf"(which|what)(\s+[\w-]+){{0,2}} ({_ORGANISATION_NOUNS})"),
]


def answer_type(question: str) -> str:
    """What kind of thing answers the question: time, number, date, person, place, entity, or ""."""
    q = question.lower()
    for kind, pattern in _TYPE_RULES:
        if re.search(rf"(^|[\s,(]){pattern}\b", q):
            return kind
    return ""


def match_outlets(question: str, outlets: list[str]) -> tuple[str, ...]:
    """Outlets the question names: by full name, or by all the words that set the outlet apart.

    A word in the names of several outlets ("Daily", "News") tells none of them apart, so only the
    other words must occur. With "Lantern Daily", "Harbour Daily" and "Harbour News" indexed,
    "according to Lantern" names Lantern Daily, "the Harbour paper" names none of them, and
    "the Harbour Daily" names Harbour Daily.
    """
    q = set(fold(question).split())
    folded_question = f" {fold(question)} "
    shared = Counter(w for o in set(outlets) for w in set(fold(o).split()))
    found = []
    for outlet in outlets:
        full = fold(outlet)
        words = [w for w in full.split() if w not in STOPWORDS and shared[w] == 1]
        if f" {full} " in folded_question or (words and all(w in q for w in words)):
            found.append(outlet)
    return tuple(found)


def parsed_speaker(question: str, outlets: tuple[str, ...] = ()) -> str:
    """The person a question about someone's words names as its subject, read by spaCy, or ``""``.

    Only a question that speaks of words (a speech verb or a noun for a statement: "remark", "promise") and
    holds a capitalised word after its first is parsed; the model loads on the first such question. The
    person must be the subject of the question's verb ("did Kim make", not "Kim's approach" or "for Kim");
    an outlet never is.
    """
    words = set(re.findall(r"[a-z]+", question.lower()))
    if not words & (set(SPEECH_WORDS) | STATEMENT_NOUNS) or not re.search(r"\s[A-Z]", question):
        return ""
    try:
        from qa_bot.understanding.entities import load_pipeline

        doc = load_pipeline()(question)
    except ConfigError:  # no model: the patterns alone
        return ""
    subjects = [e for e in doc.ents if e.label_ == "PERSON" and any(t.dep_ == "nsubj" for t in e)]
    name = clean_name(subjects[0].text) if subjects else ""
    return "" if not name or any(fold(name) in fold(o) for o in outlets) else name


def analyse(question: str, outlets: list[str] | None = None, default_year: int | None = None) -> QueryAnalysis:
    """Read the speaker, topic, outlets, dates and expected answer type from a question."""
    outlets_found = match_outlets(question, outlets or [])
    speaker = asked_speaker(question, outlets_found) or parsed_speaker(question, outlets_found)
    tokens = frozenset(name_tokens(speaker))
    skip = set(tokens) | set(SPEECH_WORDS) | {"view", "position", "stance", "reaction", "remark", "comment"}
    outlet_words = {w for o in outlets_found for w in fold(o).split()}
    topic = tuple(w for w in content_words(question) if w not in skip and w not in outlet_words)
    return QueryAnalysis(
        question=question, speaker=speaker, speaker_tokens=tokens, topic_terms=topic, outlets=outlets_found,
        dates=tuple(find_dates(question, default_year)), answer_type=answer_type(question),
        is_quote_question=bool(speaker),
    )
