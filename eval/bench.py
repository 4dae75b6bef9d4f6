"""Speed and memory benchmarks, reported as ratios measured inside one run (the machines are noisy).

    python eval/bench.py                         # sizes 1k, 10k, 100k chunks (about 25 minutes)
    python eval/bench.py --sizes 1000,10000      # quicker
    python eval/bench.py --evals summit          # also the backends' eval metrics side by side (summit dev, test)
    python eval/bench.py --evals all             # ... and ClapNQ (long)

* **ingest** — chunks/s of the full ``add`` path (chunking, embedding with sentence vectors,
  registry, BM25 index, Chroma) with each ONNX backend, against the raw torch encoder alone
  (``SentenceTransformer.encode`` on the very same chunk texts, same batch size, measured before
  and after in the same process): the pipeline-efficiency ratio. Also against the textbook
  LangChain pipeline's ingest of the same corpus (``--system baseline`` of the evals). The ingest
  corpus is ClapNQ's 597 passages (real text).
* **query** — p50/p95 latency of ``ask`` (extractive, the reader off) against the bare floor (embed
  the question and one Chroma top-k query, with the same embedder), at several index sizes; then
  ``ask`` with the reader on, whose extra time is the reader's cost, reported apart. The larger
  corpora are synthetic: articles made of real sentences (summit corpus and ClapNQ) drawn at
  random. To build them in minutes rather than hours, each pooled sentence is embedded once with
  the real model and a synthetic chunk's vector is the normalised mean of its sentences' vectors;
  queries are embedded for real.
* **memory** — peak RSS of the process that builds and queries each size.
* **cold start** — ``qa-bot ask`` in a fresh process on the bundled corpus, from process start to
  exit (median of 5; the models exported beforehand, as ``make install`` does), with the reader on
  and off, the child's CPU time, and where ``python -X importtime`` says the imports go.
* **backends** — per embedder backend (torch, onnx, onnx-int8): load time in a fresh process,
  chunks/s on the ingest texts, one-question embedding p50, and cosine to the torch vectors.

Writes eval/results/bench.json and eval/results/bench.md.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = next((p for p in (ROOT.parent / "shared", Path("/work/shared")) if p.exists()), ROOT.parent / "shared")
CLAP = SHARED / "eval-data" / "clapnq"
OUT = ROOT / "eval" / "results"
BACKENDS = ("torch", "onnx", "onnx-int8")
COLD_RUNS = 5


def percentile(values, p):
    ordered = sorted(values)
    return ordered[max(0, int(round(p / 100 * len(ordered))) - 1)]


def child_env(**extra) -> dict:
    """The environment of a measured child: this checkout first on the path, no user settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_BOT_")}
    return dict(env, PYTHONPATH=str(ROOT), **extra)


def embedder(backend: str):
    from qa_bot.config import Settings
    from qa_bot.embeddings import make_embedder
    from qa_bot.inference.choice import model_cache

    return make_embedder(backend=backend, cache_dir=model_cache(Settings()))


# ---------------------------------------------------------------- ingest


def chunk_texts(bot, article_ids: list[str]) -> list[str]:
    """The texts the embedder was given for these articles' chunks (title in front), in order."""
    from qa_bot.ingest.chunking import embedding_text

    texts = []
    for article_id in article_ids:
        rec = bot.article(article_id)
        for n, start, end in bot.store.registry.chunks(article_id):
            texts.append(embedding_text(rec.article.title, rec.article.text[start:end]))
    return texts


