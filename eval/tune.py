"""Calibrate the decide stage on validation data only: its support model, threshold and keep ratio.

    python eval/tune.py --fit                 # fit [answer.decide.support], then search threshold/keep_ratio
    python eval/tune.py --fit --write         # ... and write the chosen values into qa_bot/data/answering.toml
    python eval/tune.py --evaluate            # the current parameters' metrics on each set
    python eval/tune.py --grid '{"threshold": [0.4, 0.5], "keep_ratio": [0.3, 0.5]}'

Validation data: eval/summit_gold.jsonl (the summit dev split) and half A of ClapNQ (questions whose
id's SHA-256 starts with an even hex digit). The summit test split and ClapNQ half B are never read.
Each question goes once through the bot's own understanding, retrieval and reading (``prepare_question``
and the span reader, whose readings are remembered); each parameter set then re-runs only the decide
and compose stages and the metrics, so a search scores exactly what ``ask`` would answer.

The support model is a logistic regression over the signals of each question's best eligible span
(``margin``: span score minus its passage's no-answer score; ``score``: the span score; ``topic``: the share
of the question's topic words its sentence holds), labelled by whether the question is answerable, with
the two sets weighted equally. ``--without topic`` fits with that signal left out (weight 0), to measure it.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import re
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qa_bot.answering import ExtractiveAnswerer  # noqa: E402
from qa_bot.answering.decide import speaker_required  # noqa: E402
from qa_bot.config import Settings  # noqa: E402
from qa_bot.inference.choice import embedder_for  # noqa: E402
from qa_bot.evaluation import metrics as M  # noqa: E402
from qa_bot.evaluation.dataset import GoldItem, load_gold  # noqa: E402
from qa_bot.evaluation.runner import QuestionRecord, aggregate, score_answer  # noqa: E402
from qa_bot.evaluation.systems import QABotSystem, load_corpus  # noqa: E402
from qa_bot.params import PARAMS_FILE, SUPPORT_SIGNALS, AnswerParams  # noqa: E402

SHARED = next((p for p in (ROOT.parent / "shared", Path("/work/shared")) if p.exists()), ROOT.parent / "shared")
CLAPNQ = SHARED / "eval-data" / "clapnq"


def half_a(item_id: str) -> bool:
    """True for the ClapNQ questions tuning may read (half A: the id's SHA-256 starts with an even hex digit)."""
    return int(hashlib.sha256(item_id.encode()).hexdigest()[0], 16) % 2 == 0


class _MemoReader:
    """The pipeline's reader, each (question, passage) read once however many parameter sets re-decide it."""

    def __init__(self, reader) -> None:
        self.reader, self.memo = reader, {}

    def warm_up(self) -> None:
        self.reader.warm_up()

    def run(self, question, passages):
        todo = [p for p in passages if (question, p) not in self.memo]
        if todo:
            for p, r in zip(todo, self.reader.run(question, todo)):
                self.memo[(question, p)] = r
        return [self.memo[(question, p)] for p in passages]


class Prepared:
    """One validation set on the bot the eval would build: understanding, retrieval and reading done once.

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
        self.params = self.bot.answerer.params
        self.reader = _MemoReader(self.bot.answerer.reader)
        texts = {a.id: a.text for a in articles}
        self.items = items
        self.spans = [[M.locate(e.article_id, e.quote, texts.get(e.article_id)) for e in item.evidence]
                      for item in items]
        self.prepared = [self.bot.prepare_question(item.question, history=list(item.history)) for item in items]

    def answerer(self, params: AnswerParams) -> ExtractiveAnswerer:
        self.bot.answerer = ExtractiveAnswerer(self.reader, params)
        return self.bot.answerer

    def run(self, params: AnswerParams) -> dict:
        """The eval's aggregate metrics with ``params`` (semantic similarity and latency not measured)."""
        answerer = self.answerer(params)
        records = []
        for item, spans, prepared in zip(self.items, self.spans, self.prepared):
            ans = answerer.answer_prepared(prepared)
            scores, correct, passed = score_answer(item, ans, spans, prepared.k, None)
            records.append(QuestionRecord(item.id, item.type, item.question, list(item.answers), item.answerable,
                                          ans.text, ans.abstained, [], [], scores, passed, 0.0))
        return aggregate(records)

    def signals(self, params: AnswerParams) -> list[tuple[list[float], int]]:
        """Per question: the support signals of its best eligible span by margin, and 1 if it is answerable."""
        answerer = self.answerer(params)
        out = []
        for item, prepared in zip(self.items, self.prepared):
            judged = answerer.judge(prepared)
            spans = answerer.decider.judge(prepared.analysis, judged.hits, judged.readings, prepared.turn.carried_terms)
            if speaker_required(prepared.turn.question, prepared.analysis, params.decide):
                spans = [a for a in spans if a.speaking]
            best = max(spans, key=lambda a: a.margin, default=None)
            values = {"margin": best.margin, "score": best.score, "topic": best.topic} if best else \
                {"margin": -20.0, "score": -20.0, "topic": 0.0}
            out.append(([values[n] for n in SUPPORT_SIGNALS if n != "intercept"], int(item.answerable)))
        return out


DEFAULT_GRID = {"threshold": [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6], "keep_ratio": [0.5, 0.7, 0.85]}


def objective(m: dict) -> float:
    """The score a parameter set is chosen by: the headline quality metrics, abstention counted twice."""
    def v(key):
        x = m.get(key)
        return 0.0 if x is None or x != x else x
    return (v("answer_recall") + v("citation_precision") + v("evidence_recall_at_5") + v("right_speaker")
            + 2 * v("abstention_balanced_accuracy") + v("pass_rate") + v("short_answer_f1"))


def fit_support(sets, params: AnswerParams, C: float = 1.0, without: frozenset[str] = frozenset()) -> AnswerParams:
    """Fit the support model on the sets' questions (each set weighted equally); ``without`` signals weigh 0."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    rows, labels, weights = [], [], []
    for s in sets:
        sig = s.signals(params)
        rows += [x for x, _ in sig]
        labels += [y for _, y in sig]
        weights += [1.0 / len(sig)] * len(sig)
    names = [n for n in SUPPORT_SIGNALS if n != "intercept"]
    keep = [i for i, n in enumerate(names) if n not in without]
    X, y, w = np.array(rows)[:, keep], np.array(labels), np.array(weights) * len(rows) / len(sets)
    model = LogisticRegression(C=C, max_iter=2000, class_weight="balanced").fit(X, y, sample_weight=w)
    fitted = dict(zip([names[i] for i in keep], model.coef_[0]))
    support = {"intercept": float(model.intercept_[0]), **{n: float(fitted.get(n, 0.0)) for n in names}}
    print(f"support model on {len(y)} questions ({int(y.sum())} answerable):",
          ", ".join(f"{k} {v:.4f}" for k, v in support.items()))
    return replace(params, decide=replace(params.decide, support=support))


def search(sets, base: AnswerParams, grid: dict) -> list[tuple[float, dict, dict]]:
    keys = list(grid)
    results = []
    for values in itertools.product(*(grid[k] for k in keys)):
        params = replace(base, decide=replace(base.decide, **dict(zip(keys, values))))
        metrics = {s.name: s.run(params) for s in sets}
        results.append((sum(objective(m) for m in metrics.values()), dict(zip(keys, values)), metrics))
    results.sort(key=lambda r: -r[0])
    return results


def write(params: AnswerParams) -> None:
    """Put the decide stage's fitted values into answering.toml, leaving the rest of the file as it is."""
    text = PARAMS_FILE.read_text(encoding="utf-8")
    d = params.decide
    for key, value in (("threshold", d.threshold), ("keep_ratio", d.keep_ratio)):
        text = re.sub(rf"(?m)^(\[answer\.decide\][^\[]*?^{key} = ).*$", rf"\g<1>{round(value, 4)}", text)
    for key, value in d.support.items():
        text = re.sub(rf"(?m)^(\[answer\.decide\.support\][^\[]*?^{key} = ).*$", rf"\g<1>{value:.4f}", text)
    PARAMS_FILE.write_text(text, encoding="utf-8")
    print(f"wrote {PARAMS_FILE}")


def main() -> None:
    """Parse the command line, prepare the validation sets, then evaluate, fit or search a grid."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clapnq-limit", type=int, default=0, help="only the first N half-A ClapNQ questions")
    parser.add_argument("--summit-only", action="store_true", help="skip ClapNQ (quick iterations)")
    parser.add_argument("--fit", action="store_true", help="fit the support model, then search the grid")
    parser.add_argument("--write", action="store_true", help="write the chosen decide values into answering.toml")
    parser.add_argument("--C", type=float, default=1.0, help="inverse L2 strength of the fit")
    parser.add_argument("--without", default="", help="comma-separated support signals to leave out of the fit")
    parser.add_argument("--compare", default="", help="with --fit: ';'-separated signal sets to leave out, each fitted "
                        "and searched in turn (e.g. 'topic;score'), to measure what each signal adds")
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/qa-bot-tune"))
    parser.add_argument("--grid", type=str, default="", help="JSON: {decide param: [values]} to search")
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
    if args.fit and args.compare:
        for variant in ["", *args.compare.split(";")]:
            fitted = fit_support(sets, base, C=args.C, without=frozenset(filter(None, variant.split(","))))
            score, chosen, metrics = search(sets, fitted, json.loads(args.grid) if args.grid else DEFAULT_GRID)[0]
            print(f"without [{variant}]: objective {score:.3f} at {chosen}; " + "; ".join(
                f"{n}: " + json.dumps({k: round(v, 3) for k, v in m.items() if isinstance(v, float)}) for n, m in
                metrics.items()), flush=True)
        return
    if args.fit:
        base = fit_support(sets, base, C=args.C, without=frozenset(filter(None, args.without.split(","))))
    grid = json.loads(args.grid) if args.grid else DEFAULT_GRID
    results = search(sets, base, grid)
    cols = ["evidence_recall_at_5", "answer_recall", "citation_precision", "short_answer_f1",
            "abstention_accuracy", "false_abstention_rate", "abstention_balanced_accuracy", "right_speaker", "pass_rate"]
    print("score  params  | " + " | ".join(f"{s.name}: " + " ".join(c[:8] for c in cols) for s in sets))
    for score, chosen, metrics in results[:15]:
        row = " | ".join(" ".join(f"{(metrics[s.name].get(c) or 0):.3f}" for c in cols) for s in sets)
        print(f"{score:.3f} {chosen} | {row}")
    if args.write and results:
        write(replace(base, decide=replace(base.decide, **results[0][1])))


if __name__ == "__main__":
    main()
