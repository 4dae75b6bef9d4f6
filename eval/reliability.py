"""Fault-injection and security campaign: crashes, concurrent writers, hostile files, upload names,
SSRF — with figures. Runs offline, on loopback only, within bounded time.

    python eval/reliability.py --full        # the full campaign (50 crash runs of 2,000 articles, 20 trials, ...)
    python eval/reliability.py               # the reduced campaign CI runs
    python eval/reliability.py --full --only registry,states   # re-run some sections, keep the others

Section 8 (the REST API: auth, bounds, SSRF through feeds) is in eval/reliability_api.py. Sections 9-14
(registry loss, collisions, two folders on one Chroma server, disk full, data-folder states, growing
inputs) are in eval/reliability_faults.py; they run with --full or by name, as root.

Writes eval/results/reliability.json and eval/results/reliability.md (the table and the machine).
The crash and writer campaigns use the package's hashing embedder (QA_BOT_EMBED_MODEL=hashing):
what they test is storage — the registry, the journal, Chroma — and a model-free embedder lets a
SIGKILL land anywhere in those writes instead of mostly inside a forward pass.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
OUT = ROOT / "eval" / "results"
PY = sys.executable

from eval import reliability_api, reliability_faults  # needs ROOT on sys.path

#: Issue 14's sections (eval/reliability_faults.py), in the order they run: name -> function.
FAULT_SECTIONS = {"registry": "registry_loss", "collisions": "collisions", "servers": "two_folders_one_server",
                  "diskfull": "disk_full", "states": "data_folder_states", "growth": "growth"}
FAULT_TITLES = {"registry": "Registry loss (`registry.sqlite3` deleted or damaged after ingest + add)",
                "collisions": "Corpus/added collisions (one URL, two origins)",
                "servers": "Two data folders on one Chroma server (`chroma run` on 127.0.0.1)",
                "diskfull": "Disk full (data folder on a 24 MB tmpfs)",
                "states": "Damaged or unusable data-folder states and permissions",
                "growth": "Growing hostile inputs (load + chunk, whitespace token counter)"}


def _env(data_dir: Path, **extra) -> dict:
    env = dict(os.environ, QA_BOT_DATA_DIR=str(data_dir), QA_BOT_EMBED_MODEL="hashing",
               QA_BOT_CORPUS_DIR=str(data_dir / "no-corpus"), HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT))
    env.update({k: str(v) for k, v in extra.items()})
    return env


def _sentences() -> list[str]:
    from qa_bot.ingest.loaders import expand_paths, load_path
    from qa_bot.text.sentences import sentence_spans

    out = []
    for p in expand_paths([ROOT / "corpus"]):
        for a in load_path(p):
            out += [a.text[s:e] for s, e in sentence_spans(a.text)]
    return out


def make_bulk(path: Path, n: int, seed: int) -> Path:
    """A JSONL bulk file of ``n`` articles built from real corpus sentences."""
    rng = random.Random(seed)
    pool = _sentences()
    with path.open("w") as fh:
        for i in range(n):
            fh.write(json.dumps({"id": f"bulk-{seed}-{i}", "title": f"Bulk report {i}", "outlet": ["A", "B", "C"][i % 3],
                                 "published": f"2026-01-{i % 28 + 1:02d}",
                                 "text": " ".join(rng.sample(pool, rng.randint(4, 12)))}) + "\n")
    return path


# ---------------------------------------------------------------- checking a data folder

CHECK = r"""
import json, sys, time
from qa_bot.bot import QABot
from qa_bot.storage.registry import PENDING
t = time.perf_counter()
bot = QABot()
rec = bot.open()
opened = time.perf_counter() - t
store = bot.store
reported = set(json.load(open(sys.argv[1]))) if len(sys.argv) > 1 else set()
indexed = store.registry.indexed_ids()
index_ids = store.index.all_ids()
expected = store.registry.chunk_ids()
by_article = {}
for cid in index_ids:
    by_article.setdefault(cid.rsplit(":", 1)[0], set()).add(cid)
partial = 0
for aid, ids in by_article.items():
    want = {f"{aid}:{n}" for n, _, _ in store.registry.chunks(aid)}
    if ids != want or aid not in indexed:
        partial += 1
lost = len([a for a in reported if a not in indexed or by_article.get(a, set()) != {f"{a}:{n}" for n, _, _ in store.registry.chunks(a)}])
queries_ok = True
if indexed:
    queries_ok = bool(bot.search("delegation summit agreement", k=3))
print(json.dumps({"rebuilt": rec.rebuilt, "reason": rec.reason, "repaired": rec.repaired_articles,
                  "orphans": rec.orphans_removed, "recovery_s": rec.seconds, "open_s": opened,
                  "reported": len(reported), "indexed": len(indexed), "lost": lost, "partial": partial,
                  "agree": index_ids == expected, "pending": len(list(store.registry.records(PENDING))),
                  "queries_ok": queries_ok}))
