"""Issue 14's sections of ``eval/reliability.py --full``: registry loss, corpus/added collisions, two data folders
on one Chroma server, growing hostile inputs, a full disk, damaged or unusable data-folder states.

Each drives real ``qa-bot`` processes (hashing embedder, a temporary data folder, every command bounded by
:data:`HANG_S`) and returns ``{"runs", "articles_lost", "hangs", "tracebacks", "not_as_expected", ..., "rows"}``.
The disk-full and read-only cases mount file systems: they need root.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import os
import random
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
HANG_S = 60  # a command running longer than this counts as a hang
NOTE = "Delegates from {tag} discussed fisheries quota number {i} at length in the capital. Officials promised " \
       "a follow-up meeting soon, and the ministry said talks on item {i} of the {tag} agenda would continue."


def _env(data: Path, corpus: Path, **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_BOT_")}
    env.update(QA_BOT_DATA_DIR=str(data), QA_BOT_CORPUS_DIR=str(corpus), QA_BOT_EMBED_MODEL="hashing",
               QA_BOT_READER="false", HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT), **{k: str(v) for k, v in extra.items()})
    return env


def qa(env: dict, *args, timeout: float = HANG_S) -> dict:
    """Run ``qa-bot ARGS``; the outcome with its ``error:``/``warning:`` lines, and whether it hung or crashed."""
    started = time.perf_counter()
    try:
        done = subprocess.run([PY, "-m", "qa_bot.cli", *map(str, args)], env=env, capture_output=True, text=True,
                              timeout=timeout, check=False)
        code, out, err, hang = done.returncode, done.stdout, done.stderr, False
    except subprocess.TimeoutExpired as exc:
        code, out, hang = None, "", True
        err = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else exc.stderr or ""
    lines = [ln.strip() for ln in err.splitlines() if ln.strip()]
    return {"exit": code, "out": out, "err": err, "hang": hang, "traceback": "Traceback" in err, "lines": lines,
            "s": time.perf_counter() - started, "errors": [ln for ln in lines if ln.startswith("error:")],
            "warnings": [ln for ln in lines if ln.startswith("warning:")], "args": list(map(str, args))}


def refused_clearly(res: dict, names: list[str], codes=(2, 4, 5)) -> bool:
    """One ``error:`` line naming one of ``names``, an exit code from ``codes``, no traceback."""
    return res["exit"] in codes and len(res["errors"]) == 1 and any(n in res["errors"][0] for n in names)


def _row(case: str, res: dict, ok: bool, lost: int = 0, message: str | None = None) -> dict:
    out = res["out"].strip()  # a `list --json` is summed up; else the last line of the summary
    tail = [f"{len(json.loads(out))} articles listed"] if out.startswith("[") else out.splitlines()[-1:]
    first = (res["errors"] + res["warnings"] + [ln for ln in res["lines"] if ln.startswith("note:")] + tail + [""])[0]
    row = {"case": case, "command": "qa-bot " + " ".join(res["args"]), "exit": res["exit"], "s": round(res["s"], 1),
           "lost": lost, "hang": res["hang"], "traceback": res["traceback"], "message": (message or first)[:200],
           "ok": bool(ok) and not lost and not res["hang"] and not res["traceback"]}
    row.update({"stderr": res["err"][-1500:]} if not row["ok"] else {})
    print(f"  {case}: exit {row['exit']}, lost {lost}, ok {row['ok']} — {row['message'][:100]}", flush=True)
    return row


def _summary(rows: list[dict], **extra) -> dict:
    return {"runs": len(rows), "articles_lost": sum(r["lost"] for r in rows), "hangs": sum(r["hang"] for r in rows),
            "tracebacks": sum(r["traceback"] for r in rows), "not_as_expected": sum(not r["ok"] for r in rows),
            **extra, "rows": rows}


def snapshot(env: dict, texts: str = "added") -> dict | None:
    """``{id: (title, origin, sha256 of the text)}`` from ``qa-bot list --json`` and ``qa-bot show`` (the text of
    added articles, or of all with ``texts="all"``); None when listing fails."""
    listed = qa(env, "list", "--json")
    if listed["exit"] != 0:
        return None
    def text(article_id):  # the body `qa-bot show` prints after its two header lines
        shown = qa(env, "show", article_id)
        return hashlib.sha256(shown["out"].split("\n\n", 1)[-1].encode()).hexdigest() if shown["exit"] == 0 else "?"

    return {r["id"]: (r["title"], r["origin"], text(r["id"]) if texts == "all" or r["origin"] == "added" else None)
            for r in json.loads(listed["out"])}


def lost_between(before: dict, after: dict | None) -> int:
    """Articles of ``before`` missing from ``after`` or changed in it."""
    return len(before) if after is None else sum(1 for k, v in before.items() if after.get(k) != v)


def _docs(folder: Path, n: int, tag: str, sentences: int = 1) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        body = " ".join(NOTE.format(tag=tag, i=f"{i}.{j}") for j in range(sentences))
        (folder / f"{tag}-{i}.txt").write_text(f"Note {tag} {i}\n{body}\n")
    return folder


def setup_folder(base: Path, n_corpus: int = 4, n_added: int = 3, data: Path | None = None, **extra):
    """A corpus copy of ``n_corpus`` files, ``qa-bot ingest``, then ``qa-bot add`` of ``n_added`` notes.

    Returns ``(env, data folder, corpus folder)``. Raises RuntimeError when either command fails.
    """
    shutil.rmtree(base, ignore_errors=True)
    (corpus := base / "corpus").mkdir(parents=True)
    for p in sorted((ROOT / "corpus").glob("*.md"))[:n_corpus]:
        shutil.copy(p, corpus / p.name)
    env = _env(data := data or base / "data", corpus, **extra)
    for res in (qa(env, "ingest", "-q"), qa(env, "add", "-q", _docs(base / "added", n_added, base.name))):
        if res["exit"] != 0:
            raise RuntimeError(f"setup of {base.name}: qa-bot {' '.join(res['args'])} exited {res['exit']}: "
                               f"{res['err'][-500:]}")
    return env, data, corpus


def _chunks(env: dict) -> int | None:
    return next((int(ln.split()[-1]) for ln in qa(env, "status")["out"].splitlines() if ln.startswith("chunks:")), None)


# ---------------------------------------------------------------- (a) registry loss

def _scribble(path: Path, at: int, n: int) -> None:
    with path.open("r+b") as fh:
        fh.seek(at)
        fh.write(random.Random(at).randbytes(n))


DAMAGES = {"deleted": lambda p: [Path(f"{p}{s}").unlink(missing_ok=True) for s in ("", "-wal", "-shm")],
           "emptied (0 bytes)": lambda p: p.write_bytes(b""),
           "truncated to half": lambda p: os.truncate(p, p.stat().st_size // 2),
           "header scribbled (first 100 bytes)": lambda p: _scribble(p, 0, 100),
           "middle scribbled (4 KB)": lambda p: _scribble(p, p.stat().st_size // 2, 4096)}


def registry_loss(work: Path, n_added: int = 3) -> dict:
    """Damage ``registry.sqlite3`` five ways after ingest + add; ``qa-bot list`` must show every article again."""
    rows = []
    for i, (how, damage) in enumerate(DAMAGES.items()):
        env, data, _ = setup_folder(work / f"registry-{i}", n_added=n_added)
        before, chunks = snapshot(env), _chunks(env)
        damage(data / "registry.sqlite3")
        res, after = qa(env, "list", "--json"), snapshot(env)
        lost, chunks_after = lost_between(before, after), _chunks(env)
        rows.append(_row(f"registry {how}", res, res["exit"] == 0 and chunks_after == chunks, lost,
                         f"{len(after or {})}/{len(before)} articles, {chunks_after}/{chunks} chunks; "
                         + next((ln for ln in res["lines"] if ln.startswith("note:")), "no note")))
    return _summary(rows, added_per_case=n_added)


# ---------------------------------------------------------------- (b) corpus/added collisions


MD = "---\ntitle: \"{title}\"\noutlet: Rival Wire\npublished: 2026-01-09\nurl: {url}\n---\n\n" + NOTE + "\n"


def collisions(work: Path) -> dict:
    """An added article with a corpus article's URL is refused; a corpus file taking an added article's URL is kept
    out (with a warning) until the added one is removed."""
    base = work / "collisions"
    env, _, corpus = setup_folder(base, n_added=2)
    first = min(corpus.glob("*.md"))
    url = next(ln.split(":", 1)[1].strip() for ln in first.read_text().splitlines() if ln.startswith("url:"))
    before = snapshot(env, texts="all")
    (base / "rival.md").write_text(MD.format(url=url, title="A rival copy of a corpus article", tag="rival", i=1))
    res = qa(env, "add", "-q", base / "rival.md")
    rows = [_row("add with a corpus article's URL", res, refused_clearly(res, [f"corpus/{first.name}"], (2,)),
                 lost_between(before, snapshot(env, texts="all")))]
    own_url = "https://rival.example.com/2026/01/09/own-story"
    (base / "mine.md").write_text(MD.format(url=own_url, title="An added story", tag="mine", i=2))
    qa(env, "add", "-q", base / "mine.md")
    before = snapshot(env, texts="all")
    later = "A corpus file that later takes the URL"
    (corpus / "99-later.md").write_text(MD.format(url=own_url, title=later, tag="later", i=3))
    res, after = qa(env, "ingest", "-q"), snapshot(env, texts="all")
    kept = [k for k, v in (after or {}).items() if v[0] == "An added story" and v[1] == "added"]
    rows.append(_row("corpus file later takes an added URL: ingest", res, res["exit"] == 0 and len(res["warnings"]) == 1
                     and "corpus/99-later.md" in res["warnings"][0] and len(kept) == 1, lost_between(before, after)))
    if kept:
        qa(env, "remove", kept[0])
        res = qa(env, "ingest", "-q")
        now = (snapshot(env) or {}).get(kept[0], ("",) * 3)
        rows.append(_row("after `qa-bot remove` of the added one: ingest", res,
                         res["exit"] == 0 and now[:2] == (later, "corpus")))
    return _summary(rows)


# ---------------------------------------------------------------- (c) two data folders on one Chroma server


def start_chroma(path: Path) -> tuple[subprocess.Popen, int]:
    """``chroma run`` on 127.0.0.1 (as tests/storage/test_chroma_server.py starts it); waits up to 60 s."""
    beside = Path(PY).parent / "chroma"  # the venv's bin, even when it is not on PATH
    if (exe := str(beside) if beside.exists() else shutil.which("chroma")) is None:
        raise RuntimeError("the `chroma` command (from the chromadb package) is not installed")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen([exe, "run", "--host", "127.0.0.1", "--port", str(port), "--path", str(path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):  # 60 s
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("chroma run did not start within 60 s")


def two_folders_one_server(work: Path) -> dict:
    """Two data folders with the same corpus (same article and chunk ids) on one Chroma server: adds, a sync that
    drops a corpus file and a ``qa-bot remove`` in one folder delete nothing of the other."""
    proc, port = start_chroma(work / "chroma-server")
    extra = {"QA_BOT_CHROMA_HOST": "127.0.0.1", "QA_BOT_CHROMA_PORT": port}
    rows, envs, snaps, chunks = [], {}, {}, {}

    def counts(name):  # (chunks per `qa-bot status`, chunks in the folder's collection on the server)
        import chromadb

        from qa_bot.storage.index import chroma_settings

        fid = (Path(envs[name]["QA_BOT_DATA_DIR"]) / "folder.id").read_text().strip()
        client = chromadb.HttpClient(host="127.0.0.1", port=port, settings=chroma_settings())
        return _chunks(envs[name]), {c.name: c.count() for c in client.list_collections()}.get(f"qa_bot_chunks-{fid}")

    def reopen(name, case, expect, want):
        res, now = qa(envs[name], "list", "--json"), counts(name)
        rows.append(_row(case, res, res["exit"] == 0 and want(now), lost_between(expect, snapshot(envs[name])),
                         f"{name}: chunks (status, server) {chunks[name]} -> {now}"))

    try:
        for name in ("A", "B"):
            envs[name], _, _ = setup_folder(work / f"server-{name}", n_added=3, **extra)
            snaps[name], chunks[name] = snapshot(envs[name]), counts(name)
        reopen("A", "reopen A after B ingested and added", snaps["A"], lambda now: now == chunks["A"])
        listed = json.loads(qa(envs["B"], "list", "--json")["out"])
        gone = next(r for r in listed if r["origin"] == "corpus")
        added = next(r for r in listed if r["origin"] == "added")
        (Path(envs["B"]["QA_BOT_CORPUS_DIR"]) / gone["source"]).unlink()
        for case, args in ((f"B: ingest after deleting corpus/{gone['source']}", ("ingest", "-q")),
                           ("B: remove an added article", ("remove", added["id"]))):
            res = qa(envs["B"], *args)
            rows.append(_row(case, res, res["exit"] == 0))
        reopen("A", "reopen A at the end", snaps["A"], lambda now: now == chunks["A"])
        rest = {k: v for k, v in snaps["B"].items() if k not in (gone["id"], added["id"])}
        reopen("B", "reopen B at the end", rest, lambda now: now[0] == now[1] < chunks["B"][0])
    finally:
        proc.terminate()
        proc.wait(10)
    return _summary(rows)


# ---------------------------------------------------------------- (d) growing-size inputs

GROWTH_CHILD = r"""
import json, sys, time
from qa_bot.config import Settings
from qa_bot.errors import LoaderError
from qa_bot.ingest.chunking import Chunker
from qa_bot.ingest.loaders import load_bytes
s = Settings()  # the chunker as qa_bot/storage/indexing.py builds it, with a whitespace token counter
chunker = Chunker(lambda t: len(t.split()), max_tokens=s.chunk_max_tokens, target_tokens=s.chunk_target_tokens)
data, name, best = open(sys.argv[1], "rb").read(), sys.argv[2], [float("inf")] * 2
for _ in range(int(sys.argv[3])):
    t = time.perf_counter()
    try:
        articles, outcome = load_bytes(data, name, isolate=False), ""
    except LoaderError as err:
        articles, outcome = [], f"refused: {err}"
    t1 = time.perf_counter()
    n = sum(len(chunker.split(a)) for a in articles)
    best = [min(best[0], t1 - t), min(best[1], time.perf_counter() - t1)]
