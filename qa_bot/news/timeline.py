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
3. **Topic.** With a topic, an event is kept when one of its sentences is among the closest to the
   topic (its sentence vector's cosine with the topic's vector near the best one's, see
   :data:`TOPIC_MARGIN`) or holds most of the topic's content words ("Taiwan", "missile launch").
   Plain similarity rather than retrieval: retrieval ranks whole chunks, and a timeline needs to
   know which *sentence* is on the topic.
4. **Range.** ``since``/``until`` keep the events whose period (a day, a month or a year) overlaps
   the range: "January 2026" is inside ``--since 2026-01-10``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from qa_bot.answering.candidates import Candidate, candidates
from qa_bot.answering.claims import is_instruction
from qa_bot.answering.compose import same_claim
from qa_bot.errors import InputError
from qa_bot.models import Citation, Hit, Passage
from qa_bot.news.dates import GRANULARITIES, DateMention, best_date, date_label, period_end
from qa_bot.text.tokens import content_words

#: A sentence is about the topic when its vector's cosine with the topic's is within :data:`TOPIC_MARGIN`
#: of the best dated sentence's, and at least :data:`TOPIC_COSINE`. Relative, because with the packaged
#: model every sentence of one story scores 0.3 to 0.5 against a topic from it; read off the bundled
#: coverage, sentences really on the topic are the top ones, within about 0.1 of the best.
TOPIC_COSINE = 0.4
TOPIC_MARGIN = 0.1
#: ...or when it holds this share of the topic's content words (all of one or two, two of three).
TOPIC_WORDS = 2 / 3


@dataclass(frozen=True)
class TimelineEvent:
    """One thing that happened, on one date, as one or more articles report it.

    Attributes:
        date: the first day of the period it happened in.
        granularity: ``"day"``, ``"month"`` or ``"year"``: how precisely the sources date it.
        sentence: the sentence shown, verbatim (the first citation's quote).
        date_text: the date expression of that sentence, as written ("on Monday" reads "Monday").
        citations: every article reporting it, earliest first; each quote is that article's own sentence.
    """

    date: date
    granularity: str
    sentence: str
    date_text: str
    citations: tuple[Citation, ...]

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
                "sentence": self.sentence, "date_text": self.date_text,
                "citations": [c.to_dict() for c in self.citations]}


@dataclass(frozen=True)
class Timeline:
    """The events of the coverage in the order they happened, and what they were narrowed to."""

    events: tuple[TimelineEvent, ...]
    topic: str | None = None
    since: date | None = None
    until: date | None = None

    def to_dict(self) -> dict:
        """The timeline as JSON-ready data (what ``qa-bot timeline --json`` prints)."""
        return {"topic": self.topic, "since": self.since.isoformat() if self.since else None,
                "until": self.until.isoformat() if self.until else None,
                "events": [e.to_dict() for e in self.events]}


@dataclass(frozen=True)
class _Dated:
    """One dated sentence of one article."""

    cand: Candidate
    mention: DateMention
    published: date


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
    events = [_event(cluster) for cluster in _clusters(dated)]
    if topic:
        events = _on_topic(bot, topic, events, dated)
    # a day's events in the order its first report tells them; a month or year before the days inside it
    events.sort(key=lambda e: (e.date, -GRANULARITIES.index(e.granularity), e.citations[0].published,
                               e.citations[0].article_id, e.citations[0].start))
    return Timeline(tuple(events), topic, since, until)


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
        for cand in candidates(hits, store.sentence_index(hits)):
            if is_instruction(cand.text):
                continue
            mention = best_date(cand.text, a.published)
            if mention is not None:
                out.append(_Dated(cand, mention, a.published))
    return out


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


def _event(cluster: list[_Dated]) -> TimelineEvent:
    """The event of one cluster: its first sentence, every member's citation."""
    citations = []
    for n, d in enumerate(cluster, 1):
        c, p = d.cand, d.cand.hit.passage
        citations.append(Citation(n=n, chunk_id=p.chunk_id, article_id=p.article_id, title=p.title, outlet=p.outlet,
                                  published=p.published, url=p.url, quote=c.text, start=c.start, end=c.end))
    first = cluster[0]
    return TimelineEvent(first.mention.value, first.mention.granularity, first.cand.text, first.mention.text,
                         tuple(citations))


def _on_topic(bot, topic: str, events: list[TimelineEvent], dated: list[_Dated]) -> list[TimelineEvent]:
    """The events with a sentence about ``topic`` (see :data:`TOPIC_COSINE` and :data:`TOPIC_WORDS`)."""
    words = set(content_words(topic))
    need = math.ceil(TOPIC_WORDS * len(words))
    topic_vector = _unit(bot.embedder.embed([topic])[0])
    cosine = {(d.cand.hit.passage.article_id, d.cand.start): float(d.cand.vector @ topic_vector) for d in dated}
    bar = max(TOPIC_COSINE, max(cosine.values(), default=0.0) - TOPIC_MARGIN)

    def about(c: Citation) -> bool:
        return cosine[(c.article_id, c.start)] >= bar or bool(words) and len(
            words & set(content_words(c.quote))) >= need

    return [e for e in events if any(about(c) for c in e.citations)]


def _unit(vector: np.ndarray) -> np.ndarray:
    """``vector`` scaled to unit length (zero stays zero)."""
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector
