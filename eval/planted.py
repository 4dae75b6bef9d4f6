"""A planted set for the citation verifier: generated answers whose unsupported sentences are known.

    python eval/planted.py             # build the set, measure the shipped verifier, write eval/results/verifier.md
    python eval/planted.py --fit       # also grid-search the verifier's weights on the fit half and print them
    python eval/planted.py --show-errors

Built from the summit **dev** split only (eval/summit_gold.jsonl); eval/summit_test.jsonl is
never read. For every answerable dev question the bot retrieves its five passages (the ones an
LLM would be given); each planted answer cites those numbers like a model would:

* supported sentences restate a sentence of the cited passage — reworded, shortened, attributed
  to the outlet, or two sentences merged;
* unsupported sentences are mostly *hard*: on topic and lexically close, but with a changed number,
  a swapped name, the other leader as speaker, a flipped negation, an altered quotation, a true
  sentence cited to another article's passage, or an invented claim about the summit; a few are
  off topic.

Questions with an odd number form the *fit* half (thresholds are chosen there with ``--fit``);
even ones the *held-out* half. Generation is seeded, so the set is the same on every run.
"""

from __future__ import annotations

import argparse
import itertools
import random
import re
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from qa_bot.answering.claims import split_claims  # noqa: E402
from qa_bot.answering.verify import Verifier  # noqa: E402
from qa_bot.params import VerifyParams  # noqa: E402
from qa_bot.config import Settings  # noqa: E402
from qa_bot.embeddings import SentenceTransformerEmbedder  # noqa: E402
from qa_bot.evaluation.dataset import load_gold  # noqa: E402
from qa_bot.evaluation.systems import QABotSystem, load_corpus  # noqa: E402
from qa_bot.understanding.attribution import speakers_of  # noqa: E402
from qa_bot.text.sentences import sentence_spans  # noqa: E402

DEV = ROOT / "eval" / "summit_gold.jsonl"
REPORT = ROOT / "eval" / "results" / "verifier.md"
REWORD = [("roughly", "about"), ("around", "about"), ("trip", "visit"), ("a chance", "an opportunity"),
          ("stressed", "emphasised"), ("urged", "called on"), ("remarked", "said"), ("noted", "observed"),
          ("got under way", "began"), ("set aside", "scheduled"), ("Chinese President Xi Jinping", "Xi Jinping"),
          ("South Korean President Lee Jae Myung", "President Lee"), ("purchased", "bought"), ("headed", "led"),
          ("pledged", "promised"), ("weighs", "has a weight of"), ("expects", "anticipates"), ("big", "large")]
PEOPLE = ["Lee Jae Myung", "Xi Jinping", "Li Qiang", "Zhao Leji", "Wi Sung-lac", "Chey Tae-won", "Kim Hea Kyung",
          "Peng Liyuan", "Cho Hyun", "Wang Yi", "Takaichi", "Motegi", "Kim Jung-kwan", "Wang Wentao", "Moon Jae-in"]
