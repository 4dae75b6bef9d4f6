"""Who speaks in each sentence of the coverage, by full name: the attribution behind ``qa-bot said``.

At ingest, spaCy's parser and entity recogniser stored each sentence's named entities and speakers
(:mod:`qa_bot.understanding.entities`: the subject of a speech verb, the person in apposition to it,
the object of "according to"). Here, article by article, each sentence's speaker becomes a *person*:

* **People only.** A speaker counts when its name words are those of a name the article labels a
  person, or of someone it names with a role ("Minister Kim Min-jun"). A speaker the article labels
  an organisation, place, nationality or building ("Beijing said", "the ruling party welcomed"), or
  that is an outlet of the index, never counts; nor does a bare common noun ("his office announced").
* **Roles.** "The national security adviser said" is the person the article names with that role,
  the one named most recently before the sentence.
* **Pronouns.** "He added ..." continues the previous sentence's speaker; "Lee ... he asked" is the person
  the sentence names before the pronoun.
* **Full names.** A short form ("Kim") is the fullest person's name in the article that holds it,
  the one named most recently when there are two; an article that never completes it borrows the
  corpus's full name when exactly one person fits. A capitalised word the article also writes in
  lower case ("Analysts said") is not a name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from qa_bot.answering.candidates import Candidate, candidates
from qa_bot.answering.claims import is_instruction
from qa_bot.models import Hit, Passage
from qa_bot.text.tokens import fold
from qa_bot.understanding.attribution import NAME_RUN, ROLE_NOUNS, TITLES, is_name_word, name_tokens
from qa_bot.understanding.entities import NOT_PERSON_LABELS, SPEAKER, Mention

_CAPS_RUN = re.compile(NAME_RUN)
_LOWER_ROLE = re.compile(rf"\b(?P<role>(?:[a-z][\w-]*\s+)?(?:{'|'.join(sorted(ROLE_NOUNS, key=len, reverse=True))}))"
                         r"\s+$")
_PRONOUNS = frozenset({"he", "she"})
_POSSESSIVE = re.compile(r"['\u2019]s$")

_Name = tuple[int, str, frozenset[str]]  # offset in the article, the name as written, its name words


@dataclass(frozen=True)
class Attributed:
    """One sentence that reports a person speaking.

    Attributes:
        cand: the sentence (``previous`` is the sentence before it in its article).
        name: the person's fullest name as the coverage writes it.
        tokens: the name's words, lower-cased: the person's identity across articles.
        person: the name is a known person's (labelled a person, or named with a role).
    """

    cand: Candidate
    name: str
    tokens: frozenset[str]
    person: bool = False


def attributed(bot) -> list[Attributed]:
    """Every sentence of the index that reports a person speaking, the speaker resolved to a full name."""
    store = bot.store
    outlets = frozenset(fold(o) for o in store.outlets())
    found: list[Attributed] = []
    for record in store.articles():
        a = record.article
        rows = store.registry.chunks(a.id)
        hits = [Hit(Passage(f"{a.id}:{n}", a.id, a.text[start:end], start, end, a.title, a.outlet, a.url,
                            a.published.isoformat() if a.published else ""), 0.0) for n, start, end in rows]
        sentences = sorted(candidates(hits, store.sentence_index(hits)), key=lambda c: c.start)
        found += article_speakers(a.text, sentences, stored_mentions(store.registry, a.id), outlets)
    return _borrow_full_names(found)


def stored_mentions(registry, article_id: str) -> list[Mention]:
    """The entities and speakers stored for an article at ingest, in article offsets and order."""
    details = registry.chunk_details([(article_id, n) for n, _, _ in registry.chunks(article_id)])
    found = {Mention(d["start"] + s, d["start"] + e, label)
             for d in details.values() for sentence in d.get("entities", []) for s, e, label in sentence}
    return sorted(found, key=lambda m: (m.start, m.end, m.label))


def article_speakers(text: str, sentences: list[Candidate], mentions: list[Mention],
                     outlets: frozenset[str] = frozenset()) -> list[Attributed]:
    """The sentences of one article that report a person speaking.

    Args:
        text: the article text.
        sentences: its sentences, in article order.
        mentions: its stored entities and speakers (:func:`stored_mentions`).
        outlets: folded outlet names of the index: never a speaker.
    """
    common = frozenset(re.findall(r"(?<![\w'\u2019-])[a-z][a-z-]+", text))
    people = _people(text, mentions, common)
    roles = _roles(text, common)
    named = sorted(people + [p for named in roles.values() for p in named])
    persons = {p[2] for p in named}
    # people named with a role, or speaking under a name of two words or more, come first for a short form
    preferred = frozenset({p[2] for named in roles.values() for p in named} | {
        frozenset(name_tokens(" ".join(_after_title(text[m.start:m.end].split())))) for m in mentions
        if m.label == SPEAKER} & {p[2] for p in people if len(p[2]) > 1})
    not_people = [m for m in mentions if m.label in NOT_PERSON_LABELS]
    out: list[Attributed] = []
    previous, last = "", None
    for cand in sentences:
        said: list[tuple[str, frozenset[str]]] = []
        if not is_instruction(cand.text):
            for i, m in enumerate(m for m in mentions if m.label == SPEAKER and cand.start <= m.start < cand.end):
                if text[m.start:m.end].lower() in _PRONOUNS:
                    # "Kim asked ..., and he said": the sentence's speaker already; "Kim himself has pressed the
                    # point: he asked": the person named before it; "He added ...": the previous speaker
                    before = [p for p in people if cand.start <= p[0] < m.start]
                    found = None if said else _resolve(named, before[-1][2], m.start, preferred) if before else \
                        last if i == 0 else None
                else:
                    found = _speaker(text, m, people, named, roles, not_people, common, outlets, preferred)
                if found is not None and found not in said:
                    said.append(found)
        for name, tokens in said:
            out.append(Attributed(replace(cand, previous=previous), name, tokens, tokens in persons))
        last, previous = (said[0] if said else None), cand.text
    return out


def _speaker(text: str, m: Mention, people: list[_Name], named: list[_Name], roles: dict[str, list[_Name]],
             not_people: list[Mention], common: frozenset[str], outlets: frozenset[str], preferred: frozenset):
    """The ``(name, name words)`` of the person a SPEAKER mention stands for, or None.

    ``people`` are the names the article labels persons, ``named`` those and the role-named ones.
    """
    span = text[m.start:m.end]
    if fold(span) in outlets or fold(re.sub(r"^[Tt]he\s+", "", span)) in outlets:
        return None
    words = _name_of(span.split(), common)
    tokens = frozenset(name_tokens(" ".join(words)))
    if tokens:
        overlapping = [n for n in not_people if n.start < m.end and m.start < n.end]
        if any(n.start <= m.start and m.end <= n.end for n in overlapping) and not any(
                m.start <= p[0] < m.end for p in people):
            return None  # "China said", "the ruling party welcomed": a place or an organisation
        if not any(tokens <= p[2] for p in named) and (len(tokens) < 2 or overlapping):
            return None  # a name the article never gives a person, unless a full name nothing else claims
        as_other = sum(1 for n in not_people if frozenset(name_tokens(text[n.start:n.end])) == tokens)
        if as_other and as_other >= sum(1 for p in named if tokens <= p[2]):
            return None  # labelled a place or an organisation at least as often as a person
        return _resolve(named, tokens, m.start, preferred)
    return _role_person(roles, span, m.start)


def _people(text: str, mentions: list[Mention], common: frozenset[str]) -> list[_Name]:
    """Every name the article labels a person, in article order, titles and possessives dropped."""
    out = []
    for m in mentions:
        run = _after_title(text[m.start:m.end].split()) if m.label == "PERSON" else []
        if run:
            out.append((m.start, " ".join(run), frozenset(name_tokens(" ".join(run)))))
    return out


def _after_title(words: list[str]) -> list[str]:
    """The name words of a person's mention: the words after its last title, possessives dropped. A name
    may open with a word that is also a pronoun ("He Lifeng")."""
    words = [_POSSESSIVE.sub("", w) for w in words]
    titles = [i for i, w in enumerate(words) if w.lower() in TITLES]
    run = words[titles[-1] + 1:] if titles else words
    return run if name_tokens(" ".join(run)) else []


def _name_of(words: list[str], common: frozenset[str] = frozenset()) -> list[str]:
    """The name a run of words ends with: its trailing name words after any title, possessive or word
    the article also writes in lower case ("Analyst Ana Silva" -> Ana Silva when "analyst" occurs; "Samsung's
    Lee" -> Lee; "Foreign Minister Ana Silva's" -> Ana Silva)."""
    run: list[str] = []
    for i, w in enumerate(reversed(words)):
        bare = _POSSESSIVE.sub("", w)
        if not is_name_word(bare) or (i and bare != w):
            break
        run.insert(0, bare)
    while run and (run[0].lower() in common or run[0].lower() in ROLE_NOUNS):
        run = run[1:]
    return run


def _roles(text: str, common: frozenset[str]) -> dict[str, list[_Name]]:
    """Role phrase (and each shorter ending of it) -> the people the article names with it, in order.

    "National Security Adviser Ana Silva" links "national security adviser", "security adviser" and
    "adviser" to Ana Silva; so does "presidential spokesperson Ana Silva" for "spokesperson".
    """
    roles: dict[str, list[_Name]] = {}
    for m in _CAPS_RUN.finditer(text):
        words = m.group().split()
        name = _after_title(words) if any(w.lower() in ROLE_NOUNS for w in words[:-1]) else []
        name = name or _name_of(words, common)
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
    words = [w for w in mention.lower().split() if w not in ("the", "a", "an")]
    if not words or words[-1] not in ROLE_NOUNS:
        return None
    for i in range(len(words)):
        named = roles.get(" ".join(words[i:]))
        if named:
            before = [p for p in named if p[0] < at] or named
            return before[-1][1], before[-1][2]
    return None


def _resolve(people: list[_Name], tokens: frozenset[str], at: int,
             preferred: frozenset = frozenset()) -> tuple[str, frozenset[str]]:
    """The fullest person's name in the article holding ``tokens`` (the most recently named of several
    before ``at``; people named with a role or speaking under their full name, ``preferred``, before the
    others); else the name words themselves."""
    holding = [p for p in people if tokens <= p[2]]
    known = [p for p in holding if p[2] in preferred]
    holding = known or holding
    if not holding:
        return " ".join(w.capitalize() for w in sorted(tokens)), tokens
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
