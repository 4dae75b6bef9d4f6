"""The extractive answerer (the offline default): quote the best sentences, cite each one.

No text is generated: every answer sentence is a verbatim sentence of a retrieved passage, so
each citation's quote is exact by construction. Sentences are scored on several signals:

* **semantic** — cosine between the question and the sentence's contextual vector (computed at
  ingest from the same forward pass as its chunk; see ``SentenceTransformerEmbedder.embed_spans``);
* **lexical** — the share of the question's topic words the sentence contains, rarer words
  (within the candidates) weighing more;
* **retrieval** — how highly its passage was ranked;
* **speaker** — for "what did X say" questions, whether the sentence reports X speaking (or
  continues X's remarks with "he/she said"), and a penalty when it reports someone else;
* **answer type** — a number for "how many", a date for "when", and so on;
* **outlet** — for "according to OUTLET" questions, whether the passage is from that outlet.

These signals (and a few more: novelty, question bigrams, the passage's own dense and BM25
scores, whether the sentence opens its article) are combined by a logistic model into the
probability that the sentence answers the question. The model and the abstention threshold live
in ``qa_bot/data/answering.toml``; both were fitted on dev data only (``eval/tune.py --fit``).
The answerer abstains when no sentence's probability reaches the threshold.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

import numpy as np

from qa_bot.embeddings import Embedder
from qa_bot.models import Answer, ChunkSentences, Citation, Hit, Sentence
from qa_bot.params import AnswerParams, load_params
from qa_bot.understanding.analysis import QueryAnalysis, analyse, sentence_speakers
from qa_bot.text.markers import defuse_citation_markers
from qa_bot.text.sentences import sentence_spans
from qa_bot.text.tokens import content_words, stem, words

ABSTAIN_TEXT = "The coverage doesn't say: no passage in the index answers this question. The closest passages are listed below."
_NUMBER = re.compile(r"\d[\d,.]*|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|"
                     r"fifty|hundred|thousand|million|billion|trillion|dozen|half|third|quarter|once|twice)\b", re.I)
_TIME = re.compile(r"\b\d{1,2}:\d{2}\b|\b\d{1,2}\s?(?:am|pm|a\.m\.|p\.m\.)|\b(?:noon|midday|midnight|morning|afternoon|"
                   r"evening|night)\b", re.I)
_DATE = re.compile(r"\b(?:january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|"
                   r"mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
                   r"today|yesterday|tomorrow|spring|summer|autumn|winter|\d{4}|\d{1,2}(?:st|nd|rd|th)?)\b", re.I)
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][\w'’-]*(?:\s+(?:of\s+the\s+|of\s+|the\s+)?[A-Z][\w'’-]*)*")
_OPENS_WITH_REFERENCE = re.compile(r"^\W*(?:it|its|they|their|them|he|his|she|her|this|these|that|those|the\s+\w+|such|both)\b", re.I)


def _new(matches: list[str], question: str) -> bool:
    q = question.lower()
    return any(m.strip().lower() not in q for m in matches if m.strip())


_CURRENCY = re.compile(r"[$€£¥₩]\s?\d|\b\d[\d,.]*\s*(?:billion|million|trillion|bn|tn|m)?\s*(?:won|yuan|dollars?|usd|cny|krw|euros?)\b|"
                       r"\b(?:cny|krw|usd|us\$)\s?\d", re.I)
_DURATION = re.compile(r"\b(?:\d[\d.]*|an?|one|two|three|four|five|six|seven|eight|nine|ten|half an?|several)\s+"
                       r"(?:minutes?|hours?|days?|weeks?|months?|years?)\b|\bhour and a half\b", re.I)
_CLOCK = re.compile(r"\b\d{1,2}:\d{2}\s?(?:am|pm|a\.m\.|p\.m\.)?|\b\d{1,2}\s?(?:am|pm|a\.m\.|p\.m\.)|\b(?:noon|midday|midnight)\b", re.I)
_HOW_MANY = re.compile(r"how many\s+(?:[\w-]+\s+){0,2}?([\w-]+)\b", re.I)


def focused_type_match(kind: str, text: str, question: str) -> float:
    """A stricter :func:`type_match`: the right kind of value attached to what the question counts.

    "How many missiles" wants a number next to "missiles"; "how much ... worth" wants an amount of
    money; "how long" a duration; "what time" a clock time.
    """
    q = question.lower()
    if kind == "time":
        return float(_new(_CLOCK.findall(text), question))
    if kind == "number":
        m = _HOW_MANY.search(question)
        if m:
            noun = stem(m.group(1).lower())
            toks = [stem(w) for w in words(text)]
            for i, tok in enumerate(toks):
                if tok == noun and any(_NUMBER.fullmatch(t) for t in toks[max(0, i - 3) : i]):
                    return 1.0
            return 0.0
        if re.search(r"how much|worth|cost|value|amount", q):
            return float(bool(_CURRENCY.search(text)))
        if re.search(r"how long", q):
            return float(bool(_DURATION.search(text)))
    return type_match(kind, text, question)


def type_match(kind: str, text: str, question: str) -> float:
    """1 when the sentence holds something of the expected kind that the question does not already say."""
    if kind == "time":
        return float(_new(_TIME.findall(text), question))
    if kind == "number":
        return float(_new(_NUMBER.findall(text), question))
    if kind == "date":
        return float(_new(_DATE.findall(text), question))
    if kind in ("person", "place", "entity"):
        names = [m for m in _CAPITALISED.findall(text)]
        if kind == "person":
            names = [n for n in names if len(n.split()) >= 2 or "-" in n]
        return float(_new(names, question))
    return 0.0


@dataclass(frozen=True)
class Candidate:
    """One sentence of a retrieved passage, located in its article."""

    hit: Hit
    text: str
    start: int  # offsets into the article text
    end: int
    previous: str = ""  # the sentence before it in the passage (for "he said" continuations)
    vector: np.ndarray | None = None


def candidates(hits: list[Hit], sentence_index: dict[str, ChunkSentences] | None = None) -> list[Candidate]:
    """Every sentence of the passages, once each (overlapping chunks repeat sentences)."""
    sentence_index = sentence_index or {}
    seen: set[tuple[str, int, int]] = set()
    out: list[Candidate] = []
    for hit in hits:
        p = hit.passage
        stored = sentence_index.get(p.chunk_id)
        spans, vectors = (stored.spans, stored.vectors) if stored else (None, None)
        if not spans:
            spans, vectors = sentence_spans(p.text), None
        prev = ""
        for i, (s, e) in enumerate(spans):
            text = p.text[s:e]
            key = (p.article_id, p.start + s, p.start + e)
            if key in seen or text.rstrip('"\'\u201d').endswith("?"):
                prev = text
                continue  # repeated in an overlapping chunk, or a question the writer asks
            seen.add(key)
            vec = vectors[i] if vectors is not None and i < len(vectors) else None
            out.append(Candidate(hit, text, p.start + s, p.start + e, prev, vec))
            prev = text
    return out


class ExtractiveAnswerer:
    """Selects and cites the sentences that best answer the question.

    Args:
        embedder: scores sentences against the question when no stored sentence vector exists.
        params: weights and thresholds (``load_params().answer`` by default).
    """

    name = "extractive"

    def __init__(self, embedder: Embedder, params: AnswerParams | None = None) -> None:
        self.embedder = embedder
        self.params = params or load_params().answer
        if self.params.max_sentences < 1:
            raise ValueError("max_sentences must be at least 1")

    # ------------------------------------------------------------ scoring

    def features(self, analysis: QueryAnalysis, cands: list[Candidate], query_vector: np.ndarray,
                 carried_terms: tuple[str, ...] = (), corpus_stats: tuple[int, dict[str, int]] | None = None,
                 ) -> dict[str, np.ndarray]:
        """Per-candidate signals, each an array over the candidates (names match the model's weights).

        ``corpus_stats`` is ``(chunks in the index, {term: chunks containing it})`` for the
        question's topic terms: it weighs words by how rare they are in the whole index, and a
        question whose words the index has never seen is probably not answered by it.
        """
        n = len(cands)
        missing = [i for i, c in enumerate(cands) if c.vector is None]
        vectors = np.zeros((n, len(query_vector)), dtype=np.float32)
        for i, c in enumerate(cands):
            if c.vector is not None:
                vectors[i] = c.vector
        if missing:
            vectors[missing] = self.embedder.embed([cands[i].text for i in missing])
        semantic = vectors @ np.asarray(query_vector, dtype=np.float32)
        bags = [set(content_words(c.text)) for c in cands]
        context = [set(content_words(c.previous)) if _OPENS_WITH_REFERENCE.match(c.text) else set() for c in cands]
        terms = {t: 1.0 for t in analysis.topic_terms}
        for t in carried_terms:
            terms.setdefault(t, self.params.carried_term_weight)
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
                who = sentence_speakers(c.text, c.previous)
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

    @staticmethod
    def question_features(feats: dict[str, np.ndarray], scores: np.ndarray) -> dict[str, float]:
        """Signals about the question as a whole, for the decision to answer or abstain."""
        top = np.sort(scores)[::-1]
        best = int(np.argmax(scores))
        return {
            "best": float(top[0]),
            "second": float(top[1]) if len(top) > 1 else 0.0,
            "slot_missing": float(feats["slot_missing"][0]),
            "absent_terms": float(feats["absent_terms"][0]),
            "best_global_lexical": float(feats["global_lexical"][best]),
            "max_global_lexical": float(feats["global_lexical"].max()),
            "best_semantic": float(feats["semantic"][best]),
            "speaker_unmatched": float(feats["speaker_other"][best]),
        }

    def support(self, feats: dict[str, np.ndarray], scores: np.ndarray) -> float:
        """Probability that the question is answered here: the abstention model, or the best sentence's."""
        model = self.params.abstain
        if not model:
            return float(scores.max())
        q = self.question_features(feats, scores)
        z = float(model.get("intercept", 0.0)) + sum(float(model.get(k, 0.0)) * v for k, v in q.items())
        return 1.0 / (1.0 + math.exp(-z))

    def combine(self, f: dict[str, np.ndarray]) -> np.ndarray:
        """Probability that each candidate answers the question (the logistic model)."""
        model = self.params.model
        n = len(next(iter(f.values())))
        z = np.full(n, float(model.get("intercept", 0.0)))
        for name, values in f.items():
            z += float(model.get(name, 0.0)) * values
        return 1.0 / (1.0 + np.exp(-z))

    # ------------------------------------------------------------ answering

    def rerank(self, hits: list[Hit], cands: list[Candidate], scores: np.ndarray, k: int) -> list[Hit]:
        """The ``k`` passages with the best blend of retrieval score and best-sentence score.

        Sentence-level evidence is sharper than a chunk-level vector: a passage holding one
        sentence that answers the question outranks a passage that is merely on topic.
        """
        best_sentence: dict[str, float] = {}
        for c, sc in zip(cands, scores):
            cid = c.hit.passage.chunk_id
            best_sentence[cid] = max(best_sentence.get(cid, -1.0), float(sc))
        top = max((h.score for h in hits), default=1.0) or 1.0
        w = self.params.rerank_retrieval
        ranked = sorted(hits, key=lambda h: -((w * h.score / top) + (1 - w) * best_sentence.get(h.passage.chunk_id, 0.0)))
        return [Hit(h.passage, h.score, h.dense, h.lexical, rank=i + 1) for i, h in enumerate(ranked[:k])]

    def answer(self, question: str, hits: list[Hit], *, k: int | None = None, analysis: QueryAnalysis | None = None,
               query_vector: np.ndarray | None = None, sentence_index: dict[str, ChunkSentences] | None = None,
               carried_terms: tuple[str, ...] = (), corpus_stats: tuple[int, dict[str, int]] | None = None,
               ) -> Answer:
        """Compose a cited answer from the best ``k`` of ``hits``, or abstain with them as the closest passages.

        Args:
            question: the (standalone) question.
            hits: retrieved passages, a pool larger than ``k`` when re-ranking is wanted.
            k: passages to keep after sentence-level re-ranking (all of ``hits`` when None).
            analysis: the question's speaker, topic, outlets and answer type.
            query_vector: the question's embedding (computed when None).
            sentence_index: chunk id -> its stored sentences (spans and vectors).
            carried_terms: words carried from earlier turns (weighted lower).
            corpus_stats: index size and document frequencies of the question's topic terms.
        """
        analysis = analysis or analyse(question)
        k = k or len(hits)
        cands = candidates(hits, sentence_index)
        if not cands:
            return self._abstain(question, hits[:k], 0.0)
        if query_vector is None:
            query_vector = self.embedder.embed([question])[0]
        feats = self.features(analysis, cands, query_vector, carried_terms, corpus_stats)
        scores = self.combine(feats)
        support = self.support(feats, scores)
        on_topic = (feats["lexical"] + feats["context_lexical"]) > 0
        if analysis.speaker_tokens and (feats["speaker_match"] * on_topic).any():
            # "What did X say about Y": X's own words on Y come first, whatever else scores well.
            scores = scores + self.params.speaker_priority * feats["speaker_match"] * on_topic
        if len(hits) > k:
            hits = self.rerank(hits, cands, scores, k)
            keep = {h.passage.chunk_id for h in hits}
            idx = [i for i, c in enumerate(cands) if c.hit.passage.chunk_id in keep]
            by_id = {h.passage.chunk_id: h for h in hits}
            cands = [Candidate(by_id[cands[i].hit.passage.chunk_id], cands[i].text, cands[i].start, cands[i].end,
                               cands[i].previous, cands[i].vector) for i in idx]
            feats = {name: values[idx] for name, values in feats.items()}
            scores = scores[idx]
        order = [int(i) for i in np.argsort(-scores)]
        if support < self.params.support_threshold:
            return self._abstain(question, hits, support)
        chosen = self._select(cands, scores, order, feats, analysis)
        return self._compose(question, hits, cands, scores, chosen, support)

    def _select(self, cands: list[Candidate], scores: np.ndarray, order: list[int], feats: dict,
                analysis: QueryAnalysis) -> list[int]:
        """The best sentence, plus up to ``max_sentences - 1`` that corroborate or complete it.

        A further sentence must score within ``keep_ratio`` of the best and either restate the
        best sentence's new information (shares a word the question does not contain) or come
        from another outlet; it is never a near-duplicate, and for "what did X say" questions it
        never reports someone else speaking.
        """
        p = self.params
        best = scores[order[0]]
        chosen = [order[0]]
        asked = set(analysis.topic_terms) | set(analysis.speaker_tokens)
        new_info = set(content_words(cands[order[0]].text)) - asked
        for i in order[1:]:
            if len(chosen) >= p.max_sentences:
                break
            other_outlet = all(cands[i].hit.passage.outlet != cands[j].hit.passage.outlet for j in chosen)
            bonus = p.diversity_bonus if other_outlet else 0.0
            if scores[i] + bonus < p.keep_ratio * best:
                continue
            if analysis.speaker_tokens and feats["speaker_other"][i] > 0:
                continue  # never pad a "what did X say" answer with someone else's words
            if not (new_info & set(content_words(cands[i].text)) or other_outlet):
                continue
            if any(self._similar(cands[i], cands[j]) for j in chosen):
                continue
            chosen.append(i)
        return chosen

    def _similar(self, a: Candidate, b: Candidate) -> bool:
        if a.vector is not None and b.vector is not None:
            return float(a.vector @ b.vector) >= self.params.redundancy
        wa, wb = set(content_words(a.text)), set(content_words(b.text))
        return bool(wa) and len(wa & wb) / len(wa | wb) >= 0.8

    def _compose(self, question: str, hits: list[Hit], cands: list[Candidate], scores: np.ndarray,
                 chosen: list[int], best: float) -> Answer:
        citations, sentences, parts = [], [], []
        for n, i in enumerate(chosen, start=1):
            c = cands[i]
            p = c.hit.passage
            citations.append(Citation(n=n, chunk_id=p.chunk_id, article_id=p.article_id, title=p.title,
                                      outlet=p.outlet, published=p.published, url=p.url, quote=c.text,
                                      start=c.start, end=c.end, support=float(scores[i])))
            sentences.append(Sentence(text=c.text, citations=(n,), support=float(scores[i])))
            parts.append(f"{defuse_citation_markers(c.text)} [{n}]")
        return Answer(question=question, text=" ".join(parts), citations=tuple(citations), abstained=False,
                      hits=tuple(hits), sentences=tuple(sentences), support=best, answerer=self.name)

    def _abstain(self, question: str, hits: list[Hit], support: float) -> Answer:
        return Answer(question=question, text=ABSTAIN_TEXT, citations=(), abstained=True, hits=tuple(hits),
                      support=support, answerer=self.name)
