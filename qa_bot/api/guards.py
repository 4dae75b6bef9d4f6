"""What every request passes before an endpoint sees it: the bearer token (or, without one, a loopback
``Host``), the body size limit, and the nesting depth of a JSON body.

All are plain ASGI middleware, so they hold for every route (streaming ones included) and refuse
with the same one-line JSON body as the endpoints' errors.
"""

from __future__ import annotations

import hmac
import ipaddress
import json

import numpy as np
from starlette.exceptions import HTTPException

from qa_bot.config import Settings

#: Paths open without the token: the liveness check, the docs pages (they describe the API, hold no data)
#: and the docs' icon (browsers fetch it without the token).
OPEN_PATHS = frozenset({"/health", "/docs", "/openapi.json", "/favicon.ico"})
#: The deepest nesting of arrays and objects accepted in a JSON body (the bodies this API takes need 4).
MAX_JSON_DEPTH = 32
#: Host names that reach only this machine (a server without a token answers only to these).
LOOPBACK_NAMES = frozenset({"localhost", "localhost.", "::1"})
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


def is_loopback_host(host: str) -> bool:
    """True when a ``Host`` header (``name[:port]``, ``[v6]:port``) names this machine only."""
    name = host.strip().lower()
    if name.startswith("["):
        name = name[1:].partition("]")[0]
    elif name.count(":") == 1:
        name = name.partition(":")[0]
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


class TokenGuard:
    """Require ``Authorization: Bearer <token>`` on every path but :data:`OPEN_PATHS`.

    Without a token the server is for this machine only (``qa-bot serve`` binds loopback then): it answers
    only requests whose ``Host`` is a loopback name, so a web page cannot reach it through a DNS name
    rebound to 127.0.0.1.

    Args:
        app: the ASGI app to guard.
        token: the shared secret; ``None`` or empty: no token, loopback ``Host`` names only.
    """

    def __init__(self, app, token: str | None) -> None:
        self.app = app
        self.token = (token or "").encode()

    async def __call__(self, scope, receive, send) -> None:
        """Pass the request on when it carries the token (or, without one, names a loopback host); else refuse."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not self.token:
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
            if is_loopback_host(host):
                await self.app(scope, receive, send)
            else:
                await _refuse(send, 403, f"this server has no token, so it answers only requests to 127.0.0.1 or "
                                         f"localhost (Host: {host[:60]!r}); set QA_BOT_API_TOKEN to serve other names")
            return
        if scope["path"] in OPEN_PATHS:
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


_DEPTH_STEP = np.zeros(256, dtype=np.int32)
_DEPTH_STEP[[ord("["), ord("{")]] = 1
_DEPTH_STEP[[ord("]"), ord("}")]] = -1
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'"[]{}')


def json_depth(data: bytes, stop_above: int | None = None, chunk: int = 1 << 20) -> int:
    """The deepest nesting of arrays and objects in JSON ``data``; brackets inside strings do not count
    (with ``stop_above``, the scan may stop at the first chunk that goes deeper than that).

    Linear whatever the body holds, and never recursive, so it runs before any parser sees the body:
    escaped backslashes and escaped quotes are dropped, then everything but quotes and brackets, and a
    bracket counts when an even number of quotes precedes it (numpy, in chunks). Where a body is not
    JSON, a parser stops at the first place it reads the body differently from this count.
    """
    structure = data.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _NOT_STRUCTURE)
    deepest = level = inside = 0
    for start in range(0, len(structure), chunk):
        a = np.frombuffer(structure, dtype=np.uint8, count=min(chunk, len(structure) - start), offset=start)
        quote = a == ord('"')
        quotes = np.cumsum(quote, dtype=np.int32)
        outside = ((inside + quotes - quote) % 2 == 0) & ~quote
        levels = level + np.cumsum(_DEPTH_STEP[a] * outside, dtype=np.int64)
        deepest, level = max(deepest, int(levels.max())), int(levels[-1])
        inside = int((inside + quotes[-1]) % 2)
        if stop_above is not None and deepest > stop_above:
            break
    return deepest


class JsonDepthLimit:
    """Refuse a JSON body nested deeper than ``limit`` with 400, before anything parses it (a parser's
    recursion, not the body's size, is what such a body attacks).

    Args:
        app: the ASGI app to guard.
        limit: the deepest nesting accepted.
    """

    def __init__(self, app, limit: int = MAX_JSON_DEPTH) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send) -> None:
        """Read a JSON body (or one with no content type, which is parsed as JSON), check it, then replay it."""
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        kind = dict(scope["headers"]).get(b"content-type", b"").split(b";")[0].strip().lower()
        if kind and b"json" not in kind:
            await self.app(scope, receive, send)
            return
        parts, more = [], True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([message], receive), send)
                return
            parts.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(parts)
        if json_depth(body, stop_above=self.limit) > self.limit:
            await _refuse(send, 400, f"the JSON body nests arrays or objects more than {self.limit} levels deep; "
                                     "see /docs for the request shapes")
            return
        await self.app(scope, _replay([{"type": "http.request", "body": body, "more_body": False}], receive), send)


def _replay(messages: list[dict], receive):
    """A ``receive`` that gives ``messages`` first, then what ``receive`` gives (a disconnect, say)."""
    pending = list(messages)

    async def replayed():
        return pending.pop(0) if pending else await receive()

    return replayed
