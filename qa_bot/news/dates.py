"""Date expressions in a sentence, resolved against the publication date of its article.

Finding and resolving are two steps. Small regular expressions *find* candidate phrases ("on
Monday", "5 January", "January 5, 2026", "last November", "November 2025", "in 2025",
"earlier this month", "the previous day", "three days ago"); ``dateparser`` *resolves* each one,
with the article's publication day as ``RELATIVE_BASE``. The finder is the strict part: a number
is only a date inside one of these shapes (a month name beside it, or "in"/"during" before a
four-digit year), so counts, amounts and times are never dates; month and weekday names must be
capitalised, which keeps the verb "may" and the name "Jan" out. Dates of other things ("since
2019", "by 2030", "the day before the vote") are not when the sentence's event happened, so the
finder leaves them out.

When a phrase could fall on either side of the publication day (a weekday, a day or month without
a year), it is resolved with both ``PREFER_DATES_FROM`` settings and one is chosen:

* the publication day's own weekday, day or month is that very day or month ("on Monday" in an
  article published on a Monday is that Monday);
* otherwise the tense nearest the phrase in its sentence decides: a past-tense cue ("said",
  "was", "met", "...ed") takes the past reading, a future cue ("will", "is due to",
  "scheduled") the future one;
* with no cue (a present tense such as "he returns on Wednesday"), the reading nearer the
  publication day.

Each resolved date keeps its granularity — ``"day"``, ``"month"`` or ``"year"`` — and its value
is the first day of that period. Phrases dateparser cannot resolve, and week-long periods ("last
week"), are left out rather than guessed.
"""

from __future__ import annotations

import re
from calendar import monthrange
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache

from dateparser.date import DateDataParser

DAY, MONTH, YEAR = "day", "month", "year"
GRANULARITIES = (DAY, MONTH, YEAR)

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_MONTH_ABBR = r"Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?"
_WEEKDAYS = "Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday"
_ANY_MONTH = f"(?:{_MONTHS}|{_MONTH_ABBR})"
_ORD = r"(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20|21)\d\d"
_WD = rf"(?:(?:{_WEEKDAYS}),?\s+)?"
_QUAL = r"(?:(?:early|late|mid-?)\s*)?"
_NUMBER_WORDS = "a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\\d{1,3}"

# (kind, pattern). Every pattern names the groups its kind reads; longer shapes come first, and a
# later match overlapping an earlier one is dropped.
_PATTERNS: tuple[tuple[str, re.Pattern], ...] = (
    ("dmy", re.compile(rf"\b{_WD}(?:(?P<d0>\d{{1,2}}){_ORD}\s*(?:to|and|-|\u2013)\s*)?"  # a range: "4 to 7 January"
                       rf"(?P<d>\d{{1,2}}){_ORD}\s+(?P<m>{_ANY_MONTH})(?:,?\s+(?P<y>{_YEAR}))?(?![\w-])")),
    ("dmy", re.compile(rf"\b{_WD}(?P<m>{_ANY_MONTH})\s+(?P<d>\d{{1,2}}){_ORD}(?:,\s*(?P<y>{_YEAR}))?(?![\w:.,]?\d)")),
    ("my", re.compile(rf"\b{_QUAL}(?P<m>{_MONTHS})\s+(?P<y>{_YEAR})(?![\w-])")),
    ("m", re.compile(rf"\b(?P<q>(?i:last|this|next|in|during|early|late)\s+|(?i:mid)-?\s*)(?P<m>{_MONTHS})\b"
                     r"(?!\s+\d)")),
    ("y", re.compile(rf"\b(?:[Ii]n|[Dd]uring|[Tt]hroughout)\s+{_QUAL}(?P<y>{_YEAR})(?![\w-])")),
    ("rel", re.compile(r"\b(?:(?:earlier|later|late|early)\s+)?(?P<p>(?:this|last|next)\s+(?:month|year))\b", re.I)),
    ("ago", re.compile(rf"\b(?P<p>(?:{_NUMBER_WORDS})\s+(?:days?|months?|years?)\s+ago)\b", re.I)),
    ("today", re.compile(r"\b(?:today|tonight|this\s+(?:morning|afternoon|evening))\b", re.I)),
    ("yesterday", re.compile(
        r"\b(?:yesterday|last\s+night|the\s+day\s+before|the\s+previous\s+day|a\s+day\s+earlier)\b"
        # "the day before the vote" dates the vote, not the article: only the bare phrase counts
        r"(?!\s+(?:the|a|an|his|her|its|their|this|that|yesterday|(?-i:[A-Z0-9])))", re.I)),
    ("tomorrow", re.compile(r"\btomorrow\b", re.I)),
    ("wd", re.compile(rf"\b(?:(?P<q>last|next|this)\s+)?(?P<w>{_WEEKDAYS})\b(?!,?\s+\d)")),
)

# Tense cues for phrases that may fall either side of the publication day. General English.
_FUTURE_CUE = re.compile(
    r"\b(?:will|won't|shall|would|'ll|due\s+to|set\s+to|scheduled|slated|expected\s+to|plans?\s+to|planned|"
    r"planning|going\s+to|intends?\s+to|is\s+to|are\s+to|upcoming|proposed|tomorrow)\b", re.I)
