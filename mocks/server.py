"""Run the mock on a real port: in the foreground (``specmock serve``) or in a background thread."""

from __future__ import annotations

import asyncio
import contextlib
import math
import socket
import threading
from collections.abc import Callable, Iterator

import uvicorn
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from specmock.mocks.connections import ConnectionLimits, default_max_connections, protocol_class
from specmock.mocks.log_throttle import install as install_throttle

__all__ = ["ConnectionLimits", "ServerThread", "bind_socket", "run_server", "serve_in_thread"]


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket; ``port=0`` picks a free one. Raises ``OSError`` with the OS's reason.

    Made with ``IPPROTO_TCP`` (not protocol 0) and ``TCP_NODELAY``: asyncio switches Nagle's
    algorithm off only on sockets whose protocol says TCP, and with it on, a response written as
    headers then body waits for the client's delayed ACK, about 40 ms per keep-alive request.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # accepted sockets inherit it (Linux)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class _StopCut:
    """In front of the app: a request still running when the grace period of a stop is over is
    cancelled by uvicorn. The control layer has answered it 503 in its API's shape by then; this
    answers anything else 503 too, and ends the request quietly instead of with a traceback."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.server: uvicorn.Server | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except asyncio.CancelledError:
            if scope["type"] != "http" or self.server is None or not self.server.should_exit:
                raise
            with contextlib.suppress(Exception):  # nothing to do when an answer had already started
                await send({"type": "http.response.start", "status": 503, "headers": [
                    (b"content-type", b"application/json"), (b"connection", b"close"),
                    (b"retry-after", b"1")]})
                await send({"type": "http.response.body",
                            "body": b'{"error": "specmock: the server is stopping"}'})


def _server(app: Starlette, limits: ConnectionLimits | None,
            on_started: Callable[[uvicorn.Server], None] | None = None) -> _Server:
    limits = limits or ConnectionLimits(max_connections=default_max_connections())
    wrapped = _StopCut(app)
    config = uvicorn.Config(
        wrapped, log_level="warning", access_log=False, lifespan="off",
        http=protocol_class(limits),
        limit_concurrency=limits.max_connections,
        timeout_keep_alive=max(1, math.ceil(limits.keep_alive)),
        timeout_graceful_shutdown=math.ceil(limits.grace),
        h11_max_incomplete_event_size=limits.max_header_bytes,  # if the h11 protocol is ever chosen
    )
    install_throttle()
    server = _Server(config, on_started)
    wrapped.server = server
    return server


class _Server(uvicorn.Server):
    """uvicorn's server, calling ``on_started(server)`` once it accepts connections."""

    def __init__(self, config: uvicorn.Config, on_started: Callable[[uvicorn.Server], None] | None) -> None:
        super().__init__(config)
        self._on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and self._on_started is not None:
            self._on_started(self)


def run_server(
    app: Starlette, sock: socket.socket, on_started: Callable[[uvicorn.Server], None] | None = None,
    limits: ConnectionLimits | None = None,
) -> None:
    """Serve ``app`` on ``sock`` until interrupted (SIGINT or SIGTERM stop it cleanly).

    ``on_started(server)`` is called in the server's thread as soon as it accepts connections (it
    must not block); setting ``server.should_exit`` there stops the server at once. ``limits``
    bound header size, slow requests, connections and the grace period of a stop (defaults of
    :class:`~specmock.mocks.connections.ConnectionLimits`).
    """
    try:
        _server(app, limits, on_started).run(sockets=[sock])
    finally:
        install_throttle().flush()


class ServerThread:
    """The app served by uvicorn in a daemon thread on ``host`` (a free port unless ``port`` is given)."""

    def __init__(self, app: Starlette, host: str = "127.0.0.1", port: int = 0,
                 limits: ConnectionLimits | None = None) -> None:
        self.app = app
        self._sock = bind_socket(host, port)
        self.host = host
        self.port: int = self._sock.getsockname()[1]
        self._server = _server(app, limits)
        self._thread = threading.Thread(target=self._run, name=f"specmock-{self.port}", daemon=True)
        self.error: BaseException | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def alive(self) -> bool:
        """Whether the server thread is still running."""
        return self._thread.is_alive()

    def _run(self) -> None:
        try:
            self._server.run(sockets=[self._sock])
        except BaseException as exc:  # surfaced by start()/stop() to the caller's thread
            self.error = exc

    def start(self, timeout: float = 10.0) -> ServerThread:
        self._thread.start()
        deadline = threading.Event()
        waited = 0.0
        while not self._server.started and self._thread.is_alive() and waited < timeout:
            deadline.wait(0.01)
            waited += 0.01
        if not self._server.started:
            self.stop()
            reason = f": {self.error!r}" if self.error else ""
            raise RuntimeError(
                f"specmock: the mock server did not start on {self.url} within {timeout} s{reason}")
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        with contextlib.suppress(OSError):
            self._sock.close()

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def serve_in_thread(app: Starlette, host: str = "127.0.0.1", port: int = 0) -> Iterator[ServerThread]:
    with ServerThread(app, host, port) as server:
        yield server
