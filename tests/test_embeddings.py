"""Span (sentence) vectors: one per span, each describing its own stretch of text.

``embed_with_spans`` feeds the answerer's sentence vectors at ingest; a span vector that drifted
to a neighbouring sentence would make the answerer quote the wrong sentence.
"""

from __future__ import annotations

import numpy as np
import pytest

from qa_bot.embeddings import SentenceTransformerEmbedder, embed_with_spans

from tests.fakes import HashEmbedder

TEXTS = ["Ferries sailed at dawn. Cranes lifted the cargo.", "A single line.", "Lions guard the gate. Pandas eat. Tea cools."]


def _spans(text: str) -> list[tuple[int, int]]:
    """Offsets of each sentence (text up to and including a full stop)."""
    out, start = [], 0
    for i, ch in enumerate(text):
        if ch == ".":
            out.append((start, i + 1))
            start = i + 2
    return out


def test_fallback_gives_one_vector_per_span_each_the_embedding_of_its_own_text():
    embedder = HashEmbedder()
    spans = [_spans(TEXTS[0]), [], _spans(TEXTS[2])]  # the middle text asks for no span
    vectors, span_vectors = embed_with_spans(embedder, TEXTS, spans)
    assert vectors.shape == (3, embedder.dim)
    assert np.allclose(vectors, embedder.embed(TEXTS))
    assert [v.shape for v in span_vectors] == [(2, embedder.dim), (0, embedder.dim), (3, embedder.dim)]
    for text, text_spans, rows in zip(TEXTS, spans, span_vectors):
        for (start, end), row in zip(text_spans, rows):
            assert np.allclose(row, embedder.embed([text[start:end]])[0]), text[start:end]


def test_an_embedder_with_its_own_span_method_is_used_for_the_spans():
    class SpanAware(HashEmbedder):
        def embed_spans(self, texts, spans, batch_size=32):
            self.span_calls = (list(texts), [list(s) for s in spans])
            return self.embed(texts), [np.zeros((len(s), self.dim), np.float32) for s in spans]

    embedder = SpanAware()
    spans = [_spans(t) for t in TEXTS]
    _, span_vectors = embed_with_spans(embedder, TEXTS, spans)
    assert embedder.span_calls == (TEXTS, spans)
    assert embedder.calls == [TEXTS]  # the spans were not embedded one by one as well
    assert all(not rows.any() for rows in span_vectors)


# --- SentenceTransformerEmbedder.embed_spans on a stand-in model ---------------------------------

class _Tokens:
    """The slice of a torch tensor ``embed_spans`` uses."""

    def __init__(self, array: np.ndarray) -> None:
        self.array = array

    def detach(self):
        return self

    float = cpu = detach

    def numpy(self) -> np.ndarray:
        return self.array

    def __len__(self) -> int:
        return len(self.array)


class _WordModel:
    """One token per word, each word's vector a one-hot of its position; [CLS]/[SEP] share the last axis.

    Like a real model it truncates to ``max_seq_length`` tokens, special tokens included.
    """

    dim = 8

    def __init__(self, max_seq_length: int = 16) -> None:
        self.max_seq_length = max_seq_length

    def _offsets(self, text: str) -> list[tuple[int, int]]:
        words, pos = [], 0
        for word in text.split():
            start = text.index(word, pos)
            words.append((start, start + len(word)))
            pos = start + len(word)
        return [(0, 0), *words[: self.max_seq_length - 2], (0, 0)]

    def tokenizer(self, texts, **kwargs):
        return {"offset_mapping": [self._offsets(t) for t in texts]}

    def encode(self, texts, **kwargs):
        out = []
        for text in texts:
            offsets = self._offsets(text)
            rows = np.zeros((len(offsets), self.dim), np.float32)
            for i, (start, end) in enumerate(offsets):
                rows[i, (i - 1) if end > start else self.dim - 1] = 1.0
            out.append(_Tokens(rows))
        return out


def _stand_in(max_seq_length: int = 16) -> SentenceTransformerEmbedder:
    embedder = SentenceTransformerEmbedder()
    embedder._model = _WordModel(max_seq_length)  # loaded already, so warm_up never reads a model from disk
    return embedder


def _unit(*axes: int) -> np.ndarray:
    v = np.zeros(_WordModel.dim, np.float32)
    v[list(axes)] = 1.0
    return v / np.linalg.norm(v)


def test_each_span_vector_is_the_mean_of_exactly_its_own_tokens():
    text = "alpha beta. gamma delta epsilon."  # words 0-1 form the first sentence, 2-4 the second
    vectors, [rows] = _stand_in().embed_spans([text], [[(0, 11), (12, 32), (6, 8)]])
    assert np.allclose(rows[0], _unit(0, 1))
    assert np.allclose(rows[1], _unit(2, 3, 4))
    assert np.allclose(rows[2], _unit(1))  # a span inside one word takes that word's token
    words_and_cls_sep = np.array([1, 1, 1, 1, 1, 0, 0, 2], np.float32)  # the text vector: every token's mean
    assert np.allclose(vectors[0], words_and_cls_sep / np.linalg.norm(words_and_cls_sep))


def test_spans_past_the_model_limit_get_a_unit_vector_and_earlier_spans_are_unaffected():
    text = "one two. three four. five six."
    vectors, [rows] = _stand_in(max_seq_length=5).embed_spans([text], [_spans(text)])  # reads 3 words
    assert rows.shape == (3, _WordModel.dim)
    assert np.allclose(rows[0], _unit(0, 1))
    assert np.allclose(rows[1], _unit(2))  # cut in half: the part the model read
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0)
    assert np.allclose(rows[2], vectors[0])  # never read: the whole text's vector stands in


# --- the real model -------------------------------------------------------------------------------

SENTENCES = [
    "The cat slept on the warm windowsill all afternoon.",
    "Interest rates rose sharply after the central bank meeting.",
    "The football team won the championship in extra time.",
    "Volcanic ash closed several airports across the region.",
]


@pytest.mark.slow
def test_a_sentence_span_is_closest_to_that_sentence_on_its_own(real_embedder):
    text = " ".join(SENTENCES)
    vectors, [rows] = real_embedder.embed_spans([text], [_spans(text)])
    alone = real_embedder.embed(SENTENCES)
    assert np.allclose(vectors, real_embedder.embed([text]), atol=1e-4)  # the same vector embed() gives
    similarity = rows @ alone.T
    assert list(similarity.argmax(axis=1)) == [0, 1, 2, 3], similarity.round(3)


@pytest.mark.slow
def test_spans_beyond_the_real_model_limit_still_get_unit_vectors(real_embedder):
    filler = " ".join(f"Sentence number {i} talks about the harbour and its boats." for i in range(80))
    text = f"{SENTENCES[1]} {filler} {SENTENCES[3]}"
    assert real_embedder.count_tokens(text) > 2 * real_embedder.max_seq_length
    spans = _spans(text)
    vectors, [rows] = real_embedder.embed_spans([text], [spans])
    assert rows.shape == (len(spans), real_embedder.dimension)
    assert np.isfinite(rows).all() and np.allclose(np.linalg.norm(rows, axis=1), 1.0, atol=1e-4)
    assert np.allclose(vectors, real_embedder.embed([text]), atol=1e-4)
    alone = real_embedder.embed([SENTENCES[1], SENTENCES[3]])
    assert float(rows[0] @ alone[0]) > float(rows[0] @ alone[1])  # the first sentence was read, in context