"""


def check_folder(data_dir: Path, reported: set[str]) -> dict:
    ids_file = data_dir.parent / f"{data_dir.name}-reported.json"
    ids_file.write_text(json.dumps(sorted(reported)))
    done = subprocess.run([PY, "-c", CHECK, str(ids_file)], env=_env(data_dir), capture_output=True, text=True,
                          timeout=900)
    if done.returncode != 0:
        return {"unreadable": True, "error": done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"]}
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["unreadable"] = not (result["queries_ok"] and result["agree"] and not result["pending"])
    return result


# ---------------------------------------------------------------- 1. crash safety


def crash_campaign(runs: int, articles: int, work: Path, seed: int = 1) -> dict:
    rng = random.Random(seed)
    bulk = make_bulk(work / "bulk.jsonl", articles, seed)
    # How long an uninterrupted import takes, to spread the kills over it.
    probe = work / "probe"
    t = time.perf_counter()
    proc = subprocess.Popen([PY, "-m", "qa_bot.cli", "add", str(bulk), "-q", "--log-added"], env=_env(probe),
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    first_write_s = None
    for line in proc.stdout:
        if first_write_s is None and line.startswith("added "):
            first_write_s = time.perf_counter() - t
    proc.wait(1800)
    full_s = time.perf_counter() - t
    start_s = max(0.2, (first_write_s or 0.5) - 1.0)  # from about when writing starts
    shutil.rmtree(probe, ignore_errors=True)
    rows = []
    for run in range(runs):
        data = work / f"crash-{run}"
        shutil.rmtree(data, ignore_errors=True)
        if run % 3 == 1:  # a folder that already holds articles, and an interrupted update of them
            pre = make_bulk(work / f"pre-{run}.jsonl", 150, seed + run)
            subprocess.run([PY, "-m", "qa_bot.cli", "add", str(pre), "-q"], env=_env(data), check=True,
                           capture_output=True, timeout=600)
        kill_at = rng.uniform(start_s, full_s * 1.02)
        proc = subprocess.Popen([PY, "-m", "qa_bot.cli", "add", str(bulk), "-q", "--log-added"], env=_env(data),
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        time.sleep(kill_at)
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        reported = {line.split()[1] for line in out.splitlines() if line.startswith(("added ", "updated "))}
        result = check_folder(data, reported)
        result.update(run=run, kill_at_s=round(kill_at, 2), killed_before_end=proc.returncode == -signal.SIGKILL)
        rows.append(result)
        print(f"  crash run {run}: kill at {kill_at:.1f}s, reported {len(reported)}, "
              f"lost {result.get('lost')}, partial {result.get('partial')}, rebuilt {result.get('rebuilt')}, "
              f"unreadable {result.get('unreadable')}", flush=True)
        shutil.rmtree(data, ignore_errors=True)
    rebuilt = [r for r in rows if r.get("rebuilt")]
    return {
        "runs": len(rows), "articles_per_run": articles, "uninterrupted_import_s": full_s, "kill_window_s": [start_s, full_s],
        "articles_lost": sum(r.get("lost", 0) for r in rows), "partial_articles": sum(r.get("partial", 0) for r in rows),
        "unreadable_after_recovery": sum(1 for r in rows if r.get("unreadable")),
        "rebuilds": len(rebuilt), "rebuild_s_median": statistics.median([r["recovery_s"] for r in rebuilt]) if rebuilt else 0.0,
        "repairs": sum(1 for r in rows if r.get("repaired")), "reported_total": sum(r.get("reported", 0) for r in rows),
        "rows": rows,
    }


# ---------------------------------------------------------------- 2. concurrent writers

APP_WRITER = r"""
import sys, time
from qa_bot.bot import QABot
bot = QABot(); bot.open()
print("ready", flush=True)
for i in range(int(sys.argv[1])):
    res = bot.add_text(f"Concurrent note {i} about the summit delegation and agreement number {i}.", title=f"Note {i}")
    assert res.ok, res.errors
