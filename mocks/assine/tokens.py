"""Bearer tokens: issuing, checking, and the ``/v1/access-token`` resource (application tokens).

Every token is a 40-hex opaque string (the bshaffer OAuth2 server's format) registered in the
shared :class:`~specmock.mocks.core.tokens.TokenRegistry` under ``api="assine"`` by the hash of its
value — the raw value is never a key, so nothing that lists or logs records can leak it. The
registry is what makes reset, ``/__mock__/tokens/expire`` and revocation take effect at once.
A record's ``data`` says what it is: a ``login`` token (``POST /oauth``), an ``application`` token
(``POST /v1/access-token``) or a ``refresh`` token, plus its listing id and its user.

On resources (bshaffer's resource controller behind zf-mvc-auth): no ``Authorization: Bearer``
header at all is a guest, refused with 403 ``Forbidden``; an unknown, revoked or refresh token is
401 ``invalid_token`` "…is invalid", an expired one "…has expired", both with ``WWW-Authenticate``.
"""

from __future__ import annotations

import hmac
import re
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from specmock.mocks.assine.bodies import add_message, fail_if
from specmock.mocks.assine.crud import checked_body
from specmock.mocks.assine.errors import PROBLEM, ApiProblem, JsonBody, forbidden, invalid_token, not_found
from specmock.mocks.assine.hal import Ctx, date_text, list_response, parse_input_date, php_date
from specmock.mocks.core.tokens import TokenRecord, opaque_token, token_hash
from specmock.mocks.core.why import token_refused

if TYPE_CHECKING:
    from starlette.requests import Request

    from specmock.mocks.assine.api import AssineApi
    from specmock.mocks.assine.data import User

__all__ = ["API", "HIDDEN", "authenticate", "create_access_token", "delete_access_token", "issue",
           "list_access_tokens", "registry_id"]

API = "assine"
LOGIN, APPLICATION, REFRESH = "login", "application", "refresh"
#: Refresh tokens live 14 days (bshaffer's default).
REFRESH_TTL = 14 * 86400
HIDDEN = "***** HIDDEN *****"
TOKEN_FIELDS = {"id": "int", "expires": "date", "user": "int"}
PF_DETAIL = "Only business (PJ) accounts may use this resource"
_BEARER = re.compile(r"[Bb][Ee][Aa][Rr][Ee][Rr]\s+(\S+)")


def registry_id(value: str) -> str | None:
    """The registry key of a presented token; ``None`` for text that cannot be one of ours.

    Issued tokens are ASCII hex; anything else (JSON may even carry lone surrogates, which cannot
    be hashed as UTF-8) is simply unknown.
    """
    return token_hash(value) if value.isascii() else None


def issue(api: AssineApi, user: User, kind: str, expires_at: float, now: float) -> tuple[str, TokenRecord]:
    """A new token for ``user``: its value (to hand out once) and its registry record."""
    token = opaque_token()
    listing_id = api.store.next_id("token") if kind != REFRESH else 0
    record = TokenRecord(API, token_hash(token), expires_at, now, str(user.id),
                         {"kind": kind, "id": listing_id, "user": user.id})
    api.state.tokens.issue(record, now)
    return token, record


def authenticate(api: AssineApi, request: Request, now: float) -> tuple[User, TokenRecord]:
    """The caller of a resource request and the record of its bearer token (403/401 otherwise)."""
    match = _BEARER.match(request.headers.get("authorization", ""))
    if match is None:
        problem = forbidden()
        problem.why = token_refused("missing" if "authorization" not in request.headers else "malformed")
        raise problem
    registry = api.state.tokens
    token_id = registry_id(match.group(1))
    if token_id is None:
        raise invalid_token()
    record = registry.active(API, token_id, now)
    if record is None or record.data.get("kind") == REFRESH:
        known = registry.get(API, token_id)
        expired = (known is not None and not known.revoked and known.data.get("kind") != REFRESH
                   and now >= known.expires_at)
        check = None if known is None else ("refresh_token" if known.data.get("kind") == REFRESH
                                            else "revoked" if known.revoked else None)
        raise invalid_token(expired, check)
    user = api.directory.by_id.get(record.data.get("user", -1))
    if user is None:
        raise invalid_token()
    return user, record


def require_pj(ctx: Ctx) -> User:
    """The caller, if it is a business (PJ) account; 403 for personal (PF) accounts."""
    if not ctx.caller.is_pj:
        raise forbidden(PF_DETAIL)
    return ctx.caller


def _tokens_of(ctx: Ctx) -> list[TokenRecord]:
    now, user_id = ctx.now, ctx.caller.id
    found = [r for r in ctx.api.state.tokens.records(API)
             if r.data.get("user") == user_id and r.data.get("kind") in (LOGIN, APPLICATION)
             and not r.revoked and now < r.expires_at]
    found.sort(key=lambda r: int(r.data["id"]))
    return found


async def list_access_tokens(ctx: Ctx) -> Response:
    """The caller's live tokens, its login tokens included (the first item of the documented example)."""
    user = ctx.caller
    summary = user.summary(ctx.base)

    def row(record: TokenRecord) -> dict[str, Any]:
        return {"id": record.data["id"], "expires": date_text(record.expires_at), "user": user.id}

    def render(record: TokenRecord) -> dict[str, Any]:
        token_id = str(record.data["id"])
        return {"accessToken": HIDDEN, "expires": php_date(record.expires_at), "id": token_id, "scope": {},
                "_embedded": {"user": dict(summary)},
                "_links": {"self": ctx.href(f"/v1/access-token/{token_id}")}}

    return list_response(ctx, "listAccessTokens", "access_token", TOKEN_FIELDS, _tokens_of(ctx), row, render)


async def create_access_token(ctx: Ctx) -> Response:
    """An application token: PJ only, confirmed by the password, expiring at a future ``expires``."""
    user = require_pj(ctx)
    body, messages = await checked_body(ctx, "createAccessToken")
    password, expires = body.get("password"), body.get("expires")
    if "password" not in messages and isinstance(password, str) and not hmac.compare_digest(
        password.encode("utf-8", "surrogatepass"), (user.password or "").encode("utf-8")
    ):
        add_message(messages, ["password"], "invalidPassword", "Senha incorreta")
    expires_at = 0.0
    if "expires" not in messages and isinstance(expires, str):
        try:
            expires_at = parse_input_date(expires)
        except ValueError:
            add_message(messages, ["expires"], "dateInvalidDate", "Data inválida")
        else:
            if expires_at <= ctx.now:
                add_message(messages, ["expires"], "dateInPast", "A data de expiração deve estar no futuro")
    fail_if(messages)
    token, record = issue(ctx.api, user, APPLICATION, expires_at, ctx.now)
    token_id = str(record.data["id"])
    body_out = {"accessToken": token, "expires": php_date(expires_at), "id": token_id}
    created = ApiProblem(201, "Access Token data", title="Token created", extra=body_out)
    location = ctx.href(f"/v1/access-token/{token_id}")["href"]
    return JsonBody(created.body(), 201, {"Location": location}, PROBLEM)


async def delete_access_token(ctx: Ctx) -> Response:
    """Revoke one of the caller's live tokens by its listing id (its own login token included)."""
    raw = ctx.params.get("id", "")
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 12):
        raise not_found()
    wanted = int(raw)
    for record in _tokens_of(ctx):
        if record.data["id"] == wanted:
            ctx.api.state.tokens.revoke(API, record.token_id)
            return Response(status_code=204)
    raise not_found()
