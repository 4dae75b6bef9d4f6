"""The story's timeline: what happened when, ordered by the day it happened, each event cited.

How an event is made:

1. **Dated sentences.** Every stored sentence of every indexed article (the chunks' sentence spans
   kept at ingest, read the way the answerer reads them: :func:`qa_bot.answering.candidates.candidates`)
   is searched for date expressions, which :mod:`qa_bot.news.dates` resolves against the article's
   publication day. A sentence with several is dated by the first of its most precise ones. A
   sentence with *no* date expression is left out, even in same-day news: it is dated only when it
   says so itself ("on Monday", "today"), never by its article's publication date alone. Articles
   without a publication date are left out (their relative dates cannot be resolved), and so are
   questions the writer asks and text addressed to an AI model.
2. **One event per claim.** Sentences with the same resolved date and granularity that state the
   same claim (:func:`qa_bot.answering.compose.same_claim`, the test the answer composer uses to
   merge restatements from several outlets) become one event, shown in the words of the earliest
   report, carrying every article's citation.
3. **Context.** A sentence that opens with a pronoun ("They were bought in 1933 ...", "He will also
   visit ...") carries the sentence it depends on: the nearest one before it in its article that does not
   open with one (:func:`~qa_bot.understanding.attribution.opens_with_pronoun`), shown before it.
4. **Topic.** With a topic, an event is kept when one of its sentences is about the topic by meaning
   or by words, as ``ask`` retrieves by both: the vector of the sentence (with its context) is near the
   topic's (its cosine within :data:`TOPIC_MARGIN` of the best dated sentence's), or the sentence —
   with, for a sentence opening with a pronoun, the paragraph before it — holds most of the topic's
   word stems ("lions" finds "lion"; "They were bought in 1933" in a paragraph about the lions), or it
   names the topic's last word after its article has named the whole topic ("the stone lions ... the
   lions' story").
5. **Range.** ``since``/``until`` keep the events whose period (a day, a month or a year) overlaps
   the range: "January 2026" is inside ``--since 2026-01-10``.
6. **The story's window.** The coverage's own window runs from :data:`WINDOW_DAYS` before its first
   publication date to as many after its last; an event whose period ends before the window is
   *background* (the 1930s history behind a state visit), shown folded under "Earlier background".
   So is one whose period starts before it: "2025" is background to a story of January 2026.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np

from qa_bot.answering.candidates import Candidate, candidates
from qa_bot.answering.claims import is_instruction
from qa_bot.answering.compose import same_claim
from qa_bot.errors import InputError
from qa_bot.models import Citation, Hit, Passage
from qa_bot.news.dates import GRANULARITIES, DateMention, best_date, date_label, period_end
from qa_bot.text.tokens import content_words
from qa_bot.understanding.attribution import opens_with_pronoun

#: A sentence is about the topic when its vector's cosine with the topic's is within :data:`TOPIC_MARGIN`
#: of the best dated sentence's, and at least :data:`TOPIC_COSINE`. Relative, because with the packaged
#: model every sentence of one story scores 0.3 to 0.5 against a topic from it; read off the bundled
#: coverage, sentences really on the topic are the top ones, within about 0.1 of the best.
TOPIC_COSINE = 0.4
TOPIC_MARGIN = 0.1
#: ...or when it holds this share of the topic's content words (all of one or two, two of three).
TOPIC_WORDS = 2 / 3
#: Days before the first and after the last publication date that still belong to the story's window.
WINDOW_DAYS = 3
#: How many sentences back a sentence opening with a pronoun may look for the one it depends on.
CONTEXT_SENTENCES = 3


@dataclass(frozen=True)
class TimelineEvent:
    """One thing that happened, on one date, as one or more articles report it.

    Attributes:
        date: the first day of the period it happened in.
        granularity: ``"day"``, ``"month"`` or ``"year"``: how precisely the sources date it.
        sentence: the sentence shown, verbatim (the first citation's quote).
        date_text: the date expression of that sentence, as written ("on Monday" reads "Monday").
        citations: every article reporting it, earliest first; each quote is that article's own sentence.
        context: for a sentence that opens with a pronoun, the sentence(s) of its article it depends on
            ("" otherwise); shown before it, never part of the quote.
        background: the event's period ends before the story's window (see :class:`Timeline`).
    """

    date: date
    granularity: str
    sentence: str
    date_text: str
    citations: tuple[Citation, ...]
    context: str = ""
    background: bool = False

    @property
    def label(self) -> str:
        """The date at its granularity: ``5 January 2026``, ``November 2025`` or ``2025``."""
        return date_label(self.date, self.granularity)

    @property
    def last_day(self) -> date:
        """The last day of the event's period."""
        return period_end(self.date, self.granularity)

    def to_dict(self) -> dict:
        """The event as JSON-ready data."""
        return {"date": self.date.isoformat(), "granularity": self.granularity, "label": self.label,
                "sentence": self.sentence, "context": self.context, "date_text": self.date_text,
                "background": self.background, "citations": [c.to_dict() for c in self.citations]}


@dataclass(frozen=True)
class Timeline:
    """The events of the coverage in the order they happened, and what they were narrowed to.

    ``window`` is the story's own window: the coverage's first and last publication dates widened by
    :data:`WINDOW_DAYS` (None when no article has a date). Events ending before it are background.
    """

    events: tuple[TimelineEvent, ...]
    topic: str | None = None
    since: date | None = None
    until: date | None = None
    window: tuple[date, date] | None = None

    @property
    def story(self) -> tuple[TimelineEvent, ...]:
        """The events inside (or after) the story's window, in order: the default view."""
        return tuple(e for e in self.events if not e.background)

    @property
    def background(self) -> tuple[TimelineEvent, ...]:
        """The events starting before the story's window, in order: shown folded under "Earlier background"."""
        return tuple(e for e in self.events if e.background)

    def to_dict(self) -> dict:
        """The timeline as JSON-ready data (what ``qa-bot timeline --json`` prints)."""
        return {"topic": self.topic, "since": self.since.isoformat() if self.since else None,
                "until": self.until.isoformat() if self.until else None,
                "window": {"start": self.window[0].isoformat(), "end": self.window[1].isoformat()}
                if self.window else None, "events": [e.to_dict() for e in self.events]}


@dataclass(frozen=True)
class _Dated:
    """One dated sentence of one article."""

    cand: Candidate
    mention: DateMention
    published: date
    context: str = ""
    paragraph: str = ""  # for a sentence opening with a pronoun: its paragraph up to it (the topic's words)


def build_timeline(bot, topic: str | None = None, since: date | str | None = None,
                   until: date | str | None = None) -> Timeline:
    """The timeline of everything the bot has indexed (see the module docstring for how it is made).

    Args:
        bot: an opened :class:`~qa_bot.bot.QABot` (its store and embedder are used).
        topic: only events about this ("the missile launch"); None or blank for all.
        since: only events whose period ends on or after this day (a date or ``YYYY-MM-DD``).
        until: only events whose period starts on or before this day.

    Returns:
        The events, ordered by the date they happened, then by when they were first reported.

    Raises:
        InputError: a date that is not ``YYYY-MM-DD``, ``since`` after ``until``, or an over-long topic.
    """
    since, until = _day(since, "since"), _day(until, "until")
    if since and until and since > until:
        raise InputError(f"since ({since}) is after until ({until}); swap them or widen the range")
    topic = " ".join((topic or "").split()) or None
    if topic and len(topic) > bot.settings.max_question_chars:
        raise InputError(f"the topic is {len(topic):,} characters; the limit is "
                         f"{bot.settings.max_question_chars:,}. Name it in a few words")
    dated = [d for d in _dated_sentences(bot) if (not since or period_end(d.mention.value, d.mention.granularity)
                                                  >= since) and (not until or d.mention.value <= until)]
    # Each sentence embedded on its own: the stored vectors blend in the sentences around them, and the
    # lead sentences of two articles on one story then look alike whatever they report. The answerer
    # only compares sentences retrieved for one question; a timeline compares every one of a day.
    vectors = bot.embedder.embed([d.cand.text for d in dated]) if dated else []
    dated = [replace(d, cand=replace(d.cand, vector=_unit(np.asarray(v, dtype=np.float32))))
             for d, v in zip(dated, vectors)]
    window = _window(bot)
    events = [_event(cluster, window) for cluster in _clusters(dated)]
    if topic:
        events = _on_topic(bot, topic, events, dated)
    # a day's events in the order its first report tells them; a month or year before the days inside it
    events.sort(key=lambda e: (e.date, -GRANULARITIES.index(e.granularity), e.citations[0].published,
                               e.citations[0].article_id, e.citations[0].start))
    return Timeline(tuple(events), topic, since, until, window)


def _window(bot) -> tuple[date, date] | None:
    """The story's window: the indexed coverage's publication dates widened by :data:`WINDOW_DAYS`."""
    span = bot.store.registry.date_range()
    if span is None:
        return None
    return span[0] - timedelta(days=WINDOW_DAYS), span[1] + timedelta(days=WINDOW_DAYS)


def _day(value: date | str | None, name: str) -> date | None:
    """A range end as a date; a string must be ``YYYY-MM-DD``."""
    if value is None or isinstance(value, date):
        return value
    if not str(value).strip():
        return None
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InputError(f"{name} {value!r} is not a date; use YYYY-MM-DD") from None


def _dated_sentences(bot) -> list[_Dated]:
    """Every sentence of the index that carries a resolvable date, with its article's publication day."""
    store = bot.store
    out: list[_Dated] = []
    for record in store.articles():
        a = record.article
        if a.published is None:
            continue
        hits = [Hit(Passage(f"{a.id}:{n}", a.id, a.text[start:end], start, end, a.title, a.outlet, a.url,
                            a.published.isoformat()), 0.0) for n, start, end in store.registry.chunks(a.id)]
        sentences = sorted(candidates(hits, store.sentence_index(hits)), key=lambda c: c.start)
        for i, cand in enumerate(sentences):
            if is_instruction(cand.text):
                continue
            mention = best_date(cand.text, a.published)
            if mention is not None:
                context, paragraph = _context(a.text, sentences, i)
                out.append(_Dated(cand, mention, a.published, context, paragraph))
    return out


def _context(text: str, sentences: list[Candidate], i: int) -> tuple[str, str]:
    """For a sentence opening with a pronoun: the sentences it depends on (back to the nearest one that does
    not open with one, at most :data:`CONTEXT_SENTENCES`), and its paragraph up to it. Else ``("", "")``."""
    if not opens_with_pronoun(sentences[i].text):
        return "", ""
    j = i - 1
    while j > 0 and i - j < CONTEXT_SENTENCES and opens_with_pronoun(sentences[j].text):
        j -= 1
    context = " ".join(c.text for c in sentences[max(j, 0):i]) if i else ""
    paragraph_start = text.rfind("\n\n", 0, sentences[i].start) + 1
    return context, text[paragraph_start:sentences[i].start].strip()


def _clusters(dated: list[_Dated]) -> list[list[_Dated]]:
    """Group sentences of one date that state one claim; each group's first item is the earliest report."""
    groups: dict[tuple[date, str], list[list[_Dated]]] = {}
    for d in sorted(dated, key=lambda d: (d.published, d.cand.hit.passage.outlet, d.cand.start)):
        same_date = groups.setdefault((d.mention.value, d.mention.granularity), [])
        for cluster in same_date:
            if same_claim(d.cand, cluster[0].cand):
                if all(c.cand.hit.passage.article_id != d.cand.hit.passage.article_id for c in cluster):
                    cluster.append(d)
                break  # a restatement in an article the event already cites adds nothing
        else:
            same_date.append([d])
    return [cluster for same_date in groups.values() for cluster in same_date]


def _event(cluster: list[_Dated], window: tuple[date, date] | None) -> TimelineEvent:
    """The event of one cluster: its first sentence (and that sentence's context), every member's citation."""
    citations = []
    for n, d in enumerate(cluster, 1):
        c, p = d.cand, d.cand.hit.passage
        citations.append(Citation(n=n, chunk_id=p.chunk_id, article_id=p.article_id, title=p.title, outlet=p.outlet,
                                  published=p.published, url=p.url, quote=c.text, start=c.start, end=c.end))
    first = cluster[0]
    background = window is not None and first.mention.value < window[0]  # "2025" starts before a 2026 story
    return TimelineEvent(first.mention.value, first.mention.granularity, first.cand.text, first.mention.text,
                         tuple(citations), first.context, background)


def _on_topic(bot, topic: str, events: list[TimelineEvent], dated: list[_Dated]) -> list[TimelineEvent]:
    """The events with a sentence about ``topic`` by meaning or by words (see the module docstring)."""
    stems = set(content_words(topic))
    need = math.ceil(TOPIC_WORDS * len(stems))
    topic_vector = _unit(np.asarray(bot.embedder.embed([topic])[0], dtype=np.float32))
    # a sentence opening with a pronoun is compared with its context before it ("The lions ... They were ...")
    with_context = [d for d in dated if d.context]
    context_vectors = bot.embedder.embed([f"{d.context} {d.cand.text}" for d in with_context]) if with_context else []
    cosine = {_key(d): float(d.cand.vector @ topic_vector) for d in dated}
    for d, v in zip(with_context, context_vectors):
        cosine[_key(d)] = max(cosine[_key(d)], float(_unit(np.asarray(v, dtype=np.float32)) @ topic_vector))
    bar = max(TOPIC_COSINE, max(cosine.values(), default=0.0) - TOPIC_MARGIN)
    by_words = {_key(d) for d in dated if stems and len(stems & set(content_words(
        f"{d.paragraph} {d.cand.text}"))) >= need}
    # once an article has named the topic ("the stone lions"), its later sentences name it by the last word
    # ("the lions' story"), as a reader follows them
    head = content_words(topic)[-1:] if stems else []
    introduced = _introduced(bot, stems, {d.cand.hit.passage.article_id for d in dated}) if head else {}
    by_words |= {_key(d) for d in dated if d.cand.start >= introduced.get(d.cand.hit.passage.article_id, math.inf)
                 and head[0] in content_words(f"{d.paragraph} {d.cand.text}")}

    def about(c: Citation) -> bool:
        key = (c.article_id, c.start)
        return cosine.get(key, 0.0) >= bar or key in by_words

    return [e for e in events if any(about(c) for c in e.citations)]


def _introduced(bot, stems: set[str], article_ids: set[str]) -> dict[str, int]:
    """Article id -> the offset by which the article has used every one of ``stems`` (articles that never do
    are left out)."""
    out = {}
    for article_id, text in bot.store.registry.texts(article_ids).items():
        first: dict[str, int] = {}
        for m in re.finditer(r"[\w'\u2019-]+", text):
            for w in content_words(m.group()):
                first.setdefault(w, m.end())
        if stems <= set(first):
            out[article_id] = max(first[w] for w in stems)
    return out


def _key(d: _Dated) -> tuple[str, int]:
    """A dated sentence's key: its article and start offset (what its citation carries)."""
    return d.cand.hit.passage.article_id, d.cand.start


def _unit(vector: np.ndarray) -> np.ndarray:
    """``vector`` scaled to unit length (zero stays zero)."""
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector
