"""Numbers, amounts, times and dates as text writes them."""

from __future__ import annotations

from datetime import date

from qa_bot.text.numbers import (CLOCK_TIME, DATE_WORD, DURATION, MONEY, QUANTITY, TIME_OF_DAY, find_dates,
                                 has_digit, numbers_in)


def test_numbers_in_normalises_what_a_sentence_commits_to():
    assert numbers_in("They signed 1,000 deals in nine days, by 4:47.") == {"1000", "9", "4:47"}
    assert numbers_in("a three-way meeting, the second in 2030") == {"3", "2", "2030"}
    assert numbers_in("no figures here") == set()


def test_quantity_finds_any_stated_amount():
    assert QUANTITY.findall("a dozen ships, twice a year, 2.5 million tons") == ["dozen", "twice", "2.5", "million"]
    assert not QUANTITY.search("several ships")


def test_times_of_day_and_clock_times():
    assert TIME_OF_DAY.findall("at 9 am, then 4:47 in the evening") == ["9 am", "4:47", "evening"]
    assert CLOCK_TIME.findall("at 9 am, then 4:47 pm in the evening, and noon") == ["9 am", "4:47 pm", "noon"]


def test_date_words_durations_and_money():
    assert DATE_WORD.findall("on the 5th of March 2030, a Monday") == ["5th", "March", "2030", "Monday"]
    assert DURATION.search("talks lasted three days") and DURATION.search("an hour and a half")
    assert not DURATION.search("three ships")
    for amount in ("$5 billion", "300 million won", "40 euros", "EUR 12", "700 yen"):
        assert MONEY.search(amount), amount
    assert not MONEY.search("40 people")


def test_find_dates_reads_written_dates_and_skips_impossible_ones():
    text = "Signed on 5 March 2031, ratified March 7 and filed 2030-02-30."
    assert find_dates(text, default_year=2030) == [date(2030, 3, 7), date(2031, 3, 5)]
    assert find_dates("ratified March 7") == []  # no year written, none given
    assert find_dates("on 2030-01-05") == [date(2030, 1, 5)]


def test_has_digit():
    assert has_digit("1992") and has_digit("g20") and not has_digit("nine")