def bench_ingest(work: Path, slices: int = 3) -> dict:
    """The full ``add`` path against the raw torch encoder, interleaved: the corpus is added in ``slices``
    parts, and after each part the raw encoder embeds that part's chunk texts, so that a machine whose load
    drifts (other processes) weighs on both sides alike."""
    from qa_bot.bot import QABot
    from qa_bot.config import Settings
    from qa_bot.evaluation.systems import BaselineSystem, load_corpus

    articles = load_corpus(CLAP / "corpus.jsonl")
    parts = [articles[i::slices] for i in range(slices)]
    model = embedder("torch").warm_up()
    model.encode(["warm up"] * 8)
    batch = Settings().embed_batch_size
    full = {}
    for backend in ("onnx", "onnx-int8"):
        emb = embedder(backend)
        emb.embed(["warm up"] * 8)
        bot = QABot(Settings(data_dir=work / f"ingest-{backend}", embed_backend=backend), embedder=emb)
        bot.open()
        full_s = raw_s = full_cpu = raw_cpu = 0.0
        chunks = raw_chunks = 0
        for part in parts:
            t0, c0 = time.perf_counter(), time.process_time()
            chunks += bot.add_articles(part).chunks_written
            full_s, full_cpu = full_s + time.perf_counter() - t0, full_cpu + time.process_time() - c0
            texts = chunk_texts(bot, [a.id for a in part])
            t0, c0 = time.perf_counter(), time.process_time()
            model.encode(texts, batch_size=batch, normalize_embeddings=True)
            raw_s, raw_cpu = raw_s + time.perf_counter() - t0, raw_cpu + time.process_time() - c0
            raw_chunks += len(texts)
        bot.close()
        full[backend] = {"chunks": chunks, "s": full_s, "chunks_per_s": chunks / full_s, "raw_s": raw_s,
                         "raw_chunks_per_s": raw_chunks / raw_s, "efficiency": (chunks / full_s) / (raw_chunks / raw_s),
                         "cpu_s": full_cpu, "raw_cpu_s": raw_cpu,
                         "cpu_efficiency": (chunks / full_cpu) / (raw_chunks / raw_cpu)}
    baseline = BaselineSystem(Settings(data_dir=work / "ingest-baseline"), embedder("onnx"))
    t0 = time.perf_counter()
    baseline.prepare(articles)
    base_s = time.perf_counter() - t0
    base_chunks = baseline.store._collection.count()
    default = full["onnx"]
    return {
        "articles": len(articles), "chunks": default["chunks"], "slices": slices, "backends": full,
        "raw_chunks_per_s": statistics.mean(v["raw_chunks_per_s"] for v in full.values()),
        "full_chunks_per_s": default["chunks_per_s"], "pipeline_efficiency": default["efficiency"],
        "baseline_chunks": base_chunks, "baseline_s": base_s, "baseline_chunks_per_s": base_chunks / base_s,
        "articles_per_s": len(articles) / default["s"], "baseline_articles_per_s": len(articles) / base_s,
        "articles_per_s_vs_baseline": base_s / default["s"],
    }


# ---------------------------------------------------------------- synthetic indexes


class PooledEmbedder:
    """Real model for queries; pooled real-sentence vectors for synthetic chunks (see module doc)."""

    def __init__(self, real, sentence_vectors: dict[str, np.ndarray]):
        self.real = real
        self.name = real.name
        self.vectors = sentence_vectors
        self._counts: dict[str, int] = {}

    def embed(self, texts, batch_size=32):
        return self.real.embed(texts, batch_size)

    def embed_spans(self, texts, spans, batch_size=32):
        missing = sorted({text[s:e] for text, text_spans in zip(texts, spans) for s, e in text_spans
                          if text[s:e] not in self.vectors})
        if missing:  # a pooled sentence re-split differently inside its synthetic article: embed it once
            self.vectors.update(zip(missing, self.real.embed(missing, batch_size)))
        chunk_vecs, span_vecs = [], []
        for text, text_spans in zip(texts, spans):
            arr = np.asarray([self.vectors[text[s:e]] for s, e in text_spans], dtype=np.float32)
            mean = arr.mean(axis=0)
            chunk_vecs.append(mean / (np.linalg.norm(mean) or 1.0))
            span_vecs.append(arr)
        return np.asarray(chunk_vecs, dtype=np.float32), span_vecs

    def count_tokens(self, text):
        if text not in self._counts:
            if len(self._counts) > 200_000:
                self._counts.clear()
            self._counts[text] = self.real.count_tokens(text)
        return self._counts[text]


