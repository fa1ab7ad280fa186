"""The proxy's HTTP/1.1 client: a keep-alive pool of asyncio connections, answers parsed by httptools.

It does only what a forwarding proxy needs, so that a request costs little more than the bytes it
moves: the request head is written as one buffer from the header pairs the proxy already holds
(bytes, never decoded), the answer is parsed in C (``httptools.HttpResponseParser``) straight from
the socket callbacks, and its body is handed over chunk by chunk as it arrives (the socket is paused
while too much waits unread). Nothing is added to the request but ``Host`` and, for a streamed body
of unknown length, chunked framing; nothing is followed (redirects are answers like any other).

TLS is the standard library's (``ssl``), through the event loop's own TLS transport. A pooled
connection the upstream closed meanwhile is retried once on a fresh one, but only when nothing of
the request can have been acted on: the method is idempotent and no body was streamed, or the
connection was already seen closed before anything was written.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlsplit

import httptools

__all__ = [
    "Answer",
    "Origin",
    "UpstreamClient",
    "UpstreamFailure",
    "UpstreamTimeout",
    "split_url",
]

#: Methods a pooled connection found dead after the request went out may be retried with (RFC 9110 §9.2.2).
IDEMPOTENT = frozenset({b"GET", b"HEAD", b"PUT", b"DELETE", b"OPTIONS", b"TRACE"})
#: Unread answer bytes held per connection before the socket is paused, and resumed under.
_HIGH_WATER = 1024 * 1024
_LOW_WATER = 256 * 1024


class UpstreamFailure(Exception):
    """The upstream could not give an answer; ``kind`` names how (``connection refused``, ``TLS error``,
    ``connection failed``, ``upstream protocol error``, ``answer cut off``, ``timeout``)."""

    def __init__(self, kind: str, cause: BaseException | None = None) -> None:
        detail = f": {type(cause).__name__}" if cause is not None else ""
        super().__init__(kind + detail)
        self.kind = kind
        self.cause = cause


class UpstreamTimeout(UpstreamFailure, TimeoutError):
    """The upstream was silent longer than the timeout (connecting, before or within its answer)."""

    def __init__(self, where: str) -> None:
        super().__init__("timeout")
        self.where = where


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int
    host_header: bytes  # what Host says: the port only when it is not the scheme's default


@functools.lru_cache(maxsize=256)
def split_url(url: str) -> tuple[Origin, bytes]:
    """The origin of an absolute ``http(s)://`` URL and its request target (path and query, as written)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http:// or https:// URL: {url!r}")
    default = 443 if parts.scheme == "https" else 80
    port = parts.port or default
    host = parts.hostname
    shown = f"[{host}]" if ":" in host else host
    header = shown if port == default else f"{shown}:{port}"
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return Origin(parts.scheme, host, port, header.encode("idna")), target.encode("latin-1")


