"""The signals the extractive answerer scores sentences on, one array per signal over the candidates.

The names of the signals are the names of the weights in ``qa_bot/data/answering.toml``'s
``[extractive.model]`` (sentence level) and ``[extractive.abstain]`` (question level) tables.
"""

from __future__ import annotations

import math
import re

import numpy as np

from qa_bot.answering.candidates import Candidate
from qa_bot.understanding.analysis import QueryAnalysis
from qa_bot.text.numbers import CLOCK_TIME, DATE_WORD, DURATION, MONEY, QUANTITY, TIME_OF_DAY
from qa_bot.text.tokens import content_words, stem, words
from qa_bot.understanding.attribution import speakers_of

_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w'’-]*(?:\s+(?:of\s+the\s+|of\s+|the\s+)?[A-Z][\w'’-]*)*")
_OPENS_WITH_REFERENCE = re.compile(r"^\W*(?:it|its|they|their|them|he|his|she|her|this|these|that|those|the\s+\w+|such|both)\b", re.I)


def _new(matches: list[str], question: str) -> bool:
    q = question.lower()
    return any(m.strip().lower() not in q for m in matches if m.strip())


_HOW_MANY = re.compile(r"how many\s+(?:[\w-]+\s+){0,2}?([\w-]+)\b", re.I)


def focused_type_match(kind: str, text: str, question: str) -> float:
    """A stricter :func:`type_match`: the right kind of value attached to what the question counts.

    "How many missiles" wants a number next to "missiles"; "how much ... worth" wants an amount of
    money; "how long" a duration; "what time" a clock time.
    """
    q = question.lower()
    if kind == "time":
        return float(_new(CLOCK_TIME.findall(text), question))
    if kind == "number":
        m = _HOW_MANY.search(question)
        if m:
            noun = stem(m.group(1).lower())
            toks = [stem(w) for w in words(text)]
            for i, tok in enumerate(toks):
                if tok == noun and any(QUANTITY.fullmatch(t) for t in toks[max(0, i - 3) : i]):
                    return 1.0
            return 0.0
        if re.search(r"how much|worth|cost|value|amount", q):
            return float(bool(MONEY.search(text)))
        if re.search(r"how long", q):
            return float(bool(DURATION.search(text)))
    return type_match(kind, text, question)


def type_match(kind: str, text: str, question: str) -> float:
    """1 when the sentence holds something of the expected kind that the question does not already say."""
    if kind == "time":
        return float(_new(TIME_OF_DAY.findall(text), question))
    if kind == "number":
        return float(_new(QUANTITY.findall(text), question))
    if kind == "date":
        return float(_new(DATE_WORD.findall(text), question))
    if kind in ("person", "place", "entity"):
        names = [m for m in _CAPITALISED.findall(text)]
        if kind == "person":
            names = [n for n in names if len(n.split()) >= 2 or "-" in n]
        return float(_new(names, question))
    return 0.0


