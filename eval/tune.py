"""Choose the extractive answerer's weights and abstention threshold on dev data only.

    python eval/tune.py                       # summit dev + ClapNQ half A, prints the best settings
    python eval/tune.py --clapnq-limit 200    # faster

Dev data: eval/summit_gold.jsonl (the summit dev split) and half A of ClapNQ (questions whose
id's SHA-256 starts with an even hex digit). The summit test split is never read here.
Retrieval runs once per question; each parameter set then re-runs only the answerer and the
metrics, so a grid of hundreds of settings takes minutes. The chosen values go, by hand, into
qa_bot/data/answering.toml.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qa_bot.params import AnswerParams, load_params  # noqa: E402
from qa_bot.understanding.condense import condense  # noqa: E402
from qa_bot.config import Settings  # noqa: E402
from qa_bot.embeddings import SentenceTransformerEmbedder  # noqa: E402
from qa_bot.evaluation import metrics as M  # noqa: E402
from qa_bot.evaluation.dataset import load_gold  # noqa: E402
from qa_bot.evaluation.runner import aggregate, QuestionRecord, score_answer  # noqa: E402
from qa_bot.evaluation.systems import QABotSystem, load_corpus  # noqa: E402
from qa_bot.understanding.analysis import analyse  # noqa: E402

SHARED = next((p for p in (ROOT.parent / "shared", Path("/work/shared")) if p.exists()), ROOT.parent / "shared")
CLAPNQ = SHARED / "eval-data" / "clapnq"


def half_a(item_id: str) -> bool:
    return int(hashlib.sha256(item_id.encode()).hexdigest()[0], 16) % 2 == 0


class Prepared:
    """Retrieval done once per question; the answerer re-run per parameter set."""

    def __init__(self, name, items, corpus, settings, embedder, pool):
        self.name = name
        system = QABotSystem(settings, embedder)
        articles = load_corpus(corpus)
        system.prepare(articles)
        self.bot = system.bot
        self.texts = {a.id: a.text for a in articles}
        self.items = items
        store = self.bot.store
        self.cache = []
        for item in items:
            turn = condense(item.question, list(item.history), store.outlets())
            analysis = analyse(turn.question, store.outlets(), default_year=store.typical_year())
            vector = embedder.embed([turn.question])[0]
            hits = self.bot.retriever.search(turn.question, pool, analysis=analysis, query_vector=vector)
            spans = [M.locate(e.article_id, e.quote, self.texts.get(e.article_id)) for e in item.evidence]
            self.cache.append((item, turn, analysis, vector, hits, store.sentence_index(hits), spans,
                               store.term_statistics(analysis.topic_terms)))

    def run(self, params: AnswerParams, k: int = 5) -> dict:
        answerer = self.bot.answerer
        answerer.params = params
        records = []
        for item, turn, analysis, vector, hits, index, spans, stats in self.cache:
            ans = answerer.answer(turn.question, hits[: max(k, params.rerank_pool)], k=k, analysis=analysis,
                                  query_vector=vector, sentence_index=index, carried_terms=turn.carried_terms,
                                  corpus_stats=stats)
            scores, correct, passed = score_answer(item, ans, spans, k, None)
            records.append(QuestionRecord(item.id, item.type, item.question, list(item.answers), item.answerable,
                                          ans.text, ans.abstained, [], [], scores, passed, 0.0))
        return aggregate(records)


def objective(m: dict) -> float:
    def v(key):
        x = m.get(key)
        return 0.0 if x is None or x != x else x
    return (v("answer_recall") + v("citation_precision") + v("evidence_recall_at_5") + v("right_speaker")
            + 2 * v("abstention_balanced_accuracy") + v("pass_rate"))


def labelled_features(sets, params: AnswerParams):
    """Features of every candidate sentence in every dev question's pool, with 0/1 labels.

    A sentence is positive when it overlaps an evidence quote (half of either) or contains a short
    reference answer; every sentence of an unanswerable question is negative.
    """
    import numpy as np

    from qa_bot.answering.extractive import candidates

    rows, labels, groups, names = [], [], [], None
    for s in sets:
        answerer = s.bot.answerer
        answerer.params = params
        for qi, (item, turn, analysis, vector, hits, index, spans, stats) in enumerate(s.cache):
            cands = candidates(hits[: params.rerank_pool], index)
            if not cands:
                continue
            feats = answerer.features(analysis, cands, vector, turn.carried_terms, stats)
            names = names or list(feats)
            short = [r for r in item.answers if M.is_short(r)]
            for i, c in enumerate(cands):
                positive = False
                if item.answerable:
                    for sp in spans:
                        if sp.located and sp.article_id == c.hit.passage.article_id:
                            ov = M.overlap(c.start, c.end, sp.start, sp.end)
                            if ov * 2 >= (c.end - c.start) or ov * 2 >= (sp.end - sp.start):
                                positive = True
                    positive = positive or M.contains_answer(c.text, short)
                rows.append([feats[n][i] for n in names])
                labels.append(int(positive))
                groups.append(f"{s.name}:{qi}")
    return np.array(rows), np.array(labels), np.array(groups), names


def fit_abstention(sets, params: AnswerParams, C: float = 1.0) -> AnswerParams:
    """Fit the question-level answer/abstain model on dev questions (datasets weighted equally)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from qa_bot.answering.extractive import candidates

    rows, labels, weights, names = [], [], [], None
    for s in sets:
        answerer = s.bot.answerer
        answerer.params = params
        for item, turn, analysis, vector, hits, index, spans, stats in s.cache:
            cands = candidates(hits[: params.rerank_pool], index)
            if not cands:
                continue
            feats = answerer.features(analysis, cands, vector, turn.carried_terms, stats)
            q = answerer.question_features(feats, answerer.combine(feats))
            names = names or list(q)
            rows.append([q[n] for n in names])
            labels.append(int(item.answerable))
            weights.append(1.0 / len(s.cache))
    X, y, w = np.array(rows), np.array(labels), np.array(weights) * len(rows) / len(sets)
    model = LogisticRegression(C=C, max_iter=2000).fit(X, y, sample_weight=w)
    out = {"intercept": float(model.intercept_[0])}
    out.update({n: float(v) for n, v in zip(names, model.coef_[0])})
    print("[extractive.abstain]")
    for k, v in out.items():
        print(f"{k} = {v:.4f}")
    return replace(params, abstain=out)


