"""Loading and chunking take time linear in the input, on the input shapes that once hung (issue 14).

Each shape is processed at sizes n, 2n and 4n; the growth exponent log(t(4n) / t(n)) / log(4) is 1
for linear work and 2 for quadratic work, and must stay under 1.5. Times are processor time (what
other processes on a busy machine use is not counted), the fastest of three rounds taken in turn
across the sizes. The characters handed to the token counter (what a real tokenizer's cost follows)
must grow linearly too.
"""

from __future__ import annotations

import gc
import math
import time

import pytest

from qa_bot.ingest.chunking import Chunker, approx_token_count
from qa_bot.ingest.loaders import load_bytes

MAX_EXPONENT = 1.5
ROUNDS = 3
# A run this long is far past anything linear here takes (about 0.1 s at 4n): larger sizes are then
# not run, so a regression fails in seconds instead of hanging the suite.
GIVE_UP_S = 5.0

# name -> (file name, builder of about n characters, n)
SHAPES = {
    "txt: one line of words, no full stop": ("a.txt", lambda n: "lorem ipsum dolor sit amet " * (n // 27), 36_000),
    "txt: one line, a full stop every few characters": ("a.txt", lambda n: "ab. " * (n // 4), 30_000),
    "txt: one run of full stops": ("a.txt", lambda n: "Start " + "." * n + "x", 36_000),
    "txt: many short hard-wrapped lines": ("a.txt", lambda n: "some words\n" * (n // 11), 48_000),
    "md: all [": ("a.md", lambda n: "[" * n, 36_000),
    "md: ' *a' repeated": ("a.md", lambda n: " *a" * (n // 3), 48_000),
    "md: unclosed images, tags, bold and links": ("a.md", lambda n: "![a <b **c __d [e](f " * (n // 21), 48_000),
}


def _process(data: bytes, name: str) -> int:
    """Load and chunk ``data``; returns the characters handed to the token counter."""
    counted = 0

    def count_tokens(text: str) -> int:
        nonlocal counted
        counted += len(text)
        return approx_token_count(text)

    for article in load_bytes(data, name, isolate=False):
        Chunker(count_tokens=count_tokens).split(article)
    return counted


def _measure(inputs: dict[int, bytes], name: str) -> tuple[dict[int, float], dict[int, int]]:
    """Fastest time and characters counted per size, stopping early once a run exceeds GIVE_UP_S."""
    best: dict[int, float] = {}
    counted: dict[int, int] = {}
    gc.collect()
    gc.disable()  # a collection pass over the test session's objects would add noise to one run only
    try:
        for _ in range(ROUNDS):
            for size, data in inputs.items():
                start = time.process_time()
                counted[size] = _process(data, name)
                best[size] = min(best.get(size, math.inf), time.process_time() - start)
                if best[size] > GIVE_UP_S:
                    return best, counted
    finally:
        gc.enable()
    return best, counted


def _exponent(values: dict[int, float]) -> float:
    small, large = min(values), max(values)
    return math.log(values[large] / values[small]) / math.log(large / small)


@pytest.mark.parametrize("shape", list(SHAPES))
def test_processing_time_grows_linearly(shape):
    name, build, n = SHAPES[shape]
    best, counted = _measure({size: build(size).encode() for size in (n, 2 * n, 4 * n)}, name)
    assert len(best) > 1, f"{shape}: {n:,} characters alone took {best[n]:.1f} s; linear work here takes well under 1 s"
    timing = ", ".join(f"{size:,} chars: {t:.3f} s" for size, t in best.items())
    assert _exponent(best) < MAX_EXPONENT, f"{shape}: time grows as n^{_exponent(best):.2f} ({timing})"
    assert _exponent(counted) < 1.2, f"{shape}: characters counted grow as n^{_exponent(counted):.2f} ({counted})"


def test_unwrapping_pdf_text_grows_linearly():
    """A 2,000-page PDF's text (10 MB of hard-wrapped lines) took minutes after parsing: joining lines
    re-copied the whole paragraph for each line."""
    from qa_bot.ingest.formats.pdf import _unwrap

    line = "a hard-wrapped line of a long report that goes on and on without a stop"
    texts = {size: "\n".join([line] * (size // len(line))) for size in (60_000, 120_000, 240_000)}
    best: dict[int, float] = {}
    for _ in range(ROUNDS):
        for size, text in texts.items():
            start = time.process_time()
            _unwrap(text)
            best[size] = min(best.get(size, math.inf), time.process_time() - start)
            if best[size] > GIVE_UP_S:
                break
    assert _exponent(best) < MAX_EXPONENT, best
