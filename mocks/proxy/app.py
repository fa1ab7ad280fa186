"""The validating proxy: the mock's mounts, forwarded to the real APIs, every exchange checked.

Requests and answers pass through unchanged: bodies streamed both ways, every header but the
hop-by-hop ones, redirects handed to the client rather than followed. The body of each answer is
also kept (up to :data:`MAX_CHECKED_BODY` bytes) and checked against the spec once it came whole
from the upstream: the check is queued and runs when the event loop is free, after the answer
went out, so the client does not wait for it. Every answer is checked: the admin endpoints and
shutdown check what is queued first, and a full queue (:data:`MAX_BACKLOG`) makes a request check
its own answer at once rather than drop one. Upstream requests go through
:mod:`specmock.mocks.proxy.upstream_client` (keep-alive pool, httptools parser). An upstream that
cannot be reached (connection refused, TLS failure) is answered 502, one that does not answer in
time 504, both in the API's own error shape and counted as upstream failures, never as drift.

``/__mock__/drift`` is the drift report (JSON; ``?format=markdown`` for Markdown; ``DELETE``
clears it) and ``/__mock__/requests`` the journal, each entry with its findings.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import json
import logging
import time
import zlib
from collections.abc import AsyncIterator, Iterable, Mapping
from typing import Any, Protocol
from urllib.parse import parse_qs, parse_qsl, unquote, urlencode

from starlette.types import Receive, Scope, Send

from specmock.mocks.admin_guard import AdminGuard
from specmock.mocks.core.hosts import normalized_hosts
from specmock.mocks.core.journal import Journal, JournalEntry
from specmock.mocks.descriptor import ApiDescriptor, ApiMount, resolve
from specmock.mocks.proxy.drift import DriftReport
from specmock.mocks.proxy.openapi_check import Check, Exchange
from specmock.mocks.proxy.upstream_client import UpstreamClient, UpstreamFailure, UpstreamTimeout, split_url
from specmock.mocks.proxy.upstreams import ProxyTarget, error_response, proxied_mounts
from specmock.redact import MASK, redact_header

__all__ = ["MAX_CHECKED_BODY", "PROXY_SERVER_OPTIONS", "ProxyApp", "create_proxy_app"]

log = logging.getLogger("specmock.proxy")

ADMIN = "/__mock__"
#: Answers larger than this are passed through whole but their body is not checked.
MAX_CHECKED_BODY = 8 * 1024 * 1024
#: Request bodies kept for checking, at most (larger ones still reach the upstream whole).
MAX_CHECKED_REQUEST = 8 * 1024 * 1024
#: The most header bytes accepted in one upstream answer.
MAX_HEAD_BYTES = 256 * 1024
#: Answers waiting for their check, at most; past it, a request checks its own answer at once.
MAX_BACKLOG = 10_000
#: Checks run in one go before the loop looks at its sockets again.
CHECK_BATCH = 64
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
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: uvicorn options for serving the proxy (with :func:`specmock.mocks.server.run_server`): the upstream's
#: Date and Server reach the client alone (not beside uvicorn's own), X-Forwarded-* need no parsing
#: (the proxy never reads the client address), and the lifespan closes the upstream connections.
PROXY_SERVER_OPTIONS: dict[str, Any] = {
    "server_header": False, "date_header": False, "proxy_headers": False, "lifespan": "on",
}


class Checker(Protocol):
    api: str

    def check(self, exchange: Exchange) -> Check: ...


def build_checker(api: ApiDescriptor, mount: ApiMount) -> Checker:
    """The check of ``mount``'s exchanges: its own checker if it names one, else its OpenAPI spec."""
    if mount.checker is not None:
        checker: Checker = resolve(mount.checker)()
        return checker
    if mount.openapi is None:
        raise ValueError(f"the {mount.name} mount has neither an OpenAPI spec nor a checker")
    from specmock.mocks.proxy.openapi_check import OpenApiChecker

    spec = api.spec(mount.openapi)
    prefix = mount.optional_prefixes[0] if mount.optional_prefixes else ""
    return OpenApiChecker(mount.name, spec.file_name, spec.load(), optional_prefix=prefix)


