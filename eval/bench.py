"""Speed and memory benchmarks, reported as ratios measured inside one run (the machines are noisy).

    python eval/bench.py                      # sizes 1k, 10k, 100k chunks (about 20 minutes)
    python eval/bench.py --sizes 1000,10000   # quicker

* **ingest** — chunks/s of the full ``add`` path (chunking, embedding with sentence vectors,
  registry, BM25 index, Chroma) against the raw encoder alone (``SentenceTransformer.encode`` on
  the very same chunk texts, same batch size): the pipeline-efficiency ratio. Also against the
  textbook LangChain pipeline's ingest of the same corpus (``--system baseline`` of the evals).
  The ingest corpus is ClapNQ's 597 passages (real text).
* **query** — p50/p95 latency of ``ask`` (extractive) against the bare floor (embed the question
  and one Chroma top-k query), at several index sizes. The larger corpora are synthetic: articles
  made of real sentences (summit corpus and ClapNQ) drawn at random. To build them in minutes
  rather than hours, each pooled sentence is embedded once with the real model and a synthetic
  chunk's vector is the normalised mean of its sentences' vectors; queries are embedded for real.
* **memory** — peak RSS of the process that builds and queries each size.
* **cold start** — a fresh process, from interpreter start to the first answer, on the 1k index.

Writes eval/results/bench.json and eval/results/bench.md.
"""

from __future__ import annotations

import argparse
import json
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


def percentile(values, p):
    ordered = sorted(values)
    return ordered[max(0, int(round(p / 100 * len(ordered))) - 1)]


# ---------------------------------------------------------------- ingest


def bench_ingest(work: Path) -> dict:
    from qa_bot.bot import QABot
    from qa_bot.ingest.chunking import embedding_text
    from qa_bot.config import Settings
    from qa_bot.embeddings import SentenceTransformerEmbedder
    from qa_bot.evaluation.systems import BaselineSystem, load_corpus

    articles = load_corpus(CLAP / "corpus.jsonl")
    embedder = SentenceTransformerEmbedder()
    model = embedder.warm_up()
    settings = Settings(data_dir=work / "ingest-qa-bot")
    bot = QABot(settings, embedder=embedder)
    bot.open()
    model.encode(["warm up"] * 8)
    t0 = time.perf_counter()
    report = bot.add_articles(articles)
    full_s = time.perf_counter() - t0
    chunks = report.chunks_written
    texts = []
    for rec in bot.articles():
        for n, start, end in bot.store.registry.chunks(rec.id):
            texts.append(embedding_text(rec.article.title, rec.article.text[start:end]))
    t0 = time.perf_counter()
    model.encode(texts, batch_size=settings.embed_batch_size, normalize_embeddings=True)
    raw_s = time.perf_counter() - t0
    baseline = BaselineSystem(Settings(data_dir=work / "ingest-baseline"), embedder)
    t0 = time.perf_counter()
    baseline.prepare(articles)
    base_s = time.perf_counter() - t0
    base_chunks = baseline.store._collection.count()
    return {
        "articles": len(articles), "chunks": chunks, "full_add_s": full_s, "raw_encode_s": raw_s,
        "full_chunks_per_s": chunks / full_s, "raw_chunks_per_s": len(texts) / raw_s,
        "pipeline_efficiency": (chunks / full_s) / (len(texts) / raw_s),
        "baseline_chunks": base_chunks, "baseline_s": base_s, "baseline_chunks_per_s": base_chunks / base_s,
        "articles_per_s": len(articles) / full_s, "baseline_articles_per_s": len(articles) / base_s,
        "articles_per_s_vs_baseline": (len(articles) / full_s) / (len(articles) / base_s),
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


def build_synthetic(size: int, work: Path, embedder) -> tuple:
    """A QABot whose index holds about ``size`` chunks of synthetic articles (cached on disk)."""
    from datetime import date, timedelta

    from qa_bot.bot import QABot
    from qa_bot.config import Settings
    from qa_bot.ingest.article import make_article

    pool = sentence_pool()
    vectors_file = work / "pool-vectors.npy"
    if vectors_file.exists():
        vecs = np.load(vectors_file)
    else:
        vecs = embedder.embed(pool, batch_size=64)
        np.save(vectors_file, vecs)
    pooled = PooledEmbedder(embedder, dict(zip(pool, vecs)))
    settings = Settings(data_dir=work / f"index-{size}", corpus_dir=work / "no-corpus")
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
            print(f"  size {size}: {have} chunks", flush=True)
    if batch:
        bot.add_articles(batch)
    return bot


def bench_query(size: int, work: Path, questions: list[str]) -> dict:
    from qa_bot.embeddings import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder()
    embedder.warm_up()
    reused = (work / f"index-{size}").exists()  # built by an earlier run: build time and RSS exclude building
    t0 = time.perf_counter()
    bot = build_synthetic(size, work, embedder)
    build_s = time.perf_counter() - t0
    index = bot.store.index
    for q in questions[:5]:  # warm caches
        bot.ask(q)
    asks, floors = [], []
    for q in questions:
        t = time.perf_counter()
        vec = embedder.embed([q])[0]
        index.query(vec, 5)
        floors.append((time.perf_counter() - t) * 1e3)
        t = time.perf_counter()
        bot.ask(q)
        asks.append((time.perf_counter() - t) * 1e3)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "size": size, "chunks": bot.store.stats()["chunks"], "build_s": build_s, "index_reused": reused,
        "questions": len(questions),
        "ask_p50_ms": statistics.median(asks), "ask_p95_ms": percentile(asks, 95),
        "floor_p50_ms": statistics.median(floors), "floor_p95_ms": percentile(floors, 95),
        "p50_ratio": statistics.median(asks) / statistics.median(floors),
        "p95_ratio": percentile(asks, 95) / percentile(floors, 95), "peak_rss_mb": peak,
    }


