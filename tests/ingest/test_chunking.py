import pytest

from qa_bot.ingest.chunking import Chunker, approx_token_count
from qa_bot.ingest.loaders import load_text
from qa_bot.text.sentences import sentence_spans


def _article(n_sentences=40):
    body = " ".join(f"Sentence number {i} talks about the summit and the {i * 7} documents signed." for i in range(n_sentences))
    return load_text(body, title="Title")


def test_chunks_are_exact_slices_that_cover_the_article_in_order():
    art = _article()
    chunks = Chunker(max_tokens=80, target_tokens=50).split(art)
    assert len(chunks) > 3
    for i, c in enumerate(chunks):
        assert art.text[c.start:c.end] == c.text
        assert c.n == i and c.id == f"{art.id}:{i}"
    assert chunks[0].start == 0 and chunks[-1].end == len(art.text)
    for prev, nxt in zip(chunks, chunks[1:]):
        assert nxt.start <= prev.end  # no gaps (one sentence of overlap)
        assert nxt.start > prev.start


def test_chunks_end_at_sentence_boundaries():
    art = _article()
    ends = {e for _, e in sentence_spans(art.text)}
    starts = {s for s, _ in sentence_spans(art.text)}
    for c in Chunker(max_tokens=80, target_tokens=50).split(art):
        assert c.end in ends and c.start in starts


def test_every_chunk_fits_the_budget_including_the_title():
    art = _article()
    chunker = Chunker(max_tokens=80, target_tokens=50)
    budget = 80 - approx_token_count(art.title) - 1
    assert all(approx_token_count(c.text) <= budget for c in chunker.split(art))


def test_an_overlong_sentence_is_cut_at_spaces_without_losing_text():
    words = " ".join(f"word{i}" for i in range(300))
    art = load_text(words + ".", title="")
    chunks = Chunker(max_tokens=40, target_tokens=30, overlap_sentences=0).split(art)
    assert len(chunks) > 5
    assert " ".join(c.text for c in chunks) == art.text
    assert all(approx_token_count(c.text) <= 40 for c in chunks)


def test_a_short_article_is_one_chunk():
    art = load_text("One sentence only, but long enough to count.")
    [chunk] = Chunker().split(art)
    assert chunk.text == art.text


@pytest.mark.parametrize("kwargs", [{"max_tokens": 8}, {"target_tokens": 0}, {"max_tokens": 50, "target_tokens": 60}])
def test_bad_sizes_are_refused(kwargs):
    with pytest.raises(ValueError):
        Chunker(**kwargs)


@pytest.mark.slow
def test_real_tokenizer_counts_keep_corpus_chunks_under_the_model_limit(real_embedder):
    from qa_bot.ingest.chunking import embedding_text
    from qa_bot.config import Settings
    from qa_bot.ingest.loaders import expand_paths, load_path

    s = Settings()
    chunker = Chunker(real_embedder.count_tokens, s.chunk_max_tokens, s.chunk_target_tokens)
    limit = real_embedder.max_seq_length - 2  # [CLS] and [SEP]
    checked = 0
    for path in expand_paths([s.corpus_dir]):
        for art in load_path(path):
            for c in chunker.split(art):
                assert real_embedder.count_tokens(embedding_text(art.title, c.text)) <= limit
                checked += 1
    assert checked > 50
