"""Request bodies of the REST API (responses are the library's own ``to_dict`` shapes)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator

from qa_bot.retrieval.filters import Filters


class _Body(BaseModel):
    """A request body: unknown fields are refused, so a typo is an error rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")


class FiltersIn(_Body):
    """What an answer may draw on, as ``qa-bot ask --outlet/--since/--until`` take it."""

    outlets: list[str] = Field(default_factory=list, description="Only these outlets (any of them).")
    outlet: Optional[str] = Field(default=None, description="One outlet (the same as outlets: [outlet]).")
    since: Optional[date] = Field(default=None, description="Only articles published on or after (YYYY-MM-DD).")
    until: Optional[date] = Field(default=None, description="Only articles published on or before (YYYY-MM-DD).")

    def to_filters(self) -> Filters:
        """The library's :class:`Filters`.

        Raises:
            ValueError: ``since`` is after ``until``.
        """
        outlets = [*self.outlets, *([self.outlet] if self.outlet else [])]
        return Filters(tuple(dict.fromkeys(o.strip() for o in outlets if o.strip())), self.since, self.until)


class Message(_Body):
    """One earlier turn of the conversation, as chat messages are written."""

    role: Literal["user", "assistant"]
    content: str


class AskRequest(_Body):
    """A question, with the conversation so far for follow-ups (``POST /ask`` and ``/ask/stream``)."""

    question: str = Field(description="The question about the coverage.")
    history: list[Union[Message, dict[str, Any]]] = Field(
        default_factory=list, description="Earlier turns, oldest first: {role, content} messages "
        "(or {question, answer} pairs).")
    k: Optional[int] = Field(default=None, description="Passages to retrieve (the server's default when left out).")
    filters: FiltersIn = Field(default_factory=FiltersIn)
    answerer: Optional[str] = Field(default=None, description="extractive, ollama:MODEL or openai:MODEL "
                                    "(the server's QA_BOT_LLM when left out).")

    def history_items(self) -> list:
        """The history as :func:`~qa_bot.understanding.condense.normalize_history` reads it."""
        return [h.model_dump() if isinstance(h, Message) else h for h in self.history]


class ArticleIn(_Body):
    """An article given as JSON, as the app's "paste text" form takes it."""

    title: str = ""
    text: str
    outlet: str = ""
    url: str = ""
    published: Optional[str] = Field(default=None, description="Publication date, e.g. 2026-01-05.")
    author: str = ""


class UrlIn(_Body):
    """A web page to fetch and add."""

    url: str


class EvalRequest(_Body):
    """An eval run, as ``qa-bot eval`` takes its options (paths are on the server's disk)."""

    dataset: str = Field(description="Gold questions (JSONL), a path on the server.")
    corpus: Optional[str] = Field(default=None, description="Corpus folder or JSONL (the corpus folder by default).")
    system: str = Field(default="qa-bot", description="qa-bot, or baseline (the textbook LangChain pipeline).")
    k: Optional[int] = None
    limit: Optional[int] = Field(default=None, ge=1, description="Only the first N questions.")
    ablate: str = Field(default="", description="Answer-quality steps to switch off, comma-separated.")
    answerer: Optional[str] = Field(default=None, description="extractive, ollama:MODEL or openai:MODEL.")
    write_reports: bool = Field(default=True, description="Write run.json, summary.md and report.html under "
                                "the data folder, as the CLI does.")

    @field_validator("dataset")
    @classmethod
    def _named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("give the path of a gold JSONL file")
        return value
