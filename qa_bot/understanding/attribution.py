"""Who says what: the one home of the rules about names, roles, speech verbs and pronoun openers.

Every module that reads names or speech imports them from here: the vocabulary (:data:`SPEECH_WORDS`,
:data:`REPORTING_VERBS`, :data:`INFLECTED_SPEECH`, :data:`SPEECH_LEMMAS`, :data:`ROLE_NOUNS`,
:data:`TITLES`), the patterns (:data:`NAME`, :data:`NAME_RUN`, :data:`BETWEEN`, :data:`PRONOUN_OPENER`)
and the questions asked of them:

* :func:`asked_speaker` — whose words a question asks for ("What did Kim say about ...?" -> "Kim");
* :func:`speakers_of` — everyone a sentence reports as speaking, for ranking candidate sentences
  ("Kim said ...", "... said Kim", "according to Kim"; "He added ..." takes the previous sentence's);
* :func:`first_speaker` — the one speaker a sentence opens with, for checking a generated claim
  against its evidence (the subject of "Kim assured Park", not the addressee);
* :func:`speaker_named` — whether a quote names a given speaker right before a reporting verb,
  for the right-speaker metric;
* :func:`opens_with_pronoun` — whether a sentence leans on the one before it ("He will also ...").

These read raw text, so they serve a question at run time. Which names in the *coverage* are people
(and who speaks in each of its sentences) is read once at ingest by spaCy's parser and entity
recogniser (:mod:`qa_bot.understanding.entities`); :mod:`qa_bot.news.speakers` combines the two.
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
#: Speech verbs by lemma, as a parser reports them ("said", "has told", "adds" -> "say", "tell", "add"): the
#: verbs whose grammatical subject is a speaker. Verbs of wanting or expecting are views, not speech, and
#: are left out here.
SPEECH_LEMMAS = frozenset("""say tell add argue describe call urge stress note insist warn ask pledge promise recall
    remark emphasise emphasize express voice propose suggest reply answer declare explain hail praise question
    dismiss reject welcome characterise characterize predict claim criticise criticize announce acknowledge
    confirm reiterate underline observe comment mention vow assure convey speak state write interpret""".split())
#: Nouns for something said, which a question may ask for ("What remark did Kim make?").
STATEMENT_NOUNS = frozenset("""remark remarks comment comments statement statements promise pledge message
    metaphor joke quip words warning claim view views position stance reaction response answer""".split())
#: Speech words a singular subject takes as a verb ("Kim said", "Kim stresses"): inflected forms, not the
#: nouns of a stated view ("stance") nor bare forms ("say").
INFLECTED_SPEECH = frozenset(w for w in SPEECH_WORDS if w not in ("views", "position", "stance", "reaction") and (
    w.endswith(("s", "ed")) or w in ("said", "told", "spoke")))
#: A name: a run of up to four capitalised words ("Kim", "Park Ji-hoon", "Foreign Minister Ana Silva").
NAME = r"[A-Z][\w'\u2019-]*(?:\s+[A-Z][\w'\u2019-]*){0,3}"
#: A run of capitalised words of any length (a name with every title and qualifier before it).
NAME_RUN = r"[A-Z][\w'\u2019-]*(?:\s+[A-Z][\w'\u2019-]*)*"
#: Words that may stand between a speaker and the verb ("Kim also said", "Kim had told", "they have said").
BETWEEN = r"(?:also\s+|later\s+|further\s+|then\s+|had\s+|has\s+|have\s+)?"
#: A sentence that opens with a word standing for something named before it ("He will also ...",
#: "They were bought ...", "This was ..."): read alone, it says nothing about whom or what.
PRONOUN_OPENER = re.compile(r"^\W*(?:he|she|they|it|him|her|them|his|its|their|this|these|those|that)\b(?!-)",
                            re.I)


def alternation(words: Iterable[str]) -> str:
    """A regex alternation of ``words``, longest first, so it never stops at a shorter word's prefix."""
    return "|".join(sorted(set(words), key=lambda w: (-len(w), w)))


_SPEECH = alternation(SPEECH_WORDS)

