"""Citation markers: writing, stripping and reading them, and defusing look-alikes in article text."""

from __future__ import annotations

import pytest

from qa_bot.text.markers import (defuse_citation_markers, format_markers, leading_markers, marker_numbers,
                                 remove_markers, strip_markers)


def test_the_bot_writes_markers_and_strips_them_again():
    assert format_markers((1, 3)) == " [1] [3]"
    assert format_markers(()) == ""
    answer = "Kim spoke" + format_markers((1,)) + ". Park replied" + format_markers((2, 3)) + "."
    assert answer == "Kim spoke [1]. Park replied [2] [3]."
    assert strip_markers(answer) == "Kim spoke. Park replied."
    assert strip_markers("A [note] stays.") == "A [note] stays."


@pytest.mark.parametrize("text, numbers", [
    ("Kim spoke [1, 3] and [Passage 3].", (1, 3)),
    ("Kim spoke [passages 2; 4].", (2, 4)),
    ("Kim spoke [2][2][1].", (2, 1)),
    ("Kim spoke [note] in [2030 plan].", ()),
])
def test_marker_numbers_reads_the_forms_a_model_writes(text, numbers):
    assert marker_numbers(text) == numbers


def test_remove_and_leading_markers():
    assert remove_markers("Kim spoke [1, 3] and [Passage 3].") == "Kim spoke and."
    assert leading_markers("[2][3] Next sentence [4].") == "[2][3]"
    assert leading_markers("Next sentence [4].") == ""


def test_citation_lookalikes_are_defused_and_other_brackets_kept():
    assert defuse_citation_markers("signed [7] here [1][2] and [12, 13]") == "signed ［7］ here ［1］［2］ and ［12, 13］"
    assert defuse_citation_markers("[Source: Wire] said") == "［Source: Wire］ said"
    assert defuse_citation_markers("a [note] and [2026 plan]") == "a [note] and [2026 plan]"


def test_a_defused_article_sentence_carries_no_marker_into_an_answer():
    article = "The deal [7] was signed [Passage 2] on time [3, 4]."
    assert marker_numbers(article) == (7, 2, 3, 4)
    assert marker_numbers(defuse_citation_markers(article)) == ()
