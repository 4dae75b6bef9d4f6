"""The ``qa-bot serve`` command: the REST API (:mod:`qa_bot.api`) on uvicorn, one bot per process."""

from __future__ import annotations

import errno
import socket
from typing import Annotated

import typer
from rich.markup import escape

from qa_bot.errors import ConfigError, QABotError


def make_bot():
    """The bot the server holds: settings from ``QA_BOT_*``; like the app, a long-lived process that serves
    its embedded index to ``qa-bot`` commands on the same data folder while it runs."""
    from qa_bot.bot import QABot

    return QABot(serve_index=True)


def register(app, shell) -> None:
    """Add ``serve`` to ``app``."""

    @app.command()
    def serve(
        host: Annotated[str, typer.Option(metavar="ADDRESS", help="Address to listen on (loopback by default; "
                                          "any other needs QA_BOT_API_TOKEN).")] = "127.0.0.1",
        port: Annotated[int, typer.Option(metavar="PORT", min=1, max=65535, help="Port to listen on.")] = 8000,
    ) -> None:
        """Serve the REST API over HTTP (reference at /docs).

        Endpoints: POST /ask, POST /ask/stream (server-sent events), GET and POST /articles, GET and DELETE
        /articles/ID, POST /eval, GET /eval/datasets, GET /timeline, GET /said, GET /speakers, GET /health.
        One bot is opened at start and shared by every request. With QA_BOT_API_TOKEN set, every request but
        /health needs the header 'Authorization: Bearer <token>'; without it, the server listens on loopback
        only and answers only requests to a loopback name.
        """
        import uvicorn

        from qa_bot.api.app import create_app
        from qa_bot.api.guards import is_loopback_host
        from qa_bot.terminal import progress_bar

        try:
            bot = make_bot()  # settings only: the index opens below
        except QABotError as exc:
            shell.fail(exc)
        if not is_loopback_host(host) and not bot.settings.api_token:
            shell.fail(ConfigError(f"--host {host} would let other machines use the API without a token; set one "
                                   "first, e.g. QA_BOT_API_TOKEN=$(openssl rand -hex 32) qa-bot serve --host "
                                   f"{host} (clients send 'Authorization: Bearer <token>'), or serve on 127.0.0.1"))
        try:
            sock = listen(host, port)  # before the index opens: a busy port costs nothing to report
        except ValueError as exc:
            shell.fail(exc)
        try:
            with progress_bar(shell.err, on_demand=True) as progress:
                bot.open(progress)
                bot.ensure_indexed(progress, on_build=lambda folder: shell.err.print(
                    f"The index is empty: building it from {escape(str(folder))} first."))
            bot.warm_up()  # the model loads now, with errors as one line, not in the server's startup hook
            api = create_app(bot)
        except QABotError as exc:
            sock.close()
            shell.fail(exc)
        shell.err.print(f"qa-bot API on {escape(base_url(host, port))} (reference: /docs); Ctrl+C stops it")
        server = uvicorn.Server(uvicorn.Config(api, log_level="warning", access_log=False))
        try:
            server.run(sockets=[sock])
        except KeyboardInterrupt:  # Ctrl+C is how a server stops: uvicorn has shut down cleanly, re-raising it
            pass
        finally:
            bot.close()
            sock.close()
        if not server.started:
            shell.fail(QABotError("the server did not start; the lines above say why"))


def base_url(host: str, port: int) -> str:
    """The address clients use, e.g. ``http://127.0.0.1:8000`` (an IPv6 host in brackets)."""
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on ``host:port`` for the server.

    Raises:
        ValueError: the address cannot be used (busy port, unknown host, no permission), as one line.
    """
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise ValueError(f"--host {host}: not an address this machine has ({exc.strerror or exc}); "
                         "use 127.0.0.1 or one of its own addresses") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise ValueError(f"--port {port}: {host}:{port} is already in use; stop the program using it or "
                             "choose another --port") from None
        raise ValueError(f"--host/--port: cannot listen on {host}:{port} ({exc.strerror or exc}); choose another "
                         "address or port") from None
    return sock