_QUESTION_SPEAKER = [
    re.compile(rf"\b(?:did|does|do|has|have|had|would|will|was|is)\s+(?:the\s+)?(?P<name>{NAME})\s+(?:\w+\s+)?"
               rf"(?:{_SPEECH})\b"),
    re.compile(rf"\b(?:according to|in the view of|per)\s+(?:the\s+)?(?P<name>{NAME})"),
    re.compile(rf"\b(?P<name>{NAME})(?:'s|\u2019s)\s+(?:view|views|position|stance|reaction|remarks?|comments?|message|"
               rf"response|words|answer|assessment|reading|argument|complaint|criticism|request|proposal|pledge|"
               rf"promise|point)\b"),
    re.compile(rf"^(?:how|what|why|when|where)\s+(?P<name>{NAME})\s+(?:{_SPEECH})\b", re.I),
]
_PRONOUN_START = re.compile(rf"^\W*(?:he|she|they)\s+{BETWEEN}(?:{_SPEECH})\b", re.I)
_SUBJECT_VERB = re.compile(rf"(?P<name>{NAME})(?:,[^,]{{1,80}},)?\s+{BETWEEN}(?:{_SPEECH})\b")
_VERB_SUBJECT = re.compile(rf"\b(?:{_SPEECH})\s+(?P<name>{NAME})")
_ACCORDING = re.compile(rf"\b[Aa]ccording to\s+(?:the\s+)?(?P<name>{NAME})|"
                        rf"\bIn\s+(?P<name2>{NAME})(?:'s|\u2019s)\s+(?:view|words|telling|reading)")
#: The first speaker: the name right before a speech verb ("Kim assured Park": Kim), or after "according to".
_FIRST_SPEAKER = re.compile(rf"(?P<name>{NAME})(?:,[^,]{{1,80}},)?\s+{BETWEEN}(?:{_SPEECH})\b|"
                            rf"\b[Aa]ccording to\s+(?:the\s+)?(?P<name2>{NAME})")
#: Nouns of office or trade that name a person's role ("the adviser", "Foreign Minister ...", "analyst ...").
ROLE_NOUNS = frozenset("""adviser advisor minister president premier chancellor chairman chairwoman chairperson chair
    secretary spokesperson spokesman spokeswoman ambassador envoy governor mayor senator general commissioner
    director chief aide official leader analyst professor researcher economist lawmaker legislator head
    executive""".split())
#: Words that stand before a name without being part of it: honorifics and every role noun
#: ("Foreign Minister Ana Silva" is Ana Silva).
TITLES = ROLE_NOUNS | frozenset("mr mrs ms dr prof sir dame rep sen gov".split())
# Capitalised words that are not names: titles, sentence adverbs and conjunctions missing from
# STOPWORDS, and month and weekday names.
_FUNCTION_WORDS = frozenset("""however meanwhile instead still yet although though because since thus therefore
    moreover""".split())
_CALENDAR_WORDS = frozenset(n.lower() for n in (*calendar.month_name, *calendar.day_name) if n)
_NOT_NAME_WORDS = STOPWORDS | TITLES | _FUNCTION_WORDS | _CALENDAR_WORDS


def opens_with_pronoun(sentence: str) -> bool:
    """True when ``sentence`` opens with a pronoun or demonstrative that stands for something named before it."""
    return bool(PRONOUN_OPENER.match(sentence))


def is_name_word(word: str) -> bool:
    """True for a capitalised word that can be part of a person's name: not a function word, a
    pronoun, a title, or a month or weekday name ("Kim", "Ji-hoon"; not "He", "Minister", "Monday")."""
    return bool(word) and word[0].isupper() and word.lower().strip("'\u2019") not in _NOT_NAME_WORDS


def name_tokens(name: str) -> set[str]:
    """The distinctive words of a name, lower-cased ("Park Ji-hoon" -> {"park", "ji-hoon"}); titles and fillers dropped."""
    return {p.lower().strip("'\u2019") for p in name.split() if is_name_word(p)}


def clean_name(raw: str) -> str:
    """A matched run of capitalised words reduced to the name it holds: the words after its last
    title, without non-name words at either end ("Northland's Foreign Minister Ana Silva" -> "Ana Silva",
    "Then Kim" -> "Kim")."""
    words = raw.split()
    titles = [i for i, w in enumerate(words) if w.lower() in TITLES]
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
            candidate = clean_name(m.group("name"))
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
            found |= name_tokens(clean_name(m.group("name")))
    for m in _ACCORDING.finditer(sentence):
        found |= name_tokens(clean_name(m.group("name") or m.group("name2") or ""))
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
        words = name_tokens(clean_name(name))
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
