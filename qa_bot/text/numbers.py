"""Numbers, amounts, times and dates as English text writes them.

Two readings of "a number" live here because two stages need different things:

* :data:`QUANTITY` finds anything that states an amount ("1,000", "twelve", "a dozen", "twice")
  — the answerer asks "does this sentence give a number at all?";
* :func:`numbers_in` reads the numbers a sentence commits to, normalised ("1,000" -> "1000",
  "nine" -> "9", "third" -> "3") — the verifier asks "does the passage say the same number?".
"""

from __future__ import annotations

import calendar
import re
from datetime import date

#: Number words and ordinals up to those a sentence commonly spells out, as digits.
NUMBER_WORDS: dict[str, str] = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
NUMBER_WORDS.update({"thirty": "30", "forty": "40", "fifty": "50", "hundred": "100", "first": "1", "second": "2",
                     "third": "3", "fourth": "4", "fifth": "5"})

#: A written number (digits with separators, or a number word) — what :func:`numbers_in` reads.
_WRITTEN_NUMBER = re.compile(r"\d+(?:[.:,]\d+)*|\b(?:" + "|".join(NUMBER_WORDS) + r")\b", re.I)

#: Anything that states an amount: digits, number and magnitude words, fractions, "once"/"twice".
QUANTITY = re.compile(r"\d[\d,.]*|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|"
                      r"forty|fifty|hundred|thousand|million|billion|trillion|dozen|half|third|quarter|once|twice)\b",
                      re.I)
#: A time of day: a clock time ("4:47", "9 am") or a part of the day ("morning", "noon").
TIME_OF_DAY = re.compile(r"\b\d{1,2}:\d{2}\b|\b\d{1,2}\s?(?:am|pm|a\.m\.|p\.m\.)|\b(?:noon|midday|midnight|morning|"
                         r"afternoon|evening|night)\b", re.I)
#: A clock time only ("4:47 pm", "9 a.m.", "noon"), not a part of the day.
CLOCK_TIME = re.compile(r"\b\d{1,2}:\d{2}\s?(?:am|pm|a\.m\.|p\.m\.)?|\b\d{1,2}\s?(?:am|pm|a\.m\.|p\.m\.)|"
                        r"\b(?:noon|midday|midnight)\b", re.I)
#: A word that places something in time: a month or weekday name, a season, a relative day, a year
#: or a day of the month ("5th").
DATE_WORD = re.compile(r"\b(?:january|february|march|april|may|june|july|august|september|october|november|december|"
                       r"jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|monday|tuesday|wednesday|thursday|friday|"
                       r"saturday|sunday|today|yesterday|tomorrow|spring|summer|autumn|winter|\d{4}|"
                       r"\d{1,2}(?:st|nd|rd|th)?)\b", re.I)
#: A length of time ("three days", "an hour", "half a year").
DURATION = re.compile(r"\b(?:\d[\d.]*|an?|one|two|three|four|five|six|seven|eight|nine|ten|half an?|several)\s+"
                      r"(?:minutes?|hours?|days?|weeks?|months?|years?)\b|\bhour and a half\b", re.I)
#: An amount of money: a currency sign, a number followed by a currency name, or an ISO 4217 code
#: (three capital letters, matched case-sensitively) before or after a number.
MONEY = re.compile(r"[$€£¥₩₹]\s?\d|\b\d[\d,.]*\s*(?:billion|million|trillion|bn|tn|m)?\s*(?:won|yuan|dollars?|"
                   r"euros?|yen|rupees?|francs?|pesos?|rubles?|roubles?|(?-i:[A-Z]{3}))\b|"
                   r"\b(?:(?-i:[A-Z]{3})|us\$)\s?\d", re.I)

#: Month names and abbreviations (lower case) -> month number.
MONTHS: dict[str, int] = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_DATE_PATTERNS = [
    re.compile(r"\b(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+(?P<month>[A-Z][a-z]{2,8})\b(?:,?\s+(?P<year>\d{4}))?"),
    re.compile(r"\b(?P<month>[A-Z][a-z]{2,8})\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(?P<year>\d{4}))?"),
    re.compile(r"\b(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})\b"),
]


def has_digit(token: str) -> bool:
    """True for a token that holds a digit ("1992", "4:47", "g20")."""
    return any(ch.isdigit() for ch in token)


def numbers_in(text: str) -> set[str]:
    """Numbers as written ("4:47", "1,000" -> "1000", "nine" -> "9"), including inside "three-way"."""
    return {NUMBER_WORDS.get(m.group(0).lower(), m.group(0).replace(",", "")) for m in _WRITTEN_NUMBER.finditer(text)}


def find_dates(text: str, default_year: int | None = None) -> list[date]:
    """Calendar dates written in ``text`` ("January 5", "5 January 2026", "2026-01-05"), sorted, once each.

    Args:
        text: where to look.
        default_year: the year of a date written without one; without it such dates are skipped.
    """
    out: list[date] = []
    for pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            month_raw = m.group("month")
            month = int(month_raw) if month_raw.isdigit() else MONTHS.get(month_raw.lower())
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
