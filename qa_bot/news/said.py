"""Who said what: every statement the coverage attributes to a person, grouped by topic, each cited.

How a statement is made:

1. **Attributed sentences.** Every stored sentence of every indexed article that reports a person
   speaking, the speaker resolved to the fullest name the coverage gives (direct quotes and reported
   speech; roles and "he said" resolved within the article): :mod:`qa_bot.news.speakers`. Each quote is
   ``article.text[start:end]`` exactly.
2. **Full-name matching.** A name matches a speaker when all its name words are the speaker's:
   asking for "Kim Min-jun" never returns Kim Soo-ah; asking for "Kim" returns every Kim.
3. **One statement, every outlet.** Sentences of different articles that state the same claim are one
   statement citing them all, in the words of the earliest report: the answer composer's test
   (:func:`qa_bot.answering.compose.same_claim`), or — for one person's words, reworded from outlet to
   outlet — what was said (after the speech verb) close in meaning (:data:`NEAR_COSINE`) and sharing
   most of its distinctive words (:data:`NEAR_OVERLAP`, weighted by how rare each word is among the
   person's statements), with no number in one that the other contradicts.
4. **Topics.** Statements are grouped by embedding similarity (each joins the first group whose
   centroid is within :data:`GROUP_COSINE`), labelled by the group's most frequent content words.
   With a topic, only statements close to it are kept (the timeline's rule: near the best cosine,
   or most of the topic's words).
"""

from __future__ import annotations

import calendar
import math
import re
from collections import Counter
from dataclasses import dataclass, replace

import numpy as np

from qa_bot.answering.compose import same_claim
from qa_bot.errors import InputError
from qa_bot.models import Citation
from qa_bot.news.speakers import Attributed, attributed
from qa_bot.text.numbers import numbers_in
from qa_bot.text.tokens import content_words
from qa_bot.understanding.attribution import SPEECH_WORDS, name_tokens

#: Statements whose vectors' cosine with a group's centroid reaches this join the group.
GROUP_COSINE = 0.6
#: With a topic: a statement is kept when its cosine with the topic is at least TOPIC_COSINE and within
#: TOPIC_MARGIN of the best statement's, or when it holds TOPIC_WORDS of the topic's content words.
TOPIC_COSINE = 0.3
TOPIC_MARGIN = 0.15
TOPIC_WORDS = 2 / 3
#: Content words in a group's label.
LABEL_WORDS = 3
#: Two of a person's statements from different articles are one when what was said is this close in meaning...
NEAR_COSINE = 0.58
#: ...and shares this share of the rarer statement's distinctive words (idf-weighted over the person's statements).
NEAR_OVERLAP = 0.4

_QUOTE_MARKS = ('"', "\u201c", "\u201d")
_SPEECH_VERB = re.compile(r"\b(?:%s)\b" % "|".join(sorted(set(SPEECH_WORDS), key=lambda w: (-len(w), w))))
# Words that say nothing about a topic: speech verbs, modal verbs, audiences, calendar words.
_LABEL_SKIP = frozenset(SPEECH_WORDS) | {"would", "will", "could", "one", "reporter", "journalist", "press",
                                         "same", "day", "time", "week", "year"} | {
    n.lower() for n in (*calendar.month_name, *calendar.day_name) if n}


@dataclass(frozen=True)
class Statement:
    """One thing a person said, as one or more articles report it.

    Attributes:
        speaker: the person, by the fullest name the coverage gives.
        text: the statement, verbatim (the first citation's quote).
        kind: ``"quote"`` when the sentence holds quotation marks, else ``"reported"`` (reported speech).
        citations: every article reporting it, earliest first; each quote is that article's own sentence.
        speaker_tokens: the speaker's name words (the person's identity across articles).
    """

    speaker: str
    text: str
    kind: str
    citations: tuple[Citation, ...]
    speaker_tokens: frozenset[str] = frozenset()

    def to_dict(self) -> dict:
        """The statement as JSON-ready data."""
        return {"speaker": self.speaker, "text": self.text, "kind": self.kind,
                "citations": [c.to_dict() for c in self.citations]}


@dataclass(frozen=True)
class TopicGroup:
    """Statements on one topic, and the words that label it."""

    label: str
    statements: tuple[Statement, ...]

    def to_dict(self) -> dict:
        """The group as JSON-ready data."""
        return {"label": self.label, "statements": [s.to_dict() for s in self.statements]}


