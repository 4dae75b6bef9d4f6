from qa_bot.text.normalize import normalize_text
from qa_bot.text.sentences import sentence_spans
from qa_bot.text.tokens import content_words, fold


def _sentences(text):
    return [text[s:e] for s, e in sentence_spans(text)]


def test_sentences_keep_abbreviations_initials_and_decimals_together():
    text = ("Mr. Kim met Dr. Lee at 4:47 p.m. on Monday. The U.S. alliance matters, he said. "
            "Each lion weighs about 1.25 t. \"It is an irreversible trend,\" Lee said.")
    assert _sentences(text) == [
        "Mr. Kim met Dr. Lee at 4:47 p.m. on Monday.",
        "The U.S. alliance matters, he said.",
        "Each lion weighs about 1.25 t.",
        "\"It is an irreversible trend,\" Lee said.",
    ]


def test_paragraphs_and_headings_are_boundaries_and_offsets_are_exact():
    text = "A short heading\nThe first paragraph runs on\nacross a wrapped line.\n\nSecond paragraph! Third one?"
    spans = sentence_spans(text)
    got = [text[s:e] for s, e in spans]
    assert got == ["A short heading", "The first paragraph runs on\nacross a wrapped line.", "Second paragraph!",
                   "Third one?"]
    for s, e in spans:
        assert text[s:e] == text[s:e].strip() and e > s


def test_normalize_text_removes_invisible_characters_and_extra_space():
    raw = "Line\u200b one \r\n\r\n\r\n\r\nLine\u00a0two\t\tend  "
    assert normalize_text(raw) == "Line one\n\nLine two end"


def test_content_words_drop_stopwords_and_fold_plurals():
    assert content_words("What did Lee say about the MOUs and talks?") == ["lee", "mou", "talk"]
    assert fold("Xi’s “right side” of História") == "xi s right side of historia"

