"""Validates the bundled gold question sets: schema, type mix, split, and verbatim evidence."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from qa_bot.ingest.loaders import expand_paths, load_path

ROOT = Path(__file__).resolve().parents[2]
DEV, TEST = ROOT / "eval" / "summit_gold.jsonl", ROOT / "eval" / "summit_test.jsonl"
TYPES = {"quote", "fact", "number", "date", "multi", "followup", "unanswerable"}
MINIMUM = {"quote": 20, "fact": 25, "number+date": 12, "multi": 10, "followup": 10, "unanswerable": 20}


def _load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def articles() -> dict:
    return {a.id: a for p in expand_paths([ROOT / "corpus"]) for a in load_path(p)}


@pytest.fixture(scope="module")
def items() -> dict[str, list[dict]]:
    return {"dev": _load(DEV), "test": _load(TEST)}


def _counts(rows: list[dict]) -> Counter:
    c = Counter(r["type"] for r in rows)
    c["number+date"] = c["number"] + c["date"]
    return c


def test_schema_of_every_item(items, articles):
    for split, rows in items.items():
        for r in rows:
            where = f"{split}:{r.get('id')}"
            assert set(r) >= {"id", "question", "answers", "answerable", "type", "evidence", "history"}, where
            assert r["type"] in TYPES, where
            assert isinstance(r["question"], str) and r["question"].strip().endswith("?"), where
            assert isinstance(r["answers"], list) and all(isinstance(a, str) and a for a in r["answers"]), where
            assert isinstance(r["history"], list), where
            for turn in r["history"]:
                assert set(turn) == {"question", "answer"}, where
            if r["type"] == "unanswerable":
                assert r["answerable"] is False and r["evidence"] == [], where
            else:
                assert r["answerable"] is True and r["evidence"] and r["answers"], where
            if r["type"] == "followup":
                assert r["history"], where
            if r["type"] == "multi":
                assert len({e["article_id"] for e in r["evidence"]}) >= 2, where
            if r["type"] == "quote":
                assert r.get("speaker"), where


def test_every_evidence_quote_is_verbatim_in_its_article(items, articles):
    for split, rows in items.items():
        for r in rows:
            for ev in r["evidence"]:
                assert ev["article_id"] in articles, f"{split}:{r['id']} unknown article {ev['article_id']}"
                assert ev["quote"] in articles[ev["article_id"]].text, f"{split}:{r['id']} quote not found: {ev['quote'][:60]}"


def test_ids_are_unique_across_both_files(items):
    ids = [r["id"] for rows in items.values() for r in rows]
    assert len(ids) == len(set(ids))
    questions = [r["question"].lower() for rows in items.values() for r in rows]
    assert len(questions) == len(set(questions))


def test_type_counts_and_split(items):
    total = _counts(items["dev"] + items["test"])
    for kind, minimum in MINIMUM.items():
        assert total[kind] >= minimum, (kind, total[kind])
    assert len(items["dev"]) + len(items["test"]) >= 100
    assert len(items["test"]) >= 40
    dev, test = _counts(items["dev"]), _counts(items["test"])
    for kind in MINIMUM:  # same mix: every type present in both, shares within 10 points
        assert dev[kind] and test[kind], kind
        assert abs(dev[kind] / len(items["dev"]) - test[kind] / len(items["test"])) < 0.10, kind