class _Connection(asyncio.Protocol):
    """One TCP (or TLS) connection to an upstream; at most one answer in flight on it."""

    def __init__(self, origin: Origin) -> None:
        self.origin = origin
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.answer: Answer | None = None
        self._writable: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not derive from asyncio's classes: no isinstance check.
        self.transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        answer = self.answer
        if answer is None:  # bytes nobody asked for on an idle connection: it cannot be reused
            self.close()
            return
        answer.feed(data)

    def eof_received(self) -> bool | None:
        return None  # close the transport; connection_lost tells the answer

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.answer is not None:
            self.answer.lost(exc)
        writable, self._writable = self._writable, None
        if writable is not None and not writable.done():
            writable.set_exception(UpstreamFailure("answer cut off", exc))

    def pause_writing(self) -> None:
        if self._writable is None:
            self._writable = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        writable, self._writable = self._writable, None
        if writable is not None and not writable.done():
            writable.set_result(None)

    async def write(self, data: bytes) -> None:
        if self.closed or self.transport is None:
            raise UpstreamFailure("answer cut off")
        self.transport.write(data)
        if self._writable is not None:
            await self._writable

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class Answer:
    """An upstream's answer: ``status`` and raw ``headers`` once :meth:`UpstreamClient.send` returns,
    the body from :meth:`chunks`. Call :meth:`release` when done (or :meth:`close` to give up on it)."""

    def __init__(self, client: UpstreamClient, conn: _Connection, head_only: bool, timeout: float) -> None:
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self._client = client
        self._conn = conn
        self._head_only = head_only
        self._timeout = timeout
        self._parser = httptools.HttpResponseParser(self)
        self._head_size = 0
        self._got_bytes = False
        self._head_done = False
        self._ends_at_close = False
        self._complete = False
        self._keep_alive = False
        self._error: UpstreamFailure | None = None
        self._chunks: collections.deque[bytes] = collections.deque()
        self._buffered = 0
        self._paused = False
        self._waiter: asyncio.Future[None] | None = None
        self._finished = False

    # -- fed by the connection --------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        self._got_bytes = True
        if self._complete or self._error is not None:
            self._conn.close()  # more than one answer's worth: the connection is not trusted again
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(UpstreamFailure("upstream protocol error", exc))

    def lost(self, exc: Exception | None) -> None:
        if self._complete:
            return
        if self._head_done and self._ends_at_close and exc is None:
            self._complete, self._keep_alive = True, False  # the body ended with the connection
            self._wake()
            return
        self._fail(UpstreamFailure("answer cut off" if self._got_bytes else "connection closed", exc))

    def _fail(self, error: UpstreamFailure) -> None:
        if self._error is None and not self._complete:
            self._error = error
            self._conn.close()
            self._wake()

    def _wake(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # -- httptools callbacks ------------------------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_size += len(name) + len(value)
        if self._head_size > self._client.max_head_bytes:
            raise ValueError("the answer's head is too large")
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        status = self._parser.get_status_code()
        if 100 <= status < 200 and status != 101:  # 100 Continue, 103 Early Hints: the answer follows
            self.headers = []
            return
        self.status = status
        self._head_done = True
        framed = False
        for name, value in self.headers:
            lowered = name.lower()
            chunked = lowered == b"transfer-encoding" and b"chunked" in value.lower()
            if chunked or lowered == b"content-length":
                framed = True
        self._ends_at_close = not framed and not self._head_only and status not in (204, 304)
        if self._head_only:  # the answer to HEAD has no body, whatever its Content-Length says
            self._complete = True
            self._keep_alive = self._parser.should_keep_alive()
        self._wake()

    def on_body(self, body: bytes) -> None:
        if self._head_only:
            return
        self._chunks.append(body)
        self._buffered += len(body)
        if self._buffered > _HIGH_WATER and not self._paused and self._conn.transport is not None:
            self._paused = True
            self._conn.transport.pause_reading()
        self._wake()

    def on_message_complete(self) -> None:
        if not self._head_done or self._complete:
            return  # the end of an informational answer, or of a HEAD answer already complete
        self._complete = True
        self._keep_alive = self._parser.should_keep_alive()
        self._wake()

    # -- read by the proxy ----------------------------------------------------------------------------

    async def _wait(self, where: str) -> None:
        loop = asyncio.get_running_loop()
        waiter = self._waiter = loop.create_future()
        timer = loop.call_later(self._timeout, _expire, waiter)
        try:
            await waiter
        except TimeoutError:
            self._fail(UpstreamTimeout(where))
        finally:
            timer.cancel()

    async def head(self) -> None:
        while not self._head_done and self._error is None:
            await self._wait("head")
        if self._error is not None:
            raise self._error

    async def chunks(self) -> AsyncIterator[bytes]:
        """The body as it arrives (decoded from chunked framing, content codings kept as sent)."""
        while True:
            if self._chunks:
                chunk = self._chunks.popleft()
                self._buffered -= len(chunk)
                if self._paused and self._buffered < _LOW_WATER and self._conn.transport is not None:
                    self._paused = False
                    self._conn.transport.resume_reading()
                yield chunk
            elif self._error is not None:
                raise self._error
            elif self._complete:
                return
            else:
                await self._wait("body")

    @property
    def complete(self) -> bool:
        return self._complete and not self._chunks

    def release(self) -> None:
        """The proxy is done with the answer: its connection goes back to the pool if it can be reused."""
        if self._finished:
            return
        self._finished = True
        conn = self._conn
        conn.answer = None
        if self._complete and self._keep_alive and not self._chunks and not conn.closed:
            self._client._put_back(conn)
        else:
            conn.close()
            self._client._give_back()

    def close(self) -> None:
        """Give up on the answer (the client left): its connection is closed, not reused."""
        self._complete = False
        self.release()


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError())