print("done", flush=True)
time.sleep(float(sys.argv[2]))  # an app keeps its index open for as long as it runs
"""
SECOND_APP = r"""
import sys
from streamlit.testing.v1 import AppTest
at = AppTest.from_file(sys.argv[1], default_timeout=120).run()
texts = [e.value for e in at.error] + [str(getattr(e, "value", "")) for e in at.exception]
print(repr(texts))
"""


def writer_trials(trials: int, work: Path) -> dict:
    rows = []
    for trial in range(trials):
        data = work / f"writers-{trial}"
        shutil.rmtree(data, ignore_errors=True)
        corpus = data / "corpus"
        corpus.mkdir(parents=True)
        for p in sorted((ROOT / "tests" / "fixtures" / "corpus").iterdir()):
            shutil.copy(p, corpus / p.name)
        env = _env(data, QA_BOT_CORPUS_DIR=corpus, QA_BOT_LOCK_TIMEOUT_S=1)
        app = subprocess.Popen([PY, "-c", APP_WRITER, "40", "4"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
        assert app.stdout.readline().strip() == "ready"
        time.sleep(random.Random(trial).uniform(0, 0.5))
        cli = subprocess.Popen([PY, "-m", "qa_bot.cli", "ingest", "-q"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
        second = subprocess.Popen([PY, "-c", SECOND_APP, str(ROOT / "app.py")], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, cwd=ROOT)
        app_out, app_err = app.communicate(timeout=600)
        cli_out, cli_err = cli.communicate(timeout=600)
        second_out, second_err = second.communicate(timeout=600)
        cli_outcome = ("wrote" if cli.returncode == 0 else
                       "refused" if cli.returncode == 4 and "in use by" in cli_err else f"failed: {cli_err.strip()[-200:]}")
        second_outcome = ("refused" if "in use by" in second_out else
                          "opened" if second.returncode == 0 and "error" not in second_out.lower() else
                          f"failed: {(second_out + second_err).strip()[-200:]}")
        check = check_folder(data, set())
        rows.append({"trial": trial, "app": "done" if "done" in app_out else f"failed: {app_err.strip()[-200:]}",
                     "cli": cli_outcome, "second_app": second_outcome, "corrupt": bool(check.get("unreadable")),
                     "articles": check.get("indexed")})
        print(f"  writers trial {trial}: app {rows[-1]['app']}, cli {cli_outcome}, second app {second_outcome}, "
              f"corrupt {rows[-1]['corrupt']}", flush=True)
        shutil.rmtree(data, ignore_errors=True)
    unclear = [r for r in rows if r["cli"].startswith("failed") or r["second_app"].startswith("failed")
               or r["app"].startswith("failed")]
    return {"trials": len(rows), "corruptions": sum(r["corrupt"] for r in rows), "unclear_outcomes": len(unclear),
            "cli_refused": sum(r["cli"] == "refused" for r in rows), "cli_serialized": sum(r["cli"] == "wrote" for r in rows),
            "second_app_refused": sum(r["second_app"] == "refused" for r in rows), "rows": rows}


# ---------------------------------------------------------------- 3. hostile files


def hostile_files(folder: Path, big_mb: int = 50, jsonl_lines: int = 100_000) -> list[tuple[str, Path, str]]:
    """``(kind, path, expected)``; expected is "refused" or "accepted"."""
    from pypdf import PdfWriter

    from tests.fakes import make_pdf

    folder.mkdir(parents=True, exist_ok=True)
    files = []

    def put(name, data, kind, expected):
        p = folder / name
        p.write_bytes(data)
        files.append((kind, p, expected))

    put("empty.txt", b"", "empty", "refused")
    put("empty.pdf", b"", "empty PDF", "refused")
    put("binary.md", os.urandom(4096) + b"\x00" * 64, "binary", "refused")
    put("image.html", b"\x89PNG\r\n\x1a\n" + os.urandom(2048), "binary HTML", "refused")
    put("invalid-utf8.txt", b"caf\xe9 " * 100, "invalid UTF-8", "refused")
    put("utf16-nobom.txt", ("A note written in UTF-16 without a byte order mark. " * 20).encode("utf-16-le"),
        "UTF-16 without BOM", "refused")
    put("big.txt", b"The summit produced many words. " * (big_mb * 1024 * 1024 // 32), f"{big_mb} MB text", "refused")
    lines = [json.dumps({"id": f"l{i}", "title": f"T{i}", "text": f"Line {i} of a large bulk file about the summit."})
             for i in range(jsonl_lines)]
    for bad in (10, 5000, jsonl_lines // 2, jsonl_lines - 1):
        lines[bad] = "{broken json"
    lines[777] = json.dumps({"id": "no-text", "title": "missing text"})
    put("bulk-bad.jsonl", "\n".join(lines).encode(), f"{jsonl_lines:,}-line JSONL with 5 bad lines", "refused")
    put("deep.html", ("<html><body>" + "<div>" * 200_000 + "x" + "</div>" * 200_000 + "</body></html>").encode(),
        "deeply nested HTML", "refused")
    script = "".join(f"<script>fetch('http://127.0.0.1:9/x{i}')</script><img src=x onerror=alert({i})>" for i in range(5000))
    put("scripts.html", f"<html><head><title>Script-laden</title></head><body><p>Readable text of a script-laden page.</p>{script}</body></html>".encode(),
        "script-laden HTML", "accepted")
    good = make_pdf(["A PDF about the state visit with some text in it."], title="Visit")
    put("truncated.pdf", good[: len(good) // 2], "truncated PDF", "refused")
    writer = PdfWriter()
    writer.append(__import__("io").BytesIO(good))
    writer.encrypt("secret")
    buf = __import__("io").BytesIO()
    writer.write(buf)
    put("encrypted.pdf", buf.getvalue(), "encrypted PDF", "refused")
    cyclic = (b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [2 0 R] /Count 1 >>\n"
              b"endobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n")
    put("cyclic.pdf", cyclic, "cyclic PDF", "refused")
    put("garbage.pdf", b"%PDF-1.7\n" + os.urandom(100_000), "garbage PDF", "refused")
    put("bomb.md", b"---\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                   b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n---\nBody text long enough.", "YAML alias bomb", "refused")
    put("unknown.docx", b"PK\x03\x04" + os.urandom(500), "unknown extension", "refused")
    return files


def hostile_campaign(work: Path, full: bool) -> dict:
    folder = work / "hostile"
    files = hostile_files(folder, big_mb=50 if full else 25, jsonl_lines=100_000 if full else 20_000)
    from qa_bot.errors import LoaderError
    from qa_bot.ingest.loaders import load_path

    rows = []
    for kind, path, expected in files:
        data = work / "hostile-data"
        t = time.perf_counter()
        try:
            load_path(path, max_bytes=20_000_000)
        except LoaderError:
            pass
        parse_s = time.perf_counter() - t
        t = time.perf_counter()
        try:
            done = subprocess.run([PY, "-m", "qa_bot.cli", "add", str(path), "-q"], env=_env(data),
                                  capture_output=True, text=True, timeout=120)
            seconds = time.perf_counter() - t
            err_lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
            crashed = done.returncode not in (0, 2) or "Traceback" in done.stderr
            clear = (done.returncode == 0 and expected == "accepted") or (
                done.returncode == 2 and len(err_lines) == 1 and path.name in err_lines[0])
            outcome = "accepted" if done.returncode == 0 else "refused"
            rows.append({"file": kind, "outcome": outcome, "expected": expected, "seconds": seconds, "parse_s": parse_s,
                         "hang": False,
                         "crash": crashed, "clear": clear and outcome == expected,
                         "message": err_lines[0][:200] if err_lines else ""})
        except subprocess.TimeoutExpired:
            rows.append({"file": kind, "outcome": "hang", "expected": expected, "seconds": 120.0, "parse_s": parse_s,
                         "hang": True,
                         "crash": False, "clear": False, "message": ""})
        print(f"  {kind}: {rows[-1]['outcome']} in {rows[-1]['seconds']:.1f}s — {rows[-1]['message'][:100]}", flush=True)
        shutil.rmtree(data, ignore_errors=True)
    def p95(values):
        values = sorted(values)
        return values[max(0, int(round(0.95 * len(values))) - 1)]

    return {"files": len(rows), "hangs": sum(r["hang"] for r in rows), "crashes": sum(r["crash"] for r in rows),
            "unclear_errors": sum(not r["clear"] for r in rows), "p95_parse_s": p95([r["parse_s"] for r in rows]),
            "p95_add_s": p95([r["seconds"] for r in rows]), "rows": rows}


# ---------------------------------------------------------------- 4. upload names


HOSTILE_NAMES = ["../../etc/passwd.txt", "/etc/cron.d/evil.md", "..\\..\\windows\\evil.txt", "nul\x00byte.txt",
                 "a" * 300 + ".txt", "invoice\u202etxt.exe.md", "con.txt", ".hidden.md", "~/.bashrc.txt",
                 "file:///etc/passwd.md", "<script>alert(1)</script>.txt", "CON\r\n.txt"]


def upload_campaign(work: Path) -> dict:
    from qa_bot.bot import QABot
    from qa_bot.config import Settings
    from qa_bot.embeddings import HashingEmbedder

    sandbox = work / "uploads"
    data = sandbox / "data"
    sandbox.mkdir(parents=True, exist_ok=True)
    watched = [sandbox, Path(tempfile.gettempdir()), Path("/etc")]
    before = {w: {p for p in w.rglob("*")} if w == sandbox else set(os.listdir(w)) for w in watched}
    bot = QABot(Settings(data_dir=data, corpus_dir=sandbox / "none", max_upload_mb=1), embedder=HashingEmbedder())
    bot.open()
    rows = []
    for name in HOSTILE_NAMES:
        res = bot.add_upload(b"An uploaded article about the summit with enough words to keep.", name)
        source = res.articles[0].source if res.articles else ""
        rows.append({"name": name[:60], "ok": res.ok, "source": source,
                     "safe_source": "/" not in source.removeprefix("upload:") and "\x00" not in source and len(source) <= 130})
    big = bot.add_upload(b"x" * (1_000_001), "big.txt")
    bot.close()
    after = {w: {p for p in w.rglob("*")} if w == sandbox else set(os.listdir(w)) for w in watched}
    outside = [str(p) for p in after[sandbox] - before[sandbox] if data not in Path(p).parents and Path(p) != data]
    new_elsewhere = sorted(set().union(*(after[w] - before[w] for w in watched[1:])))
    new_elsewhere = [n for n in new_elsewhere if not str(n).startswith(("tmp", "pymp", "qa-bot"))]
    return {"names": len(rows), "unsafe_sources": sum(not r["safe_source"] for r in rows),
            "files_outside_data_dir": len(outside) + len(new_elsewhere), "oversize_refused": not big.ok,
            "rows": rows}


# ---------------------------------------------------------------- 6. URL ingest (SSRF)


def ssrf_campaign() -> dict:
    """URL ingestion against loopback servers, with the server's host not allowed and allowed by name."""
    from unittest import mock
    from urllib.parse import urlsplit

    from qa_bot.ingest import fetch
    from qa_bot.config import Settings
    from qa_bot.errors import LoaderError

    from tests.servers import PageServer, endless_body, slow_body

    page = b"<html><head><title>P</title></head><body><p>A page about the summit with enough words.</p></body></html>"
    routes = {"/page": (200, {"Content-Type": "text/html"}, page),
              "/to-internal": (302, {"Location": "http://127.0.0.2:{port}/internal"}, b""),
              "/to-metadata": (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""),
              "/to-file": (302, {"Location": "file:///etc/passwd"}, b""),
              "/internal": (200, {}, b"internal"), "/endless": (200, {}, endless_body), "/slow": (200, {}, slow_body(8))}
    rows = []
    with PageServer(routes, host="0.0.0.0") as srv:
        srv.host = "127.0.0.1"

        def case(name, url, allow, expect_refusal, patch_policy=False, **settings):
            # "allowed": the URL's own host is named in QA_BOT_ALLOW_HOSTS
            s = Settings(allow_hosts=(urlsplit(url).netloc if allow else ""), url_timeout_s=settings.get("timeout", 3),
                         max_upload_mb=settings.get("mb", 1))
            t = time.perf_counter()
            real_allowed = fetch.address_allowed
            ctx = mock.patch.object(fetch, "address_allowed", lambda ip, a: ip == "127.0.0.1" or (
                real_allowed(ip, False))) if patch_policy else mock.patch.object(fetch, "USER_AGENT", fetch.USER_AGENT)
            with ctx:
                try:
                    fetch.fetch_article(url, s)
                    outcome, message = "fetched", ""
                except LoaderError as err:
                    outcome, message = "refused", str(err)
            rows.append({"case": name, "allow_loopback": allow, "outcome": outcome,
                         "as_expected": (outcome == "refused") == expect_refusal, "s": round(time.perf_counter() - t, 2),
                         "message": message[:140]})

        for scheme_url in ("file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://127.0.0.1:70/", "javascript:alert(1)",
                           "data:text/html,hi"):
            case(f"scheme {scheme_url.split(':')[0]}", scheme_url, True, True)
        case("loopback, allowance off", srv.url("/page"), False, True)
        case("localhost name, allowance off", f"http://localhost:{srv.port}/page", False, True)
        case("IPv6 loopback", f"http://[::1]:{srv.port}/page", False, True)
        case("metadata address, even with the allowance on", "http://169.254.169.254/latest/meta-data/", True, True)
        case("private 10/8", "http://10.0.0.1/", False, True)
        case("loopback, allowance on", srv.url("/page"), True, False)
        case("redirect to an internal host", srv.url("/to-internal"), False, True, patch_policy=True)
        case("redirect to metadata", srv.url("/to-metadata"), False, True, patch_policy=True)
        case("redirect to file://", srv.url("/to-file"), True, True)
        case("body over the size cap", srv.url("/endless"), True, True)
        case("server slower than the timeout", srv.url("/slow"), True, True, timeout=1)
        internal_hits = srv.hits.get("/internal", 0)
    return {"cases": len(rows), "unexpected": sum(not r["as_expected"] for r in rows),
            "internal_requests": internal_hits, "rows": rows}


