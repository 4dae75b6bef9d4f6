"""LLM answering through LangChain chat models: a grounded prompt, a streamed reply, checked citations.

The model gets the passages the extractive answerer ranked (numbered, with outlet, date and
title, delimited as untrusted data) and must cite a passage after every sentence. Its reply is
streamed as it is written; then :mod:`qa_bot.answering.verify` checks every sentence against the
passages it cites, attaches the exact supporting span to each citation, and flags (or removes)
what no cited passage supports. Any failure of the model — unreachable, slow, an HTTP error, an
empty or unreadable reply — yields the extractive answer with a one-line notice instead.

Backends are chosen by ``Settings.llm``: ``ollama:MODEL`` or ``openai:MODEL`` (any
OpenAI-compatible server, with ``Settings.llm_base_url``). Their packages are imported only when
used (``pip install -e '.[ollama]'`` or ``'.[openai]'``); API keys come only from the environment.
"""

from __future__ import annotations

import logging
import os
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from qa_bot.answering.claims import split_claims
from qa_bot.answering.extractive import ABSTAIN_TEXT
from qa_bot.answering.verify import ClaimCheck, Verifier
from qa_bot.config import Settings
from qa_bot.errors import ConfigError, QABotError
from qa_bot.models import Answer, Citation, Hit, Sentence
from qa_bot.text.markers import format_markers
from qa_bot.text.plural import plural

log = logging.getLogger(__name__)
PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"
_PACKAGES = {"openai": ("langchain_openai", "ChatOpenAI"), "ollama": ("langchain_ollama", "ChatOllama")}


@dataclass(frozen=True)
class LLMSpec:
    """A configured backend: ``provider`` is ``openai`` or ``ollama``."""

    provider: str
    model: str

    @property
    def label(self) -> str:
        """``provider:model``, as the user wrote it (shown in notices and eval runs)."""
        return f"{self.provider}:{self.model}"


def parse_llm(value: str) -> LLMSpec | None:
    """``"openai:MODEL"`` or ``"ollama:MODEL"`` as a spec; ``None`` for ``"extractive"``.

    Raises:
        ConfigError: anything else.
    """
    value = (value or "extractive").strip()
    if value == "extractive":
        return None
    provider, _, model = value.partition(":")
    if provider not in _PACKAGES or not model.strip():
        raise ConfigError(f"unknown answerer {value!r}: use 'extractive', 'ollama:MODEL' or 'openai:MODEL'")
    return LLMSpec(provider, model.strip())


def llm_configured(settings: Settings) -> bool:
    """True when the settings name an LLM backend (so the app can offer it beside the extractive answerer)."""
    return parse_llm(settings.llm) is not None


def llm_label(settings: Settings) -> str:
    """The configured answerer's name as shown to users: ``openai:MODEL``, ``ollama:MODEL`` or ``extractive``."""
    spec = parse_llm(settings.llm)
    return spec.label if spec else "extractive"


@dataclass(frozen=True)
class Prompts:
    """The prompt texts, read from ``qa_bot/prompts/*.toml``."""

    system: str
    user: str
    passage: str
    no_answer: str
    condense_system: str
    condense_user: str


@lru_cache(maxsize=4)
def load_prompts(folder: Path = PROMPTS_DIR) -> Prompts:
    """Read the answer and condensation prompts (cached: they are package data)."""
    answer = tomllib.loads((folder / "answer.toml").read_text(encoding="utf-8"))
    condense = tomllib.loads((folder / "condense.toml").read_text(encoding="utf-8"))
    return Prompts(answer["system"], answer["user"], answer["passage"], answer["no_answer"],
                   condense["system"], condense["user"])


def _defuse(text: str, one_line: bool = False) -> str:
    """Untrusted text that cannot close or open a passage delimiter."""
    text = text.replace("<passage", "\u2039passage").replace("</passage", "\u2039/passage")
    text = text.replace("<PASSAGE", "\u2039PASSAGE").replace("</PASSAGE", "\u2039/PASSAGE")
    return " ".join(text.split())[:300] if one_line else text


def format_passages(hits: list[Hit], prompts: Prompts | None = None) -> str:
    """The numbered passages block: ``[1]`` is ``hits[0]``."""
    prompts = prompts or load_prompts()
    blocks = []
    for n, hit in enumerate(hits, start=1):
        p = hit.passage
        blocks.append(prompts.passage.format(n=n, outlet=_defuse(p.outlet or "unknown outlet", True),
                                             published=_defuse(p.published or "undated", True),
                                             title=_defuse(p.title or "untitled", True), text=_defuse(p.text)))
    return "\n\n".join(blocks)


