"""Metrics on hand-computed examples, the runner on a fake system, thresholds and comparisons."""

import json
import math

import pytest

from qa_bot.errors import InputError
from qa_bot.evaluation import metrics as M
from qa_bot.evaluation.dataset import Evidence, GoldItem, load_gold
from qa_bot.evaluation.runner import aggregate, check_thresholds, compare, load_thresholds, run_eval, score_answer
from qa_bot.models import Answer, Citation, Hit, Passage, Sentence
from qa_bot.understanding.attribution import speaker_named

from tests.fakes import HashEmbedder

TEXT = "Lee arrived on Sunday. Xi said ties were at a turning point. The talks ran ninety minutes."


def test_normalize_and_containment():
    assert M.normalize("The  U.S.-Korea Alliance!") == "u s korea alliance"
    assert M.contains_answer("The talks ran ninety minutes [1].", ["ninety minutes"])
    assert not M.contains_answer("The talks ran ninety-one minutes", ["one minute"])  # word boundaries
    assert not M.contains_answer("anything", ["a reference that is far too long to count as a short answer here ok"])


def test_token_f1_by_hand():
    # pred tokens: talks ran ninety minutes (4); ref: talks lasted ninety minutes (4); common 3 -> p=r=0.75
    assert M.token_f1("The talks ran ninety minutes", "talks lasted ninety minutes") == pytest.approx(0.75)
    assert M.token_f1("", "x") == 0.0
    assert M.best_f1("ninety minutes", ["an hour", "ninety minutes"]) == 1.0


def test_recall_mrr_and_document_recall_by_hand():
    span = M.locate("a", "Xi said ties were at a turning point.", TEXT)
    assert (span.start, span.end) == (23, 60)
    passages = [("b", 0, 50, "other"), ("a", 0, 22, TEXT[:22]), ("a", 23, 88, TEXT[23:88])]
    assert M.recall_at_k(passages, [span], 1) == 0.0
    assert M.recall_at_k(passages, [span], 2) == 0.0  # passage 2 is the wrong sentence of the right article
    assert M.recall_at_k(passages, [span], 3) == 1.0
    assert M.reciprocal_rank(passages, [span]) == pytest.approx(1 / 3)
    assert M.document_recall_at_k(passages, ["a", "c"], 2) == 0.5
    doc_only = M.Span("b")
    assert M.recall_at_k(passages, [span, doc_only], 1) == 0.5


def test_half_covered_quote_counts_as_found():
    span = M.Span("a", 100, 200)
    assert M.passage_finds("a", 150, 300, "", span)  # 50 of 100 characters
    assert not M.passage_finds("a", 151, 300, "", span)


def test_sentence_support_and_speaker():
    assert M.sentence_supported("Xi said ties were at a turning point [1].", ["Xi said ties were at a turning point."])
    assert not M.sentence_supported("Lee praised the banquet menu.", ["Xi said ties were at a turning point."])
    assert speaker_named("Xi Jinping told Lee that ties matter.", "Xi Jinping")
    assert speaker_named("According to Wi Sung-lac, peace matters.", "Wi Sung-lac")
    assert not speaker_named("Lee said Xi was an outstanding leader.", "Xi Jinping")


def test_percentiles_and_balanced_accuracy():
    assert M.percentile([10, 20, 30, 40], 50) == 20
    assert M.percentile([10, 20, 30, 40], 95) == 40
    assert math.isnan(M.percentile([], 50))
    assert M.balanced_accuracy(0.8, 0.1) == pytest.approx(0.85)


def _answer(quote_start, quote_end, abstained=False, text=None):
    passage = Passage("a:1", "a", TEXT[23:88], 23, 88, "T", "Wire", "", "2026-01-05")
    quote = TEXT[quote_start:quote_end]
    cite = Citation(1, "a:1", "a", "T", "Wire", "2026-01-05", "", quote, quote_start, quote_end)
    return Answer("q", text or f"{quote} [1]", () if abstained else (cite,), abstained,
                  hits=(Hit(passage, 0.9, rank=1),), sentences=() if abstained else (Sentence(quote, (1,), 0.9),))