# ---------------------------------------------------------------- report


def write(result: dict, out: Path = OUT) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / "reliability.json").write_text(json.dumps(result, indent=2, default=str))
    lines = ["# Reliability and security campaign", "", f"Machine: {result['machine']}", f"Run: {result['when']} "
             f"(`python eval/reliability.py{' --full' if result['full'] else ''}`, {result['seconds']:.0f} s)", "",
             *[f"Note: {note}" for note in result.get("notes", [])], *([""] if result.get("notes") else []),
             *[f"Re-run: section `{k}` on {r['when']} (`{r['command']}`, {r['seconds']:.0f} s)"
               for k, r in result.get("reruns", {}).items()], *([""] if result.get("reruns") else [])]
    c = result.get("crash")
    if c:
        lines += ["## 1. Crash safety (SIGKILL at a random moment during `qa-bot add` of a JSONL)", "",
                  "| runs | articles per run | articles lost | partial articles | unreadable after recovery | rebuilds (median s) | repairs |",
                  "|---|---|---|---|---|---|---|",
                  f"| {c['runs']} | {c['articles_per_run']:,} | **{c['articles_lost']}** | **{c['partial_articles']}** | "
                  f"**{c['unreadable_after_recovery']}** | {c['rebuilds']} ({c['rebuild_s_median']:.1f}) | {c['repairs']} |", "",
                  f"An uninterrupted import took {c['uninterrupted_import_s']:.1f} s; kills were spread uniformly from "
                  f"{c['kill_window_s'][0]:.1f} s (about when writing starts) to its end. "
                  f"{c['reported_total']:,} articles were reported added before the kills; every one was found complete. "
                  f"The kill landed while `qa-bot add` was still running in "
                  f"{sum(1 for r in c['rows'] if r.get('killed_before_end'))} of {c['runs']} runs, "
                  f"before it had reported every article in "
                  f"{sum(1 for r in c['rows'] if r.get('reported', 0) < c['articles_per_run'])}.", ""]
    w = result.get("writers")
    if w:
        lines += ["## 2. Concurrent writers (app adding, CLI `ingest` and a second app instance starting)", "",
                  "| trials | corruptions | unclear outcomes | CLI refused | CLI serialized | second app refused |",
                  "|---|---|---|---|---|---|",
                  f"| {w['trials']} | **{w['corruptions']}** | **{w['unclear_outcomes']}** | {w['cli_refused']} | "
                  f"{w['cli_serialized']} | {w['second_app_refused']} |", ""]
    h = result.get("hostile")
    if h:
        lines += ["## 3. Hostile files (through `qa-bot add`)", "",
                  "| files tried | hangs | crashes | unclear errors | p95 parse time | p95 whole `qa-bot add` |",
                  "|---|---|---|---|---|---|",
                  f"| {h['files']} | **{h['hangs']}** | **{h['crashes']}** | **{h['unclear_errors']}** | {h['p95_parse_s']:.2f} s | "
                  f"{h['p95_add_s']:.1f} s |", "",
                  "Parse time is the loader alone (PDF and HTML in their bounded child process); the whole command "
                  "includes starting Python and opening the index.", "",
                  "| file | outcome | parse s | message |", "|---|---|---|---|"]
        for r in h["rows"]:
            lines.append(f"| {r['file']} | {r['outcome']} | {r['parse_s']:.2f} | {r['message'].replace('|', '/')[:120]} |")
        lines.append("")
    u = result.get("uploads")
    if u:
        lines += ["## 4. Upload names and size", "", "| hostile names | unsafe stored names | files written outside the data dir | oversize upload refused |",
                  "|---|---|---|---|", f"| {u['names']} | **{u['unsafe_sources']}** | **{u['files_outside_data_dir']}** | {u['oversize_refused']} |", ""]
    m = result.get("markup")
    if m:
        lines += ["## 5. Injected markup (payloads in article text, titles and outlets; AppTest and real Chromium)", "",
                  "| payloads | articles | asked in the browser | scripts run | requests to the listener | injected elements | fake citations | live markup in AppTest output | hostile URLs refused |",
                  "|---|---|---|---|---|---|---|---|---|",
                  f"| {m['payloads']} | {m['articles']} | {m['asked_in_browser']} | **{m['scripts_run']}** | "
                  f"**{m['listener_requests']}** | **{m['injected_elements']}** | **{m['fake_citations']}** | "
                  f"**{m['apptest_live_markup']}** of {m['apptest_strings']} strings | {m['hostile_urls_refused']} of 4 |", "",
                  "A fake citation is an answer whose [n] markers are not exactly its listed sources, or more sources "
                  "than the composer may cite (its sentences times its per-claim bound).", *([f"Source cards whose buttons the browser harness could not count in time (not citations; "
                                 f"screenshots in test-artifacts/reliability): {len(m['source_cards_not_counted'])}.", ""]
                                if m.get("source_cards_not_counted") else [""])]
    f = result.get("ssrf")
    if f:
        lines += ["## 6. URL ingest (SSRF), servers on 127.0.0.1", "",
                  "| cases | not as expected | requests that reached the internal host |", "|---|---|---|",
                  f"| {f['cases']} | **{f['unexpected']}** | **{f['internal_requests']}** |", "",
                  "| case | loopback allowed | outcome | s | message |", "|---|---|---|---|---|"]
        for r in f["rows"]:
            lines.append(f"| {r['case']} | {r['allow_loopback']} | {r['outcome']} | {r['s']} | {r['message'].replace('|', '/')} |")
        lines.append("")
    ld = result.get("load")
    if ld:
        lines += ["## 7. Load (concurrent browser sessions while another session adds documents)", "",
                  "| sessions × questions | answers | errors | answers without a citation | p50 | p95 | documents added meanwhile |",
                  "|---|---|---|---|---|---|---|",
                  f"| {ld['sessions']} × {ld['questions_per_session']} | {ld['answers']} | **{ld['errors']}** | **{ld['uncited']}** | "
                  f"{ld['p50_ms'] / 1000:.1f} s | {ld['p95_ms'] / 1000:.1f} s | {ld['documents_added_meanwhile']} |", "",
                  "Latency is submit-to-sources-shown in the browser, with all sessions sharing one 2-core machine.", "",
                  *[f"- adding failed: {note}" for note in ld.get("add_failures", [])],
                  "| absurd input | exit code | seconds (incl. process start) | message |", "|---|---|---|---|"]
        for label, p in ld["absurd_inputs"].items():
            lines.append(f"| {label} | {p['exit']} | {p['s']} | {p['message'].replace('|', '/')} |")
        lines.append("")
    if result.get("api"):
        lines += reliability_api.report_lines(8, result["api"])
    for n, key in enumerate(FAULT_SECTIONS, 9):
        if result.get(key):
            lines += fault_lines(n, key, result[key])
    for key, trace in result.get("section_errors", {}).items():
        lines += [f"## Section `{key}` did not finish", "", "```", trace.strip().splitlines()[-1], "```", ""]
    (out / "reliability.md").write_text("\n".join(lines) + "\n")