print(json.dumps({"load_s": best[0], "chunk_s": best[1], "outcome": outcome or f"{n} chunks"}))
"""
SHAPES = {  # name: (file name, header, repeated unit)
    "one-line .txt, no full stops": ("a.txt", "", "lorem ipsum "),
    "one-line .txt, a full stop every 6 chars": ("b.txt", "", "Ab cd. "),
    "Markdown body of `[`": ("c.md", "# Brackets\n\n", "["),
    "Markdown body of ` *a`": ("d.md", "# Stars\n\n", " *a"),
    ".txt of many short lines": ("e.txt", "Short lines\n", "ab cd\n")}


def growth(work: Path, sizes=(100_000, 400_000, 1_600_000), repeats: int = 3) -> dict:
    """Load + chunk each hostile shape at three sizes (each in a child bounded by :data:`HANG_S`) and report the
    growth exponent log(t(4n)/t(n))/log 4 between consecutive sizes."""
    (folder := work / "growth").mkdir(parents=True, exist_ok=True)
    rows, exponents = [], []
    for shape, (name, head, unit) in SHAPES.items():
        times = []
        for size in sizes:
            (path := folder / f"{size}-{name}").write_text(head + unit * (size // len(unit)))
            args = [PY, "-c", GROWTH_CHILD, str(path), name, str(repeats if size < sizes[-1] else 1)]
            try:
                done = subprocess.run(args, env=_env(work / "none", work / "none"), capture_output=True, text=True,
                                      timeout=HANG_S, check=False)
                got, hang = json.loads(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 else None, False
            except subprocess.TimeoutExpired:
                done, got, hang = None, None, True
            times.append(got["load_s"] + got["chunk_s"] if got else None)
            rows.append({"case": shape, "size": size, "s": times[-1] or HANG_S, "load_s": got and got["load_s"],
                         "chunk_s": got and got["chunk_s"], "lost": 0, "hang": hang, "ok": got is not None,
                         "traceback": bool(done and "Traceback" in done.stderr),
                         "message": (got["outcome"] if got else "hang" if hang else done.stderr.strip()[-200:])[:200]})
            print(f"  {shape} @ {size:,}: {rows[-1]['s']:.3f} s — {rows[-1]['message'][:80]}", flush=True)
        exponents.append({"shape": shape, "seconds": times, "exponents": [
            math.log(b / a) / math.log(4) if a and b else None for a, b in itertools.pairwise(times)]})
    return _summary(rows, sizes=list(sizes), exponents=exponents,  # over 1.5 at the largest pair, or not measured
                    superlinear=sum(1 for e in exponents if (e["exponents"][-1] or 9) > 1.5))


# ---------------------------------------------------------------- (e) disk full, (f) data-folder states


@contextmanager
def during(do: list[list], undo: list[list]):
    """Run the commands ``do`` before the block and ``undo`` after it (also when one of ``do`` failed)."""
    try:
        for cmd in do:
            subprocess.run(list(map(str, cmd)), check=True, capture_output=True)
        yield
    finally:
        for cmd in undo:
            subprocess.run(list(map(str, cmd)), capture_output=True, check=False)


def disk_full(work: Path, n_docs: int = 8, leave_kb=(0, 64, 512, 1200)) -> dict:
    """The data folder on a 24 MB tmpfs, filled up to ``leave_kb`` (an add of ``n_docs`` 8 KB notes needs ~1.6 MB):
    ``qa-bot add`` of a folder and ``qa-bot list`` work or fail with one error line (exit 2 or 5); once space is
    freed nothing is lost and the add works."""
    rows = []
    for i, leave in enumerate(k * 1024 for k in leave_kb):
        mnt, label = work / f"diskfull-{i}", "disk full" if not leave else f"{leave // 1024} KB left"
        mnt.mkdir(parents=True, exist_ok=True)
        with during([["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", mnt]], [["umount", mnt]]):
            env, _, _ = setup_folder(work / f"diskfull-{i}-src", data=mnt / "data")
            before, filler = snapshot(env), mnt / "filler"
            subprocess.run(["dd", "if=/dev/zero", f"of={filler}", "bs=1M"], capture_output=True, check=False)
            os.truncate(filler, max(0, filler.stat().st_size - leave))
            docs = _docs(work / f"diskfull-{i}-docs", n_docs, f"full{i}", sentences=40)
            for args in (("add", "-q", docs), ("list",)):
                res = qa(env, *args)
                rows.append(_row(f"{label}: {args[0]}", res, res["exit"] == 0 and not res["errors"]
                                 or res["exit"] in (2, 5) and len(res["errors"]) == 1))
            filler.unlink()
            res = qa(env, "list", "--json")
            rows.append(_row(f"{label}: list after freeing space", res, res["exit"] == 0,
                             lost_between(before, snapshot(env))))
            res = qa(env, "add", "-q", docs)
            rows.append(_row(f"{label}: add after freeing space", res,
                             res["exit"] == 0 and len(snapshot(env) or ()) == len(before) + n_docs))
    return _summary(rows)


def _replaced(path: Path, link_to: Path | None = None):
    """``path`` replaced by a folder (or a link to ``link_to``) for the block, then put back."""
    aside, make = path.with_name(path.name + ".aside"), ["ln", "-s", link_to, path] if link_to else ["mkdir", path]
    return during([["mv", path, aside]] * path.exists() + [make], [["rm", "-rf", path], ["mv", aside, path]])


def data_folder_states(work: Path) -> dict:
    """Lock files, journal and registry replaced by folders, a journal linked outside, a data folder that is a file,
    read-only, or owned by another user: ``qa-bot list`` and ``add`` work or give one error line naming the path
    (exit 2, 4 or 5); once the state is put back the next command works and no article is lost."""
    env, data, _ = setup_folder(work / "states")
    outside, not_a_dir = work / "outside.txt", work / "not-a-folder"
    outside.write_text("a file outside the data folder; qa-bot must not write it\n")
    not_a_dir.write_text("a file where the data folder should be\n")
    owner = f"{data.stat().st_uid}:{data.stat().st_gid}"
    ro = [["mount", "--bind", data, data], ["mount", "-o", "remount,ro,bind", data]]  # root ignores chmod, not this
    files = ("owner.lock", "owner.lock.owner", "write.lock", "write.lock.owner", "journal", "registry.sqlite3")
    cases = [(f"{n} is a folder", _replaced(data / n), [n], env) for n in files] + [
        ("journal is a link to a file outside", _replaced(data / "journal", outside), ["journal"], env),
        ("QA_BOT_DATA_DIR is a file", nullcontext(), [str(not_a_dir)], dict(env, QA_BOT_DATA_DIR=str(not_a_dir))),
        ("read-only data folder (ro bind mount)", during(ro, [["umount", data]]), [str(data)], env),
        ("data folder owned by nobody", during([["chown", "-R", "nobody", data]], [["chown", "-R", owner, data]]),
         [str(data)], env)]
    guarded = {p: p.read_bytes() for p in (outside, not_a_dir)}
    before, rows = snapshot(env), []
    for k, (label, state, names, case_env) in enumerate(cases):
        with state:
            for args in (("list", "--json"), ("add", "-q", _docs(work / "states-docs" / str(k), 1, f"state{k}"))):
                res = qa(case_env, *args)
                listed = {r["id"] for r in json.loads(res["out"])} if args[0] == "list" and res["exit"] == 0 else None
                lost = sum(1 for a in before if a not in listed) if listed is not None else 0
                worked = f"worked{f', listed {len(listed)} articles' if listed else ''}" + (
                    " (not testable as root: root may write whatever the owner)" * ("nobody" in label))
                rows.append(_row(f"{label}: {args[0]}", res, res["exit"] == 0 and not res["errors"]
                                 or refused_clearly(res, names), lost, worked if res["exit"] == 0 else None))
        res, after = qa(env, "list", "--json"), snapshot(env)
        intact = all(p.read_bytes() == b for p, b in guarded.items())
        rows.append(_row(f"{label}: put back, then list", res, res["exit"] == 0 and intact, lost_between(before, after),
                         f"{len(after or ())} articles; files outside the data folder unchanged: {intact}"))
        before = after or before
    return _summary(rows, root=os.geteuid() == 0)
