"""The tuned parameters of every stage, read once from ``qa_bot/data/answering.toml``.

Each stage receives its typed parameter object through its constructor; no stage reads the
file itself, so a fitting script (``eval/tune.py``) and the pipeline always see the same values.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from functools import lru_cache
from pathlib import Path

PARAMS_FILE = Path(__file__).resolve().parent / "data" / "answering.toml"


#: Hand-set starting weights, used until a fitted model is present in answering.toml.
DEFAULT_MODEL = {"intercept": -4.0, "semantic": 4.0, "lexical": 2.0, "context_lexical": 0.5, "bigram": 1.0,
                 "speaker_match": 1.5, "speaker_other": -1.0, "type_match": 0.5, "type_missing": -0.5,
                 "outlet": 0.5, "length": -0.5, "lead": -0.3, "novelty": 0.3, "passage_dense": 0.5,
                 "passage_lexical": 0.3, "passage_rank": 0.3, "quoted_for_quote": 0.3, "semantic_gap": 2.0,
                 "lexical_gap": 1.0}


@dataclass(frozen=True)
class AnswerParams:
    """Model weights and thresholds (defaults are overridden by ``answering.toml``)."""

    support_threshold: float = 0.5
    keep_ratio: float = 0.8
    max_sentences: int = 3
    redundancy: float = 0.92
    diversity_bonus: float = 0.02
    rerank_pool: int = 20
    rerank_retrieval: float = 0.3
    carried_term_weight: float = 0.5
    speaker_priority: float = 1.0
    speaker_required: bool = True  # "what did X say" answered only with sentences in which X speaks
    reader_pool: int = 24  # candidates the learned reader reads per question (the rest score 0 there)
    model: dict = field(default_factory=lambda: dict(DEFAULT_MODEL))
    abstain: dict = field(default_factory=dict)
    #: The support threshold, sentence model and abstention model to use when the reader is off.
    without_reader: dict = field(default_factory=dict)

    def for_reader(self, on: bool) -> "AnswerParams":
        """These parameters for an answerer with (``on``) or without the learned reader."""
        if on or not self.without_reader:
            return self
        alt = self.without_reader
        return replace(self, support_threshold=float(alt.get("support_threshold", self.support_threshold)),
                       model=dict(alt.get("model", self.model)), abstain=dict(alt.get("abstain", self.abstain)),
                       without_reader={})


@dataclass(frozen=True)
class FusionWeights:
    """How dense and lexical rankings are combined (reciprocal rank fusion with weights)."""

    rrf_k: float = 60.0
    dense: float = 1.0
    lexical: float = 1.0
    outlet_boost: float = 1.0
    date_boost: float = 0.5


@dataclass(frozen=True)
class VerifyParams:
    """Weights and threshold of the support score (chosen on a planted dev set; see :mod:`qa_bot.answering.verify`)."""

    lexical_weight: float = 0.8
    threshold: float = 0.75
    number_penalty: float = 0.5
    name_penalty: float = 0.2
    binding_penalty: float = 0.2
    speaker_penalty: float = 0.5
    negation_penalty: float = 0.35
    quote_penalty: float = 0.5
    pair_margin: float = 0.05  # a two-sentence unit must beat the best single sentence by this to be the quote


@dataclass(frozen=True)
class Params:
    """All tuned parameters: the answerer's, retrieval fusion's and the verifier's."""

    answer: AnswerParams = field(default_factory=AnswerParams)
    fusion: FusionWeights = field(default_factory=FusionWeights)
    verify: VerifyParams = field(default_factory=VerifyParams)


def _known(cls, data: dict) -> dict:
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


def parse_params(data: dict) -> Params:
    """Typed parameters from the parsed TOML (missing keys keep their defaults, unknown keys are ignored)."""
    extractive = dict(data.get("extractive", {}))
    model, abstain = extractive.pop("model", None), extractive.pop("abstain", None)
    without_reader = extractive.pop("without_reader", None)
    answer = AnswerParams(**_known(AnswerParams, extractive))
    if model:
        answer = replace(answer, model=dict(model))
    if abstain:
        answer = replace(answer, abstain=dict(abstain))
    if without_reader:
        answer = replace(answer, without_reader={k: (dict(v) if isinstance(v, dict) else v)
                                                 for k, v in without_reader.items()})
    return Params(answer=answer, fusion=FusionWeights(**_known(FusionWeights, data.get("fusion", {}))),
                  verify=VerifyParams(**_known(VerifyParams, data.get("verify", {}))))


@lru_cache(maxsize=8)
def load_params(path: Path = PARAMS_FILE) -> Params:
    """The parameters in ``path`` (read once per path); the defaults when the file is missing."""
    if not path.exists():
        return Params()
    return parse_params(tomllib.loads(path.read_text(encoding="utf-8")))