SURNAMES = ["Lee", "Xi", "Li", "Zhao", "Wi", "Cho", "Kim", "Peng", "Wang", "Moon", "Takaichi", "Motegi"]
PLACES = ["Beijing", "Shanghai", "Seoul", "Tokyo", "Gyeongju", "Pyongyang", "Busan", "Nara", "Incheon", "Tianjin"]
ORGS = ["CCTV", "Samsung", "SK", "Hyundai", "LG", "Xiaomi", "Alibaba", "Shinsegae", "KCNA", "Xinhua"]
INVENTED = [  # on-topic claims that no article makes
    "Lee and Xi agreed to open a direct ferry route between Incheon and Tianjin.",
    "The two leaders signed a joint statement committing both countries to the denuclearisation of the peninsula.",
    "China agreed to lift all restrictions on K-pop concerts from February.",
    "Samsung announced a new semiconductor plant in Xi'an during the visit.",
    "Lee said South Korea would join China's Belt and Road Initiative.",
    "Xi condemned North Korea's missile launch as a provocation during the talks.",
    "The business forum drew more than 5,000 participants from both countries.",
    "Kim Hea Kyung and Peng Liyuan visited a kindergarten together in Shanghai.",
    "Premier Li Qiang promised to double Chinese tourism to Korea by 2027.",
    "Lee met Alibaba founder Jack Ma at a dinner in Shanghai.",
    "China agreed to remove all three structures from the Yellow Sea zone by the end of 2026.",
    "Wi Sung-lac said the United States had been left out of the discussions on North Korea.",
    "Xi said China would support South Korea's plan for nuclear-powered submarines.",
    "Lee described Japan as the main obstacle to peace in Northeast Asia.",
    "The new dialogue between trade ministers will first meet in Beijing in 2027.",
    "Lee and Xi played a game of Go together after the state banquet.",
    "Both governments agreed to scrap visa requirements for all travellers from next year.",
    "Xi gave Lee a Huawei laptop as a personal gift.",
    "The Korean delegation included more than forty cabinet ministers.",
    "Lee cut his visit short by a day to return to Seoul for an emergency cabinet meeting.",
    "Chinese state media called the visit a failure for Seoul.",
    "Xi promised to attend a trilateral summit with Japan in Seoul in the spring.",
]
#: How a model restates an evidence sentence: freely reworded, still saying only what it says.
#: Used (in place of the mechanical rewording) as the first sentence of these questions' answers.
MODEL_STYLE = {
    "q-001": 'Lee told the gathering that the visit was an opportunity to "design the next 30 years" for Korea and China.',
    "q-002": "SK chairman Chey Tae-won led the business group.",
    "q-003": "The talks began at about 4:47 pm and went on for roughly 90 minutes, around half an hour longer than planned.",
    "q-004": "North Korea fired ballistic missiles at 7:50 am on 4 January, hours before Lee boarded his plane for China.",
    "q-005": "Officials signed 14 memorandums of understanding after the talks, along with a deed of donation for a pair of stone lions.",
    "q-008": "Xi remarked that friends and neighbours grow closer the more often they visit each other.",
    "q-009": "Xi Jinping and Lee Jae Myung held their talks at the Great Hall of the People in Beijing on the afternoon of 5 January.",
    "q-010": "Bilateral trade reached 328.08 billion US dollars in 2024, and China has been the ROK's largest trading partner for 21 years in a row.",
    "q-011": "Xi's three-day state visit began on 30 October, his first trip to Korea in 11 years, and he met Lee on 1 November.",
    "q-013": "Beijing wants the boundary to reflect the length of each coastline and the size of each country's population.",
    "q-015": 'Lee said he understood Xi\'s call to stand on the "right side of history" as a Confucian saying.',
    "q-017": "At least six K-pop concerts planned in China for 2025 were cancelled or postponed.",
    "q-018": "His plane landed at Seoul Air Base at 9:37 pm, ending the four-day trip.",
    "q-019": "The talks did not address denuclearisation.",
    "q-020": "Each stone carving stands 1.9 metres tall and weighs about 1.25 tonnes.",
    "q-022": "Xi said China and Korea had made great sacrifices together more than 80 years ago in the struggle against Japanese militarism.",
    "q-023": "Trade minister Kim Jung-kwan signed for Korea, alongside Chinese commerce minister Wang Wentao.",
    "q-025": "The lions are expected to be shipped in the first half of 2026.",
    "q-027": "The first meeting is set to take place in Seoul in the first half of 2026.",
    "q-029": 'Xi urged both sides to align their development strategies in artificial intelligence, green industries and the "silver economy".',
    "q-031": "Beijing sanctioned 20 US defence companies and 10 executives.",
    "q-033": "Lee said China had agreed to remove the 2022 management platform in the Provisional Measures Zone of the Yellow Sea.",
    "q-034": "KCNA described the weapons as hypersonic missiles and claimed they flew 1,000 km.",
    "q-036": "At a lunch for Lee at the Diaoyutai State Guesthouse on 6 January, Premier Li Qiang called for both countries to abandon zero-sum thinking.",
    "q-037": "The lions were bought at an auction in Japan in 1933.",
    "q-038": "Seoul expects the programme to attract over one million Chinese visitors.",
    "q-039": "The US government notified Congress on 17 and 18 December of a proposed $11.1 billion arms sale to Taiwan.",
    "q-041": "Beijing later suspended the sanctions for a year from 10 November.",
    "q-043": "Wi said Seoul would ask Beijing to play a constructive part on the Korean Peninsula.",
    "q-044": "The National Museum of Korea signed the deed for Korea, and China's cultural heritage agency signed for China.",
    "q-046": 'Xi gave Lee two Xiaomi 15 Ultra smartphones and joked about a "backdoor" in the devices.',
    "q-049": "Wi said South Korea respects the One China policy.",
    "q-050": "Drama and film were not settled at the summit and have been left to working-level talks.",
    "q-054": 'Lee said economic relations with China should shift from a "vertical" structure to a "horizontal" one.',
    "q-055": "Lee gave Xi a Go board made of hornbeam wood and a tray with mother-of-pearl inlay.",
    "q-059": "Xi assured Lee that China's policy toward the ROK would stay consistent and stable.",
    "q-061": "The two governments agreed to hold yearly summits, restore a strategic dialogue between their foreign affairs and security authorities, and expand defence exchanges.",
    "q-062": "Xi's wife Peng Liyuan invited Lee's wife Kim Hea Kyung to tea.",
    "q-064": 'Lee described his role in the China-Japan dispute as "very limited".',
    "q-065": "The last South Korean president to visit China was Moon Jae-in in December 2019, six years earlier.",
    "q-067": "Lee said he expects the informal curbs on Korean pop culture in China to be eased gradually.",
    "q-070": "In Shanghai, Lee called the nuclear-powered submarine plan one of South Korea's core interests.",
    "q-071": 'Chinese forces held drills around Taiwan on 29 and 30 December under the name "Justice Mission-2025".',
    "q-076": "Analyst Lim Eul-chul saw the launch as a message aimed at Beijing.",
    "q-077": "Seoul prefers a median line at an equal distance from both coasts.",
    "q-082": 'Xi said China and the ROK should jointly oppose protectionism and uphold "true multilateralism".',
    "q-083": "Xi also met US President Donald Trump in Busan on the day he arrived.",
    "q-086": "China pledged to make critical minerals easier for Korean companies to obtain.",
    "q-088": "Lee said he would like the two countries' leaders to hold a summit at least once a year.",
    "q-091": "Lee and first lady Kim Hea Kyung left Seoul Air Base at around midday.",
}
OFF_TOPIC = ["The weather in the capital was unusually mild for the season.",
             "Analysts expect global oil prices to rise in the next quarter.",
             "The national football team won its qualifying match on Saturday evening.",
             "A new subway line is scheduled to open in the city next autumn."]
