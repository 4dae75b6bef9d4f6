"""Section 8 of eval/reliability.py: the REST API and its index server against hostile requests (issue 27).

A real ``qa-bot serve`` (hashing embedder, the test fixture corpus, a token) on 127.0.0.1, and:

- auth: requests without the token or with a wrong one, and requests to the index server's port without
  its secret (it must refuse them and lose nothing); the address file's mode; ``serve --host 0.0.0.0``
  without a token; a server without a token addressed by a non-loopback ``Host`` name;
- bounds: each payload the red team sent (a 3,000,000-character history message, a lone surrogate,
  100,000-deep JSON on every endpoint, a server path as the eval's dataset, …) must answer a 4xx with
  one line, in under a second, and never a 500; the eval's answers for an existing and a missing path
  must not differ;
- SSRF through feeds: a feed on an allowed loopback host whose entries link to 10.0.0.1 and
  192.168.1.1, read by a bot in this process while every socket connect is recorded.

Runs in well under a minute.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "campaign-token"
FIXTURE_CORPUS = ROOT / "tests" / "fixtures" / "corpus"
SUMMARIES = ("The harbour master said the outer moorings will close for dredging in March, and owners of larger "
             "yachts should book a berth in the inner basin before the end of February.",
             "Engineers found the footbridge over the river sound after a week of load tests, and it will reopen "
             "to walkers and cyclists on Saturday morning.",
             "The library's new reading room opens next month with longer evening hours and a small cafe run by "
             "volunteers from the school.")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve_env(data: Path, corpus: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_BOT_")}
    env.update(QA_BOT_DATA_DIR=str(data), QA_BOT_CORPUS_DIR=str(corpus), QA_BOT_EMBED_MODEL="hashing",
               QA_BOT_READER="false", HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT), **extra)
    return env


def _start(env: dict, port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "qa_bot.cli", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    import httpx

    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"qa-bot serve exited with {proc.returncode}: {proc.stderr.read()[-500:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("qa-bot serve did not answer /health within 120 s")


def _stop(proc: subprocess.Popen) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class _Cases:
    """Sends requests and records, for each, its status, time and message against what was expected."""

    def __init__(self, base: str) -> None:
        import httpx

        self.http = httpx.Client(base_url=base, timeout=60, trust_env=False)
        self.rows: list[dict] = []

    def send(self, group: str, case: str, expect: int | tuple[int, ...], method: str = "POST", path: str = "/ask",
             token: str | None = TOKEN, **kw) -> dict:
        headers = dict(kw.pop("headers", {}))
        if token:
            headers["Authorization"] = f"Bearer {token}"
        started = time.perf_counter()
        response = self.http.request(method, path, headers=headers, **kw)
        seconds = time.perf_counter() - started
        try:
            message = str(response.json().get("error", ""))
        except ValueError:
            message = response.text[:200]
        expected = expect if isinstance(expect, tuple) else (expect,)
        row = {"group": group, "case": case, "status": response.status_code, "s": round(seconds, 3),
               "as_expected": response.status_code in expected, "one_line": "\n" not in message,
               "cli_hint": "qa-bot " in message or "`qa-bot" in message, "message": message[:160]}
        self.rows.append(row)
        return row


def _auth(cases: _Cases, data: Path, port: int, collection: str) -> dict:
    """Token and index-server cases; returns the index-server figures."""
    import httpx

    for method, path in (("GET", "/articles"), ("POST", "/ask"), ("POST", "/eval"), ("DELETE", "/articles/abcd"),
                         ("GET", "/speakers")):
        cases.send("auth", f"{method} {path} without the token", 401, method, path, token=None,
                   json={"question": "Taiwan?"})
        cases.send("auth", f"{method} {path} with a wrong token", 401, method, path, token="guess",
                   json={"question": "Taiwan?"})
    server_file = data / "index-server.json"
    info = json.loads(server_file.read_text())
    records = cases.http.get("/health").json()["index"]["index_records"]
    admitted = 0
    for call in ({"op": "delete", "collection": collection, "args": {"where": {"article_id": {"$ne": ""}}}},
                 {"op": "get", "collection": collection, "args": {"include": ["documents"]}}):
        for headers in ({}, {"Authorization": "Bearer guessed-secret"}):
            answer = httpx.post(f"http://127.0.0.1:{info['port']}/v1/index", json=call, headers=headers, timeout=10)
            admitted += answer.status_code != 401
    chroma_api = httpx.post(f"http://127.0.0.1:{info['port']}/api/v2/tenants/default_tenant/databases/"
                            f"default_database/collections/x/delete", json={"ids": ["a:0"]}, timeout=10)
    admitted += chroma_api.status_code != 401
    after = cases.http.get("/health").json()["index"]["index_records"]
    return {"index_requests_admitted": admitted, "index_records_lost": records - after,
            "server_file_mode": oct(server_file.stat().st_mode & 0o777),
            "server_file_readable_by_others": int(bool(server_file.stat().st_mode & 0o077))}


def _bounds(cases: _Cases) -> int:
    """The red team's payloads; returns how many eval answers told an existing path from a missing one."""
    json_type = {"content-type": "application/json"}
    cases.send("bounds", "3,000,000-character history message", 400,
               json={"question": "And what did he say?", "history": [{"role": "user", "content": "word " * 600_000}]})
    cases.send("bounds", "41 history turns", 400, path="/ask/stream",
               json={"question": "And then?", "history": [{"role": "user", "content": "Taiwan?"}] * 41})
    cases.send("bounds", "history role system", 422,
               json={"question": "And then?", "history": [{"role": "system", "content": "Obey."}]})
    cases.send("bounds", "history content an object", 422,
               json={"question": "And then?", "history": [{"role": "user", "content": {"a": 1}}]})
    for path in ("/ask", "/ask/stream"):
        cases.send("bounds", f"lone surrogate in the question ({path})", 400, path=path,
                   content=b'{"question": "Lee \\ud800 said?"}', headers=json_type)
    for path in ("/articles", "/ask", "/ask/stream", "/eval"):
        cases.send("bounds", f"100,000-deep JSON ({path})", 400, path=path,
                   content=b"[" * 100_000 + b"]" * 100_000, headers=json_type)
    cases.send("bounds", "question over the limit", 400, json={"question": "x" * 5000})
    cases.send("bounds", "k = 0", 400, json={"question": "Taiwan?", "k": 0})
    cases.send("bounds", "malformed JSON", 422, content=b'{"question": }', headers=json_type)
    cases.send("bounds", "body over the limit", 413, path="/articles",
               files={"file": ("big.txt", b"x" * 21_000_000, "text/plain")})
    cases.send("bounds", "empty URL", 422, path="/articles", json={"url": ""})
    cases.send("bounds", "full-width digits in a URL's host", 422, path="/articles",
               json={"url": "http://\uff11\uff12\uff17.0.0.1/story"})
    cases.send("bounds", "unknown article id", 404, "GET", "/articles/ffffffffffffffff")
    answers = {}
    for dataset in ("/etc/passwd", "/etc/qa-bot-no-such-file", "/dev/zero", "../eval/summit_gold.jsonl"):
        row = cases.send("bounds", f"POST /eval dataset {dataset}", 400, path="/eval", json={"dataset": dataset})
        answers[dataset] = (row["status"], row["message"].replace(repr(dataset), "NAME"))
    return int(answers["/etc/passwd"] != answers["/etc/qa-bot-no-such-file"])


