"""Errors as HTTP responses: every refusal is a status and ``{"error": "<one line>"}``, never a traceback.

The statuses follow the CLI's exit codes (:mod:`qa_bot.errors`): input errors are the client's to fix
(400, or 422 for a document that cannot become an article), an unknown id is 404, an index that is
busy or broken is 503 (worth retrying later), a server misconfiguration is 500.
"""

from __future__ import annotations

import json
import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from qa_bot.errors import (AmbiguousIdError, ConfigError, InputError, LoaderError, LockedError, NotFoundError,
                           QABotError, StoreError)

log = logging.getLogger(__name__)

#: Most specific first: the first class an error is an instance of picks its status.
STATUS_BY_ERROR: tuple[tuple[type[QABotError], int], ...] = (
    (LoaderError, 422),
    (AmbiguousIdError, 400),
    (InputError, 400),
    (NotFoundError, 404),
    (LockedError, 503),
    (StoreError, 503),
    (ConfigError, 500),
)


class ApiError(Exception):
    """A refusal decided by the API itself (bad filters, a body that is not an article): ``status``, a one-line
    ``message``, and ``extra`` fields for the JSON body."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None,
                 extra: dict | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}
        self.extra = extra or {}


def status_for(exc: QABotError) -> int:
    """The HTTP status for a library error (500 for a kind this table does not know)."""
    for kind, status in STATUS_BY_ERROR:
        if isinstance(exc, kind):
            return status
    return 500


def error_body(message: str, candidates: list[str] | tuple[str, ...] = ()) -> dict:
    """The JSON body of every refusal: the one-line message, and the ids to pick from for an ambiguous one."""
    body: dict = {"error": message}
    if candidates:
        body["candidates"] = list(candidates)
    return body


#: What the library's messages tell a command-line user to run, and what an HTTP client does instead.
CLI_HINTS = (
    ("`qa-bot list` shows the ids", "GET /articles lists them"),
    ("(`qa-bot said --list` lists them)", "(GET /speakers lists them)"),
)


def for_http(message: str) -> str:
    """A library message with its command-line hints turned into the HTTP client's equivalents."""
    for cli, http in CLI_HINTS:
        message = message.replace(cli, http)
    return message


#: Python's JSON error messages, said in words (``{}`` takes the place, e.g. "line 1, column 5").
_JSON_PROBLEMS = {
    "Expecting value": "a value was expected at {}",
    "Expecting property name enclosed in double quotes": "a property name in double quotes was expected at {}",
    "Expecting ',' delimiter": "a comma was expected at {}",
    "Expecting ':' delimiter": "a colon was expected at {}",
    "Unterminated string starting at": "the string that starts at {} is never closed",
    "Extra data": "something follows the JSON value, at {}",
    "Invalid control character at": "a string holds a raw control character (a line break, a tab) at {}",
    "Invalid \\escape": "a string holds an invalid backslash escape at {}",
    "Invalid \\uXXXX escape": "a string holds an invalid \\u escape at {}",
}


def json_error_words(err: json.JSONDecodeError) -> str:
    """Where and why a JSON text does not parse, in words: ``a comma was expected at line 2, column 14``."""
    where = f"line {err.lineno}, column {err.colno}"
    return _JSON_PROBLEMS.get(err.msg, err.msg.lower() + " at {}").format(where)


def error_response(exc: QABotError) -> JSONResponse:
    """``exc`` as its status and ``{"error", "candidates"?}`` (busy or broken index: with ``Retry-After``)."""
    status = status_for(exc)
    headers = {"Retry-After": "2"} if status == 503 else None
    return JSONResponse(error_body(for_http(str(exc)), getattr(exc, "candidates", ())), status_code=status,
                        headers=headers)


def _validation_message(exc: RequestValidationError) -> str:
    """The first problem pydantic found, as one line that names the field."""
    errors = exc.errors()
    if not errors:
        return "the request is not valid; see /docs for its shape"
    first = errors[0]
    if first.get("type") == "json_invalid":  # FastAPI's own parse of a body: say where it breaks, in words
        position = first.get("loc", ("body", 0))[-1]
        doc = exc.body if isinstance(exc.body, str) else ""
        problem = json.JSONDecodeError(str(first.get("ctx", {}).get("error", "")), doc,
                                       position if isinstance(position, int) else 0)
        return f"the body is not valid JSON ({json_error_words(problem)}); see /docs for the request shape"
    # Capitalised parts name the member of a union a value was tried as (``Message``), not a field.
    where = ".".join(str(part) for part in first.get("loc", ())
                     if part not in ("body", "query", "path") and not str(part)[:1].isupper())
    message = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    return f"{where or 'request body'}: {message}{more}; see /docs for the request shape"


def install_handlers(app: FastAPI) -> None:
    """Make every error a one-line JSON refusal: library errors, the API's own, bad requests, and bugs."""

    @app.exception_handler(QABotError)
    async def _library_error(request: Request, exc: QABotError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse({**error_body(exc.message), **exc.extra}, status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(error_body(_validation_message(exc)), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        message = exc.detail if isinstance(exc.detail, str) else "request refused"
        if exc.status_code == 404 and message == "Not Found":
            message = f"no endpoint {request.url.path}; see /docs for the endpoints"
        elif exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}; see /docs"
        return JSONResponse(error_body(message), status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected failure on %s %s", request.method, request.url.path, exc_info=exc)
        return JSONResponse(error_body(f"internal error ({type(exc).__name__}); the server log has the details, "
                                       "report this as a bug"), status_code=500)
