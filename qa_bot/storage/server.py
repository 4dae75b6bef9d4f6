"""The data folder's own index server, so the app and ``qa-bot`` commands can use one folder at once.

Chroma's embedded (in-process) mode is not process-safe, so an embedded folder belongs to one
process (``owner.lock``). A long-lived owner — the chat app, ``qa-bot serve`` — therefore serves its
index to the others: it keeps its embedded client and answers, on 127.0.0.1, the few index calls a
store makes (:class:`IndexServer`). A command that finds the folder owned and the server alive joins
it through :class:`~qa_bot.storage.remote.RemoteClient` instead of failing; registry writes are serialised by ``write.lock``
as always. When the owner exits, the server goes with it, and the folder is an ordinary embedded
folder again.

Only the owner's processes may use the server. Chroma's own server (``chroma run``, chromadb 1.5)
has no authentication — its configuration file takes no credentials and it answered an
unauthenticated delete — so raw Chroma is never put on a port: every request here must carry
``Authorization: Bearer <secret>``, a secret drawn afresh at each start and kept with the address in
``index-server.json``, a file only the owner's user can read (mode 0600). Anything else is refused
before its body is read. The calls allowed are the collection operations of
:class:`~qa_bot.storage.index.ChunkIndex`, by name; nothing else of the client is reachable.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable

import numpy as np

from qa_bot.errors import StoreError

log = logging.getLogger(__name__)

SERVER_FILE = "index-server.json"
HOST = "127.0.0.1"
#: The one path the server answers.
CALL_PATH = "/v1/index"
#: The largest call accepted (an upsert of a full batch of chunks with their texts fits many times over).
MAX_CALL_BYTES = 512 * 1024 * 1024
#: Collection methods a joining store may call, with the keyword arguments each takes.
COLLECTION_CALLS = {
    "count": frozenset(),
    "upsert": frozenset({"ids", "embeddings", "documents", "metadatas"}),
    "delete": frozenset({"ids", "where"}),
    "get": frozenset({"ids", "where", "include", "limit", "offset"}),
    "query": frozenset({"query_embeddings", "n_results", "where", "include"}),
}
#: Client methods a joining store may call (the collection is named by ``name``).
CLIENT_CALLS = {
    "get_or_create_collection": frozenset({"name", "configuration"}),
    "delete_collection": frozenset({"name"}),
    "get_max_batch_size": frozenset(),
}


@dataclass(frozen=True)
class ServerAddress:
    """Where a data folder's index server listens, and the secret it admits."""

    host: str
    port: int
    secret: str = ""

    def __repr__(self) -> str:  # the secret never reaches a log line
        return f"ServerAddress({self.host}:{self.port})"


def _plain(value):
    """``value`` with numpy arrays and numbers turned into JSON-ready lists and numbers."""
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class IndexServer:
    """Serves the owner's Chroma client to the other processes of this data folder, for a secret.

    Args:
        data_dir: the data folder (its owner lock must be held by this process).
        client: returns the owner's embedded Chroma client (the current one: a rebuild replaces it);
            every call runs on it, in this process.
    """

    def __init__(self, data_dir: Path, client: Callable[[], Any]) -> None:
        self.data_dir = data_dir
        self.client = client
        self.address: ServerAddress | None = None
        self._httpd: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        """The port it listens on (0 before it starts)."""
        return self.address.port if self.address else 0

    def start(self) -> ServerAddress:
        """Listen on 127.0.0.1 (a free port), draw a secret, and record both in ``index-server.json``.

        Raises:
            StoreError: the address file cannot be written.
        """
        secret = secrets.token_urlsafe(32)
        self._httpd = ThreadingHTTPServer((HOST, 0), _handler(self.client, secret.encode()))
        self._httpd.daemon_threads = True
        self.address = ServerAddress(HOST, self._httpd.server_address[1], secret)
        threading.Thread(target=self._httpd.serve_forever, name="qa-bot-index-server", daemon=True).start()
        try:
            write_private_json(self.data_dir / SERVER_FILE, {
                "host": HOST, "port": self.address.port, "pid": os.getpid(), "secret": secret, "since": time.time()})
        except OSError as err:
            self.stop()
            raise StoreError(f"cannot record the index server in {self.data_dir / SERVER_FILE} ({err.strerror or err}); "
                             "check the data folder's permissions, or set QA_BOT_SHARE_INDEX=false") from None
        return self.address

    def stop(self) -> None:
        """Stop serving and remove the address file (the folder is an ordinary embedded index again)."""
        if self._httpd is not None:
            (self.data_dir / SERVER_FILE).unlink(missing_ok=True)
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None