def sentence_pool(limit: int = 6000) -> list[str]:
    from qa_bot.evaluation.systems import load_corpus
    from qa_bot.text.sentences import sentence_spans

    pool = []
    for source in (ROOT / "corpus", CLAP / "corpus.jsonl"):
        for a in load_corpus(source):
            pool += [a.text[s:e] for s, e in sentence_spans(a.text) if 30 <= e - s <= 400]
    random.Random(7).shuffle(pool)
    return sorted(set(pool[:limit]), key=pool.index)


def build_synthetic(size: int, work: Path, real, reader: bool = False):
    """A QABot whose index holds about ``size`` chunks of synthetic articles (cached on disk)."""
    from datetime import date, timedelta

    from qa_bot.bot import QABot
    from qa_bot.config import Settings
    from qa_bot.ingest.article import make_article

    pool = sentence_pool()
    vectors_file = work / f"pool-vectors-{real.name}.npy"
    if vectors_file.exists():
        vecs = np.load(vectors_file)
    else:
        vecs = real.embed(pool, batch_size=64)
        np.save(vectors_file, vecs)
    pooled = PooledEmbedder(real, dict(zip(pool, vecs)))
    settings = Settings(data_dir=work / f"index-{size}", corpus_dir=work / "no-corpus", reader=reader)
    bot = QABot(settings, embedder=pooled)
    bot.open()
    have = bot.store.stats()["chunks"]
    rng = random.Random(size)
    outlets = ["Wire A", "Daily B", "Review C", "Courier D", "Monitor E"]
    i = len(bot.articles())
    batch = []
    while have < size:
        sentences = rng.sample(pool, rng.randint(8, 14))
        text = " ".join(sentences)
        art = make_article(text=text, source="synthetic", title=f"Synthetic report {i}", outlet=outlets[i % 5],
                           url=f"https://synthetic.example.com/{size}/{i}",
                           published=date(2026, 1, 1) + timedelta(days=i % 60))
        batch.append(art)
        i += 1
        if len(batch) >= 400:
            report = bot.add_articles(batch)
            have += report.chunks_written
            batch = []
            print(f"  size {size}: {have} chunks", file=sys.stderr, flush=True)
    if batch:
        bot.add_articles(batch)
    return bot


def timed_asks(bot, questions: list[str]) -> list[float]:
    for q in questions[:5]:  # warm caches
        bot.ask(q)
    out = []
    for q in questions:
        t = time.perf_counter()
        bot.ask(q)
        out.append((time.perf_counter() - t) * 1e3)
    return out


def bench_query(size: int, work: Path, questions: list[str]) -> dict:
    real = embedder("onnx")
    real.warm_up()
    reused = (work / f"index-{size}").exists()  # built by an earlier run: build time and RSS exclude building
    t0 = time.perf_counter()
    bot = build_synthetic(size, work, real)
    build_s = time.perf_counter() - t0
    index = bot.store.index
    timed_asks(bot, questions[:5])
    asks, floors = [], []
    for q in questions:
        t = time.perf_counter()
        vec = real.embed([q])[0]
        index.query(vec, 5)
        floors.append((time.perf_counter() - t) * 1e3)
        t = time.perf_counter()
        bot.ask(q)
        asks.append((time.perf_counter() - t) * 1e3)
    chunks = bot.store.stats()["chunks"]
    bot.close()
    with_reader = build_synthetic(size, work, real, reader=True)
    with_reader.load_models()
    read = timed_asks(with_reader, questions)
    with_reader.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "size": size, "chunks": chunks, "build_s": build_s, "index_reused": reused,
        "questions": len(questions), "embedder": real.name,
        "ask_p50_ms": statistics.median(asks), "ask_p95_ms": percentile(asks, 95),
        "floor_p50_ms": statistics.median(floors), "floor_p95_ms": percentile(floors, 95),
        "p50_ratio": statistics.median(asks) / statistics.median(floors),
        "p95_ratio": percentile(asks, 95) / percentile(floors, 95), "peak_rss_mb": peak,
        "ask_with_reader_p50_ms": statistics.median(read), "ask_with_reader_p95_ms": percentile(read, 95),
        "reader_p50_ms": statistics.median(read) - statistics.median(asks),
    }


