"""Citation verification: does each generated sentence say what the passages it cites say?

A generated answer is split into claims (sentences with their ``[n]`` markers; see
:mod:`qa_bot.answering.claims`). Each claim is checked against every passage it cites, one
*evidence unit* at a time — a sentence of the passage, or two adjacent sentences — and scored on:

* **lexical** — the share of the claim's content words found in the unit (numbers and names
  weigh more; a word sharing a 5-letter stem, e.g. "restored"/"restoration", counts 0.8; a word
  only in the sentence before the unit, which "they"/"he" refer to, counts 0.5);
* **semantic** — cosine between the claim's and the unit's embeddings;
* and penalties for the errors a fluent model makes on the right topic: a **number** or a
  **name** in the claim that the unit (with its preceding sentence and the article's outlet,
  title and date) does not contain; a name **bound** to other words than in the unit ("President
  Park" where the unit has "President Kim ... Park said"); a **speaker** other than the unit's; a
  **negation** the unit's matching clause does not share (or drops one it has); a **quotation**
  that is not in the passage.

A claim that joins clauses (", and", ";") may also be supported clause by clause: then its score
is the weakest clause's, and its span covers the clauses' spans.

``score = lexical_weight * lexical + (1 - lexical_weight) * semantic - penalties``; a claim is
supported by a passage when its best unit scores at least ``threshold``. Sentences in a passage
that address instructions to an AI (a prompt injection carried by an article) are never
evidence: a claim that only an injected instruction "supports" is unsupported.

The weights and threshold in :class:`VerifyParams` were chosen on a planted set built from the
passages of the dev questions only (``python eval/planted.py --fit``; figures and the reproducing
command in ``eval/results/verifier.md``).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass

import numpy as np

from qa_bot.answering.claims import Claim, EvidenceUnit, clauses, evidence_units
from qa_bot.embeddings import Embedder
from qa_bot.models import Hit
from qa_bot.params import VerifyParams
from qa_bot.text.numbers import NUMBER_WORDS, has_digit, numbers_in
from qa_bot.text.tokens import STOPWORDS, content_words, fold
from qa_bot.understanding.attribution import first_speaker

_CAPITAL = re.compile(r"(?<![\w'\u2019-])[A-Z][\w'\u2019-]*")  # whole words only: not "Union" in "pro-Union"
_NEGATION = re.compile(r"\b(?:not|never|no longer|neither|nor|without|cannot|failed to|refused to|declined to|"
                       r"den(?:y|ied|ies)|rejected|ruled out)\b|n['\u2019]t\b", re.I)
_QUOTED = re.compile(r"[\"\u201c]([^\"\u201c\u201d]{3,200})[\"\u201d]")


@dataclass(frozen=True)
class Support:
    """How well one cited passage supports a claim, and the span (offsets into the passage text) that does."""

    passage: int
    score: float
    start: int
    end: int
    supported: bool


@dataclass(frozen=True)
class ClaimCheck:
    """The verdict on one claim: which citations were valid, and which of them support it."""

    claim: Claim
    invalid: tuple[int, ...]
    supports: tuple[Support, ...]

    @property
    def supported(self) -> bool:
        """True when at least one cited passage supports the claim."""
        return any(s.supported for s in self.supports)

    @property
    def score(self) -> float:
        """The best support score over the cited passages (0 when none was valid)."""
        return max((s.score for s in self.supports), default=0.0)


def _tokens(text: str) -> list[str]:
    """Content words with spelled-out numbers as digits ("nine" -> "9") and separators dropped ("1,000" -> "1000")."""
    out = []
    for w in content_words(text):
        w = w.replace(",", "").rstrip(".")
        out.append(NUMBER_WORDS.get(w, w))
    return out


def _names(text: str, common: set[str]) -> set[str]:
    """Name tokens: capitalised words inside the sentence, and its first word unless ``common`` has it in lower case."""
    found = set()
    for m in _CAPITAL.finditer(text):
        word = re.sub(r"['\u2019]s$", "", m.group(0)).lower()
        if word in STOPWORDS or len(word) < 2 or NUMBER_WORDS.get(word):
            continue
        if m.start() == 0 and word in common:
            continue
        found.update(_tokens(word))
    return found


def _negations(text: str) -> int:
    return len(_NEGATION.findall(text))


def _negation_differs(claim_negated: bool, text: str, tokens: set[str]) -> bool:
    """A claim's negation that the unit lacks, or a negation in the unit clause the claim restates that it drops.

    Only the clause closest to the claim counts for the second case, so restating the positive half
    of "X cannot be separated, and the capital will ask its neighbour ..." is not a dropped negation.
    """
    if claim_negated:
        return not _negations(text)
    parts = [c for c in re.split(r"[,;:]\s+|\s+\u2014\s+|\s+and\s+that\s+", text) if c.strip()] or [text]
    overlap = [len({t for t in _tokens(c) if t in tokens or _stem_match(t, tokens)}) for c in parts]
    closest = [c for c, o in zip(parts, overlap) if o == max(overlap)]
    return all(_negations(c) for c in closest)


def _unanchored(claim: list[str], names: set[str], unit: list[str], skip: set[str]) -> bool:
    """True when a name in the claim stands beside none of its claim neighbours in the unit.

    "Northland President Park Ji-hoon" against "Northland President Kim Min-jun ... Park Ji-hoon
    said": every name occurs, but "president" never stands next to "park".
    """
    where: dict[str, list[int]] = {}
    for i, t in enumerate(unit):
        where.setdefault(t, []).append(i)
    for i, t in enumerate(claim):
        if t not in names or t in skip or t not in where:
            continue
        neighbours = [claim[j] for j in (i - 2, i - 1, i + 1, i + 2) if 0 <= j < len(claim) and claim[j] not in skip]
        if not neighbours:
            continue
        if not any(abs(a - b) <= 3 for n in neighbours for a in where.get(n, ()) for b in where[t]):
            return True
    return False


class Verifier:
    """Scores generated sentences against the passages they cite.

    Args:
        embedder: for the semantic signal (the bot's embedder; unit vectors).
        params: weights and threshold (:class:`VerifyParams` defaults are the calibrated ones).
    """

    def __init__(self, embedder: Embedder, params: VerifyParams | None = None) -> None:
        self.embedder = embedder
        self.params = params or VerifyParams()
        if not 0.0 <= self.params.lexical_weight <= 1.0:
            raise ValueError("lexical_weight must be between 0 and 1")

    def features(self, claims: list[Claim], hits: list[Hit]) -> list[dict[int, list[dict[str, np.ndarray]]]]:
        """Per claim, per valid cited passage number: the signals of every evidence unit, plus its offsets.

        Each list holds the whole claim's signals, then those of its clauses when it joins several
        (", and ...", "; ..."), so a sentence merging two facts of one passage can be checked part by
        part. Kept apart from :meth:`check` so calibration can re-score without re-embedding.
        """
        jobs = [(ci, n) for ci, c in enumerate(claims) for n in dict.fromkeys(c.cited) if 1 <= n <= len(hits)]
        units = {n: evidence_units(hits[n - 1].passage.text) for n in {n for _, n in jobs}}
        texts = [c.text for c in claims]
        parts: list[list[int]] = []
        for c in claims:
            parts.append(list(range(len(texts), len(texts) + len(clauses(c.text)))))
            texts += clauses(c.text)
        offsets: dict[int, int] = {}
        for n, us in units.items():
            offsets[n] = len(texts)
            texts += [hits[n - 1].passage.text[u.start:u.end] for u in us]
        vectors = self.embedder.embed(texts) if jobs else np.zeros((0, 1))
        common = {w for h in hits for w in re.findall(r"\b[a-z][\w'-]*", h.passage.text)}
        out: list[dict[int, list[dict[str, np.ndarray]]]] = [{} for _ in claims]
        for ci, n in jobs:
            us = units[n]
            if not us:
                continue
            block = vectors[offsets[n]:offsets[n] + len(us)]
            out[ci][n] = [self._unit_features(texts[t], hits[n - 1].passage, us, block @ vectors[t], common)
                          for t in [ci, *parts[ci]]]
        return out

    def _unit_features(self, claim: str, p, units: list[EvidenceUnit], semantic: np.ndarray, common: set[str]) -> dict:
        c_seq = _tokens(claim)
        c_tokens = list(dict.fromkeys(c_seq))
        c_names = _names(claim, common)
        c_numbers = numbers_in(claim)
        # "According to <this outlet>, Kim said ..." credits the outlet as the source, not as the speaker.
        c_speakers = first_speaker(re.sub(rf"^\W*according to (?:the )?{re.escape(p.outlet)}\W*", "", claim, flags=re.I)
                                   if p.outlet else claim)
        c_neg = _negations(claim)
        outlet = set(_tokens(p.outlet)) | {"accord"}
        meta = set(_tokens(f"{p.outlet} {p.title}")) | numbers_in(p.title)
        date = [int(x) for x in str(p.published).split("-") if x.isdigit()]
        if len(date) == 3:  # the article's own date backs "on 5 January" even when the text says "Monday"
            meta.add(str(date[0]))
            if calendar.month_name[date[1]].lower() in claim.lower():
                meta.add(str(date[2]))
        folded_passage = fold(p.text)
        quotes = [fold(q) for q in _QUOTED.findall(claim)]
        quote_missing = float(any(q and q not in folded_passage for q in quotes))
        weights = np.array([2.0 if has_digit(t) else 1.5 if t in c_names else 1.0 for t in c_tokens])
        total = weights.sum() or 1.0
        names = ("lexical", "number", "name", "binding", "speaker", "negation", "pair")
        feats = {k: np.zeros(len(units)) for k in names}
        feats["semantic"] = np.asarray(semantic, dtype=float)
        feats["quote"] = np.full(len(units), quote_missing)
        feats["start"] = np.array([u.start for u in units])
        feats["end"] = np.array([u.end for u in units])
        for i, u in enumerate(units):
            text = p.text[u.start:u.end]
            u_seq = _tokens(text)
            toks = set(u_seq) | outlet
            before = set(_tokens(u.previous))  # what "they", "he", "it" in the unit stand for
            context = toks | before | meta
            credit = np.array([1.0 if t in toks else 0.8 if _stem_match(t, toks) else 0.5 if t in before else 0.0
                               for t in c_tokens])
            feats["lexical"][i] = float((weights * credit).sum() / total) if c_tokens else 0.0
            feats["number"][i] = float(bool(c_numbers - numbers_in(f"{u.previous} {text}") - meta))
            feats["name"][i] = float(bool({t for t in c_names if t not in context and not _stem_match(t, context)}))
            feats["binding"][i] = float(_unanchored(c_seq, c_names, u_seq, outlet))
            u_speakers = first_speaker(text, u.previous)
            feats["speaker"][i] = float(bool(c_speakers and u_speakers and not c_speakers & u_speakers))
            feats["negation"][i] = float(_negation_differs(bool(c_neg), text, set(c_tokens)))
            feats["pair"][i] = float(u.pair)
        return feats

    def score(self, feats: dict[str, np.ndarray], params: VerifyParams | None = None) -> np.ndarray:
        """The support score of every unit (see the module docstring)."""
        p = params or self.params
        return (p.lexical_weight * feats["lexical"] + (1 - p.lexical_weight) * feats["semantic"]
                - p.number_penalty * feats["number"] - p.name_penalty * feats["name"]
                - p.binding_penalty * feats["binding"]
                - p.speaker_penalty * feats["speaker"] - p.negation_penalty * feats["negation"]
                - p.quote_penalty * feats["quote"])

    def best(self, feats: dict[str, np.ndarray], params: VerifyParams | None = None) -> tuple[float, int, int]:
        """The best unit's score and offsets; a sentence pair wins only by ``pair_margin``."""
        p = params or self.params
        scores = self.score(feats, p)
        pair = feats["pair"] > 0
        singles = np.where(~pair, scores, -np.inf)
        i = int(np.argmax(singles)) if (~pair).any() else int(np.argmax(scores))
        j = int(np.argmax(np.where(pair, scores, -np.inf))) if pair.any() else i
        if scores[j] > scores[i] + p.pair_margin:
            i = j
        return float(scores[i]), int(feats["start"][i]), int(feats["end"][i])

    def support(self, feats: list[dict[str, np.ndarray]], params: VerifyParams | None = None) -> tuple[float, int, int]:
        """Score and span of a passage's support for a claim: the whole claim's best unit, or, when
        every clause is better supported on its own, the weakest clause's score and a span covering them."""
        whole = self.best(feats[0], params)
        if len(feats) < 2:
            return whole
        parts = [self.best(f, params) for f in feats[1:]]
        weakest = min(score for score, _, _ in parts)
        if weakest > whole[0]:
            return weakest, min(s for _, s, _ in parts), max(e for _, _, e in parts)
        return whole

    def check(self, claims: list[Claim], hits: list[Hit]) -> list[ClaimCheck]:
        """Verdicts for ``claims`` against the numbered ``hits`` (``[1]`` is ``hits[0]``)."""
        table = self.features(claims, hits)
        out = []
        for claim, per_passage in zip(claims, table):
            invalid = tuple(n for n in claim.cited if not 1 <= n <= len(hits))
            supports = []
            for n, feats in per_passage.items():
                score, start, end = self.support(feats)
                supports.append(Support(n, score, start, end, score >= self.params.threshold))
            out.append(ClaimCheck(claim, invalid, tuple(supports)))
        return out


def _stem_match(token: str, pool: set[str]) -> bool:
    if len(token) < 5 or has_digit(token):
        return False
    head = token[:5]
    return any(len(t) >= 5 and t[:5] == head for t in pool)
