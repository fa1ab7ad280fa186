"""The validating proxy: the mock's mounts, forwarded to the real APIs, every exchange checked.

Requests and answers pass through unchanged: bodies streamed both ways, every header but the
hop-by-hop ones, redirects handed to the client rather than followed. The body of each answer is
also kept (up to :data:`MAX_CHECKED_BODY` bytes) and checked against the spec once the client has
it all, so checking adds nothing to the time the client waits. An upstream that cannot be reached
(connection refused, TLS failure) is answered 502, one that does not answer in time 504, both in
the API's own error shape and counted as upstream failures, never as drift.

``/__mock__/drift`` is the drift report (JSON; ``?format=markdown`` for Markdown; ``DELETE``
clears it) and ``/__mock__/requests`` the journal, each entry with its findings.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import ssl
import time
import zlib
from collections.abc import AsyncIterator, Mapping
from typing import Any, Protocol
from urllib.parse import parse_qs, parse_qsl, unquote, urlencode

import aiohttp
from starlette.types import Receive, Scope, Send
from yarl import URL

from specmock.mocks.core.journal import Journal, JournalEntry
from specmock.mocks.proxy.drift import DriftReport
from specmock.mocks.proxy.openapi_check import Check, Exchange
from specmock.mocks.proxy.upstreams import ProxyTarget, error_response
from specmock.redact import MASK, redact_header

__all__ = ["MAX_CHECKED_BODY", "PROXY_SERVER_OPTIONS", "ProxyApp", "create_proxy_app"]

log = logging.getLogger("specmock.proxy")

ADMIN = "/__mock__"
#: Answers larger than this are passed through whole but their body is not checked.
MAX_CHECKED_BODY = 8 * 1024 * 1024
#: Request bodies kept for checking, at most (larger ones still reach the upstream whole).
MAX_CHECKED_REQUEST = 8 * 1024 * 1024
#: The longest response header line accepted from an upstream (aiohttp's default is 8 KiB).
MAX_HEADER_LINE = 64 * 1024
#: RFC 9110 §7.6.1 hop-by-hop fields, plus Host (the upstream's own is sent).
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "host",
    }
)
HOP_BY_HOP_RAW = frozenset(name.encode("latin-1") for name in HOP_BY_HOP)
#: Headers aiohttp would add to a request that lacks them; the proxy sends only what the client sent.
_NEVER_ADDED = ("Accept", "Accept-Encoding", "User-Agent", "Content-Type")
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: uvicorn options for serving the proxy: the upstream's Date and Server reach the client alone (not
#: beside uvicorn's own), and X-Forwarded-* need no parsing (the proxy never reads the client address).
PROXY_SERVER_OPTIONS: dict[str, Any] = {"server_header": False, "date_header": False, "proxy_headers": False}


class Checker(Protocol):
    api: str

    def check(self, exchange: Exchange) -> Check: ...


def build_checker(api: str) -> Checker:
    from specmock import specs

    if api == "pbm":
        from specmock.mocks.proxy.graphql_check import PbmChecker

        return PbmChecker()
    from specmock.mocks.proxy.openapi_check import OpenApiChecker

    return OpenApiChecker(
        api, specs.OPENAPI_SPECS[api], specs.load(api), optional_prefix="/v1" if api == "assine" else ""
    )


class _ClientGone(Exception):
    """The client hung up while its request body was being read."""


class ProxyApp:
    """An ASGI app; one per proxy process (or per test)."""

    def __init__(
        self,
        targets: list[ProxyTarget],
        *,
        timeout: float = 30.0,
        journal_size: int = 1000,
        verify_tls: bool = True,
        max_connections: int = 200,
    ) -> None:
        self.targets = sorted(targets, key=lambda t: -len(t.mount))
        self.timeout = timeout
        self.report = DriftReport()
        self.journal = Journal(journal_size)
        self.checkers: dict[str, Checker] = {t.api: build_checker(t.api) for t in targets}
        self._verify = verify_tls
        self._max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None
        # connect covers waiting for a free pooled connection too; sock_read is the longest silence
        # while an answer is awaited or streamed.
        self._timeouts = aiohttp.ClientTimeout(total=None, connect=timeout, sock_read=timeout)
        #: One future per exchange whose answer is out (or going out) but not yet checked.
        self._unchecked: set[asyncio.Future[None]] = set()

    def _upstream(self) -> aiohttp.ClientSession:
        # One keep-alive pool for every upstream, made in the serving loop on first use. aiohttp keeps
        # idle connections per host in a queue, so taking one costs the same whatever the pool's
        # size, and parses answers in C. The session adds nothing the client did not send: no
        # cookies, no default headers, no decompression, and redirects are handed back (per request).
        session = self._session
        if session is None or session.closed:
            session = self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._max_connections, ssl=self._verify),
                cookie_jar=aiohttp.DummyCookieJar(),
                skip_auto_headers=_NEVER_ADDED,
                auto_decompress=False,
                timeout=self._timeouts,
                max_line_size=MAX_HEADER_LINE,
                max_field_size=MAX_HEADER_LINE,
            )
        return session

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def settled(self) -> None:
        """Wait until every answer already on its way to a client has been checked and recorded."""
        if self._unchecked:
            await asyncio.wait(list(self._unchecked))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        if path == ADMIN or path.startswith(ADMIN + "/"):
            await self._admin(scope, receive, send)
            return
        # Matched on the path as sent (percent-escapes kept), so that it reaches the upstream as sent.
        raw_path = (scope.get("raw_path") or path.encode("utf-8")).decode("latin-1").split("?", 1)[0]
        for target in self.targets:
            if (found := target.pattern.match(raw_path)) is not None:
                await self._forward(target, found.groupdict(), raw_path[found.end() :], scope, receive, send)
                return
        mounted = ", ".join(t.mount for t in reversed(self.targets))
        await _send_json(
            send, 404, {"error": f"specmock proxy: nothing is proxied at this path; mounted: {mounted}"}
        )

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.settled()
                await self.aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    # -- forwarding ---------------------------------------------------------------------------

    async def _forward(
        self,
        target: ProxyTarget,
        params: dict[str, str],
        rest: str,
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        started = time.perf_counter()
        method: str = scope["method"]
        raw_query = scope.get("query_string", b"").decode("latin-1")
        lower: dict[str, str] = {}  # every request header (names are lower-case in ASGI), for the check
        forwarded: list[tuple[str, str]] = []
        named: set[str] = set()  # the fields Connection names are hop-by-hop too
        for raw_name, raw_value in scope["headers"]:
            name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
            lower[name] = value
            if name not in HOP_BY_HOP:
                forwarded.append((name, value))
            elif name == "connection":
                named.update(token.strip().lower() for token in value.split(","))
        if named - HOP_BY_HOP:
            forwarded = [(name, value) for name, value in forwarded if name not in named]
        has_body = "content-length" in lower or "transfer-encoding" in lower
        sent_body: list[bytes] = []
        client_gone = False

        async def body() -> AsyncIterator[bytes]:
            nonlocal client_gone
            size = 0
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    client_gone = True
                    raise _ClientGone
                chunk = message.get("body", b"")
                if chunk:
                    size += len(chunk)
                    if size <= MAX_CHECKED_REQUEST:
                        sent_body.append(chunk)
                    yield chunk
                if not message.get("more_body", False):
                    return

        exchange = Exchange(method, unquote(rest) or "/", raw_query, lower, b"", full_path=scope["path"])
        try:
            response = await self._upstream().request(
                method,
                URL(target.url(params, rest, raw_query), encoded=True),
                headers=forwarded,
                data=body() if has_body else None,
                allow_redirects=False,
            )
        except (aiohttp.ClientError, TimeoutError, _ClientGone) as exc:
            if client_gone:
                return
            timed_out = isinstance(exc, TimeoutError)
            status, kind = (504, "timeout") if timed_out else (502, _failure_kind(exc))
            await self._upstream_failed(target, exchange, scope, send, status, kind, exc, started)
            return
        status = response.status
        kept: list[bytes] | None = []
        size = 0
        whole = False  # the whole answer came from the upstream: it is checked, whatever the client does
        unchecked: asyncio.Future[None] | None = None
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": [
                        (name, value)
                        for name, value in ((n.lower(), v) for n, v in response.raw_headers)
                        if name not in HOP_BY_HOP_RAW
                    ],
                }
            )
            pending = b""  # one chunk held back, so that the last one goes out with more_body=False
            async for chunk in response.content.iter_any():
                if kept is not None:
                    size += len(chunk)
                    if size > MAX_CHECKED_BODY:
                        kept = None
                    else:
                        kept.append(chunk)
                if pending:
                    await send({"type": "http.response.body", "body": pending, "more_body": True})
                pending = chunk
            whole = True
            unchecked = asyncio.get_running_loop().create_future()
            self._unchecked.add(unchecked)
            await send({"type": "http.response.body", "body": pending, "more_body": False})
        except (aiohttp.ClientError, TimeoutError) as exc:  # the answer broke off: the client sees a cut
            if not whole:
                kind = "timeout" if isinstance(exc, TimeoutError) else "answer cut off"
                self._record_failure(target, exchange, status, kind, exc, started)
        except OSError:  # the client went away while the answer streamed
            pass
        finally:
            if whole:
                response.release()
                exchange.request_body = b"".join(sent_body)
                exchange.status = status
                exchange.response_headers = {k.lower(): v for k, v in response.headers.items()}
                exchange.response_body = _decoded(kept, response.headers.get("content-encoding"))
                self._check(target, exchange, started)
            else:
                response.close()
            if unchecked is not None:
                self._unchecked.discard(unchecked)
                unchecked.set_result(None)

    def _check(self, target: ProxyTarget, exchange: Exchange, started: float) -> None:
        try:
            check = self.checkers[target.api].check(exchange)
        except Exception:  # a checker bug must not cost the client its answer, nor hide the rest
            log.exception("specmock proxy: checking a %s exchange failed", target.api)
            return
        entry = self._journal(
            target,
            exchange,
            started,
            {"operation": check.operation, "findings": [f.to_dict() for f in check.findings]},
            _why_drift(check) if check.findings else None,
        )
        self.report.record(target.api, check, entry.id)

    def _journal(
        self,
        target: ProxyTarget,
        exchange: Exchange,
        started: float,
        extra: dict[str, Any],
        why: dict[str, Any] | None = None,
    ) -> JournalEntry:
        return self.journal.add(
            JournalEntry(
                id=0,
                time=time.time(),
                api=target.api,
                method=exchange.method,
                path=exchange.path,
                query=_query_shape(exchange.query),
                headers={
                    name: redact_header(name, value) for name, value in exchange.request_headers.items()
                },
                body=None,
                base=(exchange.full_path or "")[: len(exchange.full_path) - len(exchange.path)]
                if exchange.full_path.endswith(exchange.path)
                else "",
                status=exchange.status,
                duration_ms=(time.perf_counter() - started) * 1000,
                extra=extra,
                why=why,
            )
        )

    def _record_failure(
        self,
        target: ProxyTarget,
        exchange: Exchange,
        status: int,
        kind: str,
        exc: BaseException,
        started: float,
    ) -> None:
        detail = f"{kind}: {type(exc).__name__}"
        exchange.status = status
        why = {"by": "proxy", "check": "upstream", "summary": f"the upstream failed ({detail}); not drift"}
        entry = self._journal(target, exchange, started, {"upstream_failure": detail}, why)
        route = self._route(target, exchange)
        self.report.record_failure(target.api, route, kind, status, detail, entry.id)

    def _route(self, target: ProxyTarget, exchange: Exchange) -> str:
        checker = self.checkers[target.api]
        match = getattr(checker, "match", None)
        found = match(exchange.method, exchange.path) if match else None
        if found:
            return f"{found[0].method} {found[0].template}"
        method = exchange.method if exchange.method in _METHODS else "OTHER"  # keeps the report bounded
        return f"{method} {target.mount}"

    async def _upstream_failed(
        self,
        target: ProxyTarget,
        exchange: Exchange,
        scope: Scope,
        send: Send,
        status: int,
        kind: str,
        exc: BaseException,
        started: float,
    ) -> None:
        upstream = target.upstream.split("://", 1)[-1].split("/", 1)[0]
        message = (
            f"specmock proxy: the upstream {upstream} did not answer in time"
            if status == 504
            else f"specmock proxy: the upstream {upstream} could not be reached ({kind})"
        )
        response = error_response(target.api, status, message, exchange.path)

        async def nothing() -> dict[str, Any]:
            return {"type": "http.disconnect"}

        await response(scope, nothing, send)
        self._record_failure(target, exchange, status, kind, exc, started)

    # -- the proxy's own endpoints ------------------------------------------------------------

    async def _admin(self, scope: Scope, receive: Receive, send: Send) -> None:
        path, method = scope["path"].rstrip("/"), scope["method"]
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        # An answer the client already has is in the report and the journal before either is read.
        await self.settled()
        if path == ADMIN + "/drift" and method in ("GET", "HEAD"):
            if query.get("format", [""])[-1] in ("markdown", "md"):
                await _send(send, 200, self.report.to_markdown().encode(), b"text/markdown; charset=utf-8")
            else:
                await _send_json(send, 200, self.report.to_dict())
        elif path == ADMIN + "/drift" and method == "DELETE":
            self.report.clear()
            self.journal.clear()
            await _send(send, 204, b"", None)
        elif path == ADMIN + "/requests" and method in ("GET", "HEAD"):
            api = query.get("api", [None])[-1]
            after = query.get("after", ["0"])[-1]
            if not (after.isascii() and after.isdigit() and len(after) <= 18):
                await _send_json(
                    send, 400, {"error": "after must be the id of a journal entry (a whole number)"}
                )
                return
            entries = [e.to_dict() for e in self.journal.entries(api, int(after))]
            await _send_json(send, 200, {"total": self.journal.total, "requests": entries})
        elif path == ADMIN + "/requests" and method == "DELETE":
            self.journal.clear()
            await _send(send, 204, b"", None)
        elif path.startswith(ADMIN + "/requests/") and method in ("GET", "HEAD"):
            wanted = path[len(ADMIN + "/requests/") :]
            entry = (
                self.journal.get(int(wanted))
                if wanted.isascii() and wanted.isdigit() and len(wanted) <= 18
                else None
            )
            if entry is None:
                await _send_json(send, 404, {"error": f"no journal entry {wanted[:40]!r}"})
            else:
                await _send_json(send, 200, entry.to_dict())
        elif path == ADMIN and method in ("GET", "HEAD"):
            await _send_json(
                send,
                200,
                {
                    "proxy": {t.api: {"mount": t.mount, "upstream": t.upstream} for t in self.targets},
                    "endpoints": ["/__mock__/drift", "/__mock__/requests"],
                },
            )
        elif path in (ADMIN, ADMIN + "/drift", ADMIN + "/requests"):
            await _send_json(send, 405, {"error": f"method {method} is not allowed here"})
        else:
            await _send_json(send, 404, {"error": "the proxy serves /__mock__/drift and /__mock__/requests"})


def _why_drift(check: Check) -> dict[str, Any]:
    """The findings of one exchange told as the mock's journal tells why it answered so."""
    first = check.findings[0]
    more = f" (and {len(check.findings) - 1} more)" if len(check.findings) > 1 else ""
    return {
        "by": "proxy",
        "check": "drift",
        "summary": f"{first.kind}: the spec says {first.spec}; seen {first.seen}{more}",
        "operation": check.operation,
        "problems": [
            {
                "location": f.kind,
                "field": f.pointer,
                "rule": f.spec,
                "message": f.seen + (f" (assumption {f.assumption} contradicted)" if f.assumption else ""),
            }
            for f in check.findings
        ],
    }