# ---------------------------------------------------------------- cold start


def bundled_index(work: Path) -> dict:
    """The bundled corpus indexed with the default settings (once), and the ONNX models exported."""
    env = child_env(QA_BOT_DATA_DIR=str(work / "bundled"))
    for args in (["prepare"], ["ingest", "-q"]):
        subprocess.run([sys.executable, "-m", "qa_bot.cli", *args], env=env, check=True, capture_output=True)
    return env


def bench_cold_start(work: Path, question: str) -> dict:
    env = bundled_index(work)
    command = [sys.executable, "-m", "qa_bot.cli", "ask", question, "--json"]
    result = {}
    for label, extra in (("reader", {}), ("no_reader", {"QA_BOT_READER": "false"})):
        walls, cpus, stages = [], [], []
        for _ in range(COLD_RUNS):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            done = subprocess.run(command, env={**env, **extra}, capture_output=True, text=True, check=True)
            walls.append(time.perf_counter() - t0)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
            stages.append(json.loads(done.stdout)["timings_ms"])
        result[label] = {"median_s": statistics.median(walls), "runs_s": walls, "cpu_median_s": statistics.median(cpus),
                         "answer_ms_median": statistics.median(s["answer"] for s in stages),
                         "understand_ms_median": statistics.median(s["understand"] for s in stages)}
    result["imports"] = import_breakdown(command, env)
    return result


def import_breakdown(command: list[str], env: dict, top: int = 8) -> dict:
    """``python -X importtime`` of one cold ask: total import time and the heaviest top-level packages."""
    done = subprocess.run([command[0], "-X", "importtime", *command[1:]], env=env, capture_output=True, text=True)
    packages: dict[str, float] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line[len("import time:"):].split("|")
        if not name.startswith("  "):  # a top-level import (nested ones are indented)
            package = name.strip().split(".")[0]
            packages[package] = packages.get(package, 0.0) + int(cumulative) / 1e6
    heavy = ("torch", "transformers", "sentence_transformers")
    return {"total_s": sum(packages.values()),
            "top": sorted(packages.items(), key=lambda kv: -kv[1])[:top],
            "heavy_loaded": [p for p in heavy if p in packages]}


# ---------------------------------------------------------------- backends


LOAD = """
import sys, time, json
t0 = time.perf_counter()
from qa_bot.config import Settings
from qa_bot.embeddings import make_embedder
from qa_bot.inference.choice import model_cache
make_embedder(backend=sys.argv[1], cache_dir=model_cache(Settings())).warm_up()
print(json.dumps(time.perf_counter() - t0))
"""


def bench_backends(questions: list[str]) -> dict:
    from qa_bot.evaluation.systems import load_corpus

    texts = [a.text[:1000] for a in load_corpus(CLAP / "corpus.jsonl")][:300]
    out, reference = {}, None
    for backend in BACKENDS:
        loads = [json.loads(subprocess.run([sys.executable, "-c", LOAD, backend], env=child_env(), check=True,
                                           capture_output=True, text=True).stdout) for _ in range(3)]
        emb = embedder(backend)
        emb.embed(["warm up"] * 8)
        t0 = time.perf_counter()
        vectors = emb.embed(texts, batch_size=32)
        seconds = time.perf_counter() - t0
        one = []
        for q in questions[:40]:
            t = time.perf_counter()
            emb.embed([q])
            one.append((time.perf_counter() - t) * 1e3)
        reference = vectors if reference is None else reference
        cosine = np.sum(vectors * reference, axis=1)
        out[backend] = {"name": emb.name, "load_s": statistics.median(loads), "texts_per_s": len(texts) / seconds,
                        "query_p50_ms": statistics.median(one), "cosine_mean": float(cosine.mean()),
                        "cosine_min": float(cosine.min())}
    return out