UNSUPPORTED_KINDS = ["number", "name", "speaker", "wrong_passage", "invented", "negation", "quote", "number", "name",
                     "wrong_passage", "speaker", "invented", "off_topic"]
NUMBER_WORDS = ["two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "fourteen"]


@dataclass
class Planted:
    """One generated answer: the passages it was written from and its sentences with labels."""

    qid: str
    question: str
    hits: list
    sentences: list[str]
    cited: list[list[int]]
    labels: list[bool]  # True = supported by what it cites
    kinds: list[str]

    @property
    def text(self) -> str:
        parts = []
        for i, (s, cites) in enumerate(zip(self.sentences, self.cited)):
            marks = "".join(f"[{n}]" for n in cites)
            # Models put markers before or after the full stop; the parser must handle both.
            parts.append(f"{s[:-1]} {marks}." if i % 2 == 0 and s.endswith(".") else f"{s} {marks}")
        return " ".join(parts)

    @property
    def fit(self) -> bool:
        return int(re.sub(r"\D", "", self.qid) or 0) % 2 == 1


def sentences_of(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text) if len(text[s:e].split()) >= 7 and text[s:e].endswith(".")]


def reword(s: str, rng: random.Random, outlet: str, shorten: bool = True) -> tuple[str, str]:
    """A supported restatement of ``s``: reworded, shortened, or attributed to the outlet."""
    out = s
    for a, b in rng.sample(REWORD, len(REWORD)):
        if re.search(rf"\b{re.escape(a)}\b", out) and rng.random() < 0.7:
            out = re.sub(rf"\b{re.escape(a)}\b", b, out, count=1)
    kind = "reworded"
    cut = re.search(r",\s+(?:which|whose|who|where|running|a measure|a record|a commitment|ending|a showcase)\b|\s+\u2014\s+",
                    out)
    if shorten and cut and len(out[:cut.start()].split()) >= 7 and rng.random() < 0.6:
        out, kind = out[:cut.start()].rstrip(",;") + ".", "shortened"
    out = re.sub(r"^(?:But|And|However,|Meanwhile,|Still,)\s+", "", out)
    out = out[0].upper() + out[1:]
    if rng.random() < 0.25 and outlet and not out.startswith(("He ", "She ", "They ", "It ")):
        first = out.split()[0]
        lower = out if first in ("I",) or first[1:].lower() != first[1:] or first in PEOPLE + SURNAMES + PLACES \
            else out[0].lower() + out[1:]
        out, kind = f"According to {outlet}, {lower}", "attributed"
    return out, kind


