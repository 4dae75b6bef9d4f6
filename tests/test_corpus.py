"""Checks on the bundled corpus: counts, front matter, word ranges and originality.

The originality check guards a promise made in ``corpus/README.md``: every sentence of the
sample coverage is the project's own. No run of eight or more consecutive words may be
shared with the fact sheet the articles were written from, nor with the seed article the
product started from (both read from ``../shared/``).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
SHARED = next((p for p in (Path(os.environ.get("QA_BOT_SHARED_DIR", "/nonexistent")), ROOT.parent / "shared",
                            Path("/work/shared")) if (p / "summit-facts.md").exists()), ROOT.parent / "shared")
RUN = 8
REQUIRED_KEYS = {"title", "outlet", "published", "url", "author", "section", "note"}
_WORD = re.compile(r"[a-z0-9]+")


def _articles() -> list[tuple[Path, dict, str]]:
    out = []
    for path in sorted(CORPUS.glob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        raw = path.read_text(encoding="utf-8")
        _, head, body = raw.split("---", 2)
        out.append((path, yaml.safe_load(head), body.strip()))
    return out


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower().replace("\u2019", "'").replace("'", ""))


def _ngrams(words: list[str], n: int = RUN) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def shared_runs(a: str, b: str, n: int = RUN) -> set[tuple[str, ...]]:
    """Return the runs of ``n`` consecutive words (case and punctuation folded) in both texts."""
    return _ngrams(_words(a), n) & _ngrams(_words(b), n)


def test_shared_runs_finds_a_copied_sentence_and_ignores_short_overlaps():
    source = "The talks began about 4:47 pm and ran about ninety minutes in all."
    assert shared_runs("Reporters said the talks began about 4:47 pm and ran about ninety.", source)
    assert not shared_runs("The talks began about 4:47 pm, officials said later.", source)


def test_corpus_counts_outlets_and_word_ranges():
    arts = _articles()
    assert len(arts) >= 24
    outlets = Counter(meta["outlet"] for _, meta, _ in arts)
    assert len(outlets) >= 7, outlets
    for path, meta, body in arts:
        n = len(body.split())
        assert 350 <= n <= 900, f"{path.name}: {n} words"
        assert REQUIRED_KEYS <= set(meta), f"{path.name}: missing {REQUIRED_KEYS - set(meta)}"
        assert isinstance(meta["published"], date), path.name
        assert re.match(r"^https://[a-z0-9.-]+\.example\.(com|org)/", meta["url"]), path.name
        assert meta["note"] == "sample coverage written for qa-bot from public reporting"


def test_urls_and_titles_are_unique():
    arts = _articles()
    assert len({m["url"] for _, m, _ in arts}) == len(arts)
    assert len({m["title"] for _, m, _ in arts}) == len(arts)


@pytest.mark.parametrize("source", ["summit-facts.md", "seed/000_84942052fcf9cf94.txt"])
def test_no_article_repeats_eight_words_of_the_shared_sources(source):
    path = SHARED / source
    if not path.exists():
        pytest.skip(f"{path} is not on this machine")
    text = path.read_text(encoding="utf-8")
    problems = {}
    for art_path, meta, body in _articles():
        runs = shared_runs(meta["title"] + "\n" + body, text)
        if runs:
            problems[art_path.name] = sorted(" ".join(r) for r in runs)[:3]
    assert not problems, problems