def sentence_features(analysis: QueryAnalysis, cands: list[Candidate], vectors: np.ndarray, query_vector: np.ndarray,
                      carried_terms: tuple[str, ...] = (), corpus_stats: tuple[int, dict[str, int]] | None = None,
                      carried_term_weight: float = 0.5) -> dict[str, np.ndarray]:
    """Per-candidate signals, each an array over ``cands`` (names match the sentence model's weights).

    Args:
        analysis: the question's topic terms, speaker, outlets and answer type.
        cands: the candidate sentences.
        vectors: one unit vector per candidate (row ``i`` for ``cands[i]``).
        query_vector: the question's unit vector.
        carried_terms: words carried from earlier turns; they count ``carried_term_weight`` as
            much as the question's own topic terms.
        corpus_stats: ``(chunks in the index, {term: chunks containing it})`` for the question's
            topic terms: it weighs words by how rare they are in the whole index, and a question
            whose words the index has never seen is probably not answered by it.
    """
    n = len(cands)
    semantic = vectors @ np.asarray(query_vector, dtype=np.float32)
    bags = [set(content_words(c.text)) for c in cands]
    context = [set(content_words(c.previous)) if _OPENS_WITH_REFERENCE.match(c.text) else set() for c in cands]
    terms = {t: 1.0 for t in analysis.topic_terms}
    for t in carried_terms:
        terms.setdefault(t, carried_term_weight)
    idf = {t: math.log(1 + (n + 1) / (1 + sum(t in b for b in bags))) for t in terms}
    total = sum(terms[t] * idf[t] for t in terms) or 1.0
    lexical = np.array([sum(terms[t] * idf[t] for t in terms if t in b) / total for b in bags])
    context_lexical = np.array([sum(terms[t] * idf[t] for t in terms if t in ctx and t not in b) / total
                                for b, ctx in zip(bags, context)])
    q_terms = list(analysis.topic_terms)
    q_bigrams = {(a, b) for a, b in zip(q_terms, q_terms[1:])}
    bigram = np.zeros(n)
    if q_bigrams:
        for i, c in enumerate(cands):
            toks = content_words(c.text)
            bigram[i] = len(q_bigrams & set(zip(toks, toks[1:]))) / len(q_bigrams)
    qset = set(q_terms) | set(carried_terms) | set(analysis.speaker_tokens)
    novelty = np.array([len(b - qset) / max(1, len(b)) for b in bags])
    speaker_match, speaker_other = np.zeros(n), np.zeros(n)
    if analysis.speaker_tokens:
        for i, c in enumerate(cands):
            who = speakers_of(c.text, c.previous)
            if who & analysis.speaker_tokens:
                speaker_match[i] = 1.0
            elif who:
                speaker_other[i] = 1.0
        if not speaker_match.any():
            speaker_other[:] = 0.0  # nobody here speaks under that name: not a usable signal
    n_chunks, df = corpus_stats or (0, {})
    gidf = {t: math.log(1 + (n_chunks + 1) / (1 + df.get(t, 0))) for t in analysis.topic_terms} if n_chunks \
        else {t: 1.0 for t in analysis.topic_terms}
    gtotal = sum(gidf.values()) or 1.0
    global_lexical = np.array([sum(w for t, w in gidf.items() if t in b) / gtotal for b in bags])
    absent = sum(1 for t in analysis.topic_terms if df.get(t, 1) == 0) / max(1, len(analysis.topic_terms)) \
        if corpus_stats else 0.0
    has_type = bool(analysis.answer_type)
    type_ok = np.array([type_match(analysis.answer_type, c.text, analysis.question) for c in cands]) if has_type \
        else np.zeros(n)
    hits = {id(c.hit): c.hit for c in cands}
    top_lex = max((h.lexical or 0.0) for h in hits.values()) or 1.0
    return {
        "semantic": semantic,
        "semantic_gap": semantic - semantic.max(),
        "lexical": lexical,
        "lexical_gap": lexical - lexical.max(),
        "context_lexical": context_lexical,
        "bigram": bigram,
        "novelty": novelty,
        "speaker_match": speaker_match,
        "speaker_other": speaker_other,
        "type_match": type_ok,
        "focused_type": np.array([focused_type_match(analysis.answer_type, c.text, analysis.question)
                                  for c in cands]) if has_type else np.zeros(n),
        "typed": np.full(n, float(has_type and analysis.answer_type != "entity")),
        "slot_missing": np.full(n, float(has_type and analysis.answer_type != "entity" and not any(
            focused_type_match(analysis.answer_type, c.text, analysis.question) for c in cands))),
        "global_lexical": global_lexical,
        "absent_terms": np.full(n, absent),
        "type_missing": (1.0 - type_ok) if has_type else np.zeros(n),
        "outlet": np.array([float(bool(analysis.outlets) and c.hit.passage.outlet in analysis.outlets)
                            for c in cands]),
        "length": np.array([min(2.0, max(0.0, (len(c.text.split()) - 25) / 25)) for c in cands]),
        "lead": np.array([float(c.start == 0) for c in cands]),
        "passage_dense": np.array([c.hit.dense if c.hit.dense is not None else 0.0 for c in cands]),
        "passage_lexical": np.array([(c.hit.lexical or 0.0) / top_lex for c in cands]),
        "passage_rank": np.array([1.0 / max(1, c.hit.rank) for c in cands]),
        "quoted_for_quote": np.array([float(analysis.is_quote_question and '"' in c.text) for c in cands]),
    }


def question_features(feats: dict[str, np.ndarray], scores: np.ndarray) -> dict[str, float]:
    """Signals about the question as a whole, for the decision to answer or abstain.

    Args:
        feats: the candidates' :func:`sentence_features`.
        scores: each candidate's probability of answering (the sentence model's output).

    Returns:
        The question-level signals, named as the abstention model's weights.
    """
    top = np.sort(scores)[::-1]
    best = int(np.argmax(scores))
    typed = float(feats["typed"][0]) if "typed" in feats else 0.0
    top3 = np.argsort(-scores, kind="stable")[:3]
    return {
        "best": float(top[0]),
        "second": float(top[1]) if len(top) > 1 else 0.0,
        "slot_missing": float(feats["slot_missing"][0]),
        "absent_terms": float(feats["absent_terms"][0]),
        "best_global_lexical": float(feats["global_lexical"][best]),
        "max_global_lexical": float(feats["global_lexical"].max()),
        "best_semantic": float(feats["semantic"][best]),
        "speaker_unmatched": float(feats["speaker_other"][best]),
        # A "how many"/"when"/"who" question whose best sentences hold no value of that kind
        # (attached to what is asked) is on topic without answering: the near miss.
        "typed": typed,
        "best_focus_missing": typed * float(feats["focused_type"][best] == 0),
        "top3_focus_missing": typed * float(not feats["focused_type"][top3].any()),
        # The learned reader (absent when it is switched off): does any sentence answer, and the chosen one?
        "max_reader": float(feats["reader"].max()) if "reader" in feats else 0.0,
        "best_reader": float(feats["reader"][best]) if "reader" in feats else 0.0,
    }
