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
from urllib.parse import parse_qs, parse_qsl, urlencode

from starlette.types import ASGIApp, Message, Receive, Scope, Send

Headers = list[tuple[bytes, bytes]]
#: (scope, status, headers, body) -> the (status, headers, body) sent instead.
Rewrite = Callable[[Scope, int, Headers, bytes], tuple[int, Headers, bytes]]
#: scope -> a response sent without asking the real app, or None to let it answer.
ShortCircuit = Callable[[Scope], tuple[int, Headers, bytes] | None]
#: (scope, form) -> a response sent without asking the real app, or None to let it answer the form
#: (which the function may have changed).
FormAnswer = Callable[[Scope, dict[str, str]], tuple[int, Headers, bytes] | None]


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


def _realm(endpoint: str) -> re.Pattern[str]:
    return re.compile(rf"^/banqer-auth/realms/[^/]+{endpoint}$")


_TOKEN = _realm("/protocol/openid-connect/token")
_INTROSPECT = _realm("/protocol/openid-connect/token/introspect")
_REVOKE = _realm("/protocol/openid-connect/revoke")
_LOGOUT = _realm("/protocol/openid-connect/logout")
_USERINFO = _realm("/protocol/openid-connect/userinfo")
_REALM_DOCUMENT = _realm("")
_DISCOVERY = _realm("/.well-known/openid-configuration")


async def _read_form(receive: Receive) -> dict[str, str]:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return dict(parse_qsl(b"".join(chunks).decode("utf-8", "replace"), keep_blank_values=True))


async def _call_with_form(app: ASGIApp, scope: Scope, form: dict[str, str], receive: Receive,
                          send: Send) -> None:
    """``app`` called with ``form`` as the request's body."""
    body = urlencode(form).encode()
    headers = [(k, v) for k, v in scope["headers"] if k != b"content-length"]
    headers.append((b"content-length", str(len(body)).encode()))
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    await app({**scope, "headers": headers}, replay, send)


def with_form(app: ASGIApp, path: re.Pattern[str], answer: FormAnswer) -> ASGIApp:
    """A POST to ``path`` has its form read and handed to ``answer`` before the real app sees it."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or not path.match(_path(scope)):
            await app(scope, receive, send)
            return
        form = await _read_form(receive)
        early = answer(scope, form)
        if early is not None:
            await _send(send, *early)
            return
        await _call_with_form(app, scope, form, receive, send)

    return middleware


def _json_rewrite(path: re.Pattern[str], status: int, change: Callable[[dict[str, Any]], None]) -> Rewrite:
    """A rewrite of the JSON body of ``path``'s ``status`` answers by ``change`` (in place)."""

    def rewrite(scope: Scope, got: int, headers: Headers, body: bytes) -> tuple[int, Headers, bytes]:
        if got != status or not path.match(_path(scope)):
            return got, headers, body
        document = json.loads(body)
        change(document)
        return got, headers, json.dumps(document).encode()

    return rewrite


def _claims(token: str) -> dict[str, Any] | None:
    import base64

    try:
        payload = token.split(".")[1]
        return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))
    except (IndexError, ValueError):
        return None


def introspection_drops_members(app: ASGIApp) -> ASGIApp:
    """Introspecting an active token answers ``active: true`` without ``client_id`` and ``scope``."""

    def change(document: dict[str, Any]) -> None:
        if document.get("active") is True:
            document.pop("client_id", None)  # PLANTED BUG: RFC 7662 members missing
            document.pop("scope", None)

    return Planted(app, rewrite=_json_rewrite(_INTROSPECT, 200, change))


def introspection_skips_the_signature(app: ASGIApp) -> ASGIApp:
    """Introspection reads any JWT's claims without checking who signed it and calls it active."""

    def answer(scope: Scope, form: dict[str, str]) -> tuple[int, Headers, bytes] | None:
        claims = _claims(form.get("token", ""))
        if claims is None or "client_id" not in form:
            return None
        active = {**claims, "client_id": claims.get("azp"), "token_type": "Bearer", "active": True}
        return 200, _json_headers(), json.dumps(active).encode()  # PLANTED BUG: no signature check

    return with_form(app, _INTROSPECT, answer)


