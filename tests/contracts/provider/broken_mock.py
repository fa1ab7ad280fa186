"""Deliberately broken variants of the mock: the provider suite must catch each one.

Each variant wraps the real app in a small ASGI middleware that plants exactly one bug
(``# PLANTED BUG`` marks the line that makes it). :data:`VARIANTS` maps a variant's name to the
API it breaks, the factory, and the check that must report it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

Headers = list[tuple[bytes, bytes]]
#: (scope, status, headers, body) -> the (status, headers, body) sent instead.
Rewrite = Callable[[Scope, int, Headers, bytes], tuple[int, Headers, bytes]]
#: scope -> a response sent without asking the real app, or None to let it answer.
ShortCircuit = Callable[[Scope], tuple[int, Headers, bytes] | None]


class Planted:
    """ASGI middleware: the real app, with one response rewritten or answered in its place."""

    def __init__(
        self, app: ASGIApp, *, rewrite: Rewrite | None = None, answer: ShortCircuit | None = None
    ) -> None:
        self.app = app
        self.rewrite = rewrite
        self.answer = answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.answer is not None:
            early = self.answer(scope)
            if early is not None:
                await _send(send, *early)
                return
        if self.rewrite is None:
            await self.app(scope, receive, send)
            return
        started: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                started.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        status, headers, body = self.rewrite(
            scope, started["status"], list(started.get("headers", [])), b"".join(chunks)
        )
        await _send(send, status, headers, body)


async def _send(
    send: Callable[[Message], Awaitable[None]], status: int, headers: Headers, body: bytes
) -> None:
    headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _json_headers(headers: Headers | None = None) -> Headers:
    kept = [(k, v) for k, v in (headers or []) if k.lower() != b"content-type"]
    return [*kept, (b"content-type", b"application/json")]


def _path(scope: Scope) -> str:
    return str(scope.get("path", ""))


def _query(scope: Scope) -> dict[str, list[str]]:
    return parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)


def _has_bearer(scope: Scope) -> bool:
    return any(
        k == b"authorization" and v.lower().startswith(b"bearer ") for k, v in scope.get("headers", [])
    )


_FICHAS = re.compile(r"^/banqer/[^/]+/v1/fichas$")
_CREDORES = re.compile(r"^/banqer/[^/]+/v1/credores$")
_BANQER_API = re.compile(r"^/banqer/[^/]+/v1/")


def saldo_devedor_as_string(app: ASGIApp) -> ASGIApp:
    """``GET /v1/fichas`` lists ``saldoDevedor`` as a string ("1534.27") instead of a number."""

    def rewrite(scope: Scope, status: int, headers: Headers, body: bytes) -> tuple[int, Headers, bytes]:
        if status != 200 or not _FICHAS.match(_path(scope)):
            return status, headers, body
        page = json.loads(body)
        for ficha in page.get("fichas", []):
            ficha["saldoDevedor"] = f"{ficha['saldoDevedor']:.2f}"  # PLANTED BUG: money as a string
        return status, headers, json.dumps(page).encode()

    return Planted(app, rewrite=rewrite)


def rate_limited_without_retry_after(app: ASGIApp) -> ASGIApp:
    """Authenticated ``GET /v1/credores`` answers 429 in Banqer's shape but without ``Retry-After``."""

    def answer(scope: Scope) -> tuple[int, Headers, bytes] | None:
        if not (_CREDORES.match(_path(scope)) and scope["method"] == "GET" and _has_bearer(scope)):
            return None
        body = {
            "code": 429,
            "message": "Limite de requisições excedido.",
            "details": [{"reason": "RATE_LIMITED"}],
        }
        return 429, _json_headers(), json.dumps(body).encode()  # PLANTED BUG: 429 with no Retry-After header

    return Planted(app, answer=answer)


def server_error_on_bad_input(app: ASGIApp) -> ASGIApp:
    """``GET /v1/fichas`` with an ``atrasoMin`` that is not a whole number crashes with 500."""

    def answer(scope: Scope) -> tuple[int, Headers, bytes] | None:
        if not (_FICHAS.match(_path(scope)) and scope["method"] == "GET"):
            return None
        values = _query(scope).get("atrasoMin")
        if not values or all(re.fullmatch(r"[0-9]+", value) for value in values):
            return None
        body = {"code": 500, "message": "Erro interno.", "details": [{"reason": "INTERNAL"}]}
        return 500, _json_headers(), json.dumps(body).encode()  # PLANTED BUG: bad input crashes the server

    return Planted(app, answer=answer)