def build_messages(question: str, hits: list[Hit], prompts: Prompts | None = None) -> list:
    """The chat messages (system rules, then passages and question) for one grounded answer."""
    from langchain_core.prompts import ChatPromptTemplate

    prompts = prompts or load_prompts()
    template = ChatPromptTemplate.from_messages([("system", prompts.system), ("human", prompts.user)])
    return template.format_messages(no_answer=prompts.no_answer, passages=format_passages(hits, prompts),
                                    question=_defuse(question))


def make_chat_model(settings: Settings, spec: LLMSpec | None = None):
    """A LangChain chat model for the configured backend (its package is imported here, not before).

    Raises:
        ConfigError: no LLM configured, or its integration package is not installed.
    """
    spec = spec or parse_llm(settings.llm)
    if spec is None:
        raise ConfigError("no LLM is configured; set QA_BOT_LLM=ollama:MODEL or openai:MODEL")
    module_name, class_name = _PACKAGES[spec.provider]
    try:
        module = __import__(module_name, fromlist=[class_name])
    except ImportError:
        raise ConfigError(f"QA_BOT_LLM={spec.label} needs the {module_name.replace('_', '-')} package: "
                          f"run pip install -e '.[{spec.provider}]'") from None
    cls = getattr(module, class_name)
    common = dict(model=spec.model, temperature=settings.llm_temperature)
    if spec.provider == "openai":
        # Local OpenAI-compatible servers take any key; the OpenAI service needs a real one.
        key = os.environ.get("QA_BOT_LLM_API_KEY") or os.environ.get("OPENAI_API_KEY") or "not-needed"
        return cls(**common, base_url=settings.llm_base_url, api_key=key, timeout=settings.llm_timeout_s,
                   max_retries=settings.llm_max_retries, max_tokens=settings.llm_max_tokens,
                   use_responses_api=False)
    return cls(**common, base_url=settings.llm_base_url, num_predict=settings.llm_max_tokens,
               client_kwargs={"timeout": settings.llm_timeout_s})


def describe_failure(exc: BaseException, label: str, settings: Settings) -> str:
    """One line for users: what went wrong with the model server, and what to check."""
    names = {c.__name__ for c in type(exc).__mro__}
    where = settings.llm_base_url or "its default address"
    tail = "; showing the extractive answer instead."
    if names & {"APITimeoutError", "TimeoutException", "ReadTimeout", "ConnectTimeout", "TimeoutError", "WriteTimeout"}:
        return (f"The language model ({label}) did not answer within {settings.llm_timeout_s:g} s{tail} "
                "Check the server or raise QA_BOT_LLM_TIMEOUT_S.")
    status = getattr(exc, "status_code", None)
    if isinstance(status, int) and status >= 400:
        detail = " ".join(str(getattr(exc, "message", "") or getattr(exc, "error", "") or "").split())[:120]
        return (f"The language model server for {label} answered HTTP {status}" + (f" ({detail})" if detail else "")
                + f"{tail} Check the model name and the server's log.")
    if names & {"APIConnectionError", "ConnectError", "ConnectionError", "RemoteProtocolError", "NetworkError"}:
        return f"Could not reach the language model server at {where}{tail} Start it or fix QA_BOT_LLM_BASE_URL."
    return (f"The language model ({label}) sent a reply that could not be read ({type(exc).__name__}){tail} "
            "Check that the server speaks the OpenAI or Ollama chat protocol.")


class LLMError(QABotError):
    """The model's reply cannot be used (empty, or no passage cited); the message is the user's notice."""


