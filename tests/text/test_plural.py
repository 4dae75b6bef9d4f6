"""qa_bot.text.plural: counts read as English."""

from __future__ import annotations

from qa_bot.text.plural import plural


def test_one_is_singular_and_every_other_count_plural():
    assert [plural(n, "passage") for n in (0, 1, 2, 1200)] == ["0 passages", "1 passage", "2 passages",
                                                              "1,200 passages"]
    assert plural(1, "entry", "entries") == "1 entry" and plural(3, "entry", "entries") == "3 entries"
