"""Date expressions found in sentences and resolved (by dateparser) against the publication day."""

from __future__ import annotations

from datetime import date

import pytest

from qa_bot.news.dates import best_date, date_label, find_dates, nearest_tense, parse, period_end

MONDAY = date(2026, 1, 5)  # a Monday


def dates(sentence: str, published: date = MONDAY) -> list[tuple[str, str, str]]:
    return [(m.text, m.value.isoformat(), m.granularity) for m in find_dates(sentence, published)]


@pytest.mark.parametrize("sentence, expected", [
    # the publication day's own weekday is that day, not a week before or after
    ("The leaders met on Monday.", ("Monday", "2026-01-05", "day")),
    ("Officials said on Friday that talks would resume.", ("Friday", "2026-01-02", "day")),
    ("He flies home on Wednesday.", ("Wednesday", "2026-01-07", "day")),  # no tense cue: the nearer one
    ("He will fly home on Saturday.", ("Saturday", "2026-01-10", "day")),
    ("He flew home last Saturday.", ("last Saturday", "2026-01-03", "day")),
    ("Their previous summit took place on 1 November.", ("1 November", "2025-11-01", "day")),
    ("Talks are planned for 4 March.", ("4 March", "2026-03-04", "day")),
    ("The plan was agreed on January 5, 2026.", ("January 5, 2026", "2026-01-05", "day")),
    ("It was announced Dec. 30.", ("Dec. 30", "2025-12-30", "day")),
    ("The deal was signed last November.", ("last November", "2025-11-01", "month")),
    ("They met in Gyeongju in November 2025.", ("November 2025", "2025-11-01", "month")),
    ("Exports rose sharply in 2025.", ("in 2025", "2025-01-01", "year")),
    ("He said earlier this month that the plan stands.", ("earlier this month", "2026-01-01", "month")),
    ("Talks broke down last year.", ("last year", "2025-01-01", "year")),
    ("The ministers met the day before.", ("the day before", "2026-01-04", "day")),
    ("The ministers had met the previous day.", ("the previous day", "2026-01-04", "day")),
    ("They met the previous day to settle the text.", ("the previous day", "2026-01-04", "day")),
    ("The ministers meet today.", ("today", "2026-01-05", "day")),
    ("The ministers met three days ago.", ("three days ago", "2026-01-02", "day")),
    ("Drills were held on 29 and 30 December.", ("29 and 30 December", "2025-12-29", "day")),
])
def test_a_date_expression_resolves_against_the_publication_day(sentence, expected):
    assert dates(sentence) == [expected]


@pytest.mark.parametrize("sentence", [
    "The talks lasted 90 minutes and ended at 4:30 pm.",  # numbers and times are not dates
    "Trade reached 328 billion dollars, up 2025 units.",  # a bare year-like number is not a year
    "Prices may rise, officials warned.",  # the verb "may" is not the month
    "The mission was the first since 2019.",  # a reference point, not when it happened
    "The swap runs until 31 October 2030.",  # a limit, not an event
    "Officials met the day before the vote.",  # the day before something else: unresolvable
    "Officials met the day before Christmas.",
    "Talks went well last week.",  # a week is not a day, a month or a year
    "The 2025 summit was a success.",
    "Both peoples suffered together more than 80 years ago.",  # an approximate span is no date
    "The museum opened about ten years ago.",
])
def test_phrases_that_do_not_date_the_sentence_are_left_out(sentence):
    assert dates(sentence) == []


def test_the_tense_nearest_the_phrase_in_its_clause_decides_its_side_of_the_publication_day():
    found = dates("Lee, who arrived on Sunday, will meet Xi on Saturday.")
    assert found == [("Sunday", "2026-01-04", "day"), ("Saturday", "2026-01-10", "day")]
    told = "Officials told reporters on Wednesday that talks would resume."
    assert dates(told) == [("Wednesday", "2025-12-31", "day")]  # "told", not the "would" of the next clause
    assert nearest_tense("The visit is scheduled for Friday.", 29, 35) == "future"
    assert nearest_tense("Prices rise on Friday.", 15, 21) is None


def test_a_yearless_date_after_another_year_is_left_out():
    sentence = "The last delegation went in 2019, when it travelled in December."
    assert dates(sentence) == [("in 2019", "2019-01-01", "year")]
    # a year named only after it belongs to something else: the day still dates the sentence
    later = "In an interview aired on 2 January, he said the terms agreed in 1992 still hold."
    assert dates(later) == [("2 January", "2026-01-02", "day"), ("in 1992", "1992-01-01", "year")]
    assert best_date(later, MONDAY).text == "2 January"


def test_the_most_precise_date_of_a_sentence_dates_it():
    mention = best_date("Aides said earlier this month that the goals for Sunday's visit were set on 2 January.",
                        MONDAY)
    assert (mention.text, mention.label) == ("2 January", "2 January 2026")
    assert best_date("No date here.", MONDAY) is None


def test_offsets_point_at_the_phrase_in_the_sentence():
    sentence = "In the end, Lee returned to Seoul on Wednesday, 7 January, after a week away."
    (m,) = find_dates(sentence, MONDAY)
    assert sentence[m.start:m.end] == m.text == "Wednesday, 7 January"
    assert m.label == "7 January 2026" and m.last_day == date(2026, 1, 7)


def test_labels_and_period_ends_keep_the_granularity():
    assert date_label(date(2025, 11, 1), "month") == "November 2025"
    assert date_label(date(2026, 1, 5), "day") == "5 January 2026"
    assert date_label(date(2025, 1, 1), "year") == "2025"
    assert period_end(date(2024, 2, 1), "month") == date(2024, 2, 29)
    assert period_end(date(2025, 1, 1), "year") == date(2025, 12, 31)


def test_parse_is_dateparser_with_the_strict_parts_required():
    assert parse("5 January", MONDAY, require=("day", "month")) == (date(2026, 1, 5), "day")
    assert parse("November", MONDAY, "future", require=("month",)) == (date(2026, 11, 1), "month")
    assert parse("next week", MONDAY) is None  # a week: no day, month or year granularity
    assert parse("not a date at all", MONDAY) is None


def test_the_currency_won_is_no_past_tense_cue_but_the_verb_is():
    swap = "A swap of 70 trillion won runs on Friday."
    assert nearest_tense(swap, swap.index("Friday"), len(swap) - 1) is None
    priced = "The offer of 5,000 won a share closes on Friday."
    assert nearest_tense(priced, priced.index("Friday"), len(priced) - 1) is None
    race = "The team won the final on Friday."
    assert nearest_tense(race, race.index("Friday"), len(race) - 1) == "past"
