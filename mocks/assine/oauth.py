"""``POST /oauth`` (password and refresh-token grants) and ``POST /oauth/revoke``, as bshaffer answers.

The token endpoint checks, in this order (bshaffer's ``TokenController``): the method (405 with
``Allow: POST``), the grant type (missing -> 400 ``invalid_request``, unknown -> 400
``unsupported_grant_type``), the client (none in the body nor in HTTP Basic -> 400
``invalid_client``, wrong -> 401 ``invalid_client``), then the grant's own parameters: the user's
credentials (missing -> 400 ``invalid_request``, wrong -> the documented 401 ``invalid_grant``) or
the refresh token (400 ``invalid_grant``). The only client is the documented ``app`` / ``app``.

A login gives a login token living ``api.settings.token_ttl`` seconds on the mock's clock and a
refresh token living 14 days. The refresh grant gives a new login token and, like bshaffer by
default, no new refresh token: the old one stays valid until it expires or is revoked.
Bodies may be JSON (as documented) or form-encoded (parsed by Starlette).
"""

from __future__ import annotations

import base64
import binascii
import hmac
from typing import TYPE_CHECKING, Any

from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.responses import Response

from specmock.mocks.assine.bodies import decode_json, is_json, media_type
from specmock.mocks.assine.errors import JSON, ApiProblem, JsonBody, oauth_error
from specmock.mocks.assine.tokens import API, LOGIN, REFRESH, REFRESH_TTL, issue, registry_id
from specmock.mocks.core.request_log import parsing

if TYPE_CHECKING:
    from starlette.requests import Request

    from specmock.mocks.assine.hal import Ctx

__all__ = ["CLIENT_ID", "CLIENT_SECRET", "method_not_allowed", "revoke", "token"]

CLIENT_ID = "app"
CLIENT_SECRET = "app"
GRANTS = ("password", "refresh_token")
NO_CACHE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
FORM = "application/x-www-form-urlencoded"
MISSING_CREDENTIALS = 'Missing parameters: "username" and "password" required'


def method_not_allowed(path: str) -> ApiProblem:
    action = "revoking" if path.endswith("/revoke") else "requesting"
    detail = f"The request method must be POST when {action} an access token"
    return oauth_error(405, "invalid_request", detail, {"Allow": "POST"})


def _same(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8"))


async def _parameters(request: Request, strict: tuple[str, ...] = ()) -> dict[str, str]:
    """The request's parameters, JSON or form-encoded; non-text JSON values count as absent,
    except for the ``strict`` names, where a non-text value is a 400 ``invalid_request``."""
    content_type = request.headers.get("content-type")
    if media_type(content_type) == FORM:
        try:
            with parsing("assine", request):
                async with request.form(max_files=0, max_fields=100) as form:
                    return {k: v for k, v in form.multi_items() if isinstance(v, str)}
        except (HTTPException, MultiPartException):  # the latter when no Starlette app is in the scope
            raise oauth_error(400, "invalid_request", "The request body could not be parsed") from None
    raw = await request.body()
    if raw.strip() and not is_json(content_type):
        raise ApiProblem(415, "Invalid content-type specified")
    try:
        data: dict[str, Any] = decode_json(raw, content_type)
    except ApiProblem as problem:
        if problem.status != 400:
            raise
        raise oauth_error(400, "invalid_request", problem.detail) from None
    for name in strict:
        if name in data and not isinstance(data[name], str):
            raise oauth_error(400, "invalid_request", f"Parameter '{name}' must be a string")
    return {k: v for k, v in data.items() if isinstance(v, str)}


def _client(request: Request, params: dict[str, str]) -> None:
    client_id, secret = params.get("client_id"), params.get("client_secret")
    scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic" and encoded.strip():
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            decoded = ""
        if ":" in decoded:
            client_id, secret = decoded.split(":", 1)
    if not client_id:
        raise oauth_error(400, "invalid_client", "Client credentials were not found in the headers or body")
    if not (_same(client_id, CLIENT_ID) and _same(secret or "", CLIENT_SECRET)):
        raise oauth_error(401, "invalid_client", "The client credentials are invalid")


def _granted(ctx: Ctx, user_id: int, with_refresh: bool) -> Response:
    api, now = ctx.api, ctx.now
    user = api.directory.by_id[user_id]
    ttl = api.settings.token_ttl
    access, _ = issue(api, user, LOGIN, now + ttl, now)
    body: dict[str, Any] = {"access_token": access, "expires_in": ttl, "token_type": "Bearer", "scope": ""}
    if with_refresh:
        body["refresh_token"] = issue(api, user, REFRESH, now + REFRESH_TTL, now)[0]
    return JsonBody(body, 200, NO_CACHE, JSON)


async def token(ctx: Ctx) -> Response:
    """``POST /oauth``."""
    params = await _parameters(ctx.request)
    grant = params.get("grant_type")
    if not grant:
        raise oauth_error(400, "invalid_request", "The grant type was not specified in the request")
    if grant not in GRANTS:
        shown = grant if len(grant) <= 60 else grant[:57] + "..."
        raise oauth_error(400, "unsupported_grant_type", f'Grant type "{shown}" not supported')
    _client(ctx.request, params)
    if grant == "password":
        username, password = params.get("username"), params.get("password")
        if not username or not password:
            raise oauth_error(400, "invalid_request", MISSING_CREDENTIALS)
        user = ctx.api.directory.logins.get(username.lower())
        if user is None or not _same(password, user.password or ""):
            raise oauth_error(401, "invalid_grant", "Invalid username and password combination")
        return _granted(ctx, user.id, with_refresh=True)
    refresh = params.get("refresh_token")
    if not refresh:
        raise oauth_error(400, "invalid_request", 'Missing parameter: "refresh_token" is required')
    token_id = registry_id(refresh)
    record = ctx.api.state.tokens.get(API, token_id) if token_id is not None else None
    if record is None or record.revoked or record.data.get("kind") != REFRESH:
        raise oauth_error(400, "invalid_grant", "Invalid refresh token")
    if ctx.now >= record.expires_at:
        raise oauth_error(400, "invalid_grant", "Refresh token has expired")
    if record.data.get("user") not in ctx.api.directory.by_id:
        raise oauth_error(400, "invalid_grant", "Invalid refresh token")
    return _granted(ctx, record.data["user"], with_refresh=False)


async def revoke(ctx: Ctx) -> Response:
    """``POST /oauth/revoke``: 200 ``{"revoked": true}``, also for a token the server does not know."""
    params = await _parameters(ctx.request, strict=("token", "token_type_hint"))
    value = params.get("token")
    if not value:
        raise oauth_error(400, "invalid_request", "Missing token parameter to revoke")
    hint = params.get("token_type_hint")
    if hint is not None and hint not in ("access_token", "refresh_token"):
        raise oauth_error(400, "invalid_request",
                          "Token type hint must be either 'access_token' or 'refresh_token'")
    token_id = registry_id(value)
    if token_id is not None:
        ctx.api.state.tokens.revoke(API, token_id)
    return JsonBody({"revoked": True}, 200, None, JSON)