def perturb(kind: str, s: str, passage: str, rng: random.Random) -> str | None:
    """An unsupported variant of ``s`` (None when this kind cannot apply to it)."""
    if kind == "number":
        nums = [m for m in re.finditer(r"\b\d[\d,.:]*\b", s) if m.group(0).strip(".,")]
        words = [m for m in re.finditer(r"\b(" + "|".join(NUMBER_WORDS) + r")\b", s)]
        if nums:
            m = rng.choice(nums)
            raw = m.group(0).rstrip(".,")
            if ":" in raw:
                h, mm = raw.split(":")
                new = f"{(int(h) % 12) + 1}:{mm}"
            elif "." in raw:
                new = f"{float(raw.replace(',', '')) * 1.5:.2f}".rstrip("0").rstrip(".")
            else:
                v = int(raw.replace(",", ""))
                new = str(v + 3 if 1900 < v < 2100 else v + 2 if v < 10 else v + 15 if v < 100 else v * 2)
            if new in passage:
                return None
            return s[:m.start()] + new + s[m.start() + len(raw):]
        if words:
            m = rng.choice(words)
            new = rng.choice([w for w in NUMBER_WORDS if w != m.group(0) and w not in passage])
            return s[:m.start()] + new + s[m.end():]
        return None
    if kind == "name":
        for pool in (PEOPLE, ORGS, PLACES, SURNAMES):
            present = [n for n in pool if re.search(rf"\b{re.escape(n)}\b", s)]
            if present:
                old = rng.choice(present)
                options = [n for n in pool if n != old and n not in passage]
                if options:
                    return re.sub(rf"\b{re.escape(old)}\b", rng.choice(options), s, count=1)
        return None
    if kind == "speaker":
        who = speakers_of(s)
        swap = {"lee": "Xi", "xi": "Lee"}
        target = next((w for w in who if w in swap), None)
        if not target:
            return None
        old = "Lee" if target == "lee" else "Xi"
        return re.sub(rf"\b{old}\b", swap[target], s, count=1)
    if kind == "negation":
        for pat, rep in [(r"\bwas not\b", "was"), (r"\bwere not\b", "were"), (r"\bdid not\b", "did"),
                         (r"\bwould\b", "would not"), (r"\bwill\b", "will not"), (r"\bwas\b", "was not"),
                         (r"\bwere\b", "were not"), (r"\bis\b", "is not"), (r"\bagreed to\b", "refused to"),
                         (r"\bsaid that\b", "denied that"), (r"\bhas\b", "has not"), (r"\bcan\b", "cannot")]:
            if re.search(pat, s):
                return re.sub(pat, rep, s, count=1)
        return None
    if kind == "quote":
        m = re.search(r"[\"\u201c]([^\"\u201d]{3,80})[\"\u201d]", s)
        if not m:
            return None
        words = m.group(1).split()
        i = rng.randrange(len(words))
        words[i] = rng.choice(["historic", "lasting", "new", "complete", "strategic", "special"])
        return s[:m.start(1)] + " ".join(words) + s[m.end(1):]
    return None