def _query_shape(query: str) -> str:
    """The query string with every value but small numbers masked: GraphQL variables, filters and
    tokens can hold secrets under any name, and the journal only needs to tell requests apart."""
    if not query:
        return ""
    # Clients send the same query strings again and again: the masked form of short ones is kept.
    return _masked_query(query) if len(query) <= _REMEMBERED_QUERY else _mask_query(query)


_REMEMBERED_QUERY = 1024


@functools.lru_cache(maxsize=512)
def _masked_query(query: str) -> str:
    return _mask_query(query)


def _mask_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode(
        [(name, value if value.isdigit() and len(value) <= 6 else MASK) for name, value in pairs], safe="*"
    )


def _failure_kind(exc: BaseException) -> str:
    causes: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and len(causes) < 10:
        causes.append(cause)
        if isinstance(cause, aiohttp.ClientConnectorError):
            causes.append(cause.os_error)
        cause = cause.__cause__ or cause.__context__
    if any(isinstance(c, ssl.SSLError | aiohttp.ClientSSLError) for c in causes):
        return "TLS error"
    if any(isinstance(c, ConnectionRefusedError) for c in causes):
        return "connection refused"
    if isinstance(exc, aiohttp.ClientConnectorError):
        return "connection failed"
    return "upstream protocol error"


def _decoded(chunks: list[bytes] | None, encoding: str | None) -> bytes | None:
    if chunks is None:
        return None
    raw = b"".join(chunks)
    encoding = (encoding or "identity").strip().lower()
    try:
        if encoding in ("identity", ""):
            return raw
        if encoding in ("gzip", "x-gzip"):
            return zlib.decompress(raw, zlib.MAX_WBITS | 16)
        if encoding == "deflate":
            return zlib.decompress(raw)
    except zlib.error:
        return None
    return None


async def _send(send: Send, status: int, body: bytes, media: bytes | None) -> None:
    headers = [(b"content-length", str(len(body)).encode())]
    if media:
        headers.append((b"content-type", media))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _send_json(send: Send, status: int, data: Mapping[str, Any]) -> None:
    await _send(send, status, json.dumps(data, ensure_ascii=False).encode(), b"application/json")


def create_proxy_app(targets: list[ProxyTarget], **options: Any) -> ProxyApp:
    """A proxy in front of ``targets`` (see :func:`specmock.mocks.proxy.upstreams.parse_targets`)."""
    return ProxyApp(targets, **options)