#: What checking one exchange needs: target, scope, path under the mount, request body chunks,
#: status, answer headers, answer body chunks (None: too large), start time.
_Pending = tuple[
    ProxyTarget, Scope, str, list[bytes], int, list[tuple[bytes, bytes]], list[bytes] | None, float
]


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
        allowed_hosts: Iterable[str] = (),
    ) -> None:
        self.targets = sorted(targets, key=lambda t: -len(t.mount))
        self.timeout = timeout
        self.report = DriftReport()
        self.journal = Journal(journal_size)
        known = proxied_mounts()
        self.checkers: dict[str, Checker] = {t.api: build_checker(*known[t.api]) for t in targets}
        self._mounts = {t.api: known[t.api][1] for t in targets}
        self._verify = verify_tls
        self._max_connections = max_connections
        self._client: UpstreamClient | None = None
        #: Exchanges whose answer came whole, waiting for their check (see _queue_check).
        self._backlog: collections.deque[_Pending] = collections.deque()
        self._drain_scheduled = False
        #: How many times the backlog was full and a request checked its own answer at once.
        self.inline_checks = 0
        # The same Origin and Host rules as the mock's admin API (loopback, the bound address, and
        # allowed_hosts): a web page cannot read or clear the report.
        self._guarded_admin = AdminGuard(self._admin, normalized_hosts(allowed_hosts))

    def _upstream(self) -> UpstreamClient:
        # Made in the serving loop on first use: its connections belong to that loop.
        client = self._client
        if client is None:
            client = self._client = UpstreamClient(
                timeout=self.timeout,
                verify_tls=self._verify,
                max_connections=self._max_connections,
                max_head_bytes=MAX_HEAD_BYTES,
            )
        return client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def settled(self) -> None:
        """Check and record every answer that came whole from its upstream and is not checked yet."""
        self._drain(len(self._backlog))

    def _queue_check(self, item: _Pending) -> None:
        # Checked once the loop is free (after the answer is out), in batches; a full backlog is
        # checked at once by the request that finds it full, so nothing is ever dropped.
        if len(self._backlog) >= MAX_BACKLOG:
            self.inline_checks += 1
            self._check(*item)
            return
        self._backlog.append(item)
        if not self._drain_scheduled:
            self._drain_scheduled = True
            asyncio.get_running_loop().call_soon(self._drain_soon)

    def _drain_soon(self) -> None:
        self._drain_scheduled = False
        self._drain(CHECK_BATCH)
        if self._backlog and not self._drain_scheduled:
            self._drain_scheduled = True
            asyncio.get_running_loop().call_soon(self._drain_soon)

    def _drain(self, at_most: int) -> None:
        backlog = self._backlog
        for _ in range(min(at_most, len(backlog))):
            self._check(*backlog.popleft())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        if path == ADMIN or path.startswith(ADMIN + "/"):
            await self._guarded_admin(scope, receive, send)
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
        raw_query: bytes = scope.get("query_string", b"")
        forwarded: list[tuple[bytes, bytes]] = []
        named: bytes = b""  # the fields Connection names are hop-by-hop too
        has_length = chunked = False
        for name, value in scope["headers"]:  # ASGI names are lower-case bytes
            if name not in HOP_BY_HOP_RAW:
                forwarded.append((name, value))
                if name == b"content-length":
                    has_length = True
            elif name == b"connection":
                named += b"," + value
            elif name == b"transfer-encoding":
                chunked = True
        if named:
            forwarded = _without_named(forwarded, named)
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

        try:
            # A mount parameter in the upstream's host can make a URL no host can have.
            origin, base_path = split_url(target.base(params))
            request_target = base_path + rest.encode("latin-1") + (b"?" + raw_query if raw_query else b"")
        except ValueError as exc:
            failure = UpstreamFailure("invalid upstream URL", exc)
            exchange = _exchange(scope, rest, b"")
            await self._upstream_failed(target, exchange, scope, send, 502, failure.kind, failure, started)
            return
        try:
            answer = await self._upstream().send(
                scope["method"].encode("latin-1"),
                origin,
                request_target,
                forwarded,
                body() if has_length or chunked else None,
                chunked=chunked and not has_length,
            )
        except (UpstreamFailure, _ClientGone) as exc:
            if client_gone:
                return
            exchange = _exchange(scope, rest, b"".join(sent_body))
            timed_out = isinstance(exc, UpstreamTimeout)
            status, kind = (504, "timeout") if timed_out else (502, _failure_kind(exc))
            await self._upstream_failed(target, exchange, scope, send, status, kind, exc, started)
            return
        status = answer.status
        kept: list[bytes] | None = []
        size = 0
        whole = False  # the whole answer came from the upstream: it is checked, whatever the client does
        try:
            await send({"type": "http.response.start", "status": status, "headers": _passed(answer.headers)})
            pending = b""  # one chunk held back, so that the last one goes out with more_body=False
            async for chunk in answer.chunks():
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
            answer.release()
            self._queue_check((target, scope, rest, sent_body, status, answer.headers, kept, started))
            await send({"type": "http.response.body", "body": pending, "more_body": False})
        except UpstreamFailure as exc:  # the answer broke off: the client sees a cut
            kind = "timeout" if isinstance(exc, UpstreamTimeout) else "answer cut off"
            exchange = _exchange(scope, rest, b"".join(sent_body))
            self._record_failure(target, exchange, status, kind, exc, started)
        except OSError:  # the client went away while the answer streamed
            pass
        finally:
            if not whole:
                answer.close()

    def _check(
        self,
        target: ProxyTarget,
        scope: Scope,
        rest: str,
        sent_body: list[bytes],
        status: int,
        raw_headers: list[tuple[bytes, bytes]],
        kept: list[bytes] | None,
        started: float,
    ) -> None:
        exchange = _exchange(scope, rest, b"".join(sent_body))
        exchange.status = status
        headers = exchange.response_headers = {
            name.decode("latin-1").lower(): value.decode("latin-1") for name, value in raw_headers
        }
        exchange.response_body = _decoded(kept, headers.get("content-encoding"))
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
        response = error_response(self._mounts[target.api], status, message)

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
    if isinstance(exc, UpstreamFailure):
        return exc.kind
    return "upstream protocol error"


def _exchange(scope: Scope, rest: str, request_body: bytes) -> Exchange:
    """The request half of an exchange, as the checks read it (header names lower-case)."""
    headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
    query = scope.get("query_string", b"").decode("latin-1")
    path = unquote(rest) or "/"
    return Exchange(scope["method"], path, query, headers, request_body, full_path=scope["path"])


def _without_named(headers: list[tuple[bytes, bytes]], named: bytes) -> list[tuple[bytes, bytes]]:
    """``headers`` less the fields a Connection header names (RFC 9110 §7.6.1)."""
    dropped = {token.strip().lower() for token in named.split(b",")} - {b""}
    return [(name, value) for name, value in headers if name.lower() not in dropped]


def _passed(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """An upstream answer's headers as they go to the client: names lower-case, hop-by-hop ones out."""
    passed: list[tuple[bytes, bytes]] = []
    named = b""
    for name, value in headers:
        lowered = name.lower()
        if lowered not in HOP_BY_HOP_RAW:
            passed.append((lowered, value))
        elif lowered == b"connection":
            named += b"," + value
    return _without_named(passed, named) if named else passed


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
