"""POST /eval takes the gold set in the request or a bundled one by name, never a path on the server (issue 27)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa_bot.api.evals import MAX_QUESTIONS

GOLD = Path(__file__).parent.parent / "fixtures" / "gold.jsonl"


def _questions(n: int | None = None) -> list[dict]:
    return [json.loads(line) for line in GOLD.read_text().splitlines() if line.strip()][:n]


def _check_run(response, settings, questions: int) -> dict:
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["questions"] == questions and data["metrics"]["questions"] == questions
    assert 0.0 < data["metrics"]["evidence_recall_at_k"] <= 1.0
    assert Path(data["reports"]["json"]).is_file()
    assert Path(data["reports"]["json"]).is_relative_to(settings.data_dir.resolve())
    return data


def test_eval_runs_questions_sent_as_json(client, settings):
    _check_run(client.post("/eval", json={"questions": _questions(3)}), settings, 3)


def test_eval_runs_a_json_lines_body_and_a_multipart_upload(client, settings):
    lines = "\n".join(json.dumps(q) for q in _questions())
    _check_run(client.post("/eval?limit=2&write_reports=true", content=lines,
                           headers={"content-type": "application/x-ndjson"}), settings, 2)
    uploaded = client.post("/eval", files={"file": ("../../etc/gold.jsonl", lines.encode(), "application/jsonl")},
                           data={"limit": "2"})
    data = _check_run(uploaded, settings, 2)
    saved = Path(data["dataset"]["path"])  # under a name made from the bytes' hash, in the data folder
    assert saved.name.startswith("gold-") and saved.is_relative_to(settings.data_dir) and "etc" not in saved.parts


def test_bundled_sets_are_listed_and_taken_by_name_only(client):
    names = client.get("/eval/datasets").json()["datasets"]
    assert "summit_gold" in names and all("/" not in n for n in names)


@pytest.mark.parametrize("dataset", ["/etc/passwd", "/etc/no-such-file", "../eval/summit_gold.jsonl",
                                     str(GOLD), "/dev/zero"])
def test_a_path_is_never_read_and_the_answer_does_not_tell_whether_it_exists(client, dataset):
    response = client.post("/eval", json={"dataset": dataset})
    assert response.status_code == 400
    message = response.json()["error"]
    assert message == (f"dataset: {dataset!r} is not a bundled gold set; give one of "
                       f"{', '.join(client.get('/eval/datasets').json()['datasets'])}, or send the questions in "
                       "the request")


def test_eval_refusals_are_one_line(client):
    ablation = client.post("/eval", json={"questions": _questions(1), "ablate": "magic"})
    assert ablation.status_code == 400 and "unknown ablation 'magic'" in ablation.json()["error"]
    system = client.post("/eval", json={"questions": _questions(1), "system": "nope"})
    assert system.status_code == 400 and "nope" in system.json()["error"]
    both = client.post("/eval", json={"questions": _questions(1), "dataset": "summit_gold"})
    neither = client.post("/eval", json={"limit": 2})
    assert both.status_code == neither.status_code == 422 and "either 'dataset'" in neither.json()["error"]
    bad_line = client.post("/eval", content='{"id": "a", "question": "Who?"}\n{oops',
                           headers={"content-type": "application/x-ndjson"})
    assert bad_line.status_code == 400 and "line 2: not valid JSON" in bad_line.json()["error"]
    assert "gold-" not in bad_line.json()["error"]  # the saved file's path is not shown
    surrogate = client.post("/eval", content=b'{"id": "a", "question": "Who said \\ud800?"}',
                            headers={"content-type": "application/x-ndjson"})
    assert surrogate.status_code == 400 and "unpaired surrogate" in surrogate.json()["error"]
    deep = client.post("/eval", files={"file": ("g.jsonl", b'{"id": "a", "question": "Q?", "x": ' + b"[" * 5000
                                                + b"]" * 5000 + b"}", "application/jsonl")})
    assert deep.status_code == 400 and "nested too deeply" in deep.json()["error"]
    other = client.post("/eval", content=b"id,question", headers={"content-type": "text/csv"})
    assert other.status_code == 415


def test_more_questions_than_one_request_may_run_are_refused_before_running(client):
    many = [{"id": f"q{i}", "question": "What was agreed?"} for i in range(MAX_QUESTIONS + 1)]
    response = client.post("/eval", json={"questions": many})
    assert response.status_code == 413 and f"{MAX_QUESTIONS + 1:,} questions" in response.json()["error"]
