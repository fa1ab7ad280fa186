"""The ASGI layer in front of every API mock: body limit, journal, ``Prefer``, faults, rate limits.

Order per request: read the body (over the API's limit: 413), ``Prefer: code=NNN``, a queued fault,
the rate limit, then the API itself. Every request, whatever answered it, lands in the journal with
its secrets masked.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import re
import time
from typing import Any, Protocol, runtime_checkable
from urllib.parse import parse_qsl, urlencode

from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from specmock.mocks.core.faults import Fault
from specmock.mocks.core.incoming import NO_BODY, Body, IncomingRequest, parse_request, read_body, strict_json
from specmock.mocks.core.journal import RESPONSE_PREVIEW, JournalEntry
from specmock.mocks.core.state import MockApi, MockState
from specmock.mocks.core.why import WHY
from specmock.redact import (
    MASK,
    SECRET_KEYS,
    is_secret_key,
    redact_graphql,
    redact_header,
    redact_mapping,
    redact_text,
)

__all__ = ["ControlLayer", "DirectAnswer", "RawAnswer", "raw_answer", "send_raw"]

_JOURNAL_HEADERS = ("authorization", "content-type", "accept", "prefer", "user-agent")
_BODY_PREVIEW = 4096


def _journal_body(content_type: str, body: bytes) -> Any:
    if not body:
        return None
    if len(body) > _BODY_PREVIEW or content_type.startswith("multipart/"):
        return f"<{len(body)} bytes of {content_type or 'unknown type'}>"
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return f"<{len(body)} bytes, not UTF-8>"
    if "json" in content_type:
        return _journal_json(text)
    if content_type.startswith("application/x-www-form-urlencoded"):
        return redact_mapping(dict(parse_qsl(text, keep_blank_values=True)))
    return redact_text(text)  # JSON or a form under another content type still has its secrets masked


def _journal_json(text: str) -> Any:
    """A JSON body as the journal keeps it: parsed and masked, or as masked text when that cannot be.

    Whatever a client sent must not break the request (a body nested a thousand levels deep) nor
    the admin API's listing of the journal afterwards (``NaN``, a lone surrogate escaped as
    ``\\ud800``, ``1e999``: none can be rendered as JSON again), so such bodies are kept as text.
    """
    try:
        data = strict_json(text)
        if isinstance(data, dict) and isinstance(data.get("query"), str):
            data = _masked_variables(data)
        masked = redact_mapping(data)
        if "\\u" in text:  # escapes may decode to lone surrogates, which UTF-8 cannot carry
            json.dumps(masked, ensure_ascii=False).encode("utf-8")
        return masked
    except RecursionError:
        return f"<{len(text)} characters of JSON nested too deeply>"
    except ValueError:  # not JSON, NaN or Infinity, lone surrogates (UnicodeEncodeError)
        return redact_text(text)


def _journal_headers(headers: dict[str, str]) -> dict[str, str]:
    kept: dict[str, str] = {}
    for name in _JOURNAL_HEADERS:
        value = headers.get(name)
        if value is not None:
            kept[name] = redact_header(name, value)
    return kept


def _journal_query(query: str) -> str:
    if not query:
        return ""
    # A client sends the same query string again and again (a test suite, a poller, a load test):
    # masking is a pure function of the string, so short ones are remembered.
    if len(query) <= _CACHED_QUERY_CHARS:
        return _masked_query_cached(query)
    return _masked_query(query)


_CACHED_QUERY_CHARS = 2048


@functools.lru_cache(maxsize=1024)
def _masked_query_cached(query: str) -> str:
    return _masked_query(query)


def _masked_query(query: str) -> str:
    pairs = parse_qsl(query, keep_blank_values=True)
    # Values are masked by key (client_secret=...) and by content: a GraphQL document or its
    # variables sent as GET parameters carry secrets inside the value.
    hidden = {name for key, value in pairs if key == "query" for name in _secret_variables(value)}
    masked = [
        (key, MASK if is_secret_key(key) else redact_text(
            _masked_variables_text(value, hidden) if key == "variables" and hidden else value))
        for key, value in pairs
    ]
    return query if masked == pairs else urlencode(masked)


#: ``password: $senha`` in a GraphQL document: the variable, whatever the client named it, holds a secret.
_SECRET_NAMES = sorted((k for k in SECRET_KEYS if re.fullmatch(r"[A-Za-z_]\w*", k)), key=len, reverse=True)
_SECRET_ARGUMENT = re.compile(r"\b(?:" + "|".join(_SECRET_NAMES) + r")\s*:\s*\$([A-Za-z_]\w*)", re.IGNORECASE)


def _secret_variables(document: str) -> set[str]:
    """Names of the variables a GraphQL document passes to secret arguments (``password: $p``)."""
    return {match.group(1) for match in _SECRET_ARGUMENT.finditer(document)} if "$" in document else set()


def _masked_variables(data: dict[str, Any]) -> dict[str, Any]:
    """A GraphQL request with its document's secret literals and secret variables masked."""
    query = data["query"]
    masked = {**data, "query": redact_graphql(query)}
    hidden = _secret_variables(query)
    variables = data.get("variables")
    if hidden and isinstance(variables, dict):
        masked["variables"] = {k: MASK if k in hidden else v for k, v in variables.items()}
    return masked


