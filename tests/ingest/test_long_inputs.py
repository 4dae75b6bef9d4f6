"""What the linear-time paths (issue 14) must still do: markup that never closes stays as written,
and a sentence too long for one chunk is cut into the longest pieces that fit."""

import pytest

from qa_bot.ingest.chunking import Chunker, approx_token_count
from qa_bot.ingest.formats.markdown import markdown_to_text
from qa_bot.ingest.loaders import load_text


@pytest.mark.parametrize(
    ("markdown", "text"),
    [
        ("**Bold** and **unclosed, then __under__ text.", "Bold and **unclosed, then under text."),
        ("An *aside* and a lone * star, then 2*3*4.", "An aside and a lone * star, then 2*3*4."),
        ("<b>Tag</b> text where a < b holds.", "Tag text where a < b holds."),
        ("A [bracket] that is not a link, then [one](u).", "A [bracket] that is not a link, then one."),
        ("[" * 5 + " an open [link](u " + "]" * 3, "[" * 5 + " an open [link](u " + "]" * 3),
    ],
)
def test_unclosed_markup_stays_as_written_and_closed_markup_is_reduced(markdown, text):
    assert markdown_to_text(markdown) == text


def test_a_long_sentence_is_cut_at_spaces_into_the_longest_pieces_that_fit():
    words = [f"word{i % 97}" for i in range(3000)]
    art = load_text(" ".join(words), title="Words")
    budget = 60 - approx_token_count("Words") - 1
    chunks = Chunker(max_tokens=60, target_tokens=40, overlap_sentences=0).split(art)
    assert " ".join(c.text for c in chunks) == art.text  # every word, in order, once
    for chunk, following in zip(chunks, chunks[1:]):
        assert approx_token_count(chunk.text) <= budget
        next_word = following.text.split(" ", 1)[0]
        assert approx_token_count(f"{chunk.text} {next_word}") > budget  # one more word would not fit


def test_a_long_run_without_spaces_is_cut_inside_into_pieces_that_fit():
    art = load_text("Start " + "-" * 5000 + " end", title="Dashes")
    budget = 60 - approx_token_count("Dashes") - 1
    chunks = Chunker(max_tokens=60, target_tokens=40, overlap_sentences=0).split(art)
    assert "".join(c.text for c in chunks).replace(" ", "") == art.text.replace(" ", "")
    assert all(approx_token_count(c.text) <= budget for c in chunks)
    assert len(chunks) < 1.2 * approx_token_count(art.text) / budget  # the pieces are full, not slivers