def introspection_without_client_auth(app: ASGIApp) -> ASGIApp:
    """Introspection without client credentials is answered as if the demo client had sent them."""

    def answer(scope: Scope, form: dict[str, str]) -> None:
        if "client_id" not in form:
            form.update(client_id="demo-client", client_secret="demo-secret")  # PLANTED BUG: anyone may ask
        return None

    return with_form(app, _INTROSPECT, answer)


def inactive_answer_says_why(app: ASGIApp) -> ASGIApp:
    """An inactive token's introspection tells why (``{"active": false, "error": ...}``)."""

    def change(document: dict[str, Any]) -> None:
        if document.get("active") is False:
            document["error"] = "token revoked or expired"  # PLANTED BUG: RFC 7662 §2.2 says nothing more

    return Planted(app, rewrite=_json_rewrite(_INTROSPECT, 200, change))


def revocation_does_nothing(app: ASGIApp) -> ASGIApp:
    """Revocation answers 200 and revokes nothing."""

    def answer(scope: Scope) -> tuple[int, Headers, bytes] | None:
        if scope["method"] == "POST" and _REVOKE.match(_path(scope)):
            return 200, [], b""  # PLANTED BUG: says revoked, revokes nothing
        return None

    return Planted(app, answer=answer)


def revocation_refuses_unknown_tokens(app: ASGIApp) -> ASGIApp:
    """Revoking a token that is not a JWT answers 400 ``invalid_token``."""

    def answer(scope: Scope, form: dict[str, str]) -> tuple[int, Headers, bytes] | None:
        if "token" in form and _claims(form["token"]) is None:
            body = {"error": "invalid_token", "error_description": "Invalid token"}
            return 400, _json_headers(), json.dumps(body).encode()  # PLANTED BUG: RFC 7009 §2.2 says 200
        return None

    return with_form(app, _REVOKE, answer)


def revocation_refuses_a_second_time(app: ASGIApp) -> ASGIApp:
    """Revoking the same token a second time answers 400."""
    revoked: set[str] = set()

    def answer(scope: Scope, form: dict[str, str]) -> tuple[int, Headers, bytes] | None:
        token = form.get("token", "")
        if token in revoked:
            body = {"error": "invalid_token", "error_description": "Token already revoked"}
            return 400, _json_headers(), json.dumps(body).encode()  # PLANTED BUG: not idempotent
        revoked.add(token)
        return None

    return with_form(app, _REVOKE, answer)


def introspection_refuses_refresh_tokens(app: ASGIApp) -> ASGIApp:
    """Introspecting a live refresh token answers ``{"active": false}``, as if only access tokens lived."""

    def answer(scope: Scope, form: dict[str, str]) -> tuple[int, Headers, bytes] | None:
        claims = _claims(form.get("token", ""))
        if claims is not None and claims.get("typ") == "Refresh":
            return 200, _json_headers(), json.dumps({"active": False}).encode()  # PLANTED BUG
        return None

    return with_form(app, _INTROSPECT, answer)


def logout_keeps_the_session(app: ASGIApp) -> ASGIApp:
    """Logout answers 204 and ends nothing (on a realm issuing refresh tokens: the session goes on)."""

    def answer(scope: Scope) -> tuple[int, Headers, bytes] | None:
        if scope["method"] == "POST" and _LOGOUT.match(_path(scope)):
            return 204, [], b""  # PLANTED BUG: the session goes on
        return None

    return Planted(app, answer=answer)


def logout_takes_the_access_token(app: ASGIApp) -> ASGIApp:
    """Logout takes an access token sent as ``refresh_token`` and revokes it (what Keycloak refuses)."""

    def answer(scope: Scope, form: dict[str, str]) -> tuple[int, Headers, bytes] | None:
        claims = _claims(form.get("refresh_token", ""))
        if claims is not None and claims.get("typ") == "Bearer":
            return 204, [], b""  # PLANTED BUG: an access token names no session
        return None

    return with_form(app, _LOGOUT, answer)


