"""Who speaks in each sentence of the coverage, by full name: the attribution behind ``qa-bot said``.

:mod:`qa_bot.understanding.attribution` reads one sentence at a time and returns the name words it
finds ("Kim said" -> {"kim"}). A page of statements needs more: the *person*, the same across
sentences and articles. So, article by article:

* **Speaker of a sentence.** A name set off by commas right before a speech verb ("China's envoy,
  Ana Silva, said": Ana Silva), else the subject of a reporting verb
  (:func:`~qa_bot.understanding.attribution.first_speaker`), else — in a sentence with quotation marks —
  whoever it reports speaking ('"...," said Kim'). The name must stand before an *inflected* speech
  verb ("Kim said", "Kim has stressed"; not "the Taiwan question", "Kim's view") or after
  "according to". "He added ..." continues the previous sentence's speaker; a role ("the national
  security adviser said") is the person the article names with that role.
* **Full names.** A short form ("Kim") is the fullest name of a *person* in the article that holds
  it (a person: named with a role, "Minister Kim Min-jun", or speaking under the full name), the
  one named most recently when there are two. An article that never completes it borrows the
  corpus's full name when exactly one person fits. A capitalised word the article also writes in
  lower case ("Analysts said"), or only ever at the start of a sentence ("Critics argued"), is not a name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from qa_bot.answering.candidates import Candidate, candidates
from qa_bot.answering.claims import is_instruction
from qa_bot.models import Hit, Passage
from qa_bot.understanding.attribution import SPEECH_WORDS, first_speaker, is_name_word, name_tokens, speakers_of

#: Nouns of office or trade that name a person's role ("the adviser", "Foreign Minister ...", "analyst ...").
ROLE_NOUNS = ("adviser", "advisor", "minister", "president", "spokesperson", "spokesman", "spokeswoman",
              "secretary", "ambassador", "envoy", "chairman", "chairwoman", "chair", "director", "governor",
              "mayor", "senator", "chief", "premier", "chancellor", "commissioner", "aide", "official", "leader",
              "analyst", "professor", "researcher", "economist", "lawmaker", "legislator", "head", "executive")
# Speech words that a singular subject can take as a verb: inflected forms, not nouns ("view") or bare forms.
_ROLE_WORDS = frozenset(ROLE_NOUNS)
_NOUNS = {"views", "position", "stance", "reaction"}
_INFLECTED = sorted((w for w in set(SPEECH_WORDS) if w not in _NOUNS and (w.endswith(("s", "ed")) or w in (
    "said", "told", "spoke"))), key=lambda w: (-len(w), w))
_INFL = "|".join(_INFLECTED)
_ROLE = "|".join(sorted(ROLE_NOUNS, key=lambda w: -len(w)))
_SPEECH = "|".join(sorted(set(SPEECH_WORDS), key=lambda w: (-len(w), w)))
_BETWEEN = r"(?:also\s+|later\s+|further\s+|then\s+|had\s+|has\s+|have\s+)?"
_NAME_RUN = r"[A-Z][\w'\u2019-]*(?:\s+[A-Z][\w'\u2019-]*)*"
_CAPS_RUN = re.compile(_NAME_RUN)
_APPOSITIVE = re.compile(rf",\s+(?P<name>{_NAME_RUN}),\s+{_BETWEEN}(?:{_INFL})\b")
_LOWER_ROLE = re.compile(rf"\b(?P<role>(?:[a-z][\w-]*\s+)?(?:{_ROLE}))\s+$")
_ROLE_SPEAKS = re.compile(rf"\bthe\s+(?P<role>(?:[\w-]+\s+){{0,3}}?(?:{_ROLE}))\b(?:,[^,]{{1,80}},)?\s+{_BETWEEN}"
                          rf"(?:{_INFL})\b|\baccording to the\s+(?P<role2>(?:[\w-]+\s+){{0,3}}?(?:{_ROLE}))\b|"
                          rf"[,\"\u201d]\s*(?:{_SPEECH})\s+the\s+(?P<role3>(?:[\w-]+\s+){{0,3}}?(?:{_ROLE}))\b", re.I)
_PRONOUN_SPEAKS = re.compile(rf"^\W*(?:he|she|they)\s+{_BETWEEN}(?:{_SPEECH})\b", re.I)
_QUOTE_MARKS = ('"', "\u201c", "\u201d")

_Name = tuple[int, str, frozenset[str]]  # offset in the article, the name as written, its name words


@dataclass(frozen=True)
class Attributed:
    """One sentence that reports a person speaking.

    Attributes:
        cand: the sentence (``previous`` is the sentence before it in its article).
        name: the person's fullest name as the coverage writes it.
        tokens: the name's words, lower-cased: the person's identity across articles.
        person: the name is a known person's (named with a role, or speaking under the full name).
    """

    cand: Candidate
    name: str
    tokens: frozenset[str]
    person: bool = False


def attributed(bot) -> list[Attributed]:
    """Every sentence of the index that reports someone speaking, the speaker resolved to a full name."""
    store = bot.store
    found: list[Attributed] = []
    for record in store.articles():
        a = record.article
        hits = [Hit(Passage(f"{a.id}:{n}", a.id, a.text[start:end], start, end, a.title, a.outlet, a.url,
                            a.published.isoformat() if a.published else ""), 0.0)
                for n, start, end in store.registry.chunks(a.id)]
        sentences = sorted(candidates(hits, store.sentence_index(hits)), key=lambda c: c.start)
        found += article_speakers(a.text, sentences)
    return _borrow_full_names(found)


def article_speakers(text: str, sentences: list[Candidate]) -> list[Attributed]:
    """The sentences of one article (``text``; ``sentences`` in article order) that report someone speaking."""
    common = _common_words(text)
    names = _names(text, common)
    roles = _roles(text, common)
    persons = {p[2] for named in roles.values() for p in named}
    persons |= {p[2] for p in names if len(p[2]) > 1 and re.search(
        rf"{re.escape(p[1])}(?:,[^,]{{1,80}},)?\s+{_BETWEEN}(?:{_INFL})\b", text)}
    people = [p for p in names if p[2] in persons]
    # One capitalised word the article writes only at the start of sentences ("Critics argued") is a
    # plural noun or a sentence adverb, not a name; a name shows up mid-sentence too.
    starts = {c.start for c in sentences}
    mid_sentence = {t for p in names if p[0] not in starts for t in p[2]}
    out: list[Attributed] = []
    previous, last = "", None
    for cand in sentences:
        said = None
        if not is_instruction(cand.text):
            said = _speaker(cand, previous, common, people, names, roles)
            if said is not None and len(said[1]) == 1 and said[1] not in persons and not said[1] & mid_sentence:
                said = None
            if said is None and last is not None and _PRONOUN_SPEAKS.search(cand.text):
                said = last
        if said is not None:
            name, tokens = said
            out.append(Attributed(replace(cand, previous=previous), name, tokens, tokens in persons))
        last, previous = said, cand.text
    return out


def _speaker(cand: Candidate, previous: str, common, people: list[_Name], names: list[_Name],
             roles: dict[str, list[_Name]]) -> tuple[str, frozenset[str]] | None:
    """The name and name words of the one speaker ``cand`` reports, or None."""
    text = cand.text
    m = _APPOSITIVE.search(text[:200])
    tokens = name_tokens(" ".join(_name_of(m.group("name").split(), common))) if m else set()
    if not tokens:
        tokens = first_speaker(text, previous)
        if tokens and not _spoken(text, tokens, previous):
            tokens = set()
    if not tokens and any(q in text for q in _QUOTE_MARKS):
        tokens = speakers_of(text, previous)
    tokens = {re.sub(r"['\u2019]s$", "", t) for t in tokens} - common - _ROLE_WORDS
    if tokens:
        return _resolve(people, names, tokens, cand.start)
    m = _ROLE_SPEAKS.search(text)
    return _role_person(roles, m.group("role") or m.group("role2") or m.group("role3"), cand.start) if m else None


def _spoken(text: str, tokens: set[str], previous: str) -> bool:
    """True when one of the name words stands before an inflected speech verb or after "according to"
    (or none is in ``text``: "He said" continuing ``previous``)."""
    present = [t for t in tokens if re.search(rf"\b{re.escape(t)}\b", text, re.I)]
    if not present:
        return bool(previous)
    names = "|".join(re.escape(t) for t in present)
    return bool(re.search(rf"\b(?:{names})\b(?:,[^,]{{1,80}},)?\s+{_BETWEEN}(?:{_INFL})\b", text, re.I)
                or re.search(rf"\baccording to\s+(?:\S+\s+){{0,4}}?(?:{names})\b", text, re.I))


def _name_of(words: list[str], common: frozenset[str] = frozenset()) -> list[str]:
    """The name a capitalised run ends with: its trailing name words after any title, possessive or word
    the article also writes in lower case ("Analyst Ana Silva" -> Ana Silva when "analyst" occurs; "Samsung's
    Lee" -> Lee; "Foreign Minister Ana Silva's" -> Ana Silva)."""
    run: list[str] = []
    for i, w in enumerate(reversed(words)):
        bare = re.sub(r"['\u2019]s$", "", w)
        if not is_name_word(bare) or (i and bare != w):
            break
        run.insert(0, bare)
    while run and (run[0].lower() in common or run[0].lower() in ROLE_NOUNS):
        run = run[1:]
    return run


def _common_words(text: str) -> frozenset[str]:
    """Words the article writes in lower case: capitalised at a sentence start, they are not names."""
    return frozenset(re.findall(r"(?<![\w'\u2019-])[a-z][a-z-]+", text))


def _names(text: str, common: frozenset[str]) -> list[_Name]:
    """Every name the article writes, in article order."""
    out = []
    for m in _CAPS_RUN.finditer(text):
        run = _name_of(m.group().split(), common)
        if run:
            out.append((m.start(), " ".join(run), frozenset(name_tokens(" ".join(run)))))
    return out


def _roles(text: str, common: frozenset[str]) -> dict[str, list[_Name]]:
    """Role phrase (and each shorter ending of it) -> the people the article names with it, in order.

    "National Security Adviser Ana Silva" links "national security adviser", "security adviser" and
    "adviser" to Ana Silva; so does "presidential spokesperson Ana Silva" for "spokesperson".
    """
    roles: dict[str, list[_Name]] = {}
    for m in _CAPS_RUN.finditer(text):
        words = m.group().split()
        name = _name_of(words, common)
        if not name:
            continue
        role_words = [w.lower() for w in words[:len(words) - len(name)] if w.lower() not in ("the", "on", "in")]
        if not role_words or role_words[-1] not in ROLE_NOUNS:
            lower = _LOWER_ROLE.search(text, max(0, m.start() - 60), m.start())
            role_words = lower.group("role").lower().split() if lower else []
        joined = " ".join(name)
        for i in range(len(role_words)):
            roles.setdefault(" ".join(role_words[i:]), []).append((m.start(), joined, frozenset(name_tokens(joined))))
    return roles


def _role_person(roles: dict[str, list[_Name]], mention: str, at: int) -> tuple[str, frozenset[str]] | None:
    """The person a role mention ("the national security adviser") names: the longest role ending the
    article links to a person, the person named with it most recently before ``at``."""
    words = mention.lower().split()
    for i in range(len(words)):
        named = roles.get(" ".join(words[i:]))
        if named:
            before = [p for p in named if p[0] < at] or named
            return before[-1][1], before[-1][2]
    return None


def _resolve(people: list[_Name], names: list[_Name], tokens: set[str], at: int) -> tuple[str, frozenset[str]]:
    """The fullest person's name in the article holding ``tokens`` (the most recently named of several
    before ``at``); else the name as written."""
    holding = [p for p in people if tokens <= p[2]]
    if not holding:
        written = [p[1] for p in names if p[2] == tokens]
        return (max(written, key=len) if written else " ".join(sorted(tokens)).title()), frozenset(tokens)
    fullest = [p for p in holding if not any(p[2] < o[2] for o in holding)]
    before = [p for p in fullest if p[0] < at] or fullest
    chosen = before[-1][2]
    return max((p[1] for p in fullest if p[2] == chosen), key=len), chosen


def _borrow_full_names(found: list[Attributed]) -> list[Attributed]:
    """Short forms no article completed ("Kim" alone) take the corpus's full name, when exactly one person fits."""
    full = {s.tokens: s.name for s in found if s.person}
    fullest = [t for t in full if not any(t < o for o in full)]
    out = []
    for s in found:
        fits = [t for t in fullest if s.tokens < t]
        out.append(replace(s, name=full[fits[0]], tokens=fits[0], person=True) if len(fits) == 1 else s)
    return out