@dataclass(frozen=True)
class SaidResult:
    """What ``speaker`` said (about ``topic``): the people the name matched and their statements by topic."""

    speaker: str
    people: tuple[str, ...]
    groups: tuple[TopicGroup, ...]
    topic: str | None = None

    @property
    def statements(self) -> tuple[Statement, ...]:
        """Every statement, group by group."""
        return tuple(s for g in self.groups for s in g.statements)

    def to_dict(self) -> dict:
        """The result as JSON-ready data (what ``qa-bot said --json`` prints)."""
        return {"speaker": self.speaker, "people": list(self.people), "topic": self.topic,
                "count": len(self.statements), "groups": [g.to_dict() for g in self.groups]}


def statements(bot, speaker: str, topic: str | None = None) -> SaidResult:
    """Every statement the indexed coverage attributes to ``speaker`` (see the module docstring).

    Args:
        bot: an opened :class:`~qa_bot.bot.QABot` (its store and embedder are used).
        speaker: a name as the coverage writes it ("Kim Min-jun", or just "Kim" for every Kim).
        topic: only statements about this; None or blank for all.

    Returns:
        The statements grouped by topic, largest group first.

    Raises:
        InputError: a blank or over-long name, a name with no name words in it, an over-long topic.
    """
    speaker = " ".join((speaker or "").split())
    topic = " ".join((topic or "").split()) or None
    limit = bot.settings.max_question_chars
    if not speaker:
        raise InputError("the speaker is empty; give a name as the coverage writes it (`qa-bot said --list` "
                         "lists them)")
    for what, value in (("speaker", speaker), ("topic", topic or "")):
        if len(value) > limit:
            raise InputError(f"the {what} is {len(value):,} characters; the limit is {limit:,}. Use a few words")
    wanted = name_tokens(speaker)
    if not wanted:
        raise InputError(f"{speaker!r} holds no name (titles, pronouns and lower-case words are not names); "
                         "give a capitalised name such as a surname (`qa-bot said --list` lists them)")
    said = [s for s in attributed(bot) if wanted <= s.tokens]
    people = tuple(sorted({s.name for s in said}))
    if not said:
        return SaidResult(speaker, people, (), topic)
    merged = _merge(_with_vectors(bot, said))
    if topic:
        merged = _on_topic(bot, topic, merged)
    return SaidResult(speaker, people, tuple(_groups(merged, wanted)), topic)


def speakers(bot) -> list[tuple[str, int]]:
    """Everyone the indexed coverage reports speaking, with how many statements :func:`statements` shows
    for them (restatements across outlets counted once).

    Returns:
        ``(name, count)`` pairs, most quoted first (then by name).
    """
    said = _with_vectors(bot, attributed(bot))
    names: dict[frozenset[str], Counter] = {}
    for s in said:
        names.setdefault(s.tokens, Counter())[s.name] += 1
    statement_count = Counter(tokens for tokens in (m[0].speaker_tokens for m in _merge(said)))
    rows = [(c.most_common(1)[0][0], statement_count[tokens]) for tokens, c in names.items()]
    return sorted(rows, key=lambda r: (-r[1], r[0]))


def _with_vectors(bot, said: list[Attributed]) -> list[Attributed]:
    """The sentences with the unit vector of what was said in each (see :func:`what_was_said`)."""
    vectors = bot.embedder.embed([what_was_said(s.cand.text) for s in said]) if said else []
    return [replace(s, cand=replace(s.cand, vector=_unit(np.asarray(v, dtype=np.float32))))
            for s, v in zip(said, vectors)]


# ---------------------------------------------------------------- statements and topics


def _merge(said: list[Attributed]) -> list[tuple[Statement, np.ndarray]]:
    """One statement per claim and person, citing every article that reports it, earliest first (with its vector)."""
    idf = _rarity(said)
    clusters: list[list[Attributed]] = []
    for s in sorted(said, key=lambda s: (s.cand.hit.passage.published, s.cand.hit.passage.outlet, s.cand.start)):
        for cluster in clusters:
            if cluster[0].tokens == s.tokens and (same_claim(s.cand, cluster[0].cand) or any(
                    _reworded(s, c, idf) for c in cluster)):
                if all(c.cand.hit.passage.article_id != s.cand.hit.passage.article_id for c in cluster):
                    cluster.append(s)
                break
        else:
            clusters.append([s])
    out = []
    for cluster in clusters:
        cites = tuple(Citation(n=n, chunk_id=c.cand.hit.passage.chunk_id, article_id=c.cand.hit.passage.article_id,
                               title=c.cand.hit.passage.title, outlet=c.cand.hit.passage.outlet,
                               published=c.cand.hit.passage.published, url=c.cand.hit.passage.url,
                               quote=c.cand.text, start=c.cand.start, end=c.cand.end)
                      for n, c in enumerate(cluster, 1))
        first = cluster[0].cand.text
        kind = "quote" if any(q in first for q in _QUOTE_MARKS) else "reported"
        out.append((Statement(cluster[0].name, first, kind, cites, cluster[0].tokens), cluster[0].cand.vector))
    return out


