"""Who speaks, and which names are people: spaCy's parse and entities against the regexes they replaced.

Two jobs, measured on the bundled corpus with hand-labelled fixtures:

* **Who speaks in a sentence** (``eval/speakers_gold.jsonl``: a sentence of an article and the people
  speaking in it, none for "Beijing said", "the party welcomed", "He returns on Wednesday"). A sentence
  counts as right when the method names one of its speakers, or names nobody where nobody speaks.
* **Which names are people** (``eval/speakers_people.json``): every name either method lists as a
  speaker across the corpus (what ``qa-bot said --list`` prints), labelled person or not.

The regex method is ``qa_bot/news/speakers.py`` as it stood at commit ``REGEX_COMMIT`` (read with
``git show``); the spaCy method is today's module with the mentions the indexer stores.

    python eval/speakers_bench.py            # prints both methods' figures
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qa_bot.answering.candidates import Candidate  # noqa: E402
from qa_bot.ingest.loaders import load_path  # noqa: E402
from qa_bot.models import Hit, Passage  # noqa: E402
from qa_bot.news import speakers as spacy_speakers  # noqa: E402
from qa_bot.text.sentences import sentence_spans  # noqa: E402
from qa_bot.text.tokens import fold  # noqa: E402
from qa_bot.understanding.attribution import name_tokens  # noqa: E402
from qa_bot.understanding.entities import article_mentions  # noqa: E402

REGEX_COMMIT = "365e89ccf7d30e64b291ce017132e39476895884"


def regex_module():
    """``qa_bot/news/speakers.py`` at :data:`REGEX_COMMIT`, with the attribution module of that commit."""
    folder = Path(tempfile.mkdtemp())
    module = None
    for name, path in (("regex_attribution", "qa_bot/understanding/attribution.py"),
                       ("regex_speakers", "qa_bot/news/speakers.py")):
        source = subprocess.run(["git", "show", f"{REGEX_COMMIT}:{path}"], cwd=ROOT, check=True,
                                capture_output=True, text=True).stdout
        (folder / f"{name}.py").write_text(source.replace("qa_bot.understanding.attribution", "regex_attribution"))
        spec = importlib.util.spec_from_file_location(name, folder / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return module


def corpus() -> dict[str, tuple]:
    """Article file stem -> (article, its sentences as candidates)."""
    out = {}
    for path in sorted((ROOT / "corpus").glob("*.md")):
        [a] = load_path(path)
        hit = Hit(Passage(f"{a.id}:0", a.id, a.text, 0, len(a.text), a.title, a.outlet, a.url, ""), 0.0)
        out[path.stem] = (a, [Candidate(hit, a.text[s:e], s, e) for s, e in sentence_spans(a.text)])
    return out


def run_methods(articles: dict[str, tuple]) -> dict[str, dict[str, dict[int, set[str]]]]:
    """method -> article stem -> sentence start -> speakers' names, for every sentence either finds a speaker in."""
    regex = regex_module()
    outlets = frozenset(fold(a.outlet) for a, _ in articles.values())
    stems = list(articles)
    mentions = article_mentions([articles[s][0].text for s in stems])
    found: dict[str, dict[str, dict[int, set[str]]]] = {"regex": {}, "spacy": {}}
    regex_all, spacy_all = [], []
    for stem, found_mentions in zip(stems, mentions):
        a, sentences = articles[stem]
        regex_all += [(stem, x) for x in regex.article_speakers(a.text, sentences)]
        spacy_all += [(stem, x) for x in spacy_speakers.article_speakers(a.text, sentences, found_mentions, outlets)]
    for method, rows, borrow in (("regex", regex_all, regex._borrow_full_names),
                                 ("spacy", spacy_all, spacy_speakers._borrow_full_names)):
        named = borrow([x for _, x in rows])
        for (stem, _), x in zip(rows, named):
            found[method].setdefault(stem, {}).setdefault(x.cand.start, set()).add(x.name)
    return found


def sentence_scores(articles, found) -> dict[str, dict[str, float]]:
    """Per method: accuracy, precision and recall of who speaks, over the labelled sentences (a sentence is
    right when every name the method gives is one of its speakers, or it gives none where nobody speaks)."""
    gold = [json.loads(line) for line in (ROOT / "eval" / "speakers_gold.jsonl").read_text().splitlines() if line]
    out = {}
    for method, by_article in found.items():
        right = tp = predicted = wanted = 0
        for g in gold:
            _, sentences = articles[g["article"]]
            [cand] = [c for c in sentences if c.text.startswith(g["sentence"])]
            names = by_article.get(g["article"], {}).get(cand.start, set())
            gold_names = [name_tokens(s) for s in g["speakers"]]
            ok = all(name_tokens(n) in gold_names for n in names) if names else not g["speakers"]
            right += ok
            predicted += bool(names)
            wanted += bool(g["speakers"])
            tp += bool(names) and ok
        out[method] = {"sentences": len(gold), "accuracy": right / len(gold), "precision": tp / max(predicted, 1),
                       "recall": tp / max(wanted, 1)}
    return out


def people_scores(found) -> dict[str, dict]:
    """Per method: how many listed speakers are people (precision) and how many quoted people are listed (recall)."""
    labels = json.loads((ROOT / "eval" / "speakers_people.json").read_text())
    people, not_people = set(labels["people"]), set(labels["not_people"])
    out = {}
    for method, by_article in found.items():
        listed = {name for names in by_article.values() for found in names.values() for name in found}
        unlabelled = sorted(listed - people - not_people)
        out[method] = {"listed": len(listed), "people": len(listed & people), "precision": len(listed & people) /
                       max(len(listed), 1), "recall": len(listed & people) / max(len(people), 1),
                       "not_people_listed": sorted(listed & not_people), "missed": sorted(people - listed),
                       "unlabelled": unlabelled}
    return out


def main() -> None:
    """Print both jobs' figures for both methods."""
    articles = corpus()
    found = run_methods(articles)
    print(json.dumps({"who_speaks": sentence_scores(articles, found), "people": people_scores(found)}, indent=2))


if __name__ == "__main__":
    main()
