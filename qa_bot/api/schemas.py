"""Request bodies of the REST API (responses are the library's own ``to_dict`` shapes)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, StrictStr, field_validator

from qa_bot.api.errors import ApiError, json_error_words
from qa_bot.errors import LoaderError
from qa_bot.ingest.article import check_unicode
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
    """One earlier message of the conversation, as chat messages are written."""

    role: Literal["user", "assistant"]
    content: StrictStr


class Exchange(_Body):
    """One earlier exchange of the conversation: a question and the answer it got."""

    question: StrictStr
    answer: StrictStr = ""


class AskRequest(_Body):
    """A question, with the conversation so far for follow-ups (``POST /ask`` and ``/ask/stream``)."""

    question: StrictStr = Field(description="The question about the coverage.")
    history: list[Union[Message, Exchange]] = Field(
        default_factory=list, description="Earlier turns, oldest first: {role: user|assistant, content} messages "
        "or {question, answer} pairs; at most QA_BOT_MAX_HISTORY_TURNS of them and QA_BOT_MAX_HISTORY_CHARS "
        "characters in all.")
    k: Optional[int] = Field(default=None, description="Passages to retrieve (the server's default when left out).")
    filters: FiltersIn = Field(default_factory=FiltersIn)
    answerer: Optional[str] = Field(default=None, description="extractive, ollama:MODEL or openai:MODEL "
                                    "(the server's QA_BOT_LLM when left out).")

    def history_items(self) -> list[dict]:
        """The history as :func:`~qa_bot.understanding.condense.normalize_history` reads it."""
        return [h.model_dump() for h in self.history]

    def history_problem(self, max_turns: int, max_chars: int) -> str | None:
        """What makes the history unusable — too many turns, too many characters, text that is not valid
        Unicode — as one line naming the turn, or None."""
        if len(self.history) > max_turns:
            return (f"history: {len(self.history):,} turns; the limit is {max_turns:,} (QA_BOT_MAX_HISTORY_TURNS). "
                    "Send the most recent turns only")
        texts = [(n, text) for n, h in enumerate(self.history)
                 for text in ((h.content,) if isinstance(h, Message) else (h.question, h.answer))]
        total = sum(len(text) for _, text in texts)
        if total > max_chars:
            return (f"history: {total:,} characters in all; the limit is {max_chars:,} (QA_BOT_MAX_HISTORY_CHARS). "
                    "Send the most recent turns only")
        for n, text in texts:
            try:
                check_unicode(text, f"history[{n}]", "history")
            except LoaderError as err:
                return err.reason
        return None


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


class EvalOptions(_Body):
    """How to run an eval, as ``qa-bot eval`` takes its options (in a multipart upload: form fields; with a
    JSON-lines body: query parameters)."""

    system: str = Field(default="qa-bot", description="qa-bot, or baseline (the textbook LangChain pipeline).")
    k: Optional[int] = Field(default=None, description="Passages per question (the server's default when left out).")
    limit: Optional[int] = Field(default=None, ge=1, description="Only the first N questions.")
    ablate: str = Field(default="", description="Answer-quality steps to switch off, comma-separated.")
    answerer: Optional[str] = Field(default=None, description="extractive, ollama:MODEL or openai:MODEL.")
    write_reports: bool = Field(default=True, description="Write run.json, summary.md and report.html under "
                                "the data folder, as the CLI does.")


class EvalRequest(EvalOptions):
    """An eval run as JSON: a bundled gold set by name, or the questions themselves (never a path)."""

    dataset: Optional[str] = Field(default=None, description="A bundled gold set by name, e.g. summit_gold "
                                   "(GET /eval/datasets lists them).")
    questions: Optional[list[dict[str, Any]]] = Field(default=None, description="Gold questions, one object each "
                                                      "as a gold JSONL line: {id, question, answers, answerable, "
                                                      "evidence, ...}.")

    @field_validator("dataset")
    @classmethod
    def _named(cls, value: Optional[str]) -> Optional[str]:
        if value is not None and not value.strip():
            raise ValueError("give the name of a bundled gold set (GET /eval/datasets), or send 'questions'")
        return value


async def read_json_object(request, expected: str) -> dict:
    """The request body as a JSON object.

    Args:
        request: the Starlette request.
        expected: what to send instead, for the refusal (e.g. ``an article {title, text, ...}``).

    Raises:
        ApiError: not JSON (naming where it breaks, in words), or not an object (422).
    """
    raw = await request.body()
    try:
        body = json.loads(raw or b"null")
    except json.JSONDecodeError as err:
        raise ApiError(422, f"the body is not valid JSON ({json_error_words(err)}); send {expected}") from None
    except RecursionError:  # the depth guard refuses such a body first; this is the parser's own limit
        raise ApiError(422, f"the body is nested too deeply to read; send {expected}") from None
    except ValueError:
        raise ApiError(422, f"the body is not valid JSON (not UTF-8 text); send {expected}") from None
    if not isinstance(body, dict):
        raise ApiError(422, f"the body must be a JSON object; send {expected}")
    return body