_PAST_CUE = re.compile(
    r"\b(?:was|were|had|did|said|told|met|held|took|came|went|made|gave|left|began|saw|spoke|wrote|sent|brought|"
    r"flew|ran|lost|fell|rose|hit|ago|previous|earlier|yesterday|[a-z]{3,}ed|"
    # "won" the verb, not the currency after an amount ("70 trillion won")
    r"(?<![\d,.] )(?<!\d)(?<!hundred )(?<!thousand )(?<!million )(?<!billion )(?<!trillion )won)\b", re.I)
#: Words before a date that make it a limit or a reference point, not when the sentence's event happened.
_NOT_WHEN = re.compile(r"\b(?:until|till|by|since|through|before|after|ahead\s+of|(?:runs?|running|lasts?|lasting|"
                       r"valid|extended|extends?)\s+to)\s+(?:the\s+)?\Z", re.I)
#: An approximate span before "... ago" ("more than 80 years ago") is no date.
_ROUGHLY = re.compile(r"\b(?:more\s+than|over|about|around|almost|nearly|roughly|some|some\s+\w+|up\s+to|"
                      r"at\s+least|less\s+than|under)\s+\Z", re.I)
_DETERMINER = re.compile(r"\b(?:that|this)\s*\Z", re.I)  # "that Sunday": the word is part of the date
#: Days from publication within which a day and month without a year are read ("on 1 November").
DAY_MONTH_WINDOW = 183
_CLAUSE_BREAK = re.compile(
    r"[,;:()\u2013\u2014]|\b(?:that|which|who|whom|when|where|while|after|before|because|and|but)\b", re.I)


@dataclass(frozen=True)
class DateMention:
    """A date expression found in a sentence and the date it resolves to.

    Attributes:
        text: the phrase as written (``sentence[start:end]``).
        start, end: offsets of the phrase in the sentence.
        value: the first day of the period the phrase names.
        granularity: ``"day"``, ``"month"`` or ``"year"``.
    """

    text: str
    start: int
    end: int
    value: date
    granularity: str

    @property
    def label(self) -> str:
        """The date at its granularity: ``5 January 2026``, ``November 2025`` or ``2025``."""
        return date_label(self.value, self.granularity)

    @property
    def last_day(self) -> date:
        """The last day of the period (``value`` itself for a day)."""
        return period_end(self.value, self.granularity)


def date_label(value: date, granularity: str) -> str:
    """``value`` written at ``granularity``: ``5 January 2026``, ``November 2025`` or ``2025``."""
    if granularity == YEAR:
        return str(value.year)
    if granularity == MONTH:
        return value.strftime("%B %Y")
    return f"{value.day} {value:%B %Y}"


def period_end(value: date, granularity: str) -> date:
    """The last day of the day, month or year starting at ``value``."""
    if granularity == YEAR:
        return date(value.year, 12, 31)
    if granularity == MONTH:
        return date(value.year, value.month, monthrange(value.year, value.month)[1])
    return value


def find_dates(sentence: str, published: date) -> list[DateMention]:
    """Every date expression of ``sentence`` that resolves against ``published``, in sentence order.

    Args:
        sentence: one sentence of an article.
        published: the article's publication day (the base of "on Monday", "last month", ...).

    Returns:
        The mentions, without overlaps; phrases that do not resolve are left out.
    """
    found: list[tuple[int, int, str, re.Match]] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(sentence):
            if not any(m.start() < e and s < m.end() for s, e, _, _ in found):
                found.append((m.start(), m.end(), kind, m))
    out, years = [], set()
    for s, e, kind, m in sorted(found, key=lambda f: f[0]):
        if _NOT_WHEN.search(sentence, 0, s) or kind == "ago" and _ROUGHLY.search(sentence, 0, s):
            continue
        resolved = _resolve(kind, m, sentence, published)
        if resolved is None:
            continue
        mention = DateMention(sentence[s:e], s, e, *resolved)
        if kind in ("dmy", "my", "y") and m.groupdict().get("y"):
            years.add(mention.value.year)
        elif kind in ("dmy", "m", "wd") and years and mention.value.year not in years:
            # "in 2019, when ... in December": a year-less date after another year is that year's,
            # which the publication date cannot tell; leave it out rather than guess
            continue
        out.append(mention)
    return out


def best_date(sentence: str, published: date) -> DateMention | None:
    """The mention that dates ``sentence``, or None when it has none.

    The first of its most precise mentions, passing over possessives ("Sunday's visit") when another is as precise.
    """
    mentions = find_dates(sentence, published)
    if not mentions:
        return None
    # the most precise, and among those one that dates the sentence's verb ("on 2 January") rather
    # than a noun ("Sunday's visit")
    return min(mentions, key=lambda m: (GRANULARITIES.index(m.granularity),
                                        sentence.startswith(("'s", "\u2019s"), m.end), m.start))