def _masked_variables_text(text: str, names: set[str]) -> str:
    """``"name": "..."`` members of JSON text masked, for each of ``names``."""
    for name in names:
        text = re.sub(rf'("{re.escape(name)}"\s*:\s*)"(?:[^"\\]|\\.)*"', rf'\1"{MASK}"', text)
    return text


#: A whole HTTP response: status, raw header pairs, body.
RawAnswer = tuple[int, list[tuple[bytes, bytes]], bytes]


@runtime_checkable
class DirectAnswer(Protocol):
    """An API app that can give its whole answer at once, for requests whose body it never reads.

    The control layer hands it the request it has parsed already (path below the mount, decoded
    headers, query string) and sends the answer itself: no ASGI call into the app, no wrapped
    ``send`` or ``receive``. The app must still be a full ASGI app for any other caller.
    """

    def answer(self, request: IncomingRequest) -> RawAnswer: ...


def raw_answer(response: Response) -> RawAnswer:
    """A Starlette response (no streaming, no background task) as a :data:`RawAnswer`."""
    return response.status_code, response.raw_headers, bytes(response.body)


async def send_raw(send: Send, answer: RawAnswer) -> None:
    """Send a :data:`RawAnswer` as the two ASGI messages of a response."""
    status, headers, body = answer
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class ControlLayer:
    """Wraps one API's ASGI app with the control plane.

    Per request: parse it once, read its body, :meth:`_record` it in the journal, let the control
    plane :meth:`_intercept` it (413, ``Prefer``, a fault, the rate limit), else let the API answer:
    :meth:`_answer_directly` when its app is a :class:`DirectAnswer`, :meth:`_respond` over ASGI.
    """

    def __init__(self, api: MockApi, app: ASGIApp, max_body_bytes: int | None = None) -> None:
        self.api = api
        self.app = app
        self.state: MockState = api.state
        self.max_body_bytes = max_body_bytes or self.state.config.max_body_bytes
        self._answer = app.answer if isinstance(app, DirectAnswer) else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request = parse_request(scope)
        entry: JournalEntry | None = None
        try:
            # HTTP/1.1 framing: a GET or HEAD without Content-Length or Transfer-Encoding has no body,
            # so nothing is read from the connection.
            body = NO_BODY
            if request.has_body:
                body = await read_body(receive, request.headers, self.max_body_bytes)
            entry = self._record(request, body)
            intercepted = self._intercept(request, body, entry)
            if intercepted is not None:
                response, delay_s = intercepted
                if delay_s:
                    await asyncio.sleep(delay_s)
                await self._respond(scope, receive, send, response, body, entry)
            elif self._answer is not None and not body.data:
                status, headers, payload = self._answer_directly(request, entry)
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": payload})
            else:
                await self._respond(scope, receive, send, None, body, entry)
        except asyncio.CancelledError:
            await self._cut(scope, receive, send, entry)
            raise
        except Exception:
            await self._failed(scope, receive, send, entry)
            raise
        finally:
            if entry is not None:
                entry.duration_ms = (time.perf_counter() - started) * 1000

    def _record(self, request: IncomingRequest, body: Body) -> JournalEntry:
        """The request's journal entry, secrets masked; its status is filled in when it is answered."""
        headers = request.headers
        return self.state.journal.add(JournalEntry(
            0, self.state.clock.now(), self.api.name, request.method, request.path,
            _journal_query(request.query), _journal_headers(headers),
            (f"<over {self.max_body_bytes} bytes>" if body.too_large
             else _journal_body(headers.get("content-type", "").lower(), body.data) if body.data else None),
            request.base,
        ))

    def _intercept(self, request: IncomingRequest, body: Body, entry: JournalEntry
                   ) -> tuple[Response, float] | None:
        """What the control plane answers in the API's place, and after how many seconds, in order:
        a body over the limit (413), ``Prefer: code=NNN``, a queued fault, the rate limit; ``None``
        lets the API answer."""
        api = self.api
        state = self.state
        if body.too_large:
            entry.why = {"by": "body_limit", "summary": f"the body is over {self.max_body_bytes} bytes"}
            return api.error_response(413, f"Request body larger than {self.max_body_bytes} bytes"), 0
        prefer = request.headers.get("prefer")
        if prefer and state.mock_only_controls and (code := _preferred_code(prefer)) and code >= 400:
            entry.fault = True
            entry.why = {"by": "prefer", "summary": f"the request asked for it: Prefer: {prefer}"}
            return self._error(code), 0
        fault = state.faults.take(api.name, request.method, request.path)
        if fault is not None:
            entry.fault = True
            entry.why = _fault_why(fault)
            return self._fault_response(fault), fault.delay_ms / 1000
        retry_after = state.rate_limits.hit(api.name, api.rate_limit_key(request.headers), entry.time)
        if retry_after:
            entry.why = {"by": "rate_limit", "retry_after": retry_after,
                         "summary": f"over this API's rate limit for this token; retry after {retry_after} s"}
            return self._error(429, retry_after=retry_after), 0
        return None

    def _answer_directly(self, request: IncomingRequest, entry: JournalEntry) -> RawAnswer:
        """The DirectAnswer app's whole answer, recorded in ``entry`` (and why, when it refused)."""
        assert self._answer is not None
        answer = status, headers, payload = self._answer(request)
        entry.status = status
        entry.response_headers = headers
        entry.response_body = payload  # a reference: the journal shows only its start
        entry.response_size = len(payload)
        if status >= 400:
            entry.why = request.why
        return answer

    async def _respond(self, scope: Scope, receive: Receive, send: Send, response: Response | None,
                       body: Body, entry: JournalEntry) -> None:
        """``response``, or else the API's answer over ASGI (and the API's why), recorded in ``entry``."""

        async def send_and_record(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry.status = message["status"]
                entry.response_headers = list(message.get("headers", ()))
            elif message["type"] == "http.response.body":
                chunk = message.get("body", b"")
                kept = entry.response_body
                if len(kept) < RESPONSE_PREVIEW:
                    entry.response_body = kept + chunk[: RESPONSE_PREVIEW - len(kept)]
                entry.response_size += len(chunk)
            await send(message)

        if response is not None:
            await response(scope, receive, send_and_record)
        else:
            await self.app(scope, _replay(body.data, receive), send_and_record)
            if WHY in scope:
                entry.why = scope[WHY]

    async def _cut(self, scope: Scope, receive: Receive, send: Send, entry: JournalEntry | None) -> None:
        """The server is stopping and its grace period is over: the API's own 503 if nothing was sent
        yet (the cancellation then goes on, and the server ends the request quietly)."""
        if entry is None or entry.status == 0:
            if entry is not None:
                entry.status = 503
                entry.why = {"by": "shutdown", "summary": "the server stopped before this was answered"}
            cut = self._error(503)
            cut.headers["connection"] = "close"
            with contextlib.suppress(Exception):
                await cut(scope, receive, send)

    @staticmethod
    async def _failed(scope: Scope, receive: Receive, send: Send, entry: JournalEntry | None) -> None:
        """What a server's error middleware would do: a plain 500 if nothing was sent yet (the
        exception goes on to the server, which logs it)."""
        if entry is None or entry.status == 0:
            if entry is not None:
                entry.status = 500
            await PlainTextResponse("Internal Server Error", status_code=500)(scope, receive, send)

    def _error(self, status: int, retry_after: int | None = None) -> Response:
        wait = str(retry_after if retry_after is not None else 1)
        headers = {"Retry-After": wait} if status in (429, 503) else None
        return self.api.error_response(status, None, headers)

    def _fault_response(self, fault: Fault) -> Response:
        sent = {name: value for name, value in fault.headers.items() if value is not None}
        if fault.status in (204, 304):  # no body may follow these: neither the API's error nor the fault's
            return Response(status_code=fault.status, headers=sent)
        if fault.body is None:
            response = self._error(fault.status)
            for name, value in fault.headers.items():
                if value is None:  # left out on purpose, even a header the API adds itself
                    del response.headers[name]
                else:
                    response.headers[name] = value
            return response
        headers = dict(sent)
        if fault.status == 429 and not any(name.lower() == "retry-after" for name in fault.headers):
            headers["Retry-After"] = "1"
        if isinstance(fault.body, str):
            media_type = headers.pop("content-type", "text/plain")
            return Response(fault.body, fault.status, headers, media_type=media_type)
        return JSONResponse(fault.body, fault.status, headers, media_type=self.api.error_media_type)


def _fault_why(fault: Fault) -> dict[str, Any]:
    left = fault.times - fault.fired
    return {"by": "fault", "fault": fault.id, "remaining": left,
            "summary": f"queued fault #{fault.id} ({fault.method} {fault.path} -> {fault.status}) answered "
                       f"instead of the API; {left} more to fire"}


def _preferred_code(prefer: str) -> int | None:
    for part in prefer.replace(";", ",").split(","):
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "code" and value.strip().isdigit():
            code = int(value.strip())
            return code if 100 <= code <= 599 else None
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