def build(items, bot, seed: int = 7) -> list[Planted]:
    """Planted answers for the answerable dev questions whose evidence the bot retrieves in its top five."""
    rng = random.Random(seed)
    kinds = itertools.cycle(UNSUPPORTED_KINDS)
    invented = itertools.cycle(INVENTED)
    off = itertools.cycle(OFF_TOPIC)
    out = []
    for item in items:
        if not item.answerable or not item.evidence:
            continue
        hits = list(bot.ask(item.question, k=5, history=list(item.history), answerer="extractive").hits)
        ev = item.evidence[0]
        found = [i for i, h in enumerate(hits) if h.passage.article_id == ev.article_id and ev.quote in h.passage.text]
        if not found:
            continue
        e = found[0]
        p = hits[e].passage
        sents, cited, labels, why = [], [], [], []
        s1, k1 = (MODEL_STYLE[item.id], "model_style") if item.id in MODEL_STYLE else reword(ev.quote, rng, p.outlet)
        sents.append(s1), cited.append([e + 1]), labels.append(True), why.append(k1)
        others = [i for i in range(len(hits)) if i != e and sentences_of(hits[i].passage.text)]
        if others and rng.random() < 0.6:  # a second supported sentence, from another passage
            j = rng.choice(others)
            pool = sentences_of(hits[j].passage.text)
            if rng.random() < 0.3 and len(pool) >= 2:
                a, b = pool[0], pool[1]
                merged = f"{a[:-1]}, and {b[0].lower() + b[1:]}" if b.split()[0] not in PEOPLE + SURNAMES + PLACES \
                    else f"{a[:-1]}, and {b}"
                sents.append(merged), why.append("merged")
            else:
                s2, k2 = reword(rng.choice(pool), rng, hits[j].passage.outlet)
                sents.append(s2), why.append(k2)
            cited.append([j + 1]), labels.append(True)
        for _ in range(rng.choice([0, 1, 1, 2, 2])):
            for _attempt in range(len(UNSUPPORTED_KINDS)):
                kind = next(kinds)
                target = e
                if kind == "invented":
                    bad = next(invented)
                elif kind == "off_topic":
                    bad = next(off)
                elif kind == "wrong_passage":
                    wrong = [i for i in range(len(hits)) if hits[i].passage.article_id != ev.article_id
                             and ev.quote not in hits[i].passage.text]
                    if not wrong:
                        continue
                    bad, target = ev.quote, rng.choice(wrong)
                else:
                    bad = perturb(kind, ev.quote, p.text, rng)
                    if bad is None:
                        continue
                    bad = reword(bad, rng, "", shorten=False)[0]  # keep the planted error in
                sents.append(bad), cited.append([target + 1]), labels.append(False), why.append(kind)
                break
        order = list(range(len(sents)))
        rng.shuffle(order)
        out.append(Planted(item.id, item.question, hits, [sents[i] for i in order], [cited[i] for i in order],
                           [labels[i] for i in order], [why[i] for i in order]))
    return out


def measure(planted: list[Planted], verifier: Verifier, params: VerifyParams | None = None, cache=None) -> dict:
    """Precision and recall of the verifier's "unsupported" verdicts, overall and per half and kind."""
    params = params or verifier.params
    rows = []  # (fit, kind, truly unsupported, flagged, text)
    for pi, item in enumerate(planted):
        claims = split_claims(item.text)
        if len(claims) != len(item.sentences):
            raise SystemExit(f"{item.qid}: the parser found {len(claims)} sentences in {item.text!r}")
        table = cache[pi] if cache is not None else verifier.features(claims, item.hits)
        for claim, feats, label, kind in zip(claims, table, item.labels, item.kinds):
            ok = any(verifier.support(f, params)[0] >= params.threshold for f in feats.values())
            rows.append((item.fit, kind, not label, not ok, claim.text))
    return summarise(rows)


