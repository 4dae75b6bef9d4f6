"""A scripted chat-model server on 127.0.0.1 for the LLM tests.

It speaks the two protocols qa-bot's backends use — OpenAI chat completions
(``POST .../chat/completions``: JSON, or SSE when ``"stream": true``) and Ollama
(``POST /api/chat``: NDJSON when streaming, which is Ollama's default, else JSON) — and replays
scripted replies. A reply is chosen by a marker found in the last user message (for example a
word of the question), so every test is deterministic whatever else it runs beside.

Replies may name passages by content instead of number, because the number a passage gets
depends on retrieval: ``{cite:PHRASE}`` becomes ``[n]`` for the passage whose text contains
PHRASE, ``{other:PHRASE}`` a passage that does *not* contain it, and ``{missing}`` a number that
was never given.
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_PASSAGE = re.compile(r'<passage n="(\d+)">\n(.*?)\n</passage>', re.S)
_SLOT = re.compile(r"\{(cite|other):([^}]+)\}|\{missing\}")


@dataclass
class Script:
    """One scripted behaviour: a reply, or a failure."""

    reply: str = ""
    status: int = 200  # an HTTP error status to answer with instead
    hang_s: float = 0.0  # wait this long before answering (a server that hangs)
    malformed: bool = False  # answer 200 with a body no client can parse


@dataclass
class ScriptedServer:
    """Start with ``with ScriptedServer(scripts) as server:``; ``server.url`` is ``http://127.0.0.1:PORT``."""

    scripts: dict[str, Script]
    default: Script = field(default_factory=lambda: Script("I cannot say."))
    requests: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_POST(self) -> None:  # noqa: N802 - the stdlib's naming
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                owner.requests.append({"path": self.path, "body": body})
                owner._answer(self, body)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> "ScriptedServer":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()  # releases handlers that are "hanging"
        self._httpd.shutdown()
        self._httpd.server_close()

    # ------------------------------------------------------------ replies

    def pick(self, body: dict) -> Script:
        """The script whose marker occurs in the last user message."""
        users = [m for m in body.get("messages", []) if m.get("role") in ("user", "human")]
        text = _content(users[-1]) if users else ""
        question = text.rsplit("Question:", 1)[-1] if "Question:" in text else text
        for marker, script in self.scripts.items():
            if marker in question:
                return script
        return self.default

    def render(self, reply: str, body: dict) -> str:
        """Resolve ``{cite:...}``, ``{other:...}`` and ``{missing}`` against the passages in the request."""
        users = [m for m in body.get("messages", []) if m.get("role") in ("user", "human")]
        passages = {int(n): text for n, text in _PASSAGE.findall(_content(users[-1]) if users else "")}

        def fill(m: re.Match) -> str:
            if m.group(0) == "{missing}":
                return f"[{max(passages, default=0) + 7}]"
            kind, phrase = m.group(1), m.group(2)
            found = [n for n, t in sorted(passages.items()) if (phrase in t) == (kind == "cite")]
            return f"[{found[0]}]" if found else "[0]"

        return _SLOT.sub(fill, reply)

    def _answer(self, h: BaseHTTPRequestHandler, body: dict) -> None:
        script = self.pick(body)
        if script.hang_s and self._stop.wait(script.hang_s):
            return
        ollama = h.path.rstrip("/").endswith("/api/chat")
        if script.status != 200:
            error = {"error": "scripted failure"} if ollama else {"error": {"message": "scripted failure",
                                                                           "type": "server_error"}}
            return _send(h, script.status, "application/json", json.dumps(error).encode())
        if script.malformed:
            return _send(h, 200, "application/json", b"<html>this is not a chat reply</html>")
        text = self.render(script.reply, body)
        pieces = re.findall(r"\S+\s*|\s+", text) or [""]
        model = body.get("model", "scripted")
        stream = body.get("stream", ollama)  # Ollama streams unless told not to
        if ollama:
            self._ollama(h, model, text, pieces, stream)
        else:
            self._openai(h, model, text, pieces, stream)

    def _openai(self, h, model: str, text: str, pieces: list[str], stream: bool) -> None:
        base = {"id": "chatcmpl-scripted", "created": int(time.time()), "model": model}
        if not stream:
            reply = dict(base, object="chat.completion", choices=[{
                "index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                usage={"prompt_tokens": 10, "completion_tokens": len(pieces), "total_tokens": 10 + len(pieces)})
            return _send(h, 200, "application/json", json.dumps(reply).encode())
        _start(h, "text/event-stream")
        for i, piece in enumerate(pieces):
            delta = {"role": "assistant", "content": piece} if i == 0 else {"content": piece}
            chunk = dict(base, object="chat.completion.chunk",
                         choices=[{"index": 0, "delta": delta, "finish_reason": None}])
            h.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            h.wfile.flush()
        end = dict(base, object="chat.completion.chunk", choices=[{"index": 0, "delta": {}, "finish_reason": "stop"}])
        h.wfile.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())

    def _ollama(self, h, model: str, text: str, pieces: list[str], stream: bool) -> None:
        stamp = "2026-01-05T00:00:00Z"
        done = {"model": model, "created_at": stamp, "done": True, "done_reason": "stop", "total_duration": 1,
                "prompt_eval_count": 10, "eval_count": len(pieces)}
        if not stream:
            reply = dict(done, message={"role": "assistant", "content": text})
            return _send(h, 200, "application/json", json.dumps(reply).encode())
        _start(h, "application/x-ndjson")
        for piece in pieces:
            line = {"model": model, "created_at": stamp, "message": {"role": "assistant", "content": piece},
                    "done": False}
            h.wfile.write((json.dumps(line) + "\n").encode())
            h.wfile.flush()
        h.wfile.write((json.dumps(dict(done, message={"role": "assistant", "content": ""})) + "\n").encode())


def _content(message: dict) -> str:
    content = message.get("content", "")
    if isinstance(content, list):  # content blocks
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content)


def _start(h: BaseHTTPRequestHandler, content_type: str) -> None:
    h.send_response(200)
    h.send_header("Content-Type", content_type)
    h.send_header("Connection", "close")
    h.end_headers()


def _send(h: BaseHTTPRequestHandler, status: int, content_type: str, data: bytes) -> None:
    h.send_response(status)
    h.send_header("Content-Type", content_type)
    h.send_header("Content-Length", str(len(data)))
    h.send_header("Connection", "close")
    h.end_headers()
    h.wfile.write(data)
