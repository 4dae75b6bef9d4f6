"""Irregular verbs fold to their base form, so questions and answers in different tenses match."""

from qa_bot.text.tokens import content_words, stem
from qa_bot.text.verbs import all_forms, base_form


def test_past_and_participle_fold_to_the_base_form():
    assert base_form("gave") == base_form("given") == "give"
    assert base_form("ate") == "eat"
    assert content_words("She gave him two books and they ate lunch") == ["give", "two", "book", "eat", "lunch"]
    assert stem("met") == "meet"


def test_forms_with_a_common_other_sense_are_left_alone():
    for word in ("left", "found", "won", "rose", "fed", "bound"):
        assert base_form(word) == word


def test_all_forms_from_any_form():
    assert all_forms("give") == all_forms("gave") == ("give", "gave", "given")
    assert all_forms("table") == ("table",)
