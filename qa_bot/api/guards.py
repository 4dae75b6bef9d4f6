"""What every request passes before an endpoint sees it: the bearer token and the body size limit.

Both are plain ASGI middleware, so they hold for every route (streaming ones included) and refuse
with the same one-line JSON body as the endpoints' errors.
"""

from __future__ import annotations

import hmac
import json

from starlette.exceptions import HTTPException

from qa_bot.config import Settings

#: Paths open without the token: the liveness check, and the docs pages (they describe the API, hold no data).
OPEN_PATHS = frozenset({"/health", "/docs", "/openapi.json"})
#: Room for multipart boundaries, part headers and JSON framing on top of the largest document accepted.
BODY_SLACK_BYTES = 64 * 1024


def body_limit(settings: Settings) -> int:
    """The largest request body accepted: an upload at ``max_upload_mb``, or an article of ``max_article_chars``
    characters sent as JSON (at most 4 bytes a character in UTF-8), whichever is larger, plus framing."""
    return max(int(settings.max_upload_mb * 1e6), 4 * settings.max_article_chars) + BODY_SLACK_BYTES


def _megabytes(n_bytes: int) -> str:
    return f"{n_bytes / 1e6:.1f} MB"


async def _refuse(send, status: int, message: str, headers: dict[str, str] | None = None) -> None:
    """Send ``{"error": message}`` with ``status``."""
    body = json.dumps({"error": message}).encode()
    raw = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})


class TokenGuard:
    """Require ``Authorization: Bearer <token>`` on every path but :data:`OPEN_PATHS` (no token: all open).

    Args:
        app: the ASGI app to guard.
        token: the shared secret; ``None`` or empty switches the check off.
    """

    def __init__(self, app, token: str | None) -> None:
        self.app = app
        self.token = (token or "").encode()

    async def __call__(self, scope, receive, send) -> None:
        """Pass the request on when it carries the token (or needs none); else answer 401."""
        if scope["type"] != "http" or not self.token or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"authorization", b"")
        scheme, _, credential = given.partition(b" ")
        if not given:
            message = "this server needs a token: send the header 'Authorization: Bearer <QA_BOT_API_TOKEN>'"
        elif scheme.lower() != b"bearer" or not hmac.compare_digest(credential.strip(), self.token):
            message = "the token is wrong: send 'Authorization: Bearer <token>' with the server's QA_BOT_API_TOKEN"
        else:
            await self.app(scope, receive, send)
            return
        await _refuse(send, 401, message, {"WWW-Authenticate": "Bearer"})


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes with 413: at once from ``Content-Length``, or as soon as a
    body sent without one (chunked) passes the limit.

    Args:
        app: the ASGI app to guard.
        limit: the largest body accepted, in bytes (see :func:`body_limit`).
    """

    def __init__(self, app, limit: int) -> None:
        self.app = app
        self.limit = limit

    def _message(self, size: int | None) -> str:
        said = f"is {_megabytes(size)}" if size is not None else "is larger than that"
        return (f"the request body {said}, over the {_megabytes(self.limit)} limit (QA_BOT_MAX_UPLOAD_MB, "
                "QA_BOT_MAX_ARTICLE_CHARS); split the document")

    async def __call__(self, scope, receive, send) -> None:
        """Pass the request on while its body stays within the limit."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.limit:
            await _refuse(send, 413, self._message(int(declared)))
            return
        received = 0
        started = False

        async def counting_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    # Raised inside the endpoint's body parsing: the app's handlers answer it (with its message).
                    raise HTTPException(413, self._message(None))
            return message

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except HTTPException as exc:  # raised where no handler of the app caught it
            if started or exc.status_code != 413:
                raise
            await _refuse(send, 413, exc.detail)