def _resolve(kind: str, m: re.Match, sentence: str, published: date) -> tuple[date, str] | None:
    """``(first day, granularity)`` of one found phrase, or None when dateparser cannot resolve it."""
    groups = m.groupdict()
    if kind == "dmy":
        phrase = f"{groups.get('d0') or groups['d']} {groups['m'].rstrip('.')}"  # a range is dated by its first day
        if groups.get("y"):
            return parse(f"{phrase} {groups['y']}", published, require=("day", "month", "year"))
        return _either_side(phrase, m, sentence, published, ("day", "month"), window=DAY_MONTH_WINDOW)
    if kind == "my":
        return parse(f"{groups['m']} {groups['y']}", published, require=("month", "year"))
    if kind == "m":
        qualifier = groups["q"].strip().lower()
        if qualifier in ("last", "next"):
            return parse(groups["m"], published, "past" if qualifier == "last" else "future", require=("month",))
        return _either_side(groups["m"], m, sentence, published, ("month",))
    if kind == "y":
        return parse(groups["y"], published, require=("year",))
    if kind in ("rel", "ago"):
        return parse(" ".join(groups["p"].lower().split()), published)
    if kind in ("today", "yesterday", "tomorrow"):
        return parse(kind, published)
    qualifier = (groups["q"] or "").lower()
    if qualifier in ("last", "next"):
        return parse(f"{qualifier} {groups['w']}", published)
    if groups["w"] == published.strftime("%A"):
        return parse("today", published)
    return _either_side(groups["w"], m, sentence, published, ())


def _either_side(phrase: str, m: re.Match, sentence: str, published: date, require: tuple[str, ...],
                 window: int | None = None) -> tuple[date, str] | None:
    """Resolve a phrase that may lie before or after ``published`` (see the module docstring).

    With a ``window`` (days), a reading farther than that from ``published`` loses to one within it,
    whatever the tense says.
    """
    past = parse(phrase, published, "past", require)
    future = parse(phrase, published, "future", require)
    readings = [r for r in (past, future) if r is not None]
    if not readings:
        return None
    for r in readings:
        if r[0] <= published <= period_end(*r):
            return r
    if window is not None:
        near = [r for r in readings if abs((r[0] - published).days) <= window]
        if len(near) == 1:
            return near[0]
    tense = nearest_tense(sentence, m.start(), m.end())
    if tense == "past" and past:
        return past
    if tense == "future" and future:
        return future
    return min(readings, key=lambda r: abs((r[0] - published).days))


def nearest_tense(sentence: str, start: int, end: int) -> str | None:
    """``"past"``, ``"future"`` or None: the tense cue nearest to ``sentence[start:end]``.

    Cues in the phrase's own clause (no comma, semicolon, colon, dash or bracket between) come first.
    A future cue wins over a past one at the same place ("expected to" is not the past "expected").
    """
    best: tuple[int, int, str] | None = None
    for rank, (tense, cue) in enumerate((("future", _FUTURE_CUE), ("past", _PAST_CUE))):
        for c in cue.finditer(sentence):
            if c.start() < end and start < c.end():
                continue  # a cue inside the phrase itself ("earlier this month") says nothing of the verb
            gap = _DETERMINER.sub("", sentence[c.end():start]) if c.end() <= start else sentence[end:c.start()]
            # a cue in another clause is about another verb: any cue of the phrase's own clause is nearer
            distance = len(gap) + (1000 if _CLAUSE_BREAK.search(gap) else 0)
            if best is None or (distance, rank) < best[:2]:
                best = (distance, rank, tense)
    return best[2] if best else None


def parse(phrase: str, published: date, prefer: str = "past",
          require: tuple[str, ...] = ()) -> tuple[date, str] | None:
    """dateparser's reading of ``phrase`` relative to ``published``: ``(first day, granularity)`` or None.

    Args:
        phrase: a date expression ("5 January", "last month", "Tuesday").
        published: the publication day, dateparser's ``RELATIVE_BASE``.
        prefer: ``PREFER_DATES_FROM`` ("past" or "future") for phrases without a year.
        require: dateparser's ``REQUIRE_PARTS`` (e.g. ``("day", "month")``): the strict check that
            the phrase really names them.

    Returns:
        None when dateparser cannot read the phrase or reads it as a week or a time of day.
    """
    parser = _parser(datetime.combine(published, time(12)), prefer, require)
    data = parser.get_date_data(phrase)
    if data.date_obj is None or data.period not in GRANULARITIES:
        return None
    d = data.date_obj.date()
    if data.period == YEAR:
        d = date(d.year, 1, 1)
    elif data.period == MONTH:
        d = date(d.year, d.month, 1)
    return d, data.period


@lru_cache(maxsize=512)
def _parser(base: datetime, prefer: str, require: tuple[str, ...]) -> DateDataParser:
    """One configured dateparser per (base, preference, required parts): building one is the slow part."""
    return DateDataParser(languages=["en"], settings={
        "RELATIVE_BASE": base, "PREFER_DATES_FROM": prefer, "RETURN_TIME_AS_PERIOD": True,
        "REQUIRE_PARTS": list(require), "PREFER_DAY_OF_MONTH": "first"})