def fault_lines(n: int, key: str, s: dict) -> list[str]:
    """Section ``n`` of the report: one of eval/reliability_faults.py's sections, its figures and its cases."""
    def fmt(value, spec):
        return "—" if value is None else format(value, spec)

    figures = (f"| {s['runs']} | **{s['articles_lost']}** | **{s['hangs']}** | **{s['tracebacks']}** | "
               f"**{s['not_as_expected']}** |")
    lines = [f"## {n}. {FAULT_TITLES[key]}", "", "| runs | articles lost | hangs | tracebacks | not as expected |",
             "|---|---|---|---|---|", figures, ""]
    if key == "growth":
        sizes = ", ".join(f"{size:,}" for size in s["sizes"])
        lines += [(f"Load + chunk seconds (best of 3; one run at the largest size) at {sizes} characters, and the "
                   "growth exponent log(t(4n)/t(n))/log 4 between consecutive sizes (1 = linear, 2 = quadratic). "
                   f"Shapes over 1.5 at the largest pair: **{s['superlinear']}**."), "",
                  "| shape | seconds | exponents | exponent, largest pair |", "|---|---|---|---|"]
        lines += [(f"| {e['shape']} | {' / '.join(fmt(t, '.3f') for t in e['seconds'])} | "
                   f"{' / '.join(fmt(x, '.2f') for x in e['exponents'])} | **{fmt(e['exponents'][-1], '.2f')}** |")
                  for e in s["exponents"]]
        lines += ["", "| shape | characters | load s | chunk s | outcome |", "|---|---|---|---|---|"]
        lines += [(f"| {r['case']} | {r['size']:,} | {fmt(r['load_s'], '.3f')} | {fmt(r['chunk_s'], '.3f')} | "
                   f"{r['message'].replace('|', '/')[:120]} |") for r in s["rows"]]
        return [*lines, ""]
    lines += ["| case | exit | s | articles lost | as expected | message |", "|---|---|---|---|---|---|"]
    lines += [(f"| {r['case']} | {r['exit']} | {r['s']} | {r['lost']} | {'yes' if r['ok'] else '**no**'} | "
               f"{r['message'].replace('|', '/')[:120]} |") for r in s["rows"]]
    return [*lines, ""]