def logout_leaves_the_refreshed_token_active(app: ASGIApp) -> ASGIApp:
    """Logout ends the session, but an access token refreshed in it stays active on introspection."""
    first: dict[str, str] = {}  # session -> its first access token
    refreshed: set[str] = set()  # the later ones
    ended: set[str] = set()

    def answer(scope: Scope, form: dict[str, str]) -> tuple[int, Headers, bytes] | None:
        if _LOGOUT.match(_path(scope)):
            ended.update(refreshed)
        elif form.get("token") in ended:
            claims = _claims(form["token"]) or {}
            active = {**claims, "client_id": claims.get("azp"), "token_type": "Bearer", "active": True}
            # PLANTED BUG: a refreshed token of the session lives on
            return 200, _json_headers(), json.dumps(active).encode()
        return None

    def remember(scope: Scope, status: int, headers: Headers, body: bytes) -> tuple[int, Headers, bytes]:
        if status == 200 and _TOKEN.match(_path(scope)) and b'"session_state"' in body:
            document = json.loads(body)
            access = document["access_token"]
            if first.setdefault(document["session_state"], access) != access:
                refreshed.add(access)
        return status, headers, body

    realm = re.compile(f"{_LOGOUT.pattern}|{_INTROSPECT.pattern}")
    return with_form(Planted(app, rewrite=remember), realm, answer)


def userinfo_ignores_the_openid_scope(app: ASGIApp) -> ASGIApp:
    """Userinfo answers a token requested without ``openid`` (Keycloak 19 and earlier did)."""

    def rewrite(scope: Scope, status: int, headers: Headers, body: bytes) -> tuple[int, Headers, bytes]:
        if status != 403 or not _USERINFO.match(_path(scope)):
            return status, headers, body
        token = next((v for k, v in scope["headers"] if k == b"authorization"), b"").decode().split(" ")[-1]
        claims = _claims(token) or {}
        headers = [(k, v) for k, v in headers if k.lower() != b"www-authenticate"]
        return 200, _json_headers(headers), json.dumps({"sub": claims.get("sub")}).encode()  # PLANTED BUG

    return Planted(app, rewrite=rewrite)


def userinfo_ignores_the_form_token(app: ASGIApp) -> ASGIApp:
    """POST userinfo reads only the ``Authorization`` header: a token in the ``access_token`` field is 401."""

    def answer(scope: Scope, form: dict[str, str]) -> tuple[int, Headers, bytes] | None:
        if "access_token" in form and not any(k == b"authorization" for k, _ in scope["headers"]):
            return 401, [(b"www-authenticate", b'Bearer realm="demo"')], b""  # PLANTED BUG
        return None

    return with_form(app, _USERINFO, answer)


def userinfo_answers_another_sub(app: ASGIApp) -> ASGIApp:
    """Userinfo answers a ``sub`` that is not the token's."""

    def change(document: dict[str, Any]) -> None:
        document["sub"] = "00000000-0000-0000-0000-000000000000"  # PLANTED BUG: someone else

    return Planted(app, rewrite=_json_rewrite(_USERINFO, 200, change))


def userinfo_refuses_without_challenge(app: ASGIApp) -> ASGIApp:
    """Userinfo refuses a bad token with 401 but no ``WWW-Authenticate`` header."""

    def rewrite(scope: Scope, status: int, headers: Headers, body: bytes) -> tuple[int, Headers, bytes]:
        if status == 401 and _USERINFO.match(_path(scope)):
            headers = [(k, v) for k, v in headers if k.lower() != b"www-authenticate"]  # PLANTED BUG
        return status, headers, body

    return Planted(app, rewrite=rewrite)


def realm_document_shows_another_key(app: ASGIApp) -> ASGIApp:
    """The realm document's ``public_key`` is a key that signs nothing of this realm."""
    import base64

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    der = other.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)

    def change(document: dict[str, Any]) -> None:
        document["public_key"] = base64.b64encode(der).decode()  # PLANTED BUG: not the signing key

    return Planted(app, rewrite=_json_rewrite(_REALM_DOCUMENT, 200, change))