def test_score_answer_by_hand():
    item = GoldItem("q1", "What did Xi say about ties?", ("turning point",), True, "quote",
                    (Evidence("a", "Xi said ties were at a turning point."),), speaker="Xi Jinping")
    spans = [M.locate("a", e.quote, TEXT) for e in item.evidence]
    scores, correct, passed = score_answer(item, _answer(23, 60), spans, 5, 0.9)
    assert passed and correct == [True]
    assert scores["answer_recall"] == 1.0 and scores["citation_precision"] == 1.0
    assert scores["quote_precision"] == 1.0 and scores["citation_recall"] == 1.0 and scores["right_speaker"] == 1.0
    scores, correct, passed = score_answer(item, _answer(61, 88), spans, 5, 0.2)  # right passage, wrong sentence
    assert not passed and scores["citation_precision"] == 1.0 and scores["quote_precision"] == 0.0
    assert scores["right_speaker"] == 0.0
    unanswerable = GoldItem("q2", "What was on the menu?", ("The coverage does not say.",), False, "unanswerable")
    assert score_answer(unanswerable, _answer(0, 0, abstained=True), [], 5, None)[2] is True
    assert score_answer(unanswerable, _answer(23, 60), [], 5, None)[2] is False


class _FakeSystem:
    name = "fake"

    def __init__(self):
        self.embedder = HashEmbedder()

    def ask(self, question, history, k):
        return _answer(23, 60, abstained="menu" in question)


def test_run_eval_aggregates_by_type(tmp_path):
    items = [
        GoldItem("1", "What did Xi say?", ("turning point",), True, "quote", (Evidence("a", "Xi said ties were at a turning point."),), speaker="Xi Jinping"),
        GoldItem("2", "How long were the talks?", ("ninety minutes",), True, "number", (Evidence("a", "The talks ran ninety minutes."),)),
        GoldItem("3", "What was on the menu?", ("The coverage does not say.",), False, "unanswerable"),
        GoldItem("4", "Who cooked?", ("The coverage does not say.",), False, "unanswerable"),
    ]
    run = run_eval(_FakeSystem(), items, {"a": TEXT})
    m = run.metrics
    assert m["questions"] == 4 and m["answerable"] == 2
    assert m["answer_recall"] == 0.5  # question 2's answer quotes the wrong sentence
    assert m["abstention_accuracy"] == 0.5 and m["false_abstention_rate"] == 0.0
    assert m["abstention_balanced_accuracy"] == pytest.approx(0.75)
    assert m["pass_rate"] == 0.5
    assert set(run.by_type) == {"quote", "number", "unanswerable"}
    data = json.loads(json.dumps(run.to_dict(), default=str))
    assert data["schema"] == "qa-bot-eval/1" and len(data["records"]) == 4
    assert {"metrics", "by_type", "settings", "versions", "dataset", "corpus"} <= set(data)


def test_thresholds_and_comparison(tmp_path):
    path = tmp_path / "t.toml"
    path.write_text("[summit_test.min]\nanswer_recall = 0.8\n[summit_test.max]\nfalse_abstention_rate = 0.1\n")
    mins, maxs = load_thresholds(path, tmp_path / "summit_test.jsonl")
    assert check_thresholds({"answer_recall": 0.9, "false_abstention_rate": 0.05}, mins, maxs) == []
    failures = check_thresholds({"answer_recall": 0.7, "false_abstention_rate": 0.2}, mins, maxs)
    assert len(failures) == 2 and "below the minimum 0.8" in failures[0]
    with pytest.raises(InputError, match="no \\[other\\] section"):
        load_thresholds(path, tmp_path / "other.jsonl")
    rows = {r["metric"]: r for r in compare({"answer_recall": 0.7, "latency_p50_ms": 100},
                                            {"answer_recall": 0.8, "latency_p50_ms": 50})}
    assert rows["answer_recall"]["regression"] and rows["latency_p50_ms"]["regression"]


def test_load_gold_reports_the_bad_line(tmp_path):
    path = tmp_path / "g.jsonl"
    path.write_text('{"id": "1", "question": "q?", "answers": ["a"]}\n{"id": "1", "question": "again?"}\n')
    with pytest.raises(InputError, match="line 2: duplicate id"):
        load_gold(path)
    path.write_text('{"id": "1", "question": "q?", "answers": ["a"], "answerable": "yes"}\n')
    with pytest.raises(InputError, match="line 1: 'answerable' must be true or false"):
        load_gold(path)


def test_clapnq_style_items_use_the_gold_document(tmp_path):
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"id": "x", "question": "q?", "answers": ["long answer"], "answerable": True,
                                "doc": "d1", "evidence": ["Sentence one."]}) + "\n")
    [item] = load_gold(path)
    assert item.evidence == (Evidence("d1", "Sentence one."),)