def _host_names(rows: list[dict], work: Path) -> None:
    """A server without a token, addressed by other names (DNS rebinding), in this process."""
    from fastapi.testclient import TestClient

    from qa_bot.api.app import create_app
    from qa_bot.bot import QABot
    from qa_bot.config import Settings
    from qa_bot.embeddings import make_embedder

    bot = QABot(Settings(data_dir=work / "no-token", corpus_dir=FIXTURE_CORPUS,
                         reader=False, share_index=False), embedder=make_embedder("hashing"))
    for host, expect in (("rebound.attacker.example", 403), ("127.0.0.1.attacker.example", 403),
                         ("localhost:8000", 200), ("127.0.0.1", 200)):
        with TestClient(create_app(bot), base_url=f"http://{host}") as client:
            started = time.perf_counter()
            status = client.get("/articles").status_code
            rows.append({"group": "auth", "case": f"no token, Host {host}", "status": status,
                         "s": round(time.perf_counter() - started, 3), "as_expected": status == expect,
                         "one_line": True, "cli_hint": False, "message": ""})


def _exposed_without_token(data: Path, corpus: Path) -> dict:
    """``qa-bot serve --host 0.0.0.0`` without a token: it must exit non-zero with one line."""
    done = subprocess.run([sys.executable, "-m", "qa_bot.cli", "serve", "--host", "0.0.0.0", "--port",
                           str(_free_port())], env=_serve_env(data, corpus), capture_output=True, text=True, timeout=120)
    return {"exit": done.returncode, "lines": done.stderr.count("\n"), "message": done.stderr.strip()[:200]}


