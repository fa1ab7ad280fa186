"""Connection limits for the served mock: what one client can hold of the server is bounded.

uvicorn's httptools protocol, with three guards it has no setting for:

- **Header size**: the bytes of a request before its headers end are counted as they arrive;
  past :attr:`ConnectionLimits.max_header_bytes` the answer is 431 and the connection is closed
  (httptools would otherwise buffer a header of any size).
- **Request timeout**: a connection must complete its request's headers within
  :attr:`ConnectionLimits.request_timeout` seconds of opening (or of the request's first byte on a
  kept-alive connection), and may not sit idle that long in the middle of a body. One that never
  sent a byte is closed silently; one with a partial request gets 408 first. Between requests,
  uvicorn's own ``timeout_keep_alive`` applies.
- **Concurrent connections**: uvicorn's ``limit_concurrency`` setting is the bound. Past it, a
  request is answered 503 with a JSON body saying why and ``Retry-After``, and a warning is logged
  (rate-limited by :mod:`~specmock.mocks.log_throttle`).
"""

from __future__ import annotations

import asyncio
import json
import logging
import resource
from dataclasses import dataclass
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["ConnectionLimits", "LimitedHttpProtocol", "default_max_connections", "protocol_class"]

log = logging.getLogger("specmock.server")


def default_max_connections(ceiling: int = 1000) -> int:
    """``ceiling``, or fewer when the process may not open that many files (leaving room for its own)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return ceiling
    return max(8, min(ceiling, soft - 64))


@dataclass(frozen=True)
class ConnectionLimits:
    #: Bytes a request may send before its headers end (request line and headers together).
    max_header_bytes: int = 65_536
    #: Seconds to complete a request's headers, and the longest silence inside a body.
    request_timeout: float = 10.0
    #: Seconds an idle kept-alive connection stays open (uvicorn's ``timeout_keep_alive``).
    keep_alive: float = 5.0
    #: Connections served at once (uvicorn's ``limit_concurrency``).
    max_connections: int = 1000
    #: Seconds in-flight requests get to finish when the server stops (``timeout_graceful_shutdown``).
    grace: float = 5.0


#: Seconds a refused connection is read (and what it sends dropped) before it is closed.
_LINGER_SECONDS = 1.0


def _raw_response(status: bytes, body: dict[str, str], extra: bytes = b"") -> bytes:
    payload = json.dumps(body).encode("utf-8")
    return (b"HTTP/1.1 " + status + b"\r\ncontent-type: application/json\r\nconnection: close\r\n"
            + extra + b"content-length: " + str(len(payload)).encode("ascii") + b"\r\n\r\n" + payload)


class LimitedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the header-size, timeout and connection guards above."""

    limits: ClassVar[ConnectionLimits] = ConnectionLimits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._real_app = self.app
        # The concurrency bound is judged here (see on_headers_complete), with a clearer answer
        # than uvicorn's plain-text one; uvicorn's own check is switched off.
        self._max_connections = self.limit_concurrency or self.limits.max_connections
        self.limit_concurrency = None
        self._in_headers = True
        self._header_bytes = 0
        self._partial = False
        self._discarding = False
        self._timer: asyncio.TimerHandle | None = None
        # Loop time by which the request in progress must have moved on (None: nothing pending).
        # Requests only move this deadline; one timer per connection checks it when it falls due,
        # so a keep-alive request costs no timer of its own.
        self._deadline: float | None = None

    # -- the request timeout --------------------------------------------------------------------

    def _arm(self) -> None:
        """A new deadline from now, and the timer that checks it if none is pending."""
        self._deadline = deadline = self.loop.time() + self.limits.request_timeout
        if self._timer is None:
            self._timer = self.loop.call_at(deadline, self._timed_out)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _timed_out(self) -> None:
        self._timer = None
        transport = self.transport
        if transport is None or transport.is_closing() or self._deadline is None:
            return
        if self.loop.time() < self._deadline:  # the request moved on since: check again then
            self._timer = self.loop.call_at(self._deadline, self._timed_out)
            return
        if self._partial and (self.cycle is None or self.cycle.response_complete
                              or not self.cycle.response_started):
            seconds = f"{self.limits.request_timeout:g}"
            transport.write(_raw_response(b"408 Request Timeout", {
                "error": f"specmock: the request was not received within {seconds} s"}))
        transport.close()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    # -- the header-size bound ------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self._discarding:
            return
        if self._in_headers:
            room = self.limits.max_header_bytes - self._header_bytes
            if len(data) > room:
                # Feed what fits: the headers may end inside it, with a body (or the next
                # request) following.
                head, rest = data[: max(room, 0)], data[max(room, 0):]
                if head:
                    self._header_bytes += len(head)
                    super().data_received(head)
                if self.transport.is_closing():
                    return
                if self._in_headers:
                    self._refuse_headers()
                    return
                self.data_received(rest)
                return
            self._header_bytes += len(data)
        elif self._partial:  # inside a body: the silence allowed starts again
            self._arm()
        super().data_received(data)

    def _refuse_headers(self) -> None:
        limit = self.limits.max_header_bytes
        log.warning("specmock: refused a request whose headers are larger than %d bytes", limit)
        transport = self.transport
        transport.write(_raw_response(b"431 Request Header Fields Too Large", {
            "error": f"specmock: the request line and headers are larger than {limit} bytes"}))
        # Closing with the client's bytes unread would reset the connection, and the reset can
        # destroy the answer before the client reads it: read and drop for a moment first.
        self._discarding = True
        try:
            transport.write_eof()
        except (OSError, RuntimeError, NotImplementedError):
            transport.close()
            return
        self._disarm()
        self._timer = self.loop.call_later(_LINGER_SECONDS, transport.close)

    # -- parser callbacks -----------------------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._partial = True
        if self._deadline is None:
            self._arm()

    def on_headers_complete(self) -> None:
        self._in_headers = False
        self._header_bytes = 0
        if len(self.connections) > self._max_connections or len(self.tasks) >= self._max_connections:
            log.warning("specmock: answered 503, %d connections are open and the limit is %d "
                        "(--max-connections)", len(self.connections), self._max_connections)
            self.app = _busy(self._max_connections)
            try:
                super().on_headers_complete()
            finally:
                self.app = self._real_app
        else:
            super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._partial = False
        self._in_headers = True
        self._deadline = None


def _busy(limit: int) -> Any:
    payload = json.dumps({"error": f"specmock: too many connections at once (the limit is {limit}); "
                                   "retry shortly"}).encode("utf-8")

    async def busy(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 503, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode("ascii")),
            (b"retry-after", b"1"), (b"connection", b"close")]})
        await send({"type": "http.response.body", "body": payload})

    return busy


def protocol_class(limits: ConnectionLimits) -> type[LimitedHttpProtocol]:
    """The protocol class uvicorn builds each connection with, bound to ``limits``."""
    return type("LimitedHttpProtocol", (LimitedHttpProtocol,), {"limits": limits})
