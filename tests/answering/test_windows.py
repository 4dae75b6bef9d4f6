"""What the span reader reads: a chunk widened by its article's neighbouring sentences, cut into windows."""

from __future__ import annotations

import pytest

from qa_bot.answering.read import decode, load_tokenizer
from qa_bot.answering.windows import reading_passage, windows
from qa_bot.embeddings import resolve_model_path
from qa_bot.config import PACKAGED_MODEL

import numpy as np

SENTENCES = [f"Sentence number {i} talks about the harbour crane {i} and its yard." for i in range(12)]
ARTICLE = " ".join(SENTENCES)


@pytest.fixture(scope="module")
def tok():
    """The packaged model's word-piece tokenizer (a file, no model weights)."""
    return load_tokenizer(resolve_model_path(PACKAGED_MODEL))


def chunk(first: int, last: int) -> tuple[int, int]:
    start = ARTICLE.index(SENTENCES[first])
    return start, ARTICLE.index(SENTENCES[last]) + len(SENTENCES[last])


def test_a_chunk_is_read_with_the_sentences_before_and_after_it_as_the_article_has_them():
    start, end = chunk(3, 5)
    p = reading_passage("a:1", ARTICLE, start, end)
    assert p.text == " ".join(SENTENCES[2:7])
    assert ARTICLE[p.offset:p.offset + len(p.text)] == p.text
    assert p.text[p.focus[0]:p.focus[1]] == ARTICLE[start:end]


def test_a_chunk_at_an_edge_of_its_article_has_one_neighbour_only():
    first = reading_passage("a:0", ARTICLE, *chunk(0, 2))
    assert first.offset == 0 and first.text == " ".join(SENTENCES[0:4])
    last = reading_passage("a:9", ARTICLE, *chunk(9, 11))
    assert last.text == " ".join(SENTENCES[8:12])


def test_windows_hold_the_question_and_never_exceed_the_length(tok):
    p = reading_passage("a:1", ARTICLE, *chunk(3, 5))
    wins = windows(tok, "Which crane is in the yard?", [p], max_length=40, stride=8)
    assert len(wins) > 1
    for w in wins:
        assert len(w.ids) <= 40
        assert w.ids[0] == tok.token_to_id("[CLS]") and w.ids[-1] == tok.token_to_id("[SEP]")
        assert w.ids[w.context_start - 1] == tok.token_to_id("[SEP]")
        assert len(w.type_ids) == len(w.ids) and w.type_ids[w.context_start] == 1
        assert len(w.offsets) == len(w.ids) - w.context_start - 1
    # Overlapping windows cover the whole chunk, each one's context a slice of the passage.
    covered = set()
    for w in wins:
        covered |= {i for s, e in w.offsets for i in range(s, e)}
    focus = {i for i in range(*p.focus) if not p.text[i].isspace()}
    assert focus <= covered


def test_a_passage_that_fits_is_one_window_with_both_neighbours(tok):
    p = reading_passage("a:1", ARTICLE, *chunk(4, 4))
    [w] = windows(tok, "Which crane?", [p], max_length=192)
    assert w.offsets[0][0] == 0 and w.offsets[-1][1] == len(p.text)


def test_when_neighbours_do_not_fit_the_chunk_stays_whole_and_they_are_cut(tok):
    p = reading_passage("a:1", ARTICLE, *chunk(4, 5))
    n_chunk = len(tok.encode(p.text[p.focus[0]:p.focus[1]], add_special_tokens=False).ids)
    question = "Which crane?"
    max_length = n_chunk + len(tok.encode(question, add_special_tokens=False).ids) + 3 + 6
    [w] = windows(tok, question, [p], max_length=max_length)
    assert w.offsets[0][0] < p.focus[0] and w.offsets[-1][1] > p.focus[1]  # some context on each side
    assert w.offsets[0][0] > 0 and w.offsets[-1][1] < len(p.text)  # but not all of it


def test_piece_span_finds_an_answer_inside_a_window_and_not_outside(tok):
    p = reading_passage("a:1", ARTICLE, *chunk(3, 5))
    [w] = windows(tok, "Which crane?", [p])
    at = p.text.index("crane 4")
    a, b = w.piece_span(at, at + len("crane 4"))
    pieces = w.offsets[a - w.context_start:b - w.context_start + 1]
    assert p.text[pieces[0][0]:pieces[-1][1]] == "crane 4"
    assert w.piece_span(len(p.text) + 5, len(p.text) + 9) is None


def test_decode_returns_the_best_span_widened_to_whole_words(tok):
    p = reading_passage("a:1", ARTICLE, *chunk(3, 3))
    [w] = windows(tok, "Which yard?", [p])
    start = np.full(len(w.ids), -5.0)
    end = np.full(len(w.ids), -5.0)
    target = p.text.index("harbour crane 3")
    a, b = w.piece_span(target, target + len("harbour crane 3"))
    start[a], end[b] = 4.0, 3.0
    start[a + 1] = 3.5  # a span starting mid-way scores lower
    spans = decode(start, end, w, p.text, top_n=3)
    assert p.text[spans[0].start:spans[0].end] == "harbour crane 3"
    assert spans[0].score == pytest.approx(7.0)
    assert all(p.text[s.start - 1:s.start].strip() == "" for s in spans)  # never inside a word
    assert spans == sorted(spans, key=lambda s: -s.score)


def test_decode_never_offers_a_span_longer_than_the_limit(tok):
    p = reading_passage("a:1", ARTICLE, *chunk(3, 3))
    [w] = windows(tok, "Which yard?", [p])
    start = np.zeros(len(w.ids))
    end = np.zeros(len(w.ids))
    start[w.context_start] = 10.0
    end[len(w.ids) - 2] = 10.0  # the last context piece: far from the first
    for span in decode(start, end, w, p.text, max_answer_pieces=4, top_n=10):
        assert len(tok.encode(p.text[span.start:span.end], add_special_tokens=False).ids) <= 6