def realm_token_service_elsewhere(app: ASGIApp) -> ASGIApp:
    """The realm document's ``token-service`` points at the SAML protocol instead of OIDC."""

    def change(document: dict[str, Any]) -> None:
        document["token-service"] = document["token-service"].replace("openid-connect", "saml")  # PLANTED BUG

    return Planted(app, rewrite=_json_rewrite(_REALM_DOCUMENT, 200, change))


def discovery_advertises_authorization(app: ASGIApp) -> ASGIApp:
    """Discovery advertises an authorization endpoint and the ``code`` response type; neither is served."""

    def change(document: dict[str, Any]) -> None:
        # PLANTED BUG: what a full Keycloak realm lists, on a realm that serves none of it
        document["authorization_endpoint"] = document["issuer"] + "/protocol/openid-connect/auth"
        document["response_types_supported"] = ["code"]

    return Planted(app, rewrite=_json_rewrite(_DISCOVERY, 200, change))


def discovery_lists_the_password_grant(app: ASGIApp) -> ASGIApp:
    """Discovery lists the ``password`` grant, which the token endpoint calls unsupported."""

    def change(document: dict[str, Any]) -> None:
        document["grant_types_supported"].append("password")  # PLANTED BUG: not accepted

    return Planted(app, rewrite=_json_rewrite(_DISCOVERY, 200, change))


def discovery_omits_introspection(app: ASGIApp) -> ASGIApp:
    """Discovery leaves out the introspection endpoint the realm serves."""

    def change(document: dict[str, Any]) -> None:
        document.pop("introspection_endpoint")  # PLANTED BUG: served but not advertised

    return Planted(app, rewrite=_json_rewrite(_DISCOVERY, 200, change))


@dataclass(frozen=True)
class Variant:
    api: str
    build: Callable[[ASGIApp], ASGIApp]
    #: The operation and the check that must report the planted bug.
    operation: str
    check: str
    #: Operations to exercise (all when empty): keeps the proof quick on a large spec.
    operations: tuple[str, ...] = ()
    #: Words the finding's title must hold, so the failure says what is wrong.
    says: str = ""
    #: The mock's config section under the planted bug (the demo set-up when ``None``).
    config: dict[str, Any] | None = None


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

_TOKEN_OP = "POST /realms/{tenant}/protocol/openid-connect/token"
_INTROSPECT_OP = "POST /realms/{tenant}/protocol/openid-connect/token/introspect"
_REVOKE_OP = "POST /realms/{tenant}/protocol/openid-connect/revoke"
_LOGOUT_OP = "POST /realms/{tenant}/protocol/openid-connect/logout"
_USERINFO_OP = "GET /realms/{tenant}/protocol/openid-connect/userinfo"
_POST_USERINFO_OP = "POST /realms/{tenant}/protocol/openid-connect/userinfo"
_DISCOVERY_OP = "GET /realms/{tenant}/.well-known/openid-configuration"
_REALM_OP = "GET /realms/{tenant}"


#: The plan's client with Keycloak's "Use refresh tokens for client credentials grant" on.
REFRESH_TOKENS = {"banqer": {"tenants": {"demo": {"clients": {
    "demo-client": {"secret": "demo-secret", "use_refresh_token": True},
}}}}}


def _realm_variant(build: Callable[[ASGIApp], ASGIApp], operation: str, check: str, selected: str,
                   says: str, config: dict[str, Any] | None = None) -> Variant:
    return Variant("banqer", build, operation, check, operations=(selected,), says=says, config=config)


