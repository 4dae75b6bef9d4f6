"""app_pages.eval_views: gold sets offered and uploaded, headline cards, per-type and per-question rows."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest

from app_pages.eval_views import (bundled_gold_sets, by_type_rows, format_headline_value, headline_metrics,
                                  read_gold_upload, record_rows)
from qa_bot.errors import InputError


def test_gold_upload_is_validated_and_saved_under_a_hashed_name(tmp_path):
    good = b'{"id": "a", "question": "What did Lee say?", "answers": ["x"]}\n'
    path, items = read_gold_upload(good, "../../etc/evil.jsonl", tmp_path)
    assert [i.id for i in items] == ["a"]
    assert path.parent == tmp_path / "qa-bot-gold-uploads" and path.name.startswith("gold-")
    assert not (tmp_path / "etc").exists()
    with pytest.raises(InputError, match=r"^evil\.jsonl line 2: not valid JSON"):
        read_gold_upload(good + b"{oops\n", "dir/evil.jsonl", tmp_path)


def test_eval_tables():
    assert format_headline_value(0.8312, "pct") == "83.1%" and format_headline_value(41.4, "ms") == "41 ms"
    assert format_headline_value(math.nan, "pct") == "n/a" and format_headline_value(None, "ms") == "n/a"
    labels = dict(headline_metrics({"pass_rate": 0.5, "latency_p50_ms": 12.0}))
    assert labels["Pass rate"] == "50.0%" and labels["Latency p50"] == "12 ms" and labels["Answer recall"] == "n/a"
    rows = by_type_rows({"quote": {"pass_rate": 1.0, "answer_recall": math.nan, "questions": 2}})
    assert rows == [{"type": "quote", "metric": "pass rate", "value": 1.0, "questions": 2}]
    rec = lambda i, passed, answerable=True: SimpleNamespace(  # noqa: E731
        id=i, type="fact", question="q?", references=["x", "y"], answerable=answerable, abstained=not answerable,
        answer="a [1]", citations=[{"n": 1, "outlet": "O", "title": "T"}], passed=passed, latency_ms=3.14159)
    table = record_rows([rec("a", True), rec("b", False, answerable=False)])
    assert table[0] | {} == {"id": "a", "type": "fact", "question": "q?", "expected": "x | y", "answer": "a [1]",
                             "citations": "[1] O: T", "result": "pass", "latency_ms": 3.1}
    assert table[1]["expected"] == "(should abstain)" and table[1]["answer"] == "(abstained)"
    assert [r["id"] for r in record_rows([rec("a", True), rec("b", False)], failures_only=True)] == ["b"]


def test_bundled_gold_sets(tmp_path):
    (tmp_path / "b.jsonl").write_text("{}")
    (tmp_path / "a.jsonl").write_text("{}")
    (tmp_path / "notes.md").write_text("x")
    assert [p.name for p in bundled_gold_sets(tmp_path)] == ["a.jsonl", "b.jsonl"]
    assert bundled_gold_sets(tmp_path / "missing") == []