def summarise(rows) -> dict:
    def pr(sel):
        tp = sum(1 for r in sel if r[2] and r[3])
        fp = sum(1 for r in sel if not r[2] and r[3])
        fn = sum(1 for r in sel if r[2] and not r[3])
        p = tp / (tp + fp) if tp + fp else 1.0
        rc = tp / (tp + fn) if tp + fn else 1.0
        return {"precision": p, "recall": rc, "n": len(sel), "unsupported": tp + fn, "tp": tp, "fp": fp, "fn": fn}

    kinds = sorted({r[1] for r in rows})
    return {"all": pr(rows), "fit": pr([r for r in rows if r[0]]), "held_out": pr([r for r in rows if not r[0]]),
            "kinds": {k: {"n": sum(r[1] == k for r in rows), "flagged": sum(r[1] == k and r[3] for r in rows)}
                      for k in kinds}, "rows": rows}


def claim_scores(planted: list[Planted], verifier: Verifier, params: VerifyParams, cache) -> list[tuple[bool, float]]:
    """(truly unsupported, best support score over the cited passages) for every planted sentence."""
    out = []
    for item, table in zip(planted, cache):
        for feats, label in zip(table, item.labels):
            out.append((not label, max((verifier.support(f, params)[0] for f in feats.values()), default=0.0)))
    return out


def sweep(scored: list[tuple[bool, float]]) -> tuple[tuple, float]:
    """The best (F1, min(P, R), margin) over thresholds, and the threshold (midway between neighbouring scores)."""
    values = sorted({round(s, 4) for _, s in scored})
    cuts = [(a + b) / 2 for a, b in zip(values, values[1:])] or values
    best, best_t = (-1.0,), 0.5
    for t in cuts:
        tp = sum(1 for u, s in scored if u and s < t)
        fp = sum(1 for u, s in scored if not u and s < t)
        fn = sum(1 for u, s in scored if u and s >= t)
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * p * r / ((p + r) or 1)
        margin = min((abs(s - t) for _, s in scored), default=0.0)
        key = (round(f1, 4), round(min(p, r), 4), round(margin, 4))
        if key > best:
            best, best_t = key, t
    return best, round(best_t, 3)


def fit(planted: list[Planted], verifier: Verifier, cache) -> VerifyParams:
    """Coordinate ascent on the fit half: each weight in turn over its grid, the threshold swept for each."""
    fit_only = [p for p in planted if p.fit]
    fit_cache = [c for p, c in zip(planted, cache) if p.fit]
    # Lexical weight capped at 0.8: a reworded sentence must not be judged on word overlap alone.
    grids = {"lexical_weight": [0.5, 0.6, 0.7, 0.8],
             **{name: [0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0] for name in
                ("number_penalty", "name_penalty", "binding_penalty", "speaker_penalty", "negation_penalty",
                 "quote_penalty")}}
    params = verifier.params
    key, t = sweep(claim_scores(fit_only, verifier, params, fit_cache))
    params = replace(params, threshold=t)
    for _round in range(3):
        changed = False
        for name, grid in grids.items():
            for value in grid:
                trial = replace(params, **{name: value})
                k, t = sweep(claim_scores(fit_only, verifier, trial, fit_cache))
                if k > key:
                    key, params, changed = k, replace(trial, threshold=t), True
        if not changed:
            break
    print(f"fit half: F1 {key[0]:.3f}, min(P, R) {key[1]:.3f}, margin {key[2]:.4f}")
    return params