def write_private_json(path: Path, data: dict) -> None:
    """Write ``data`` to ``path`` atomically, readable and writable by this user only (mode 0600)."""
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # 0600 from the start, whatever the umask
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh)
    os.replace(tmp, path)


def _handler(client: Callable[[], Any], secret: bytes):
    """The request handler class for a server of ``client()`` that admits ``secret``."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: a joining command makes many small calls

        def log_message(self, *args) -> None:  # requests are not logged: the owner's output is its own
            return None

        def _reply(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if status >= 400:  # the body of a refused request may be unread: end the connection
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            self.wfile.write(data)

        def _admitted(self) -> bool:
            scheme, _, given = self.headers.get("Authorization", "").partition(" ")
            if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), secret):
                return True
            self._reply(401, {"error": "this index server admits only its owner's processes"})
            return False

        def do_GET(self) -> None:  # noqa: N802 (the name http.server calls)
            if self._admitted():
                self._reply(405, {"error": f"use POST {CALL_PATH}"})

        do_PUT = do_DELETE = do_PATCH = do_GET  # noqa: N815

        def do_POST(self) -> None:  # noqa: N802
            if not self._admitted():
                return
            if self.path != CALL_PATH:
                self._reply(404, {"error": f"use POST {CALL_PATH}"})
                return
            size = self.headers.get("Content-Length", "")
            if not size.isdigit() or int(size) > MAX_CALL_BYTES:
                self._reply(413, {"error": "a call needs a Content-Length within the limit"})
                return
            try:
                call = json.loads(self.rfile.read(int(size)))
                self._reply(200, {"result": _plain(_dispatch(client(), call))})
            except _BadCall as err:
                self._reply(400, {"error": str(err)})
            except Exception as err:  # Chroma's own failure: the caller raises it as a StoreError
                log.info("index call failed: %s", err)
                self._reply(500, {"error": f"{type(err).__name__}: {str(err)[:300]}"})

    return Handler


class _BadCall(ValueError):
    """A call that names no allowed operation or passes arguments it does not take."""


def _dispatch(client, call):
    """Run one allowed call on ``client``: ``{"op", "collection"?, "args"}``."""
    if not isinstance(call, dict) or not isinstance(call.get("args", {}), dict):
        raise _BadCall("a call is {op, collection?, args}")
    op, args = call.get("op"), dict(call.get("args") or {})
    allowed = COLLECTION_CALLS.get(op) if "collection" in call else CLIENT_CALLS.get(op)
    if allowed is None or set(args) - allowed:
        raise _BadCall(f"{op!r} with {sorted(args)} is not a call this server takes")
    if "collection" not in call:
        if op == "get_or_create_collection":
            client.get_or_create_collection(args["name"], embedding_function=None,
                                            configuration=args.get("configuration"))
            return None
        return getattr(client, op)(**args)
    collection = client.get_collection(str(call["collection"]), embedding_function=None)
    for key in ("embeddings", "query_embeddings"):
        if args.get(key) is not None:
            args[key] = np.asarray(args[key], dtype=np.float32)
    return getattr(collection, op)(**args)


def _reachable(port: int, timeout: float = 1.0) -> bool:
    try:
        socket.create_connection((HOST, port), timeout=timeout).close()
        return True
    except OSError:
        return False


def live_server(data_dir: Path) -> ServerAddress | None:
    """The address and secret of the folder's index server when one runs (its owner alive, its port open).

    A file another user could read is not trusted (nor used): the server writes it with mode 0600.
    """
    path = data_dir / SERVER_FILE
    try:
        if path.stat().st_mode & 0o077:
            log.warning("%s is readable by other users; ignoring it", path)
            return None
        info = json.loads(path.read_text())
        address = ServerAddress(str(info["host"]), int(info["port"]), str(info["secret"]))
        owner = int(info["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(owner, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return address if _reachable(address.port) else None