class UpstreamClient:
    """Keep-alive connections to any number of upstreams, ``max_connections`` at most in use at once.

    ``timeout`` bounds connecting, waiting for a free connection, and every silence of an upstream
    (before its answer and between two pieces of it). ``tls`` replaces the default TLS context.
    """

    def __init__(
        self,
        *,
        timeout: float = 30.0,
        verify_tls: bool = True,
        max_connections: int = 200,
        max_head_bytes: int = 256 * 1024,
        tls: ssl.SSLContext | None = None,
    ) -> None:
        self.timeout = timeout
        self.max_head_bytes = max_head_bytes
        self._verify = verify_tls
        self._tls = tls  # the default one (system CAs, or none checked) is made on first https use
        self._idle: dict[Origin, list[_Connection]] = {}
        self._limit = max_connections
        self._in_use = 0
        self._slot_waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    def _tls_context(self) -> ssl.SSLContext:
        if self._tls is None:
            context = ssl.create_default_context()
            if not self._verify:
                context.check_hostname = False
                context.verify_mode = ssl.CERT_NONE
            self._tls = context
        return self._tls

    async def send(
        self,
        method: bytes,
        origin: Origin,
        target: bytes,
        headers: list[tuple[bytes, bytes]],
        body: AsyncIterator[bytes] | None = None,
        *,
        chunked: bool = False,
    ) -> Answer:
        """Send a request to ``origin`` (see :func:`split_url`) and wait for the head of its answer.
        ``target`` is the request target as sent (path and query); ``headers`` go out as given (plus
        ``Host``); ``body`` is streamed, in chunked framing when ``chunked`` (its length unknown).
        :class:`UpstreamFailure` (or :class:`UpstreamTimeout`) when no answer came."""
        lines = [method, b" ", target, b" HTTP/1.1\r\nhost: ", origin.host_header, b"\r\n"]
        for name, value in headers:
            lines += (name, b": ", value, b"\r\n")
        if chunked:
            lines.append(b"transfer-encoding: chunked\r\n")
        lines.append(b"\r\n")
        head = b"".join(lines)
        await self._take_slot()
        try:
            for _attempt in range(3):
                conn, reused = await self._connection(origin)
                answer = Answer(self, conn, method == b"HEAD", self.timeout)
                conn.answer = answer
                wrote = streamed = False
                try:
                    await conn.write(head)
                    wrote = True
                    if body is not None:
                        streamed = True
                        await _stream(conn, body, chunked)
                    await answer.head()
                    return answer
                except UpstreamFailure as failure:
                    conn.answer = None
                    conn.close()
                    if not wrote:  # found closed before anything went out: any request may go again
                        continue
                    silent = not answer._got_bytes and not isinstance(failure, UpstreamTimeout)
                    if reused and silent and not streamed and method in IDEMPOTENT:
                        continue
                    if failure.kind == "connection closed":
                        raise UpstreamFailure("upstream protocol error", failure.cause) from failure
                    raise
                except BaseException:
                    conn.answer = None
                    conn.close()
                    raise
            raise UpstreamFailure("upstream protocol error")
        except BaseException:
            self._give_back()
            raise

    async def _take_slot(self) -> None:
        if self._in_use < self._limit:
            self._in_use += 1
            return
        waiter = asyncio.get_running_loop().create_future()
        self._slot_waiters.append(waiter)
        try:
            async with asyncio.timeout(self.timeout):
                await waiter  # the slot is handed over by _give_back: _in_use is unchanged
        except TimeoutError:
            if waiter.done() and not waiter.cancelled():
                self._give_back()
            else:
                waiter.cancel()
            raise UpstreamTimeout("waiting for a free connection") from None

    def _give_back(self) -> None:
        while self._slot_waiters:
            waiter = self._slot_waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._in_use -= 1

    def _put_back(self, conn: _Connection) -> None:
        self._idle.setdefault(conn.origin, []).append(conn)
        self._give_back()

    async def _connection(self, origin: Origin) -> tuple[_Connection, bool]:
        idle = self._idle.get(origin)
        while idle:
            conn = idle.pop()
            if not conn.closed and conn.transport is not None and not conn.transport.is_closing():
                return conn, True
        loop = asyncio.get_running_loop()
        tls = self._tls_context() if origin.scheme == "https" else None
        try:
            async with asyncio.timeout(self.timeout):
                _, conn = await loop.create_connection(
                    lambda: _Connection(origin),
                    origin.host,
                    origin.port,
                    ssl=tls,
                    server_hostname=origin.host if tls is not None else None,
                )
        except TimeoutError:
            raise UpstreamTimeout("connect") from None
        except ssl.SSLError as exc:
            raise UpstreamFailure("TLS error", exc) from exc
        except ConnectionRefusedError as exc:
            raise UpstreamFailure("connection refused", exc) from exc
        except OSError as exc:
            # uvloop and asyncio wrap TLS failures of the handshake differently; look at the chain.
            kind = "TLS error" if _caused_by_tls(exc) else "connection failed"
            raise UpstreamFailure(kind, exc) from exc
        return conn, False

    async def aclose(self) -> None:
        for conns in self._idle.values():
            for conn in conns:
                conn.close()
        self._idle.clear()


def _caused_by_tls(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


async def _stream(conn: _Connection, body: AsyncIterator[bytes], chunked: bool) -> None:
    async for chunk in body:
        if not chunk:
            continue
        if chunked:
            await conn.write(b"%x\r\n%b\r\n" % (len(chunk), chunk))
        else:
            await conn.write(chunk)
    if chunked:
        await conn.write(b"0\r\n\r\n")