# ---------------------------------------------------------------- the CLI and the documented JSON shape

from pathlib import Path  # noqa: E402

from typer.testing import CliRunner  # noqa: E402

from qa_bot import cli  # noqa: E402
from tests.conftest import FIXTURES  # noqa: E402

SCHEMA = Path(__file__).resolve().parents[2] / "eval" / "run.schema.json"


@pytest.fixture
def eval_cli(monkeypatch, tmp_path, corpus_dir):
    monkeypatch.setattr(cli, "make_embedder", lambda: HashEmbedder())
    monkeypatch.setenv("QA_BOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("QA_BOT_CORPUS_DIR", str(corpus_dir))

    def invoke(*args):
        return CliRunner().invoke(cli.app, ["eval", "--dataset", str(FIXTURES / "gold.jsonl"),
                                            "--out", str(tmp_path / "out"), *args])

    return invoke


@pytest.mark.parametrize("system", ["qa-bot", "baseline"])
def test_eval_json_validates_against_the_documented_schema(eval_cli, system, tmp_path):
    import jsonschema

    result = eval_cli("--json", "--system", system)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    jsonschema.validate(data, json.loads(SCHEMA.read_text()))
    assert data["system"] == system and data["metrics"]["questions"] == 5
    # The answer-form metrics are in the run, overall and per type (the fixture set has no multi question).
    for name in ("redundancy", "short_answer_em", "short_answer_f1", "answer_passage_recall_at_5"):
        assert isinstance(data["metrics"][name], float), name
    assert data["metrics"]["disagreement_recall"] is None and "redundancy" in data["by_type"]["number"]
    for name in ("run.json", "summary.md", "report.html"):
        assert (tmp_path / "out" / name).stat().st_size > 200
    html = (tmp_path / "out" / "report.html").read_text()
    assert "<svg" in html and "<script" not in html


def test_eval_check_fails_on_an_impossible_threshold_and_passes_a_possible_one(eval_cli, tmp_path):
    strict = tmp_path / "strict.toml"
    strict.write_text("[gold.min]\nanswer_recall = 1.01\n[gold.max]\nfalse_abstention_rate = -0.5\n")
    result = eval_cli("--check", "--thresholds", str(strict))
    assert result.exit_code == 1
    assert "answer_recall" in result.stderr and "below the minimum 1.01" in result.stderr
    lenient = tmp_path / "lenient.toml"
    lenient.write_text("[gold.min]\nevidence_recall_at_5 = 0.0\n")
    assert eval_cli("--check", "--thresholds", str(lenient)).exit_code == 0


def test_eval_compares_against_a_saved_run_and_marks_regressions(eval_cli, tmp_path):
    saved = tmp_path / "saved.json"
    assert eval_cli("--json").exit_code == 0
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    run["metrics"]["answer_recall"] += 0.5  # the saved run was better: this run regresses
    run["metrics"]["evidence_recall_at_5"] = 0.0
    saved.write_text(json.dumps(run))
    result = eval_cli("--baseline", str(saved))
    assert result.exit_code == 0
    assert "REGRESSION" in result.stdout and "regressions against the baseline run" in result.stderr


def test_eval_compares_against_a_run_saved_before_the_answer_form_metrics(eval_cli, tmp_path):
    saved = tmp_path / "old.json"
    assert eval_cli("--json").exit_code == 0
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    for name in ("redundancy", "short_answer_em", "short_answer_f1", "answer_passage_recall_at_5",
                 "answer_passage_recall_at_k", "disagreement_recall"):
        del run["metrics"][name]
    run["metrics"].update(latency_p50_ms=1e9, latency_p95_ms=1e9)  # timing noise is not what this tests
    saved.write_text(json.dumps(run))
    result = eval_cli("--baseline", str(saved))
    assert result.exit_code == 0, result.output
    assert "REGRESSION" not in result.stdout and "redundancy" in result.stdout
    summary = (tmp_path / "out" / "summary.md").read_text()
    assert "| redundancy (same claim twice) | n/a | 0.000 |  |  |" in summary  # baseline n/a, no delta


def test_eval_refuses_unknown_systems_and_bad_files(eval_cli, tmp_path):
    result = eval_cli("--system", "gpt")
    assert result.exit_code == 2 and "unknown system 'gpt'" in result.stderr
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    result = CliRunner().invoke(cli.app, ["eval", "--dataset", str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "line 1: not valid JSON" in result.stderr