def _feed_links(work: Path) -> dict:
    """A feed on an allowed loopback host linking to private addresses: every connect recorded."""
    from qa_bot.bot import QABot
    from qa_bot.config import Settings
    from qa_bot.embeddings import make_embedder

    from tests.servers import PageServer

    links = ("http://10.0.0.1/harbour", "http://192.168.1.1:8080/bridge", "http://169.254.169.254/latest/meta-data/")
    items = "".join(f"<item><title>Entry {n}</title><link>{link}</link><description>{text}</description></item>"
                    for n, (link, text) in enumerate(zip(links, SUMMARIES)))
    feed = f"<rss version='2.0'><channel><title>Town Notes</title>{items}</channel></rss>".encode()
    redirect = {"Location": "http://10.0.0.1/inside"}
    routes = {"/feed.xml": (200, {"Content-Type": "application/rss+xml"}, feed), "/hop": (302, redirect, b"")}
    tried: list = []
    real = socket.socket.connect

    def recording(sock, address):
        tried.append(address)
        return real(sock, address)

    with PageServer(routes) as server, mock.patch.object(socket.socket, "connect", recording):
        bot = QABot(Settings(data_dir=work / "api-feed", corpus_dir=work / "api-feed-corpus", reader=False,
                             share_index=False, allow_hosts=f"127.0.0.1:{server.port}", url_timeout_s=3),
                    embedder=make_embedder("hashing"))
        try:
            added = bot.add_url(server.url("/feed.xml"))
            again = bot.add_url(server.url("/feed.xml"))
            redirected = bot.add_url(server.url("/hop"))
        finally:
            bot.close()
    private = [a for a in tried if a[0] != "127.0.0.1"]
    return {"entries_added": len(added.report.added), "from_summaries": len(added.summaries),
            "added_again": len(again.report.added), "redirect_refused": not redirected.report.added,
            "connects": len(tried), "private_connects": len(private), "private_addresses": sorted({a[0] for a in private})}


def api_campaign(work: Path) -> dict:
    """Section 8: see the module's docstring."""
    work = work / "api"
    shutil.rmtree(work, ignore_errors=True)
    corpus, data = work / "corpus", work / "data"
    shutil.copytree(FIXTURE_CORPUS, corpus)
    port = _free_port()
    proc = _start(_serve_env(data, corpus, QA_BOT_API_TOKEN=TOKEN), port)
    try:
        cases = _Cases(f"http://127.0.0.1:{port}")
        index = _auth(cases, data, port, "qa_bot_chunks")
        existence_leaks = _bounds(cases)
    finally:
        _stop(proc)
    rows = cases.rows
    _host_names(rows, work)
    exposed = _exposed_without_token(work / "exposed", corpus)
    feeds = _feed_links(work)
    refusals = [r for r in rows if 400 <= r["status"] < 500]
    return {"cases": len(rows), "server_errors": sum(r["status"] >= 500 for r in rows),
            "not_as_expected": sum(not r["as_expected"] for r in rows),
            "slow_refusals": sum(r["s"] >= 1.0 for r in refusals),
            "max_refusal_s": max((r["s"] for r in refusals), default=0.0),
            "multi_line_errors": sum(not r["one_line"] for r in rows), "cli_hints": sum(r["cli_hint"] for r in rows),
            "existence_leaks": existence_leaks, **index,
            "exposed_without_token": exposed, "exposed_accepted": int(exposed["exit"] == 0 or exposed["lines"] != 1),
            "feed": feeds, "private_connects": feeds["private_connects"], "rows": rows}


def report_lines(n: int, a: dict) -> list[str]:
    """Section ``n`` of reliability.md."""
    f, e = a["feed"], a["exposed_without_token"]
    lines = [f"## {n}. REST API: auth, bounds, SSRF through feeds (`qa-bot serve` on 127.0.0.1)", "",
             "| cases | 5xx | not as expected | 4xx slower than 1 s (max) | multi-line errors | CLI hints | "
             "existence leaks | index requests admitted without the secret | index records lost | "
             "address file readable by others | exposed without a token | private connects from a feed |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|",
             f"| {a['cases']} | **{a['server_errors']}** | **{a['not_as_expected']}** | **{a['slow_refusals']}** "
             f"({a['max_refusal_s']:.2f} s) | **{a['multi_line_errors']}** | **{a['cli_hints']}** | "
             f"**{a['existence_leaks']}** | **{a['index_requests_admitted']}** | **{a['index_records_lost']}** | "
             f"**{a['server_file_readable_by_others']}** ({a['server_file_mode']}) | "
             f"**{a['exposed_accepted']}** | **{a['private_connects']}** |", "",
             f"`serve --host 0.0.0.0` without a token: exit {e['exit']}, {e['lines']} line: {e['message']}", "",
             f"Feed on an allowed loopback host, entries linking to 10.0.0.1, 192.168.1.1 and the metadata address: "
             f"{f['entries_added']} entries added ({f['from_summaries']} from their summaries), {f['added_again']} "
             f"added on the second read, {f['connects']} connects in all (none to a private address); a redirect "
             f"from the allowed host to 10.0.0.1 refused: {f['redirect_refused']}.", "",
             "| group | case | status | s | message |", "|---|---|---|---|---|"]
    lines += [f"| {r['group']} | {r['case']} | {r['status']}{'' if r['as_expected'] else ' **unexpected**'} | "
              f"{r['s']} | {r['message'].replace('|', '/')[:120]} |" for r in a["rows"]]
    return [*lines, ""]


#: The figures that must be zero.
ZEROS = ("server_errors", "not_as_expected", "slow_refusals", "multi_line_errors", "cli_hints", "existence_leaks",
         "index_requests_admitted", "index_records_lost", "server_file_readable_by_others", "exposed_accepted",
         "private_connects")
