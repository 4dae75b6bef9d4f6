"""Choose the extractive answerer's weights and abstention threshold on dev data only.

    python eval/tune.py                       # summit dev + ClapNQ half A, prints the best settings
    python eval/tune.py --clapnq-limit 200    # faster
    python eval/tune.py --evaluate --summit-only   # the current parameters' metrics, no search

Dev data: eval/summit_gold.jsonl (the summit dev split) and half A of ClapNQ (questions whose
id's SHA-256 starts with an even hex digit). The summit test split is never read here.
Each question goes once through the bot's own understanding and retrieval steps
(``QABot.prepare_question``, the first half of ``ask``); each parameter set then re-runs only the
answerer on those prepared inputs (``ExtractiveAnswerer.answer_prepared``, the second half) and
the metrics, so a grid of hundreds of settings takes minutes and always scores what ``ask``
would answer. The chosen values go, by hand, into qa_bot/data/answering.toml.
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

from qa_bot.answering import ExtractiveAnswerer, PreparedQuestion  # noqa: E402
from qa_bot.answering.features import question_features  # noqa: E402
from qa_bot.config import Settings  # noqa: E402
from qa_bot.inference.choice import embedder_for  # noqa: E402
from qa_bot.evaluation import metrics as M  # noqa: E402
from qa_bot.evaluation.dataset import GoldItem, load_gold  # noqa: E402
from qa_bot.evaluation.runner import aggregate, QuestionRecord, score_answer  # noqa: E402
from qa_bot.evaluation.systems import QABotSystem, load_corpus  # noqa: E402
from qa_bot.params import AnswerParams  # noqa: E402

SHARED = next((p for p in (ROOT.parent / "shared", Path("/work/shared")) if p.exists()), ROOT.parent / "shared")
CLAPNQ = SHARED / "eval-data" / "clapnq"


def half_a(item_id: str) -> bool:
    """True for the ClapNQ questions tuning may read (half A: the id's SHA-256 starts with an even hex digit)."""
    return int(hashlib.sha256(item_id.encode()).hexdigest()[0], 16) % 2 == 0


class Prepared:
    """One dev set on the bot the eval would build: understanding and retrieval done once per question.

    The prepared inputs depend on the parameters only through the size of the pool the answerer
    re-ranks, so they are kept per pool size; every other parameter re-runs only the answerer.

    Args:
        name: the set's name in the printed results.
        items: its gold questions.
        corpus: the folder or JSONL file of its articles.
        settings: as for ``qa-bot eval`` (an index of its own under ``data_dir/eval-indexes``).
        embedder: the embedding model, shared by all sets.
    """

    def __init__(self, name: str, items: list[GoldItem], corpus: Path, settings: Settings, embedder) -> None:
        self.name = name
        system = QABotSystem(settings, embedder)
        articles = load_corpus(corpus)
        system.prepare(articles)
        self.bot = system.bot
        self.params = self.bot.answerer.params  # the pipeline's own, settings' overrides included
        # The pipeline's reader, its scores remembered: every parameter set re-reads the same pairs.
        self.reader = _MemoReader(self.bot.answerer.reader) if self.bot.answerer.reader else None
        texts = {a.id: a.text for a in articles}
        self.items = items
        self.spans = [[M.locate(e.article_id, e.quote, texts.get(e.article_id)) for e in item.evidence]
                      for item in items]
        self._by_pool: dict[int, list[PreparedQuestion]] = {}

    def questions(self, params: AnswerParams) -> list[PreparedQuestion]:
        """Each question's prepared inputs under ``params``, and the bot's answerer switched to ``params``."""
        self.bot.answerer = ExtractiveAnswerer(self.bot.embedder, params, reader=self.reader)
        if params.rerank_pool not in self._by_pool:
            self._by_pool[params.rerank_pool] = [self.bot.prepare_question(item.question, history=list(item.history))
                                                 for item in self.items]
        return self._by_pool[params.rerank_pool]

    def run(self, params: AnswerParams) -> dict:
        """The eval's aggregate metrics with ``params`` (semantic similarity and latency not measured)."""
        records = []
        for item, spans, prepared in zip(self.items, self.spans, self.questions(params)):
            ans = self.bot.answerer.answer_prepared(prepared)
            scores, correct, passed = score_answer(item, ans, spans, prepared.k, None)
            records.append(QuestionRecord(item.id, item.type, item.question, list(item.answers), item.answerable,
                                          ans.text, ans.abstained, [], [], scores, passed, 0.0))
        return aggregate(records)


class _MemoReader:
    """A reader that scores each (question, candidate) pair once, however many parameter sets re-read it."""

    def __init__(self, reader) -> None:
        self.reader, self.memo = reader, {}

    def score(self, question, candidates):
        """The wrapped reader's probabilities, computed only for pairs not seen before."""
        import numpy as np

        todo = [c for c in candidates if (question, c) not in self.memo]
        if todo:
            for c, p in zip(todo, self.reader.score(question, todo)):
                self.memo[(question, c)] = float(p)
        return np.array([self.memo[(question, c)] for c in candidates])


def objective(m: dict) -> float:
    """The score a parameter set is chosen by: the headline quality metrics, abstention counted twice."""
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

    rows, labels, groups, names = [], [], [], None
    for s in sets:
        for qi, (item, spans, prepared) in enumerate(zip(s.items, s.spans, s.questions(params))):
            cands, feats = s.bot.answerer.candidate_features(prepared)
            if not cands:
                continue
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

    rows, labels, weights, names = [], [], [], None
    for s in sets:
        for item, prepared in zip(s.items, s.questions(params)):
            cands, feats = s.bot.answerer.candidate_features(prepared)
            if not cands:
                continue
            q = question_features(feats, s.bot.answerer.combine(feats))
            names = names or list(q)
            rows.append([q[n] for n in names])
            labels.append(int(item.answerable))
            weights.append(1.0 / len(s.items))
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
    """The summed objective over the sets, and each set's metrics."""
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
    """Parse the command line, prepare the dev sets, then evaluate, fit, ascend or search a grid."""
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
    parser.add_argument("--evaluate", action="store_true",
                        help="only print each set's metrics with the current parameters (as qa-bot eval would)")
    args = parser.parse_args()
    settings = Settings(data_dir=args.data_dir)
    embedder = embedder_for(settings, follow_index=False)
    sets = [Prepared("summit-dev", load_gold(ROOT / "eval" / "summit_gold.jsonl"), settings.corpus_dir, settings,
                     embedder)]
    if not args.summit_only:
        clap = [i for i in load_gold(CLAPNQ / "questions.jsonl") if half_a(i.id)]
        if args.clapnq_limit:
            clap = clap[: args.clapnq_limit]
        sets.append(Prepared("clapnq-A", clap, CLAPNQ / "corpus.jsonl", settings, embedder))
    base = sets[0].params
    if args.evaluate:
        for s in sets:
            print(s.name, json.dumps({k: round(v, 4) for k, v in s.run(base).items() if isinstance(v, float)}))
        return
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
