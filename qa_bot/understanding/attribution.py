"""Who says what: the speaker a question asks about, and the speaker a sentence reports.

One vocabulary of speech words and one name pattern serve every stage; the stages ask different
questions of them, so each question is its own function:

* :func:`asked_speaker` — whose words a question asks for ("What did Kim say about ...?" -> "Kim");
* :func:`speakers_of` — everyone a sentence reports as speaking, for ranking candidate sentences
  ("Kim said ...", "... said Kim", "according to Kim"; "He added ..." takes the previous sentence's);
* :func:`first_speaker` — the one speaker a sentence opens with, for checking a generated claim
  against its evidence (the subject of "Kim assured Park", not the addressee);
* :func:`speaker_named` — whether a quote names a given speaker right before a reporting verb,
  for the right-speaker metric.

Names are capitalised word runs (:data:`NAME`); :func:`name_tokens` keeps their distinctive words.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable

from qa_bot.text.tokens import STOPWORDS, fold

#: Reporting verbs as narrative text inflects them ("Kim said", "Park told reporters"): the core set
#: that attributes words to a speaker. The right-speaker metric uses this set alone.
REPORTING_VERBS = (
    "said", "says", "told", "added", "argued", "described", "called", "urged", "stressed", "noted", "insisted",
    "warned", "asked", "pledged", "promised", "recalled", "remarked", "emphasised", "emphasized", "expressed",
    "voiced", "proposed", "suggested", "replied", "answered", "declared", "explained", "hailed", "praised",
    "questioned", "dismissed", "rejected", "welcomed", "framed", "characterised", "characterized", "predicted",
    "expects", "expected", "wants", "wanted",
)
#: Every word that marks speech or a stated view: the reporting verbs in all their forms, verbs of
#: stating, judging and answering, and nouns for a stated view ("stance", "reaction").
SPEECH_WORDS = REPORTING_VERBS + (
    "say", "saying", "tell", "tells", "add", "argue", "describe", "call", "urge", "stress", "note", "insist", "warn",
    "ask", "pledge", "promise", "remark", "emphasise", "emphasize", "express", "voice", "propose", "suggest",
    "reply", "answer", "declare", "explain", "hail", "praise", "question", "dismiss", "reject", "welcome", "frame",
    "characterise", "characterize", "predict", "expect", "want",
    "think", "thinks", "believe", "believes", "claim", "claimed", "claims", "criticise", "criticised", "criticize",
    "criticized", "announce", "announced", "recall", "acknowledge", "acknowledged", "confirm", "confirmed",
    "reiterate", "reiterated", "underline", "underlined", "observe", "observed", "read", "interpreted", "interpret",
    "judged", "judge", "react", "reacted", "respond", "responded", "comment", "commented", "mention", "mentioned",
    "raise", "raised", "highlight", "highlighted", "cited", "cite", "vowed", "vow", "agreed", "agree", "assured",
    "assure", "conveyed", "convey", "spoke", "speak", "stated", "state",
    "view", "views", "position", "stance", "reaction",
)
#: A name: a run of up to four capitalised words ("Kim", "Park Ji-hoon", "Foreign Minister Ana Silva").
NAME = r"[A-Z][\w'\u2019-]*(?:\s+[A-Z][\w'\u2019-]*){0,3}"

# Longest first, so an alternation never stops at a shorter word's prefix.
_SPEECH = "|".join(sorted(set(SPEECH_WORDS), key=lambda w: (-len(w), w)))
# Words that may stand between a speaker and the verb ("Kim also said", "Kim had told").
_BETWEEN = r"(?:also\s+|later\s+|further\s+|then\s+|had\s+|has\s+)?"

_QUESTION_SPEAKER = [
    re.compile(rf"\b(?:did|does|do|has|have|had|would|will|was|is)\s+(?:the\s+)?(?P<name>{NAME})\s+(?:\w+\s+)?"
               rf"(?:{_SPEECH})\b"),
    re.compile(rf"\b(?:according to|in the view of|per)\s+(?:the\s+)?(?P<name>{NAME})"),
    re.compile(rf"\b(?P<name>{NAME})(?:'s|\u2019s)\s+(?:view|views|position|stance|reaction|remarks?|comments?|message|"
               rf"response|words|answer|assessment|reading|argument|complaint|criticism|request|proposal|pledge|"
               rf"promise|point)\b"),
    re.compile(rf"^(?:how|what|why|when|where)\s+(?P<name>{NAME})\s+(?:{_SPEECH})\b", re.I),
]
_PRONOUN_START = re.compile(rf"^\W*(?:he|she|they)\s+{_BETWEEN}(?:{_SPEECH})\b", re.I)
_SUBJECT_VERB = re.compile(rf"(?P<name>{NAME})(?:,[^,]{{1,80}},)?\s+{_BETWEEN}(?:{_SPEECH})\b")
_VERB_SUBJECT = re.compile(rf"\b(?:{_SPEECH})\s+(?P<name>{NAME})")
_ACCORDING = re.compile(rf"\b[Aa]ccording to\s+(?:the\s+)?(?P<name>{NAME})|"
                        rf"\bIn\s+(?P<name2>{NAME})(?:'s|\u2019s)\s+(?:view|words|telling|reading)")
#: The first speaker: the name right before a speech verb ("Kim assured Park": Kim), or after "according to".
_FIRST_SPEAKER = re.compile(rf"(?P<name>{NAME})(?:,[^,]{{1,80}},)?\s+{_BETWEEN}(?:{_SPEECH})\b|"
                            rf"\b[Aa]ccording to\s+(?:the\s+)?(?P<name2>{NAME})")
# Capitalised words that are not names: titles and offices (a title also ends the words that
# describe the person: "Foreign Minister Ana Silva" is Ana Silva), sentence adverbs and
# conjunctions missing from STOPWORDS, and month and weekday names.
_TITLES = frozenset("""mr mrs ms dr prof sir dame rep sen gov president premier minister chancellor chairman
    chairwoman chairperson chair secretary adviser advisor spokesman spokeswoman spokesperson ambassador envoy
    governor mayor senator general commissioner director""".split())
_FUNCTION_WORDS = frozenset("""however meanwhile instead still yet although though because since thus therefore
    moreover""".split())
_CALENDAR_WORDS = frozenset(n.lower() for n in (*calendar.month_name, *calendar.day_name) if n)
_NOT_NAME_WORDS = STOPWORDS | _TITLES | _FUNCTION_WORDS | _CALENDAR_WORDS


def is_name_word(word: str) -> bool:
    """True for a capitalised word that can be part of a person's name: not a function word, a
    pronoun, a title, or a month or weekday name ("Kim", "Ji-hoon"; not "He", "Minister", "Monday")."""
    return bool(word) and word[0].isupper() and word.lower().strip("'\u2019") not in _NOT_NAME_WORDS


def name_tokens(name: str) -> set[str]:
    """The distinctive words of a name, lower-cased ("Park Ji-hoon" -> {"park", "ji-hoon"}); titles and fillers dropped."""
    return {p.lower().strip("'\u2019") for p in name.split() if is_name_word(p)}


def _clean_name(raw: str) -> str:
    """A matched run of capitalised words reduced to the name it holds: the words after its last
    title, without non-name words at either end ("Northland's Foreign Minister Ana Silva" -> "Ana Silva",
    "Then Kim" -> "Kim")."""
    words = raw.split()
    titles = [i for i, w in enumerate(words) if w.lower() in _TITLES]
    if titles:
        words = words[titles[-1] + 1:]
    while words and not is_name_word(words[0]):
        words = words[1:]
    while words and not is_name_word(words[-1]):
        words = words[:-1]
    return " ".join(words)


def asked_speaker(question: str, outlets: Iterable[str] = ()) -> str:
    """The person whose words ``question`` asks for, or ``""``.

    "What did Kim say about ...?", "according to Kim", "Kim's view of ...". A name that is part of
    one of ``outlets`` (the outlets the question names) is a source, not a speaker.
    """
    folded_outlets = [fold(o) for o in outlets]
    for pattern in _QUESTION_SPEAKER:
        m = pattern.search(question)
        if m:
            candidate = _clean_name(m.group("name"))
            if candidate and not any(fold(candidate) in o for o in folded_outlets):
                return candidate
    return ""


def speakers_of(sentence: str, previous: str = "") -> set[str]:
    """Name tokens of everyone ``sentence`` reports as speaking.

    Args:
        sentence: the sentence to read ("Kim said ...", "... said Kim", "According to Kim, ...").
        previous: the sentence before it; a sentence that opens "He said ..." (and names nobody)
            reports the previous sentence's speakers.
    """
    found: set[str] = set()
    head = sentence[:160]
    for pattern in (_SUBJECT_VERB, _VERB_SUBJECT):
        for m in pattern.finditer(head):
            found |= name_tokens(_clean_name(m.group("name")))
    for m in _ACCORDING.finditer(sentence):
        found |= name_tokens(_clean_name(m.group("name") or m.group("name2") or ""))
    if not found and previous and _PRONOUN_START.search(sentence):
        found = speakers_of(previous)
    return found


def first_speaker(sentence: str, previous: str = "") -> set[str]:
    """Lower-cased name tokens of the first speaker ``sentence`` reports, or an empty set.

    The subject of "X said" counts, not the addressee, and not a possessive ("Asked about Kim's
    call, Park said" is Park speaking). A sentence that opens "He said ..." (and names nobody)
    takes the first speaker of ``previous``.
    """
    for m in _FIRST_SPEAKER.finditer(sentence[:200]):
        name = m.group("name") or m.group("name2") or ""
        if re.search(r"['\u2019]s$", name):
            continue
        words = name_tokens(_clean_name(name))
        if words:
            return words
    if previous and _PRONOUN_START.search(sentence):
        return first_speaker(previous)
    return set()


def speaker_named(quote: str, speaker: str) -> bool:
    """True when ``quote`` has ``speaker``'s name (or any part of it) right before a reporting verb,
    or after "according to" ("Park Ji-hoon told ...", "Park said", "According to Park, ...")."""
    parts = [p for p in re.split(r"[\s-]+", speaker) if len(p) > 1]
    if not parts:
        return False
    names = "|".join(re.escape(p) for p in parts + [speaker])
    verbs = "|".join(REPORTING_VERBS)
    return re.search(rf"\b(?:{names})(?:'s)?\b(?:\W+\w+){{0,3}}?\W+(?:{verbs})\b", quote) is not None or \
        re.search(rf"\b[Aa]ccording to (?:\w+\W+){{0,2}}(?:{names})\b", quote) is not None