def bench_cold_start(work: Path, question: str) -> dict:
    code = ("import time, sys; t0 = float(sys.argv[1]);"
            "from pathlib import Path; from qa_bot.bot import QABot; from qa_bot.config import Settings;"
            f"b = QABot(Settings(data_dir=Path({str(work / 'index-1000')!r}), corpus_dir=Path('/nonexistent')));"
            f"b.open(); a = b.ask({question!r}); print(time.time() - t0)")
    walls = []
    for _ in range(3):
        t0 = time.time()
        out = subprocess.run([sys.executable, "-c", code, str(t0)], capture_output=True, text=True, check=True,
                             env=dict(os.environ, PYTHONPATH=str(ROOT)))
        walls.append(float(out.stdout.strip().splitlines()[-1]))
    return {"cold_start_s_median": statistics.median(walls), "runs": walls}


def write_reports(result: dict) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "bench.json").write_text(json.dumps(result, indent=2))
    ing = result.get("ingest", {})
    lines = ["# Benchmarks", "", f"Machine: {result['machine']}", f"Run: {result['when']}", "",
             "All figures are ratios or medians measured inside one run of `python eval/bench.py`.", ""]
    if ing:
        lines += ["## Ingest (ClapNQ corpus, real text)", "",
                  "| measure | value |", "|---|---|",
                  f"| chunks embedded | {ing['chunks']} ({ing['articles']} articles) |",
                  f"| full `add` path | {ing['full_chunks_per_s']:.1f} chunks/s |",
                  f"| raw encoder, same chunk texts and batch size | {ing['raw_chunks_per_s']:.1f} chunks/s |",
                  f"| **pipeline efficiency** (full / raw) | **{ing['pipeline_efficiency']:.2f}** |",
                  f"| textbook LangChain ingest | {ing['baseline_chunks_per_s']:.1f} chunks/s of 1,000-char chunks "
                  f"({ing['baseline_chunks']} chunks) |",
                  f"| articles/s, qa-bot vs baseline | {ing['articles_per_s']:.2f} vs {ing['baseline_articles_per_s']:.2f} "
                  f"(ratio {ing['articles_per_s_vs_baseline']:.2f}) |", ""]
    if result.get("query"):
        lines += ["## Query latency (extractive `ask` vs bare floor: embed + one Chroma top-k query)", "",
                  "| index size (chunks) | ask p50 ms | floor p50 ms | p50 ratio | ask p95 ms | floor p95 ms | p95 ratio | peak RSS MB | build s |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for q in result["query"]:
            lines.append(f"| {q['chunks']:,} | {q['ask_p50_ms']:.1f} | {q['floor_p50_ms']:.1f} | **{q['p50_ratio']:.2f}** | "
                         f"{q['ask_p95_ms']:.1f} | {q['floor_p95_ms']:.1f} | {q['p95_ratio']:.2f} | {q['peak_rss_mb']:.0f} | "
                         f"{'reused' if q.get('index_reused') else format(q['build_s'], '.0f')} |")
        lines.append("")
        if any(q.get("index_reused") for q in result["query"]):
            lines += ["An index marked *reused* was built by an earlier run in the same work folder; its peak RSS "
                      "is that of querying only. Delete the work folder for build times.", ""]
    if result.get("cold_start"):
        c = result["cold_start"]
        lines += ["## Cold start", "", f"Process start to first answer (1k index, model load included): "
                  f"median {c['cold_start_s_median']:.1f} s over {len(c['runs'])} runs.", ""]
    (OUT / "bench.md").write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--work", type=Path, default=Path("/tmp/qa-bot-bench"))
    parser.add_argument("--worker", choices=["ingest", "query"], help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--skip-ingest", action="store_true")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    questions = [json.loads(l)["question"] for l in (ROOT / "eval" / "summit_gold.jsonl").read_text().splitlines() if l]
    if args.worker == "ingest":
        import shutil

        for d in ("ingest-qa-bot", "ingest-baseline"):
            shutil.rmtree(args.work / d, ignore_errors=True)
        print(json.dumps(bench_ingest(args.work)))
        return
    if args.worker == "query":
        print(json.dumps(bench_query(args.size, args.work, questions)))
        return
    result = {"machine": f"{platform.node()} · {os.cpu_count()} cores · {platform.processor() or platform.machine()} · "
                         f"Python {platform.python_version()}",
              "when": time.strftime("%Y-%m-%d %H:%M:%S"), "query": []}

    def worker(*extra):
        done = subprocess.run([sys.executable, __file__, "--work", str(args.work), *extra], capture_output=True,
                              text=True, check=True)
        return json.loads(done.stdout.strip().splitlines()[-1])

    if not args.skip_ingest:
        print("ingest…", flush=True)
        result["ingest"] = worker("--worker", "ingest")
    for size in [int(s) for s in args.sizes.split(",") if s]:
        print(f"query at {size} chunks…", flush=True)
        result["query"].append(worker("--worker", "query", "--size", str(size)))
        write_reports(result)
    if (args.work / "index-1000").exists():
        result["cold_start"] = bench_cold_start(args.work, questions[0])
    write_reports(result)
    print((OUT / "bench.md").read_text())


if __name__ == "__main__":
    main()