def error_body_wrong_shape(app: ASGIApp) -> ASGIApp:
    """Every Banqer API error (4xx) comes back as ``{"error": ...}`` instead of ``{message, details}``."""

    def rewrite(scope: Scope, status: int, headers: Headers, body: bytes) -> tuple[int, Headers, bytes]:
        if not (400 <= status < 500 and _BANQER_API.match(_path(scope))):
            return status, headers, body
        wrong = {"error": "request_failed", "status": status}  # PLANTED BUG: not the spec's Error schema
        return status, _json_headers(headers), json.dumps(wrong).encode()

    return Planted(app, rewrite=rewrite)


def pbm_error_without_code(app: ASGIApp) -> ASGIApp:
    """PBM GraphQL errors come with a malformed ``extensions`` (lower-case code, no ``originalError``)."""

    def rewrite(scope: Scope, status: int, headers: Headers, body: bytes) -> tuple[int, Headers, bytes]:
        if not _path(scope).startswith("/pbm/"):
            return status, headers, body
        try:
            document = json.loads(body)
        except ValueError:
            return status, headers, body
        if not isinstance(document, dict) or not document.get("errors"):
            return status, headers, body
        for error in document["errors"]:
            # PLANTED BUG: a lower-case code and no originalError, unlike pbm.responses.schema.json
            error["extensions"] = {"code": "unauthenticated"}
        return status, headers, json.dumps(document).encode()

    return Planted(app, rewrite=rewrite)


def pbm_accepts_missing_token(app: ASGIApp) -> ASGIApp:
    """PBM serves a query that carries no token, as if it came with the first token it saw."""
    first_seen: dict[str, bytes] = {}

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and _path(scope).startswith("/pbm/"):
            headers = list(scope.get("headers", []))
            token = next((v for k, v in headers if k == b"authorization"), None)
            if token is not None:
                first_seen.setdefault("token", token)
            elif "token" in first_seen:
                # PLANTED BUG: a query without a token is served as if it carried one
                headers.append((b"authorization", first_seen["token"]))
                scope = {**scope, "headers": headers}
        await app(scope, receive, send)

    return middleware


_ACCESS_TOKEN_ITEM = re.compile(r"^/assine(/v1)?/access-token/[^/]+$")


def assine_revocation_ignored(app: ASGIApp) -> ASGIApp:
    """``DELETE /v1/access-token/{id}`` answers 204 but the application token keeps working."""

    def answer(scope: Scope) -> tuple[int, Headers, bytes] | None:
        if scope["method"] == "DELETE" and _ACCESS_TOKEN_ITEM.match(_path(scope)) and _has_bearer(scope):
            return 204, [], b""  # PLANTED BUG: says revoked, revokes nothing
        return None

    return Planted(app, answer=answer)


@dataclass(frozen=True)
class Variant:
    api: str
    build: Callable[[ASGIApp], ASGIApp]
    #: The operation and the check that must report the planted bug.
    operation: str
    check: str
    #: Operations to exercise (all when empty): keeps the proof quick on a large spec.
    operations: tuple[str, ...] = ()


VARIANTS: dict[str, Variant] = {
    "saldo_devedor_as_string": Variant(
        "banqer", saldo_devedor_as_string, "GET /v1/fichas", "response_schema_conformance"
    ),
    "rate_limited_without_retry_after": Variant(
        "banqer", rate_limited_without_retry_after, "GET /v1/credores", "response_headers_conformance"
    ),
    "server_error_on_bad_input": Variant(
        "banqer", server_error_on_bad_input, "GET /v1/fichas", "not_a_server_error"
    ),
    "error_body_wrong_shape": Variant(
        "banqer", error_body_wrong_shape, "GET /v1/fichas/{id}", "response_schema_conformance"
    ),
    "assine_revocation_ignored": Variant(
        "assine",
        assine_revocation_ignored,
        "GET /v1/access-token",
        "app_token_lifecycle",
        operations=("createAccessToken", "listAccessTokens", "deleteAccessToken"),
    ),
    "pbm_accepts_missing_token": Variant(
        "pbm", pbm_accepts_missing_token, "Query.WsAcesso_consultProgramForm", "ignored_auth"
    ),
    "pbm_error_without_code": Variant(
        "pbm", pbm_error_without_code, "Mutation.createToken", "pbm_response_schema"
    ),
}