class LLMAnswerer:
    """Answers from numbered passages with a chat model, then verifies every citation.

    Args:
        model: a LangChain chat model (``make_chat_model`` or a fake in tests).
        verifier: checks sentences against cited passages.
        settings: timeouts and what to do with unsupported sentences (``llm_unsupported``).
        name: the answerer's label, e.g. ``openai:MODEL``.
    """

    def __init__(self, model, verifier: Verifier, settings: Settings, name: str) -> None:
        self.model = model
        self.verifier = verifier
        self.settings = settings
        self.name = name
        self.prompts = load_prompts()

    def stream(self, question: str, fallback: Answer) -> Iterator[str | Answer]:
        """Yield the reply as the model writes it, then the verified :class:`Answer`.

        ``fallback`` is the extractive answer: its passages are the ones numbered for the model,
        and it is what comes back (with a notice) when the model fails.
        """
        hits = list(fallback.hits)
        if not hits:
            yield fallback
            return
        parts: list[str] = []
        try:
            for chunk in self.model.stream(build_messages(question, hits, self.prompts)):
                piece = str(chunk.text)
                if piece:
                    parts.append(piece)
                    yield piece
            answer = self.verify(question, "".join(parts), hits)
        except LLMError as exc:
            yield replace(fallback, notice=str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - every client error becomes the notice; logged, never swallowed
            log.warning("LLM answer failed: %r", exc)
            if not parts and isinstance(exc, ValueError) and "no generation chunks" in str(exc).lower():
                notice = self._empty_notice()  # LangChain's word for a stream that carried no text
            else:
                notice = describe_failure(exc, self.name, self.settings)
            yield replace(fallback, notice=notice)
            return
        yield answer

    def _empty_notice(self) -> str:
        return (f"The language model ({self.name}) returned no answer text; showing the extractive answer instead. "
                "Check the model name and that the server speaks the OpenAI or Ollama chat protocol.")

    def verify(self, question: str, reply: str, hits: list[Hit]) -> Answer:
        """Turn the model's reply into an :class:`Answer` whose citations are checked against ``hits``.

        Raises:
            LLMError: the reply is empty or cites no passage at all (a malformed answer).
        """
        text = reply.strip()
        if not text:
            raise LLMError(self._empty_notice())
        no_answer = self.prompts.no_answer.rstrip(".").lower()
        claims = [c for c in split_claims(text) if c.text.rstrip(".").lower() != no_answer]
        if not claims:
            return Answer(question, ABSTAIN_TEXT, (), True, tuple(hits), answerer=self.name,
                          notice=f"The language model ({self.name}) found no answer in the passages.")
        if not any(c.cited for c in claims):
            raise LLMError(f"The language model ({self.name}) cited no passage, so its answer cannot be checked; "
                           "showing the extractive answer instead.")
        return self._compose(question, self.verifier.check(claims, hits), hits)

    def _compose(self, question: str, checks: list[ClaimCheck], hits: list[Hit]) -> Answer:
        citations: list[Citation] = []
        index: dict[tuple[str, int, int], int] = {}
        sentences, parts = [], []
        invalid = sum(len(c.invalid) for c in checks)
        for check in checks:
            numbers = []
            for s in check.supports:
                if not s.supported:
                    continue
                p = hits[s.passage - 1].passage
                key = (p.chunk_id, s.start, s.end)
                if key not in index:
                    index[key] = len(citations) + 1
                    citations.append(Citation(n=index[key], chunk_id=p.chunk_id, article_id=p.article_id,
                                              title=p.title, outlet=p.outlet, published=p.published, url=p.url,
                                              quote=p.text[s.start:s.end], start=p.start + s.start,
                                              end=p.start + s.end, support=max(0.0, s.score)))
                numbers.append(index[key])
            ok = bool(numbers)
            if not ok and self.settings.llm_unsupported == "remove":
                continue
            sentences.append(Sentence(check.claim.text, tuple(numbers), max(0.0, check.score), supported=ok))
            parts.append(check.claim.text + format_markers(numbers))
        bad = sum(not c.supported for c in checks)
        notes = []
        if bad == len(checks):
            return Answer(question, ABSTAIN_TEXT, (), True, tuple(hits), tuple(
                Sentence(c.claim.text, (), max(0.0, c.score), supported=False) for c in checks), 0.0, self.name,
                notice=f"No sentence of the language model's answer is supported by the passages it cites; "
                       "showing the closest passages instead.")
        if bad:
            what = "removed" if self.settings.llm_unsupported == "remove" else "marked unsupported"
            notes.append(f"{bad} of {len(checks)} sentences not supported by the passages they cite "
                         f"{'was' if bad == 1 else 'were'} {what}.")
        if invalid:
            notes.append(f"{plural(invalid, 'citation')} to passages that were never given "
                         f"{'was' if invalid == 1 else 'were'} dropped.")
        return Answer(question, " ".join(parts), tuple(citations), False, tuple(hits), tuple(sentences),
                      (len(checks) - bad) / len(checks), self.name, notice=" ".join(notes))

    def condense(self, question: str, history: list) -> str:
        """A standalone version of a follow-up ``question``, written by the model.

        Raises:
            Exception: whatever the model client raises (the caller falls back to the rule-based condenser).
            LLMError: the model's rewrite is empty or implausibly long.
        """
        from langchain_core.prompts import ChatPromptTemplate

        lines = []
        for turn in history[-3:]:
            lines.append(f"User: {' '.join(turn.question.split())[:500]}")
            if turn.answer:
                lines.append(f"Assistant: {' '.join(turn.answer.split())[:500]}")
        template = ChatPromptTemplate.from_messages([("system", self.prompts.condense_system),
                                                     ("human", self.prompts.condense_user)])
        reply = self.model.invoke(template.format_messages(history="\n".join(lines), question=question))
        text = next((line.strip() for line in str(reply.text).splitlines() if line.strip()), "")
        text = text.removeprefix("Standalone question:").strip().strip('"\u201c\u201d').strip()
        if not text or len(text) > max(300, 3 * len(question)):
            raise LLMError(f"the model's rewrite of the follow-up was unusable ({len(text)} characters)")
        return text