def fit(sets, params: AnswerParams, C: float = 1.0) -> AnswerParams:
    """Fit the sentence model (logistic regression) on dev candidates; report grouped 5-fold CV first."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold

    X, y, g, names = labelled_features(sets, params)
    sizes = {name: sum(1 for q in set(g) if q.startswith(name + ":")) for name in {q.split(":")[0] for q in g}}
    sw = np.array([1.0 / sizes[q.split(":")[0]] for q in g])
    sw *= len(sw) / sw.sum()
    print(f"{len(y)} candidate sentences, {y.sum()} positive, {len(set(g))} questions")
    top1 = []
    for train, test in GroupKFold(n_splits=5).split(X, y, g):
        model = LogisticRegression(C=C, max_iter=2000).fit(X[train], y[train], sample_weight=sw[train])
        prob = model.predict_proba(X[test])[:, 1]
        for q in set(g[test]):
            idx = np.where(g[test] == q)[0]
            if y[test][idx].any():
                top1.append(y[test][idx][np.argmax(prob[idx])])
    print(f"grouped 5-fold CV: top-ranked sentence is a positive for {np.mean(top1):.3f} of answerable questions")
    model = LogisticRegression(C=C, max_iter=2000).fit(X, y, sample_weight=sw)
    weights = {"intercept": float(model.intercept_[0])}
    weights.update({n: float(w) for n, w in zip(names, model.coef_[0])})
    print("[extractive.model]")
    for k, v in weights.items():
        print(f"{k} = {v:.4f}")
    return replace(params, model=weights)


def total(sets, params) -> tuple[float, dict]:
    metrics = {s.name: s.run(params) for s in sets}
    return sum(objective(m) for m in metrics.values()), metrics


def ascend(sets, params: AnswerParams, space: dict, rounds: int = 2) -> AnswerParams:
    """Coordinate ascent: try each candidate value of each parameter, keep what improves the objective."""
    best, metrics = total(sets, params)
    print(f"start {best:.3f}")
    for r in range(rounds):
        improved = False
        for name, values in space.items():
            for value in values:
                trial = replace(params, **{name: value})
                score, m = total(sets, trial)
                if score > best + 1e-6:
                    best, params, metrics, improved = score, trial, m, True
                    print(f"round {r} {name}={value} -> {best:.3f}")
        if not improved:
            break
    print("best", {k: getattr(params, k) for k in space})
    for name, m in metrics.items():
        print(name, {k: round(v, 3) for k, v in m.items() if isinstance(v, float)})
    return params


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clapnq-limit", type=int, default=0, help="only the first N half-A ClapNQ questions")
    parser.add_argument("--summit-only", action="store_true", help="skip ClapNQ (quick iterations)")
    parser.add_argument("--ascend", type=str, default="",
                        help="JSON {param: [candidate values]}: coordinate ascent from the current values")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--fit", action="store_true", help="fit the sentence model, then scan thresholds")
    parser.add_argument("--C", type=float, default=1.0, help="inverse L2 strength of the fit")
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/qa-bot-tune"))
    parser.add_argument("--grid", type=str, default="", help="JSON: {param: [values]} to search")
    args = parser.parse_args()
    settings = Settings(data_dir=args.data_dir)
    embedder = SentenceTransformerEmbedder(settings.embed_model)
    base = load_params().answer
    pool = 30
    sets = [Prepared("summit-dev", load_gold(ROOT / "eval" / "summit_gold.jsonl"), settings.corpus_dir, settings,
                     embedder, pool)]
    if not args.summit_only:
        clap = [i for i in load_gold(CLAPNQ / "questions.jsonl") if half_a(i.id)]
        if args.clapnq_limit:
            clap = clap[: args.clapnq_limit]
        sets.append(Prepared("clapnq-A", clap, CLAPNQ / "corpus.jsonl", settings, embedder, pool))
    if args.fit:
        params = fit_abstention(sets, fit(sets, base, C=args.C), C=args.C)
        grid = json.loads(args.grid) if args.grid else {"support_threshold": [0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6]}
        base = params
    elif args.ascend:
        ascend(sets, base, json.loads(args.ascend), rounds=args.rounds)
        return
    else:
        grid = json.loads(args.grid) if args.grid else {"support_threshold": [0.40, 0.45, 0.50, 0.55]}
    keys = list(grid)
    results = []
    for values in itertools.product(*(grid[k] for k in keys)):
        params = replace(base, **dict(zip(keys, values)))
        metrics = {s.name: s.run(params) for s in sets}
        score = sum(objective(m) for m in metrics.values())
        results.append((score, dict(zip(keys, values)), metrics))
    results.sort(key=lambda r: -r[0])
    cols = ["evidence_recall_at_5", "document_recall_at_1", "answer_recall", "citation_precision",
            "abstention_accuracy", "false_abstention_rate", "abstention_balanced_accuracy", "right_speaker", "pass_rate"]
    print("score  params  | " + " | ".join(f"{s.name}: " + " ".join(c[:8] for c in cols) for s in sets))
    for score, params, metrics in results[:15]:
        row = " | ".join(" ".join(f"{(metrics[s.name].get(c) or 0):.3f}" for c in cols) for s in sets)
        print(f"{score:.3f} {params} | {row}")


if __name__ == "__main__":
    main()