REALM_VARIANTS: dict[str, Variant] = {
    "introspection_drops_members": _realm_variant(
        introspection_drops_members, _INTROSPECT_OP, "keycloak_introspection", "introspectToken",
        "lacks client_id, scope"),
    "introspection_skips_the_signature": _realm_variant(
        introspection_skips_the_signature, _INTROSPECT_OP, "keycloak_introspection", "introspectToken",
        "a token signed for another realm"),
    "introspection_without_client_auth": _realm_variant(
        introspection_without_client_auth, _INTROSPECT_OP, "keycloak_introspection", "introspectToken",
        "without client credentials"),
    "inactive_answer_says_why": _realm_variant(
        inactive_answer_says_why, _INTROSPECT_OP, "keycloak_introspection", "introspectToken",
        '{"active": false} alone'),
    "revocation_does_nothing": _realm_variant(
        revocation_does_nothing, _INTROSPECT_OP, "keycloak_introspection", "introspectToken",
        "a revoked token"),
    "revocation_refuses_unknown_tokens": _realm_variant(
        revocation_refuses_unknown_tokens, _REVOKE_OP, "keycloak_revocation", "revokeToken",
        "does not know"),
    "revocation_refuses_a_second_time": _realm_variant(
        revocation_refuses_a_second_time, _REVOKE_OP, "keycloak_revocation", "revokeToken",
        "the same token again"),
    "logout_keeps_the_session": _realm_variant(
        logout_keeps_the_session, _TOKEN_OP, "keycloak_logout", "logout",
        "still works after logout", REFRESH_TOKENS),
    "introspection_refuses_refresh_tokens": _realm_variant(
        introspection_refuses_refresh_tokens, _INTROSPECT_OP, "keycloak_logout", "logout",
        "a live refresh token is not active", REFRESH_TOKENS),
    "logout_takes_the_access_token": _realm_variant(
        logout_takes_the_access_token, _LOGOUT_OP, "keycloak_logout", "logout",
        "takes the access token as a refresh token"),
    "logout_takes_the_access_token_beside_refresh_tokens": _realm_variant(
        logout_takes_the_access_token, _LOGOUT_OP, "keycloak_logout", "logout",
        "takes the access token as a refresh token", REFRESH_TOKENS),
    "logout_leaves_the_refreshed_token_active": _realm_variant(
        logout_leaves_the_refreshed_token_active, _INTROSPECT_OP, "keycloak_logout", "logout",
        "the refreshed access token", REFRESH_TOKENS),
    "userinfo_ignores_the_openid_scope": _realm_variant(
        userinfo_ignores_the_openid_scope, _USERINFO_OP, "keycloak_userinfo", "getUserinfo",
        "without the openid scope"),
    "userinfo_ignores_the_form_token": _realm_variant(
        userinfo_ignores_the_form_token, _POST_USERINFO_OP, "keycloak_userinfo", "getUserinfo",
        "access_token form field"),
    "userinfo_answers_another_sub": _realm_variant(
        userinfo_answers_another_sub, _USERINFO_OP, "keycloak_userinfo", "getUserinfo", "sub"),
    "userinfo_refuses_without_challenge": _realm_variant(
        userinfo_refuses_without_challenge, _USERINFO_OP, "keycloak_userinfo", "getUserinfo",
        "without a WWW-Authenticate challenge"),
    "realm_document_shows_another_key": _realm_variant(
        realm_document_shows_another_key, _REALM_OP, "keycloak_realm_key", "getRealm",
        "public_key does not verify"),
    "realm_token_service_elsewhere": _realm_variant(
        realm_token_service_elsewhere, _REALM_OP, "keycloak_realm_key", "getRealm",
        "token-service"),
    "discovery_advertises_authorization": _realm_variant(
        discovery_advertises_authorization, _DISCOVERY_OP, "keycloak_discovery", "getOpenidConfiguration",
        "authorization_endpoint, which is not served"),
    "discovery_lists_the_password_grant": _realm_variant(
        discovery_lists_the_password_grant, _TOKEN_OP, "keycloak_discovery", "getOpenidConfiguration",
        "grant type 'password'"),
    "discovery_omits_introspection": _realm_variant(
        discovery_omits_introspection, _DISCOVERY_OP, "keycloak_discovery", "getOpenidConfiguration",
        "introspection_endpoint"),
}