def bench_evals(work: Path, which: str) -> dict:
    """Headline metrics of each ONNX backend on the gold sets, side by side (int8's opt-in rule)."""
    from qa_bot.config import Settings
    from qa_bot.evaluation import evaluate
    from qa_bot.evaluation.runner import HEADLINE

    sets = [("summit dev", ROOT / "eval" / "summit_gold.jsonl", None),
            ("summit test", ROOT / "eval" / "summit_test.jsonl", None)]
    if which == "all":
        sets.append(("ClapNQ", CLAP / "questions.jsonl", CLAP / "corpus.jsonl"))
    out = {}
    for label, dataset, corpus in sets:
        for backend in ("onnx", "onnx-int8"):
            settings = Settings(data_dir=work / f"eval-{backend}", embed_backend=backend)
            run = evaluate(dataset, corpus=corpus, settings=settings)
            out.setdefault(label, {})[backend] = {m: run.metrics.get(m) for m in HEADLINE}
    return out


# ---------------------------------------------------------------- report


def write_reports(result: dict) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "bench.json").write_text(json.dumps(result, indent=2))
    lines = ["# Benchmarks", "", f"Machine: {result['machine']}", f"Run: {result['when']}",
             f"Load average (1 min) at start and end: {result['load'][0]:.1f} / {result.get('load_end', 0):.1f}", "",
             "All figures are ratios or medians measured inside one run of `python eval/bench.py`. On a busy "
             "machine, absolute times are inflated; the ratios are taken against references measured in the same "
             "process, minutes apart.", ""]
    lines += headline_section(result)
    lines += ingest_section(result.get("ingest"))
    lines += query_section(result.get("query"))
    lines += cold_section(result.get("cold_start"))
    lines += backends_section(result.get("backends"))
    lines += evals_section(result.get("evals"))
    (OUT / "bench.md").write_text("\n".join(lines) + "\n")


def headline_section(result: dict) -> list[str]:
    """The issue's targets and where this run stands on each."""
    rows = []
    ing = result.get("ingest")
    if ing:
        rows += [f"| ingest / raw torch encoder, {b}{' (default)' if b == 'onnx' else ' (opt-in)'} | >= 1.5 | "
                 f"{v['efficiency']:.2f} (CPU-seconds: {v['cpu_efficiency']:.2f}) |" for b, v in ing["backends"].items()]
    rows += [f"| ask p50 / floor p50 at {q['chunks']:,} chunks (reader off) | <= 3 | {q['p50_ratio']:.2f} |"
             for q in result.get("query", [])]
    if result.get("cold_start"):
        c = result["cold_start"]
        rows += [f"| cold start, first `ask` answer, median s ({label}) | <= 2.5 (idle machine) | "
                 f"{c[key]['median_s']:.2f} (child CPU {c[key]['cpu_median_s']:.2f}) |"
                 for label, key in (("reader on", "reader"), ("reader off", "no_reader"))]
    rows += [f"| reader p50 ms at {q['chunks']:,} chunks | reported apart | {q['reader_p50_ms']:.0f} |"
             for q in result.get("query", [])]
    if not rows:
        return []
    return ["## Headline", "", "| measure | target | this run |", "|---|---|---|", *rows, ""]


def ingest_section(ing: dict | None) -> list[str]:
    if not ing:
        return []
    rows = [f"| full `add` path, {b} (raw torch encoder meanwhile: {v['raw_chunks_per_s']:.1f} chunks/s) | "
            f"{v['chunks_per_s']:.1f} chunks/s | **{v['efficiency']:.2f}** (CPU: {v['cpu_efficiency']:.2f}) |"
            for b, v in ing["backends"].items()]
    return ["## Ingest (ClapNQ corpus, real text)", "",
            f"{ing['chunks']} chunks ({ing['articles']} articles). Efficiency: full-path chunks/s over the raw torch "
            "encoder's (`SentenceTransformer.encode`) chunks/s on the same chunk texts and batch size. The corpus is "
            f"added in {ing.get('slices', 1)} parts and the raw encoder embeds each part's chunks right after it, so "
            "both sides see the same machine load. *CPU*: the same ratio in CPU-seconds of this process (both "
            "sides use every core), which another process's load disturbs less than wall time.", "",
            "| measure | value | efficiency |", "|---|---|---|",
            *rows,
            f"| textbook LangChain ingest (onnx embedder) | {ing['baseline_chunks_per_s']:.1f} chunks/s of "
            f"1,000-char chunks ({ing['baseline_chunks']} chunks) | |",
            f"| articles/s, qa-bot (onnx) vs baseline | {ing['articles_per_s']:.2f} vs "
            f"{ing['baseline_articles_per_s']:.2f} (ratio {ing['articles_per_s_vs_baseline']:.2f}) | |", ""]


