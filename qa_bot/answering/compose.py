"""The answer composer: from scored candidate sentences to the answer a reader sees.

Extractive answers stay verbatim: every answer sentence is a sentence of a passage, so every
quote is ``article.text[start:end]``. The composer decides which sentences, in what order, and
how they are cited:

* **one claim per sentence** — candidates from different articles that state the same claim
  (near-duplicates: stored sentence vectors' cosine, else content-word overlap) become one answer
  sentence carrying all their citations, each citation with its own exact quote;
* **no dangling references** — a sentence that opens with a pronoun, a demonstrative, an ordinal
  or "other"/"same" ("This echoes ...", "He added ...", "Other outlets ...") is kept only right
  after the sentence it follows in its article (brought in with it when that one is a candidate);
* **the direct answer first** — the first sentence holds the reader's best answer span (the
  decide stage's first span), given as :class:`~qa_bot.models.ShortAnswer`;
* **disagreement stated** — when the answering passages of different articles give different
  values for what was asked (:mod:`qa_bot.answering.disagreement`), the answer says so, the value
  most outlets give leads, and the short answer names the others.

The candidates are the sentences holding the decide stage's answer spans, in its order, with its
probabilities as scores: nothing here judges whether a sentence answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from qa_bot.answering.candidates import Candidate
from qa_bot.answering.disagreement import ValueReading, disagreement_sentence, find_disagreement
from qa_bot.models import Answer, Citation, Disagreement, DisagreementValue, Hit, Sentence, ShortAnswer
from qa_bot.params import ComposeParams
from qa_bot.text.markers import defuse_citation_markers, format_markers, strip_markers
from qa_bot.text.numbers import numbers_in
from qa_bot.text.tokens import content_words
from qa_bot.understanding.analysis import QueryAnalysis

# A sentence whose first word points back to something said before it: a personal or demonstrative
# pronoun, an ordinal or sequencing word, "other"/"same", or a connective that presupposes a
# previous sentence. A general rule of English, not of any corpus.
_DANGLING = re.compile(
    r"^\W*(?:it|its|they|their|them|he|his|him|she|her|hers|this|these|that|those|such|both|either|neither|"
    r"another|other|others|(?:the|its|their|his|her)\s+(?:same|other|latter|former|remaining)|same|"
    r"second(?:ly)?|third(?:ly)?|fourth(?:ly)?|finally|lastly|next|also|likewise|similarly|meanwhile|moreover|"
    r"furthermore|however|instead|besides|nevertheless|nonetheless|then)\b", re.I)


def dangling(text: str) -> bool:
    """True when ``text`` opens with a reference it cannot resolve on its own ("This ...", "He added ...")."""
    return bool(_DANGLING.match(text))


def same_claim(a: Candidate, b: Candidate, params: ComposeParams = ComposeParams()) -> bool:
    """True when two sentences state the same claim: close stored vectors, or mostly the same content words.

    Sentences that give different numbers never state the same claim ("14 memorandums were
    signed" and "Seven memorandums were signed" share nearly every word). The thresholds are
    ``params.same_claim_*`` (chosen on the summit dev split by reading its cross-article sentence pairs).
    """
    na, nb = numbers_in(a.text), numbers_in(b.text)
    if na and nb and not na & nb:
        return False
    if a.vector is not None and b.vector is not None and float(a.vector @ b.vector) >= params.same_claim_cosine:
        return True
    wa, wb = set(content_words(a.text)), set(content_words(b.text))
    if not wa or not wb:
        return False
    shared = len(wa & wb)
    return (shared / min(len(wa), len(wb)) >= params.same_claim_overlap
            and shared / len(wa | wb) >= params.same_claim_jaccard)


@dataclass
class Selection:
    """What the composer chose: claims in answer order, the direct answer and any disagreement.

    Attributes:
        claims: each claim is a list of candidate indices, the shown sentence first, then the
            other articles' sentences stating the same claim.
        short: ``(candidate index, start, end)`` of the direct answer inside the first claim's
            sentence (offsets relative to the sentence), or None.
        alternatives: the other values outlets give for what was asked (empty when they agree).
        readings: the differing values found (empty when the passages agree).
        about: what the values are of (the asked noun phrase).
    """

    claims: list[list[int]] = field(default_factory=list)
    short: tuple[int, int, int] | None = None
    readings: list[ValueReading] = field(default_factory=list)
    about: str = ""
    alternatives: tuple[str, ...] = ()


def _antecedent(cands: list[Candidate], i: int) -> int | None:
    c = cands[i]
    if not c.previous:
        return None
    for j, o in enumerate(cands):
        same_article = o.hit.passage.article_id == c.hit.passage.article_id
        if same_article and o.end <= c.start and o.text.strip() == c.previous.strip():
            return j
    return None


def select(cands: list[Candidate], scores: np.ndarray, spans: dict[int, tuple[int, int]], analysis: QueryAnalysis,
           params: ComposeParams, quotable: int | None = None) -> Selection:
    """Choose the claims of the answer (see the module docstring).

    Args:
        cands: the answer sentences, best first (the sentences of the decide stage's spans), then the
            corroborating ones.
        scores: each sentence's probability of answering.
        spans: candidate index -> the reader's answer span in it (offsets relative to its text).
        analysis: the question (its answer type, for disagreements between outlets).
        params: ``max_sentences`` and the same-claim thresholds.
        quotable: how many of ``cands`` (the first) may be a claim of their own (all when None); the rest
            only add citations to a claim they restate and count when outlets' values are compared.
    """
    sel = Selection()
    order = list(range(len(cands)))
    quotable = len(cands) if quotable is None else quotable
    lead = next((i for i in order[:quotable] if not dangling(cands[i].text)), None)
    sel.readings, sel.about = find_disagreement(analysis, cands, order, dangling)
    if sel.readings:
        # The value most outlets give leads (ties: the better-scored one); the others are named with it.
        counts: dict[str, int] = {}
        for r in sel.readings:
            counts[r.key] = counts.get(r.key, 0) + 1
        top = max(counts.values())
        leader = next(r for r in sel.readings if counts[r.key] == top)
        lead = leader.index
        at = cands[lead].text.find(leader.value)
        sel.short = (lead, at, at + len(leader.value)) if at >= 0 else None
        sel.alternatives = tuple(dict.fromkeys(r.value for r in sel.readings if r.key != leader.key))
    elif lead is not None and lead in spans and _shorter(cands[lead].text, *spans[lead]):
        sel.short = (lead, *spans[lead])
    if lead is None:  # every good sentence leans on the one before it: quote the pair
        ante = _antecedent(cands, order[0])
        sel.claims = [[ante], [order[0]]] if ante is not None else [[order[0]]]
    else:
        sel.claims = [[lead]]
    in_readings = {r.index for r in sel.readings}
    asked = set(analysis.topic_terms) | set(analysis.speaker_tokens)
    new_info = set(content_words(cands[sel.claims[0][0]].text)) - asked
    for i in order:
        if any(i in claim for claim in sel.claims):
            continue
        if _merge(cands, sel.claims, i, params):
            continue
        if len(sel.claims) >= params.max_sentences or i in in_readings or i >= quotable:
            continue
        if sel.readings and numbers_in(cands[i].text):
            continue  # the counts are stated once, in the disagreement sentence
        shown = [claim[0] for claim in sel.claims]
        other_outlet = all(cands[i].hit.passage.outlet != cands[j].hit.passage.outlet for j in shown)
        if not (new_info & set(content_words(cands[i].text)) or other_outlet):
            continue
        if dangling(cands[i].text):
            ante = _antecedent(cands, i)
            if ante is not None and sel.claims[-1][0] == ante:
                sel.claims.append([i])
            elif ante is not None and not dangling(cands[ante].text) and len(sel.claims) + 2 <= params.max_sentences \
                    and not any(ante in claim for claim in sel.claims):
                sel.claims += [[ante], [i]]
            continue
        sel.claims.append([i])
    return sel


def _shorter(text: str, start: int, end: int) -> bool:
    """True when ``text[start:end]`` is less than the whole sentence (a short answer that is the sentence adds nothing)."""
    return bool(text[:start].strip(" \"'\u201c\u201d")) or bool(text[end:].strip(" .!?\"'\u201c\u201d"))


def _merge(cands: list[Candidate], claims: list[list[int]], i: int, params: ComposeParams) -> bool:
    """Add ``i`` to the claim it restates (True), when it comes from an article that claim does not cite yet."""
    for claim in claims:
        if same_claim(cands[i], cands[claim[0]], params):
            articles = {cands[j].hit.passage.article_id for j in claim}
            if cands[i].hit.passage.article_id not in articles and len(claim) < params.max_citations_per_claim:
                claim.append(i)
            return True  # a restatement is never a sentence of its own
    return False


def compose(question: str, hits: list[Hit], cands: list[Candidate], scores: np.ndarray, sel: Selection,
            support: float, answerer: str) -> Answer:
    """The cited answer for ``sel``: one sentence per claim, the disagreement after the first.

    Citations are numbered in the order they first appear in the text; every citation quotes its
    own sentence exactly.
    """
    citations: list[Citation] = []
    number: dict[int, int] = {}

    def cite(i: int) -> int:
        if i not in number:
            c, p = cands[i], cands[i].hit.passage
            number[i] = len(citations) + 1
            citations.append(Citation(n=number[i], chunk_id=p.chunk_id, article_id=p.article_id, title=p.title,
                                      outlet=p.outlet, published=p.published, url=p.url, quote=c.text,
                                      start=c.start, end=c.end, support=float(scores[i])))
        return number[i]

    sentences: list[Sentence] = []
    parts: list[str] = []
    disagreements: tuple[Disagreement, ...] = ()
    for pos, claim in enumerate(sel.claims):
        ns = tuple(cite(i) for i in claim)
        text = cands[claim[0]].text
        sentences.append(Sentence(text=text, citations=ns, support=float(max(scores[i] for i in claim))))
        parts.append(defuse_citation_markers(text) + format_markers(ns))
        if pos == 0 and sel.readings:
            values: dict[str, list[int]] = {}
            shown: dict[str, str] = {}
            for r in sel.readings:
                values.setdefault(r.key, []).append(cite(r.index))
                shown.setdefault(r.key, r.value)
            disagreements = (Disagreement(about=sel.about, values=tuple(
                DisagreementValue(shown[k], tuple(dict.fromkeys(v))) for k, v in values.items())),)
            text, ns = disagreement_sentence(sel.readings, [number[r.index] for r in sel.readings],
                                             [cands[r.index].hit.passage for r in sel.readings])
            sentences.append(Sentence(text=strip_markers(text), citations=ns,
                                      support=float(scores[sel.readings[0].index])))
            parts.append(text)
    short = None
    if sel.short is not None:
        i, s, e = sel.short
        short = ShortAnswer(text=cands[i].text[s:e], citation=number[i], start=cands[i].start + s,
                            end=cands[i].start + e, alternatives=sel.alternatives)
    return Answer(question=question, text=" ".join(parts), citations=tuple(citations), abstained=False,
                  hits=tuple(hits), sentences=tuple(sentences), support=support, answerer=answerer,
                  short_answer=short, disagreements=disagreements)
