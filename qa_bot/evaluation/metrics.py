"""Answer-quality metrics. Pure functions; each is unit-tested on hand-computed examples.

Definitions (``k`` = passages retrieved; strings are compared after :func:`normalize`):

* **evidence recall@k** — for an answerable question, the share of its evidence items found in
  the top-k passages. An item with a quote is found when a passage of the same article covers at
  least half of the quote's characters (or contains the quote's text); an item without a quote
  (a gold document only) is found when any passage comes from that document. When a set has no
  evidence at all, a passage containing a reference answer counts.
* **document recall@k** — the share of the question's evidence *articles* (gold documents) with
  at least one passage in the top k (ClapNQ's "gold-passage recall").
* **MRR** — 1 / rank of the first passage that finds any evidence item (0 if none).
* **answer recall** — 1 when some reference answer is contained in the answer text (markers
  removed), else 0. Only short references (at most 12 words) are used for containment; for
  long-form references (ClapNQ) answer recall is not defined and reported as missing.
* **token F1** — SQuAD-style token overlap F1 between the answer and its best reference.
* **semantic similarity** — cosine similarity of the answer and its best reference, both
  embedded with the system's embedder.
* **citation precision** — the share of citations whose passage contains (finds) an evidence
  item or contains a short reference answer.
* **quote precision** — stricter: the share of citations whose *quoted words* overlap an
  evidence quote or contain a short reference answer.
* **citation recall** — the share of answer sentences with at least one supporting citation: a
  citation supports a sentence when its quote contains at least 60% of the sentence's content
  words (an extractive sentence is its own quote).
* **abstention accuracy** — on unanswerable questions, the share where the system abstained;
  **false-abstention rate** — on answerable questions, the share where it abstained.
* **right speaker** — for ``quote`` questions: the first citation overlaps an evidence quote, or
  its quote names the asked-about speaker right before a reporting verb ("Kim said", "Park told";
  :func:`qa_bot.understanding.attribution.speaker_named`).
* **latency p50/p95** — nearest-rank percentiles of per-question wall time, in milliseconds.

Metrics of the answer's form (added with the answer composer; the ones above are unchanged):

* **redundancy** — over the answers given (abstentions excluded, answerable or not), the share in
  which two sentences state the same claim. The answer text is split into sentences after its
  ``[n]`` markers are removed; two sentences state the same claim when their content-word sets
  (:func:`qa_bot.text.tokens.content_words`: stopwords dropped, plurals folded) have a Jaccard
  similarity of at least 0.6, or when the smaller set has at least 4 words and lies wholly inside
  the larger (one sentence restates the other plus more). A one-phrase direct-answer lead ("15
  MOUs.") is too short to match by containment, so opening with the span is not counted. Lower
  is better; 0 is the target.
* **short-answer exact match / F1** — for answerable questions with at least one short reference:
  the answer's ``short_answer`` span against the short references, after :func:`normalize`: EM is
  1 when it equals one of them, F1 is the best :func:`token_f1`. An abstention or an answer without
  a short answer scores 0 on both. Long-form references (ClapNQ) leave both undefined.
* **answer-bearing passage recall@k** — for answerable questions, 1 when any of the first k
  retrieved passages bears the answer: it contains a short reference answer (:func:`contains_answer`),
  or finds an evidence item (as for evidence recall), or contains an evidence quote's text
  (normalised) — from *any* article, so a correct passage from another outlet counts. Undefined for
  a question with neither a short reference nor an evidence quote.
* **disagreement recall** — on answerable ``multi`` questions whose references name several values
  (:func:`reference_values`: the short references hold at least two different sets of numbers,
  e.g. "14 memorandums" and "15 MOUs"), the share whose answer has a disagreement with two different
  values each covering a different reference value (a value covers a reference value when it
  states all of that reference's numbers). References that differ only in words ("not addressed"
  / "emphasised") are not detected and leave the question out; a question whose references are
  several *parallel* numbers (not a disagreement) is counted in. NaN (reported as ``n/a``) when no
  question qualifies.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from qa_bot.text.markers import strip_markers
from qa_bot.text.numbers import numbers_in
from qa_bot.text.sentences import sentence_spans
from qa_bot.text.tokens import content_words, fold

LONG_FORM_WORDS = 12
#: Content-word Jaccard at or above which two answer sentences state the same claim.
SAME_CLAIM_JACCARD = 0.6
#: The fewest content words a sentence needs before lying inside another counts as restating it.
SAME_CLAIM_MIN_WORDS = 4
_ARTICLES = {"a", "an", "the"}


def normalize(text: str) -> str:
    """Lower case, accents and punctuation removed, articles dropped, spaces collapsed."""
    return " ".join(w for w in fold(text).split() if w not in _ARTICLES)


def is_short(reference: str) -> bool:
    """True for a reference answer short enough (at most ``LONG_FORM_WORDS`` words) to test by containment."""
    return len(reference.split()) <= LONG_FORM_WORDS


def contains_answer(text: str, references: Iterable[str]) -> bool:
    """True when a short reference answer appears in ``text`` (normalised, on word boundaries)."""
    hay = f" {normalize(text)} "
    return any(f" {normalize(r)} " in hay for r in references if is_short(r) and normalize(r))


def token_f1(prediction: str, reference: str) -> float:
    """Harmonic mean of token precision and recall (normalised tokens, multiset overlap)."""
    pred, ref = normalize(prediction).split(), normalize(reference).split()
    if not pred or not ref:
        return float(pred == ref)
    common = sum((Counter(pred) & Counter(ref)).values())
    if not common:
        return 0.0
    p, r = common / len(pred), common / len(ref)
    return 2 * p * r / (p + r)


def best_f1(prediction: str, references: Sequence[str]) -> float:
    """The highest :func:`token_f1` of ``prediction`` against any reference (0 when there are none)."""
    return max((token_f1(prediction, r) for r in references), default=0.0)


@dataclass(frozen=True)
class Span:
    """Where an evidence item stands: an article and (if the quote was located) character offsets."""

    article_id: str
    start: int = -1
    end: int = -1
    quote: str = ""

    @property
    def located(self) -> bool:
        """True when the quote was found in its article (the offsets are known)."""
        return self.start >= 0


def locate(article_id: str, quote: str, article_text: str | None) -> Span:
    """The span of ``quote`` in its article (unlocated when the text or quote is unknown)."""
    if quote and article_text:
        i = article_text.find(quote)
        if i >= 0:
            return Span(article_id, i, i + len(quote), quote)
    return Span(article_id, quote=quote)


def overlap(a_start: int, a_end: int, b_start: int, b_end: int) -> int:
    """Characters shared by the spans ``[a_start, a_end)`` and ``[b_start, b_end)``."""
    return max(0, min(a_end, b_end) - max(a_start, b_start))


def passage_finds(article_id: str, start: int, end: int, text: str, span: Span) -> bool:
    """Does a passage (article, offsets, text) find an evidence item? See the module docstring."""
    if article_id != span.article_id:
        return False
    if span.located:
        return overlap(start, end, span.start, span.end) * 2 >= (span.end - span.start)
    if span.quote:
        return normalize(span.quote) in normalize(text)
    return True


def recall_at_k(passages: Sequence[tuple[str, int, int, str]], spans: Sequence[Span], k: int) -> float:
    """Share of evidence spans found in the first ``k`` passages ``(article_id, start, end, text)``."""
    if not spans:
        return 0.0
    top = passages[:k]
    return sum(any(passage_finds(*p, s) for p in top) for s in spans) / len(spans)


def document_recall_at_k(passages: Sequence[tuple[str, int, int, str]], article_ids: Sequence[str], k: int) -> float:
    """Share of gold articles with any passage among the first ``k``."""
    gold = set(article_ids)
    if not gold:
        return 0.0
    return len(gold & {p[0] for p in passages[:k]}) / len(gold)


def reciprocal_rank(passages: Sequence[tuple[str, int, int, str]], spans: Sequence[Span]) -> float:
    """1 / rank of the first passage that finds any evidence span; 0 when none does."""
    for rank, p in enumerate(passages, start=1):
        if any(passage_finds(*p, s) for s in spans):
            return 1.0 / rank
    return 0.0


def sentence_supported(sentence: str, quotes: Sequence[str], threshold: float = 0.6) -> bool:
    """True when some quote holds at least ``threshold`` of the sentence's content words."""
    words = set(content_words(strip_markers(sentence)))
    if not words:
        return True
    return any(len(words & set(content_words(q))) / len(words) >= threshold for q in quotes)


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (``p`` in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return float(ordered[rank - 1])


def mean(values: Iterable[float | None]) -> float:
    """Mean of the defined values; NaN when there are none."""
    vals = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return sum(vals) / len(vals) if vals else math.nan


def balanced_accuracy(abstain_accuracy: float, false_abstention: float) -> float:
    """Mean of abstention accuracy (unanswerable) and answer rate (answerable)."""
    return (abstain_accuracy + (1 - false_abstention)) / 2


# ---------------------------------------------------------------- the answer's form


def same_claim(a: str, b: str) -> bool:
    """True when two answer sentences state the same claim (see the module docstring)."""
    wa, wb = set(content_words(strip_markers(a))), set(content_words(strip_markers(b)))
    if not wa or not wb:
        return False
    if len(wa & wb) / len(wa | wb) >= SAME_CLAIM_JACCARD:
        return True
    small, large = (wa, wb) if len(wa) <= len(wb) else (wb, wa)
    return len(small) >= SAME_CLAIM_MIN_WORDS and small <= large


def answer_sentences(text: str) -> list[str]:
    """The sentences of an answer's text, its ``[n]`` markers removed first (so none stands alone)."""
    plain = strip_markers(text)
    return [plain[s:e] for s, e in sentence_spans(plain)]


def is_redundant(text: str) -> bool:
    """True when two sentences of the answer ``text`` state the same claim."""
    sentences = answer_sentences(text)
    return any(same_claim(a, b) for i, a in enumerate(sentences) for b in sentences[i + 1:])


def short_answer_scores(short_answer: str | None, references: Sequence[str]) -> tuple[float, float]:
    """``(exact match, token F1)`` of a short-answer span against the short references (0, 0 without one)."""
    refs = [r for r in references if is_short(r) and normalize(r)]
    if not short_answer or not normalize(short_answer) or not refs:
        return 0.0, 0.0
    exact = float(any(normalize(short_answer) == normalize(r) for r in refs))
    return exact, best_f1(short_answer, refs)


def bears_answer(passage: tuple[str, int, int, str], spans: Sequence[Span], references: Sequence[str]) -> bool:
    """Does a passage ``(article_id, start, end, text)`` hold the answer? (any article; see the module docstring)"""
    text = passage[3]
    if contains_answer(text, references):
        return True
    hay = f" {normalize(text)} "
    return any(passage_finds(*passage, s) or (normalize(s.quote) and f" {normalize(s.quote)} " in hay)
               for s in spans if s.quote)


def answer_passage_recall_at_k(passages: Sequence[tuple[str, int, int, str]], spans: Sequence[Span],
                               references: Sequence[str], k: int) -> float:
    """1.0 when any of the first ``k`` passages bears the answer (:func:`bears_answer`), else 0.0."""
    return float(any(bears_answer(p, spans, references) for p in passages[:k]))


def reference_values(references: Sequence[str]) -> list[frozenset[str]]:
    """The distinct values the short references name, as sets of numbers (references without a number are left out).

    ``["14 memorandums", "15 documents", "15 MOUs"]`` -> ``[{"14"}, {"15"}]``: two values.
    """
    out: list[frozenset[str]] = []
    for ref in references:
        nums = frozenset(numbers_in(ref)) if is_short(ref) else frozenset()
        if nums and nums not in out:
            out.append(nums)
    return out


def disagreement_found(disagreements: Sequence[Sequence[str]], values: Sequence[frozenset[str]]) -> bool:
    """True when one disagreement (its values' texts) has two different values covering two different
    reference values (a value covers a reference value when it states all of its numbers)."""
    for stated in disagreements:
        covered = [{i for i, v in enumerate(values) if v <= numbers_in(text)} for text in stated]
        for a, first in enumerate(covered):
            for second in covered[a + 1:]:
                if any(i != j for i in first for j in second):
                    return True
    return False