def query_section(query: list | None) -> list[str]:
    if not query:
        return []
    lines = ["## Query latency (extractive `ask` vs bare floor: embed + one Chroma top-k query)", "",
             f"Embedder: {query[0]['embedder']} (onnx). `ask` without the reader for the ratio; the reader's cost is "
             "`ask` with it minus `ask` without it.", "",
             "| index size (chunks) | ask p50 ms | floor p50 ms | p50 ratio | ask p95 ms | floor p95 ms | p95 ratio "
             "| ask+reader p50 ms | reader p50 ms | peak RSS MB | build s |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for q in query:
        lines.append(f"| {q['chunks']:,} | {q['ask_p50_ms']:.1f} | {q['floor_p50_ms']:.1f} | **{q['p50_ratio']:.2f}** | "
                     f"{q['ask_p95_ms']:.1f} | {q['floor_p95_ms']:.1f} | {q['p95_ratio']:.2f} | "
                     f"{q['ask_with_reader_p50_ms']:.0f} | {q['reader_p50_ms']:.0f} | {q['peak_rss_mb']:.0f} | "
                     f"{'reused' if q.get('index_reused') else format(q['build_s'], '.0f')} |")
    lines.append("")
    if any(q.get("index_reused") for q in query):
        lines += ["An index marked *reused* was built by an earlier run in the same work folder; its peak RSS "
                  "is that of querying only. Delete the work folder for build times.", ""]
    return lines


def cold_section(c: dict | None) -> list[str]:
    if not c:
        return []
    imports = c["imports"]
    top = ", ".join(f"{name} {seconds:.2f}" for name, seconds in imports["top"])
    rows = [f"| {label} | **{v['median_s']:.2f}** | {v['cpu_median_s']:.2f} | {v['understand_ms_median']:.0f} | "
            f"{v['answer_ms_median']:.0f} | {', '.join(f'{s:.2f}' for s in v['runs_s'])} |"
            for label, v in (("reader on (default)", c["reader"]), ("reader off", c["no_reader"]))]
    return ["## Cold start", "",
            f"`qa-bot ask QUESTION --json` on the bundled corpus, a fresh process each time, from process start to "
            f"exit ({COLD_RUNS} runs; the ONNX models exported beforehand, as `make install` does). "
            "*understand* includes loading the embedder; *answer* includes loading and running the reader.", "",
            "| | median s | child CPU s (median) | understand ms | answer ms | runs s |", "|---|---|---|---|---|---|",
            *rows, "",
            f"`python -X importtime`: {imports['total_s']:.2f} s of imports; heaviest top-level packages (s): {top}. "
            f"torch, transformers, sentence-transformers imported: {', '.join(imports['heavy_loaded']) or 'none'}.", ""]


def backends_section(b: dict | None) -> list[str]:
    if not b:
        return []
    rows = [f"| {k} | {v['name']} | {v['load_s']:.2f} | {v['texts_per_s']:.1f} | {v['query_p50_ms']:.1f} | "
            f"{v['cosine_mean']:.4f} / {v['cosine_min']:.4f} |" for k, v in b.items()]
    return ["## Embedder backends", "",
            "Load: a fresh process from start to a loaded model (imports included; median of 3). Throughput: "
            "300 ClapNQ passages (up to 1,000 characters), batch 32, vectors only. Cosine: to the torch vectors "
            "(mean / min).", "",
            "| backend | vector space | load s | texts/s | one question ms (p50) | cosine to torch |",
            "|---|---|---|---|---|---|", *rows, ""]


def evals_section(evals: dict | None) -> list[str]:
    if not evals:
        return ["## Backends' eval metrics", "",
                "Not run here (`python eval/bench.py --evals summit|all`). int8 stays opt-in until every headline "
                "metric is within 1 point of fp32 on summit dev, summit test and ClapNQ.", ""]
    from qa_bot.evaluation.runner import LOWER_IS_BETTER

    lines = ["## Backends' eval metrics (headline metrics, onnx fp32 vs onnx-int8, reader on)", "",
             "*points*: int8 minus fp32, in points (hundredths); *worse* marks int8 worse by more than 1 point.", ""]
    worse = []
    for label, runs in evals.items():
        lines += [f"### {label}", "", "| metric | onnx | onnx-int8 | points | |", "|---|---|---|---|---|"]
        for metric, fp32 in runs["onnx"].items():
            int8 = runs["onnx-int8"].get(metric)
            if metric.startswith("latency") or not all(isinstance(v, (int, float)) and not math.isnan(v)
                                                       for v in (fp32, int8)):
                continue
            points = (int8 - fp32) * 100
            loss = points if metric in LOWER_IS_BETTER else -points
            if loss > 1.0:
                worse.append(f"{metric} on {label} ({points:+.1f})")
            lines.append(f"| {metric} | {fp32:.3f} | {int8:.3f} | {points:+.1f} | {'worse' if loss > 1.0 else ''} |")
        lines.append("")
    lines += [f"Sets compared: {', '.join(evals)}. int8 worse than fp32 by more than 1 point: "
              f"**{'; '.join(worse) if worse else 'nowhere'}**.", ""]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--work", type=Path, default=Path("/tmp/qa-bot-bench"))
    parser.add_argument("--worker", choices=["ingest", "query", "backends", "evals"], help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--evals", choices=["summit", "all"], help="also run the backends' eval metrics")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    questions = [json.loads(l)["question"] for l in (ROOT / "eval" / "summit_gold.jsonl").read_text().splitlines() if l]
    if args.worker:
        import shutil

        if args.worker == "ingest":
            for d in ("ingest-onnx", "ingest-onnx-int8", "ingest-baseline"):
                shutil.rmtree(args.work / d, ignore_errors=True)
        work = {"ingest": lambda: bench_ingest(args.work), "query": lambda: bench_query(args.size, args.work, questions),
                "backends": lambda: bench_backends(questions), "evals": lambda: bench_evals(args.work, args.evals)}
        print(json.dumps(work[args.worker]()))
        return
    result = {"machine": f"{platform.node()} · {os.cpu_count()} cores · {platform.processor() or platform.machine()} · "
                         f"Python {platform.python_version()}",
              "when": time.strftime("%Y-%m-%d %H:%M:%S"), "load": os.getloadavg(), "query": []}

    def worker(*extra):
        done = subprocess.run([sys.executable, __file__, "--work", str(args.work), *extra], stdout=subprocess.PIPE,
                              text=True, check=True, env=child_env(OMP_WAIT_POLICY="PASSIVE"))
        return json.loads(done.stdout.strip().splitlines()[-1])

    print("cold start…", flush=True)
    result["cold_start"] = bench_cold_start(args.work, questions[0])
    if not args.skip_ingest:
        print("ingest…", flush=True)
        result["ingest"] = worker("--worker", "ingest")
    print("backends…", flush=True)
    result["backends"] = worker("--worker", "backends")
    write_reports(result)
    for size in [int(s) for s in args.sizes.split(",") if s]:
        print(f"query at {size} chunks…", flush=True)
        result["query"].append(worker("--worker", "query", "--size", str(size)))
        write_reports(result)
    if args.evals:
        print("evals…", flush=True)
        result["evals"] = worker("--worker", "evals", "--evals", args.evals)
    result["load_end"] = os.getloadavg()[0]
    write_reports(result)
    print((OUT / "bench.md").read_text())


if __name__ == "__main__":
    main()
