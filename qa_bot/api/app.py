"""The REST API: :func:`create_app` wraps one opened :class:`~qa_bot.bot.QABot` in FastAPI routes.

The routes are thin, as the CLI's commands are: parse the request, call one library method, return
its ``to_dict()`` shape. Errors become ``{"error": "<one line>"}`` with a status (:mod:`qa_bot.api.errors`);
the token (or, without one, a loopback ``Host``), the body size and a JSON body's nesting depth are checked
before any route runs (:mod:`qa_bot.api.guards`); every field is bounded (question, history, gold set).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import asynccontextmanager
from typing import Optional

from fastapi import FastAPI, Query, Request
from fastapi.responses import StreamingResponse

from qa_bot.api.articles import router as articles_router
from qa_bot.api.docs import install_docs
from qa_bot.api.errors import ApiError, error_body, for_http, install_handlers, status_for
from qa_bot.api.evals import router as evals_router
from qa_bot.api.guards import BodyLimit, JsonDepthLimit, TokenGuard, body_limit
from qa_bot.api.schemas import AskRequest
from qa_bot.errors import QABotError
from qa_bot.models import Answer

log = logging.getLogger(__name__)


def create_app(bot, *, token: Optional[str] = None) -> FastAPI:
    """The API app serving ``bot`` (opened and warmed up when the app starts, closed when it stops).

    Args:
        bot: a :class:`~qa_bot.bot.QABot` (tests pass one with a fake embedder).
        token: the bearer token every request but ``/health`` must carry; ``bot.settings.api_token`` by default.
            Without one, only requests to a loopback ``Host`` name are answered.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        bot.warm_up()
        try:
            yield
        finally:
            bot.close()

    app = FastAPI(title="qa-bot", summary="Answers about news coverage, with citations.", lifespan=lifespan,
                  docs_url=None, redoc_url=None)
    app.state.bot = bot
    install_handlers(app)
    install_docs(app)
    app.include_router(articles_router)
    app.include_router(evals_router)
    app.include_router(_router())
    settings = bot.settings
    app.add_middleware(JsonDepthLimit)
    app.add_middleware(BodyLimit, limit=body_limit(settings))
    app.add_middleware(TokenGuard, token=token if token is not None else settings.api_token)
    return app


def _router():
    """The asking, eval and news routes."""
    from fastapi import APIRouter

    router = APIRouter()

    @router.get("/health", tags=["server"])
    def health(request: Request) -> dict:
        """Liveness, and what the index holds (open without the token)."""
        return {"status": "ok", "index": request.app.state.bot.stats()}

    @router.post("/ask", tags=["ask"])
    def ask(body: AskRequest, request: Request) -> dict:
        """Answer a question with citations, or abstain (the shape of ``qa-bot ask --json``)."""
        bot = request.app.state.bot
        filters = _checked(bot, body)
        return bot.ask(body.question, k=body.k, filters=filters, history=body.history_items(),
                       answerer=body.answerer).to_dict()

    @router.post("/ask/stream", tags=["ask"], response_class=StreamingResponse, responses={200: {
        "content": {"text/event-stream": {}},
        "description": "Server-sent events: `token` ({text}) while the answer is written, then `answer` "
                       "(the checked answer, as /ask returns it), or `error` ({error}) if it fails midway."}})
    def ask_stream(body: AskRequest, request: Request) -> StreamingResponse:
        """Stream the answer as server-sent events, then the checked answer."""
        bot = request.app.state.bot
        filters = _checked(bot, body)
        items = bot.stream(body.question, k=body.k, filters=filters, history=body.history_items(),
                           answerer=body.answerer)
        first = next(items)  # retrieval runs here: its errors are still a plain status, not a broken stream
        return StreamingResponse(_events(first, items), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @router.get("/timeline", tags=["news"])
    def timeline(request: Request, topic: Optional[str] = None,
                 since: Optional[str] = Query(None, description="YYYY-MM-DD"),
                 until: Optional[str] = Query(None, description="YYYY-MM-DD")) -> dict:
        """The story's events in the order they happened, each with the articles reporting it (optionally only
        those about ``topic``, or within ``since``..``until``)."""
        from qa_bot.news.timeline import build_timeline

        return build_timeline(request.app.state.bot, topic=topic, since=since, until=until).to_dict()

    @router.get("/said", tags=["news"])
    def said(request: Request, speaker: str, topic: Optional[str] = None) -> dict:
        """What ``speaker`` said in the coverage (optionally about ``topic``), grouped by topic, each statement
        cited."""
        from qa_bot.news.said import statements

        return statements(request.app.state.bot, speaker, topic=topic).to_dict()

    @router.get("/speakers", tags=["news"])
    def speakers(request: Request) -> dict:
        """Everyone the coverage quotes, with how many statements each (the names ``/said`` takes)."""
        from qa_bot.news.said import speakers as quoted

        return {"speakers": [{"name": name, "statements": n} for name, n in quoted(request.app.state.bot)]}

    return router


def _checked(bot, body: AskRequest):
    """The request's filters, after the checks ``qa-bot ask`` makes before answering (question, k, answerer),
    and the history's bounds.

    Raises:
        ApiError: an empty date range, an unknown answerer, a history over its bounds or not valid Unicode (400).
        InputError: an empty, over-long or invalid question, ``k`` out of range.
    """
    try:
        filters = body.filters.to_filters()
    except ValueError as exc:
        raise ApiError(400, f"filters: {exc}") from None
    bot.check_question(body.question, body.k)
    problem = body.history_problem(bot.settings.max_history_turns, bot.settings.max_history_chars)
    if problem:
        raise ApiError(400, problem)
    try:
        bot.uses_llm(body.answerer)
    except QABotError as exc:  # an unknown answerer is the request's mistake, not the server's
        raise ApiError(400, f"answerer: {exc}") from None
    return filters


def _event(name: str, data: dict) -> str:
    """One server-sent event; the data is JSON on one line, so a newline in the text cannot end it."""
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _events(first, items: Iterator) -> Iterator[str]:
    """``token`` events for the text pieces, then the ``answer`` event; an ``error`` event if it fails midway."""
    item = first
    try:
        while True:
            if isinstance(item, Answer):
                yield _event("answer", item.to_dict())
                return
            yield _event("token", {"text": item})
            item = next(items)
    except StopIteration:
        yield _event("error", error_body("the answer ended before it was complete; ask again"))
    except QABotError as exc:
        yield _event("error", dict(error_body(for_http(str(exc))), status=status_for(exc)))
    except Exception as exc:  # headers are sent: the stream itself must say it failed
        log.error("stream failed", exc_info=exc)
        yield _event("error", error_body(f"internal error ({type(exc).__name__}); the server log has the "
                                         "details, report this as a bug"))
