"""The tuned parameters of every stage, read once from ``qa_bot/data/answering.toml``.

Each stage receives its typed parameter object through its constructor; no stage reads the
file itself, so a fitting script (``eval/tune.py``) and the pipeline always see the same values.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from functools import lru_cache
from pathlib import Path

from qa_bot.errors import ConfigError

PARAMS_FILE = Path(__file__).resolve().parent / "data" / "answering.toml"


#: The signals of the decide stage's support model (:meth:`qa_bot.answering.decide.Decider.probability`).
SUPPORT_SIGNALS = ("intercept", "margin", "score", "topic")


@dataclass(frozen=True)
class ReadParams:
    """What the read stage reads: the retrieved pool and how many of its passages the reader reads."""

    pool: int = 20  # passages retrieved before reading (at least the asked k)
    passages: int = 8  # of them, the passages the reader reads (at least the asked k)
    by_retrieval: int = 4  # of those, the pool's best by retrieval; the rest hold its sentences closest to the question
    outlet_pool: int = 80  # passages retrieved for the outlet view (``ask --by-outlet``)
    per_outlet: int = 1  # of them, each outlet's best passages the reader reads for the outlet's row


@dataclass(frozen=True)
class DecideParams:
    """The decide stage's calibrated support model and selection settings.

    ``support`` holds one weight per name of :data:`SUPPORT_SIGNALS` (checked at load: an unknown
    or missing name is an error, never a silent 0).
    """

    support: dict = field(default_factory=lambda: {"intercept": 0.0, "margin": 1.0, "score": 0.0, "topic": 0.0})
    threshold: float = 0.5
    keep_ratio: float = 0.5
    max_spans: int = 8
    speaker_required: bool = True  # "what did X say" answered only with sentences in which X speaks


@dataclass(frozen=True)
class ComposeParams:
    """How the composer turns answer sentences into claims (chosen on the summit dev split)."""

    max_sentences: int = 3
    same_claim_cosine: float = 0.76  # stored sentence vectors this close state one claim
    same_claim_overlap: float = 0.6  # share of the shorter sentence's content words
    same_claim_jaccard: float = 0.35  # and of both sentences' words together
    max_citations_per_claim: int = 4


@dataclass(frozen=True)
class AnswerParams:
    """The extractive answerer's parameters, one object per stage."""

    read: ReadParams = field(default_factory=ReadParams)
    decide: DecideParams = field(default_factory=DecideParams)
    compose: ComposeParams = field(default_factory=ComposeParams)


@dataclass(frozen=True)
class FusionWeights:
    """How dense and lexical rankings are combined (reciprocal rank fusion with weights)."""

    rrf_k: float = 60.0
    dense: float = 1.0
    lexical: float = 1.0
    outlet_boost: float = 1.0
    date_boost: float = 0.5
    duplicate_overlap: float = 0.7  # share of five-word shingles above which two articles' passages are one text


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


def _typed(cls, data: dict, where: str):
    """``cls`` from a TOML table; an unknown key is an error naming the table and the key."""
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ConfigError(f"{PARAMS_FILE.name}: [{where}] has an unknown key {unknown[0]!r} "
                          f"(known: {', '.join(sorted(names))})")
    return cls(**data)


def check_support(weights: dict, where: str = "decide.support") -> dict:
    """The support model's weights as floats, every name of :data:`SUPPORT_SIGNALS` present and no other.

    Raises:
        ConfigError: a missing or unknown weight, or one that is not a number.
    """
    missing = [n for n in SUPPORT_SIGNALS if n not in weights]
    unknown = sorted(set(weights) - set(SUPPORT_SIGNALS))
    if missing or unknown:
        what = f"lacks the weight {missing[0]!r}" if missing else f"has an unknown weight {unknown[0]!r}"
        raise ConfigError(f"{PARAMS_FILE.name}: [{where}] {what}; the support model's weights are "
                          f"{', '.join(SUPPORT_SIGNALS)} (refit with `python eval/tune.py --fit`)")
    try:
        return {n: float(weights[n]) for n in SUPPORT_SIGNALS}
    except (TypeError, ValueError):
        raise ConfigError(f"{PARAMS_FILE.name}: [{where}] weights must be numbers") from None


def parse_params(data: dict) -> Params:
    """Typed parameters from the parsed TOML (missing keys keep their defaults; unknown keys are errors).

    Raises:
        ConfigError: an unknown table key, or a support model with missing or unknown weights.
    """
    answer = dict(data.get("answer", {}))
    decide = dict(answer.pop("decide", {}))
    if "support" in decide:
        decide["support"] = check_support(decide["support"])
    parsed = AnswerParams(read=_typed(ReadParams, answer.pop("read", {}), "answer.read"),
                          decide=_typed(DecideParams, decide, "answer.decide"),
                          compose=_typed(ComposeParams, answer.pop("compose", {}), "answer.compose"))
    if answer:
        raise ConfigError(f"{PARAMS_FILE.name}: [answer] has an unknown table {sorted(answer)[0]!r} "
                          "(known: read, decide, compose)")
    unknown = sorted(set(data) - {"answer", "fusion", "verify"})
    if unknown:
        raise ConfigError(f"{PARAMS_FILE.name}: unknown table [{unknown[0]}] (known: answer, fusion, verify)")
    return Params(answer=parsed, fusion=_typed(FusionWeights, data.get("fusion", {}), "fusion"),
                  verify=_typed(VerifyParams, data.get("verify", {}), "verify"))


@lru_cache(maxsize=8)
def load_params(path: Path = PARAMS_FILE) -> Params:
    """The parameters in ``path`` (read once per path); the defaults when the file is missing."""
    if not path.exists():
        return Params()
    return parse_params(tomllib.loads(path.read_text(encoding="utf-8")))
