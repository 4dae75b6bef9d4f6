"""Small HTTP servers on 127.0.0.1 for tests: scripted pages, redirects, slow and huge bodies."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class PageServer:
    """Serves ``routes`` ({path: (status, headers, body or callable(handler))}) and counts requests per path."""

    def __init__(self, routes: dict, host: str = "127.0.0.1") -> None:
        self.routes = routes
        self.hits: dict[str, int] = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                return None

            def do_GET(self):
                path = self.path.split("?")[0]
                outer.hits[path] = outer.hits.get(path, 0) + 1
                route = outer.routes.get(path)
                if route is None:
                    self.send_error(404)
                    return
                status, headers, body = route
                if callable(body):
                    body(self)
                    return
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v.format(port=outer.port))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.host = host
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def slow_body(seconds: float, chunk: bytes = b"<p>slow</p>"):
    """A handler that dribbles a body for ``seconds`` (a server slower than any sane timeout)."""

    def handler(h):
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.end_headers()
        end = time.time() + seconds
        try:
            while time.time() < end:
                h.wfile.write(chunk)
                h.wfile.flush()
                time.sleep(0.2)
        except (BrokenPipeError, ConnectionResetError):
            return

    return handler


def endless_body(h):
    """A body with no Content-Length that never ends (only a size cap stops it)."""
    h.send_response(200)
    h.send_header("Content-Type", "text/plain")
    h.end_headers()
    try:
        while True:
            h.wfile.write(b"x" * 65536)
    except (BrokenPipeError, ConnectionResetError):
        return