def browser_section(name: str):
    """A section of eval/browser_campaign.py, imported only when it runs (it needs Playwright)."""
    from eval import browser_campaign

    return getattr(browser_campaign, name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--full", action="store_true", help="the full campaign (slow)")
    parser.add_argument("--only", default="", help=(
        "comma-separated sections: crash,writers,hostile,uploads,markup,ssrf,load,api,registry,collisions,servers,"
        "diskfull,states,growth; the other sections are kept from the existing reliability.json"))
    parser.add_argument("--work", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=OUT, help="where reliability.json and .md go (default eval/results)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="qa-bot-reliability-"))
    work.mkdir(parents=True, exist_ok=True)
    sections = {
        "crash": ("1. crash safety", lambda: crash_campaign(50 if args.full else 4, 2000 if args.full else 300, work)),
        "writers": ("2. concurrent writers", lambda: writer_trials(20 if args.full else 2, work)),
        "hostile": ("3. hostile files", lambda: hostile_campaign(work, args.full)),
        "uploads": ("4. upload names", lambda: upload_campaign(work)),
        "markup": ("5. injected markup", lambda: browser_section("markup_campaign")(work, args.full)),
        "ssrf": ("6. URL ingest (SSRF)", ssrf_campaign),
        "load": ("7. load", lambda: browser_section("load_campaign")(work, args.full)),
        "api": ("8. REST API", lambda: reliability_api.api_campaign(work)),
        **{key: (f"{n}. {FAULT_TITLES[key]}", lambda key=key: getattr(reliability_faults, FAULT_SECTIONS[key])(work))
           for n, key in enumerate(FAULT_SECTIONS, 9)},  # growth last: it times code being changed
    }
    # The fault sections take minutes (far over the 60 s the reduced run may add): --full only, or by name.
    only = set(filter(None, args.only.split(","))) or {k for k in sections if args.full or k not in FAULT_SECTIONS}
    if only - set(sections):
        parser.error(f"--only: unknown section(s) {', '.join(sorted(only - set(sections)))}; "
                     f"choose from {','.join(sections)}")
    started = time.perf_counter()
    result = {"machine": f"{platform.node()} · {os.cpu_count()} cores · {platform.machine()} · Python {platform.python_version()}",
              "when": time.strftime("%Y-%m-%d %H:%M"), "full": args.full}
    merged = args.only and (args.out / "reliability.json").is_file()
    if merged:  # --only re-runs some sections: keep the others from the last written result
        result = json.loads((args.out / "reliability.json").read_text())
        errors = result.get("section_errors", {})
        result["section_errors"] = {k: v for k, v in errors.items() if k not in only}
    ran_errors = {}
    for key, (title, run) in sections.items():
        if key not in only:
            continue
        print(f"{title} (at {time.perf_counter() - started:.0f} s)", flush=True)
        section_started = time.perf_counter()
        try:
            result[key] = run()
        except Exception:  # one broken section is reported and fails the run; the others still run
            result.setdefault("section_errors", {})[key] = ran_errors[key] = traceback.format_exc()[-3000:]
            result.pop(key, None)  # not an older run's figures under this run's error
            print(result["section_errors"][key], file=sys.stderr, flush=True)
        if merged:
            result.setdefault("reruns", {})[key] = {
                "when": time.strftime("%Y-%m-%d %H:%M"), "seconds": time.perf_counter() - section_started,
                "command": f"python eval/reliability.py{' --full' if args.full else ''} --only {args.only}"}
        else:
            result["seconds"] = time.perf_counter() - started
        write(result, args.out)  # after every section, so a late failure loses nothing
    print((args.out / "reliability.md").read_text())
    result = {k: v for k, v in result.items() if k in only}  # judge only what this run measured
    failures = [f"section {k} did not finish" for k in ran_errors]
    for key in FAULT_SECTIONS:
        if key in result:
            failures += [f"{key}: {k}" for k in ("articles_lost", "hangs", "tracebacks", "not_as_expected")
                         if result[key][k]]
    if "crash" in result:
        c = result["crash"]
        failures += [k for k in ("articles_lost", "partial_articles", "unreadable_after_recovery") if c[k]]
    if "writers" in result:
        failures += [k for k in ("corruptions", "unclear_outcomes") if result["writers"][k]]
    if "hostile" in result:
        failures += [k for k in ("hangs", "crashes", "unclear_errors") if result["hostile"][k]]
    if "uploads" in result:
        failures += [k for k in ("unsafe_sources", "files_outside_data_dir") if result["uploads"][k]]
    if "markup" in result:
        failures += [k for k in ("scripts_run", "listener_requests", "injected_elements", "fake_citations",
                                 "apptest_live_markup") if result["markup"][k]]
    if "ssrf" in result:
        failures += [k for k in ("unexpected", "internal_requests") if result["ssrf"][k]]
    if "load" in result:
        failures += [k for k in ("errors", "uncited") if result["load"][k]]
        failures += [f"absurd input {k}" for k, v in result["load"]["absurd_inputs"].items() if v["exit"] != 2]
        if result["load"]["add_failures"]:
            failures.append("documents not added during load")
    if "api" in result:
        failures += [f"api: {k}" for k in reliability_api.ZEROS if result["api"][k]]
    if failures:
        print("FAILED:", ", ".join(failures))
        sys.exit(1)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