def report(m: dict, params: VerifyParams, n_answers: int, seconds: float) -> str:
    def row(name, x):
        return f"| {name} | {x['n']} | {x['unsupported']} | {x['precision']:.3f} | {x['recall']:.3f} |"

    unsupported_kinds = set(UNSUPPORTED_KINDS)
    kinds = "\n".join(f"| {k} | {'unsupported' if k in unsupported_kinds else 'supported'} | {v['n']} | {v['flagged']} |"
                      for k, v in sorted(m["kinds"].items(), key=lambda kv: (kv[0] in unsupported_kinds, kv[0])))
    wrong = m["all"]["fp"]
    supported = m["all"]["n"] - m["all"]["unsupported"]
    return f"""# Citation verifier on the planted set

Reproduce with:

```bash
.venv/bin/python eval/planted.py            # add --fit to re-run the threshold search
```

The planted set is built from the summit **dev** split only (`eval/summit_gold.jsonl`, never
`eval/summit_test.jsonl`): {n_answers} generated answers over the five passages the bot retrieves
for each answerable dev question, cited the way a model cites them. Supported sentences restate
a sentence of the cited passage (reworded, shortened, attributed to the outlet, or two merged);
unsupported ones are mostly hard: a changed number, a swapped name, the other leader as speaker,
a flipped negation, an altered quotation, a true sentence cited to another article's passage,
an invented claim about the summit, and a few off-topic sentences. See `eval/planted.py`.

Embedder: the packaged all-MiniLM-L6-v2. Verifier parameters (`qa_bot/answering/verify.py`,
`VerifyParams`, chosen with `--fit` on the fit half = odd-numbered questions):
`{params}`.

## Precision and recall of "unsupported"

| split | sentences | truly unsupported | precision | recall |
|---|---|---|---|---|
{row("held-out half (even question numbers)", m["held_out"])}
{row("fit half (odd question numbers)", m["fit"])}
{row("all", m["all"])}

Supported sentences wrongly flagged: {wrong} of {supported}. The supported kinds include 40 hand-written
restatements in the free style of a model (`MODEL_STYLE` in `eval/planted.py`), which are the hardest
for the verifier; the mechanical rewordings are close to the passage's own words.

## Sentences flagged, by kind

| kind | truly | sentences | flagged unsupported |
|---|---|---|---|
{kinds}

Limits: the set is small (one generated answer per answerable dev question whose evidence is
retrieved), negation and speaker swaps apply to few evidence sentences, and every supported
sentence restates one passage; a sentence that needs two passages at once, or inference beyond
their words, is not covered.

Run took {seconds:.0f} s (index build, retrieval, embedding).
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fit", action="store_true", help="grid-search the weights on the fit half and use them")
    ap.add_argument("--show-errors", action="store_true", help="print every misjudged sentence")
    ap.add_argument("--no-write", action="store_true", help="do not write eval/results/verifier.md")
    args = ap.parse_args(argv)
    t0 = time.time()
    embedder = SentenceTransformerEmbedder()
    settings = Settings(data_dir=ROOT / "eval" / ".cache", llm="extractive")
    system = QABotSystem(settings, embedder)
    system.prepare(load_corpus(ROOT / "corpus"))
    planted = build(load_gold(DEV), system.bot)
    verifier = Verifier(embedder)
    cache = [verifier.features(split_claims(p.text), p.hits) for p in planted]
    params = fit(planted, verifier, cache) if args.fit else verifier.params
    if args.fit:
        print(f"fitted: {params}")
    m = measure(planted, verifier, params, cache)
    for name in ("held_out", "fit", "all"):
        x = m[name]
        print(f"{name:9s} sentences={x['n']:4d} unsupported={x['unsupported']:3d} "
              f"precision={x['precision']:.3f} recall={x['recall']:.3f}")
    print(f"{len(planted)} answers; kinds: " + ", ".join(f"{k} {v['flagged']}/{v['n']}" for k, v in m["kinds"].items()))
    if args.show_errors:
        for fit_half, kind, unsupported, flagged, text in m["rows"]:
            if unsupported != flagged:
                print(f"  {'MISSED' if unsupported else 'FALSE FLAG'} [{kind}] {text}")
    if not args.no_write:
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        REPORT.write_text(report(m, params, len(planted), time.time() - t0), encoding="utf-8")
        print(f"wrote {REPORT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