def _rarity(said: list[Attributed]) -> dict[frozenset[str], dict[str, float]]:
    """Per person, each content word's inverse document frequency over what that person said."""
    words: dict[frozenset[str], list[set[str]]] = {}
    for s in said:
        words.setdefault(s.tokens, []).append(set(content_words(what_was_said(s.cand.text))))
    out = {}
    for tokens, docs in words.items():
        df = Counter(w for d in docs for w in d)
        out[tokens] = {w: math.log(len(docs) / n) + 0.1 for w, n in df.items()}
    return out


def _reworded(a: Attributed, b: Attributed, idf: dict[frozenset[str], dict[str, float]]) -> bool:
    """True when ``a`` restates ``b`` in other words (see :data:`NEAR_COSINE` and :data:`NEAR_OVERLAP`)."""
    na, nb = numbers_in(a.cand.text), numbers_in(b.cand.text)
    if na and nb and not na & nb or float(a.cand.vector @ b.cand.vector) < NEAR_COSINE:
        return False
    weight = idf[a.tokens]
    wa, wb = set(content_words(what_was_said(a.cand.text))), set(content_words(what_was_said(b.cand.text)))
    least = min(sum(weight.get(w, 0.0) for w in wa), sum(weight.get(w, 0.0) for w in wb))
    return least > 0 and sum(weight.get(w, 0.0) for w in wa & wb) / least >= NEAR_OVERLAP


def _on_topic(bot, topic: str, merged: list[tuple[Statement, np.ndarray]]) -> list[tuple[Statement, np.ndarray]]:
    """The statements about ``topic`` (see :data:`TOPIC_COSINE` and :data:`TOPIC_WORDS`)."""
    words = set(content_words(topic))
    need = math.ceil(TOPIC_WORDS * len(words))
    topic_vector = _unit(np.asarray(bot.embedder.embed([topic])[0], dtype=np.float32))
    cosine = [float(v @ topic_vector) for _, v in merged]
    bar = max(TOPIC_COSINE, max(cosine, default=0.0) - TOPIC_MARGIN)
    return [m for m, cos in zip(merged, cosine)
            if cos >= bar or (words and len(words & set(content_words(m[0].text))) >= need)]


def _groups(merged: list[tuple[Statement, np.ndarray]], name_words: set[str]) -> list[TopicGroup]:
    """Statements grouped by similarity, each group labelled by its most frequent content words."""
    groups: list[tuple[np.ndarray, list[Statement]]] = []
    for statement, vector in merged:
        best = max(range(len(groups)), key=lambda i: float(_unit(groups[i][0]) @ vector), default=None)
        if best is not None and float(_unit(groups[best][0]) @ vector) >= GROUP_COSINE:
            groups[best] = (groups[best][0] + vector, groups[best][1] + [statement])
        else:
            groups.append((vector.copy(), [statement]))
    out = []
    for _, members in sorted(groups, key=lambda g: -len(g[1])):
        out.append(TopicGroup(_label(members, name_words), tuple(members)))
    return out


def what_was_said(sentence: str) -> str:
    """The words after a sentence's first speech verb ("Kim said on Monday that X" -> "on Monday that X"):
    what was said, without who said it, which is what statements are compared and grouped by.
    The whole sentence when no speech verb leaves anything after it."""
    m = _SPEECH_VERB.search(sentence)
    rest = sentence[m.end():].strip(" ,.:;") if m else ""
    return rest if content_words(rest) else sentence


def _label(members: list[Statement], name_words: set[str]) -> str:
    """The group's most frequent content words (not the speaker's names or speech verbs), most frequent first."""
    skip = _LABEL_SKIP | {w.lower() for s in members for w in s.speaker.split()} | name_words
    counts = Counter(w for s in members for w in dict.fromkeys(content_words(what_was_said(s.text)))
                     if w not in skip and not w.isdigit())
    return ", ".join(w for w, _ in counts.most_common(LABEL_WORDS)) or "other"


def _unit(vector: np.ndarray) -> np.ndarray:
    """``vector`` scaled to unit length (zero stays zero)."""
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector
