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

import json
import logging
import ssl
import time
import zlib
from collections.abc import AsyncIterator, Mapping
from typing import Any, Protocol
from urllib.parse import parse_qs, parse_qsl, unquote, urlencode

import httpx
from starlette.types import Receive, Scope, Send

from specmock.mocks.core.journal import Journal, JournalEntry
from specmock.mocks.proxy.drift import DriftReport
from specmock.mocks.proxy.openapi_check import Check, Exchange
from specmock.mocks.proxy.upstreams import ProxyTarget, error_response
from specmock.redact import MASK, redact_header

__all__ = ["MAX_CHECKED_BODY", "ProxyApp", "create_proxy_app"]

log = logging.getLogger("specmock.proxy")

ADMIN = "/__mock__"
#: Answers larger than this are passed through whole but their body is not checked.
MAX_CHECKED_BODY = 8 * 1024 * 1024
#: Request bodies kept for checking, at most (larger ones still reach the upstream whole).
MAX_CHECKED_REQUEST = 8 * 1024 * 1024
#: RFC 9110 §7.6.1 hop-by-hop fields, plus Host (the upstream's own is sent).
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"trailers",
        b"transfer-encoding",
        b"upgrade",
        b"host",
    }
)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


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
    pass


class ProxyApp:
    """An ASGI app; one per proxy process (or per test)."""

    def __init__(
        self,
        targets: list[ProxyTarget],
        *,
        timeout: float = 30.0,
        journal_size: int = 1000,
        transport: httpx.AsyncBaseTransport | None = None,
        verify_tls: bool = True,
    ) -> None:
        self.targets = sorted(targets, key=lambda t: -len(t.mount))
        self.timeout = timeout
        self.report = DriftReport()
        self.journal = Journal(journal_size)
        self.checkers: dict[str, Checker] = {t.api: build_checker(t.api) for t in targets}
        self._transport = transport
        self._verify = verify_tls
        self._pool: httpx.AsyncBaseTransport | None = None
        self._timeouts = httpx.Timeout(timeout).as_dict()

    def _upstream(self) -> httpx.AsyncBaseTransport:
        # httpx's transport itself, not its client: a proxy needs none of the client's cookies,
        # authentication, redirect handling or default headers, and each costs time per request.
        if self._pool is None:
            self._pool = self._transport or httpx.AsyncHTTPTransport(
                verify=self._verify, limits=httpx.Limits(max_connections=200, max_keepalive_connections=100)
            )
        return self._pool

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()
            self._pool = None

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
        incoming: list[tuple[bytes, bytes]] = scope["headers"]
        named = {
            token.strip().lower().encode("latin-1")
            for name, value in incoming
            if name == b"connection"
            for token in value.decode("latin-1").split(",")
        }
        forwarded = [
            (name, value) for name, value in incoming if name not in HOP_BY_HOP and name not in named
        ]
        lower = {name.decode("latin-1"): value.decode("latin-1") for name, value in incoming}
        has_body = "content-length" in lower or "transfer-encoding" in lower
        sent_body: list[bytes] = []

        async def body() -> AsyncIterator[bytes]:
            size = 0
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    raise _ClientGone
                chunk = message.get("body", b"")
                if chunk:
                    size += len(chunk)
                    if size <= MAX_CHECKED_REQUEST:
                        sent_body.append(chunk)
                    yield chunk
                if not message.get("more_body", False):
                    return

        request = httpx.Request(
            method,
            target.url(params, rest, raw_query),
            headers=forwarded,
            content=body() if has_body else None,
            extensions={"timeout": self._timeouts},
        )
        exchange = Exchange(method, unquote(rest) or "/", raw_query, lower, b"", full_path=scope["path"])
        try:
            response = await self._upstream().handle_async_request(request)
        except _ClientGone:
            return
        except httpx.TimeoutException as exc:
            await self._upstream_failed(target, exchange, scope, send, 504, "timeout", exc, started)
            return
        except httpx.TransportError as exc:
            await self._upstream_failed(target, exchange, scope, send, 502, _failure_kind(exc), exc, started)
            return
        kept: list[bytes] | None = []
        size = 0
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status_code,
                    "headers": [
                        (name.lower(), value)
                        for name, value in response.headers.raw
                        if name.lower() not in HOP_BY_HOP
                    ],
                }
            )
            pending = b""  # one chunk held back, so that the last one goes out with more_body=False
            async for chunk in response.aiter_raw():
                if kept is not None:
                    size += len(chunk)
                    if size > MAX_CHECKED_BODY:
                        kept = None
                    else:
                        kept.append(chunk)
                if pending:
                    await send({"type": "http.response.body", "body": pending, "more_body": True})
                pending = chunk
            await send({"type": "http.response.body", "body": pending, "more_body": False})
        except httpx.TransportError as exc:  # the answer broke off: the client sees a cut connection
            kind = "timeout" if isinstance(exc, httpx.TimeoutException) else "answer cut off"
            self._record_failure(target, exchange, response.status_code, kind, exc, started)
            return
        except OSError:  # the client went away while the answer streamed
            return
        finally:
            await response.aclose()
        exchange.request_body = b"".join(sent_body)
        exchange.status = response.status_code
        exchange.response_headers = {k.lower(): v for k, v in response.headers.items()}
        exchange.response_body = _decoded(kept, response.headers.get("content-encoding"))
        self._check(target, exchange, started)

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
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode(
        [(name, value if value.isdigit() and len(value) <= 6 else MASK) for name, value in pairs], safe="*"
    )


def _failure_kind(exc: httpx.TransportError) -> str:
    causes: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and len(causes) < 10:
        causes.append(cause)
        cause = cause.__cause__ or cause.__context__
    if any(isinstance(c, ssl.SSLError) for c in causes) or "ssl" in repr(exc).lower():
        return "TLS error"
    if any(isinstance(c, ConnectionRefusedError) for c in causes):
        return "connection refused"
    if isinstance(exc, httpx.ConnectError):
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
