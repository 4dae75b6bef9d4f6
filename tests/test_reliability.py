"""The reduced reliability and security campaign (``eval/reliability.py`` without ``--full``), run as
a test so CI runs it: crash runs, concurrent writers, hostile files, upload names, injected markup,
SSRF, load and the REST API, each with its required zeros. The script exits non-zero when any figure is
not zero; the test also reads the figures back, so a campaign that silently skipped a section fails here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs the system Chromium (.ci/run installs it)")
def test_reduced_reliability_campaign_has_the_required_zeros(tmp_path):
    out = tmp_path / "results"
    done = subprocess.run([sys.executable, str(ROOT / "eval" / "reliability.py"), "--work", str(tmp_path / "work"),
                           "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=1500)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    r = json.loads((out / "reliability.json").read_text())

    c = r["crash"]
    assert c["runs"] >= 4 and sum(row["killed_before_end"] for row in c["rows"]) >= 1
    assert (c["articles_lost"], c["partial_articles"], c["unreadable_after_recovery"]) == (0, 0, 0)
    w = r["writers"]
    assert w["trials"] >= 2 and (w["corruptions"], w["unclear_outcomes"]) == (0, 0)
    h = r["hostile"]
    assert h["files"] >= 15 and (h["hangs"], h["crashes"], h["unclear_errors"]) == (0, 0, 0)
    u = r["uploads"]
    assert (u["unsafe_sources"], u["files_outside_data_dir"]) == (0, 0)
    m = r["markup"]
    assert m["payloads"] >= 60
    assert (m["scripts_run"], m["listener_requests"], m["injected_elements"], m["fake_citations"]) == (0, 0, 0, 0)
    s = r["ssrf"]
    assert s["cases"] >= 10 and (s["unexpected"], s["internal_requests"]) == (0, 0)
    load = r["load"]
    assert load["answers"] >= 8 and (load["errors"], load["uncited"]) == (0, 0)
    assert load["documents_added_meanwhile"] >= 1
    assert all(p["exit"] == 2 and p["s"] < 30 for p in load["absurd_inputs"].values())
    api = r["api"]
    assert api["cases"] >= 30 and api["feed"]["entries_added"] == 3 and api["feed"]["added_again"] == 0
    zeros = ("server_errors", "not_as_expected", "slow_refusals", "multi_line_errors", "cli_hints", "existence_leaks",
             "index_requests_admitted", "index_records_lost", "server_file_readable_by_others", "exposed_accepted",
             "private_connects")
    assert {k: api[k] for k in zeros} == dict.fromkeys(zeros, 0)
