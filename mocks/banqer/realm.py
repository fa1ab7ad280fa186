"""The Banqer realm (Keycloak layout): client-credentials tokens, OIDC discovery and JWKS per tenant.

Besides the token endpoint, the realm serves what Keycloak clients (python-keycloak, openid-client)
call on a client-credentials realm, at Keycloak's paths and in Keycloak's shapes: the realm
document (``GET /realms/{tenant}``), token introspection (RFC 7662), revocation (RFC 7009),
logout and userinfo. Discovery lists exactly these endpoints.

Mounted at ``/banqer-auth``: the realm of tenant ``demo`` is ``{base}/banqer-auth/realms/demo``,
standing for ``https://auth.banqer.com.br/realms/demo``. Every URL the realm publishes (the
discovery ``issuer``, the tokens' ``iss``) is built from the URL the request was made to, so
OIDC libraries that compare the issuer character for character accept it whatever host, port or
scheme the mock is reached through.

Tokens are RS256 JWTs signed with the run's key (``state.keys``) and registered in
``state.tokens`` under the API ``"banqer"`` with the ``jti`` as id, so reset, expire-all and the
controllable clock apply to them. The Banqer API (:mod:`.api`) accepts them.

As in Keycloak, a client-credentials token comes without a refresh token unless the client has
"Use refresh tokens for client credentials grant" on (``use_refresh_token`` in the config). Such a
client's tokens belong to a session (``sid``): its refresh token (registered under
:data:`REFRESH_API`, so no API takes it as a bearer token) refreshes until the session is logged out
or revoked, which also makes the session's access tokens inactive. Logout takes only a refresh
token: an access token sent as one is 400 ``invalid_grant``, as Keycloak answers.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import logging
import math
import re
import uuid
from collections.abc import Mapping
from functools import cached_property
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from specmock.mocks.banqer.errors import JSON_UTF8, BanqerJSONResponse, oauth_error, realm_error
from specmock.mocks.banqer.settings import BanqerClient, BanqerSettings
from specmock.mocks.core.state import MockApi
from specmock.mocks.core.tokens import TokenRecord
from specmock.mocks.core.why import explain, refused

__all__ = ["REFRESH_API", "TOKEN_API", "BanqerAuthApi", "realm_path"]

log = logging.getLogger(__name__)

#: The API name tokens are registered under in ``state.tokens``.
TOKEN_API = "banqer"
#: The name refresh tokens are registered under: apart from access tokens, so none is a bearer token.
REFRESH_API = "banqer-refresh"
GRANT_TYPES = ["client_credentials", "refresh_token"]
AUTH_METHODS = ["client_secret_post", "client_secret_basic"]
_TENANT = re.compile(r"[a-z0-9-]{1,59}")
_INVALID_CLIENT = "Invalid client or Invalid client credentials"
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
#: The form parameters the realm's endpoints read.
_PARAMETERS = frozenset(
    {"grant_type", "client_id", "client_secret", "scope", "token", "token_type_hint", "refresh_token"}
)


def realm_path(tenant: str) -> str:
    return f"/realms/{tenant}"


class _OAuthFailure(Exception):
    def __init__(self, status: int, error: str, description: str, headers: Mapping[str, str] | None = None,
                 *, empty: bool = False):
        super().__init__(description)
        self.status, self.error, self.description = status, error, description
        self.headers = dict(headers or {})
        self.why: dict[str, Any] | None = None
        #: Keycloak's userinfo refusals: the challenge header says it all, the body is empty text/plain.
        self.empty = empty

    def response(self) -> Response:
        if self.empty:
            return Response(b"", self.status, self.headers, media_type="text/plain; charset=utf-8")
        return oauth_error(self.status, self.error, self.description, self.headers)


def _bearer_refusal(tenant: str, status: int = 401, error: str | None = None,
                    description: str = "") -> _OAuthFailure:
    """Keycloak's userinfo refusal: ``WWW-Authenticate: Bearer realm=..., error=..., error_description=...``
    (only ``realm`` when no token was sent, RFC 6750 §3.1) and an empty body."""
    challenge = f'Bearer realm="{tenant}"'
    if error:
        challenge += f', error="{error}", error_description="{description}"'
    headers = {**_NO_STORE, "WWW-Authenticate": challenge}
    return _OAuthFailure(status, error or "invalid_token", description or "No bearer token", headers,
                         empty=True)


def _header_bearer(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header; ``None`` for any other header or none."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


async def _form_access_token(request: Request) -> str | None:
    """The first ``access_token`` of a form body; ``None`` when the body is no readable form or lacks it.

    A body that cannot be read as a form carries no token, so it gets the answer to no token (401),
    never a 400 of its own: Keycloak reads the field only as a fallback to the header.
    """
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type != "application/x-www-form-urlencoded":
        return None
    try:
        text = (await request.body()).decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, errors="strict", max_num_fields=100)
    except (UnicodeDecodeError, ValueError):
        return None
    return next((value for key, value in pairs if key == "access_token"), None)


class BanqerAuthApi(MockApi):
    name = "banqer-auth"
    mount_path = "/banqer-auth"
    error_media_type = JSON_UTF8

    @cached_property
    def settings(self) -> BanqerSettings:
        """This API's section of the config."""
        return BanqerSettings.of(self.state)

    # -- MockApi --------------------------------------------------------------------------------

    def error_response(
        self, status: int, message: str | None = None, headers: Mapping[str, str] | None = None
    ) -> Response:
        return realm_error(status, message, headers)

    def info(self, base_url: str) -> dict[str, Any]:
        return {
            "mount": self.mount_path,
            "realms": {
                tenant: f"{base_url}{self.mount_path}{realm_path(tenant)}"
                for tenant in self.settings.tenants
            },
            "token_ttl": self.settings.token_ttl,
        }

    def build_app(self) -> Starlette:
        oidc = "/realms/{tenant}/protocol/openid-connect"
        routes = [
            Route("/realms/{tenant}", self._guarded(self.realm), methods=["GET"]),
            Route(f"{oidc}/token", self._guarded(self.token), methods=["POST"]),
            Route(f"{oidc}/token/introspect", self._guarded(self.introspect), methods=["POST"]),
            Route(f"{oidc}/revoke", self._guarded(self.revoke), methods=["POST"]),
            Route(f"{oidc}/logout", self._guarded(self.logout), methods=["POST"]),
            Route(f"{oidc}/userinfo", self._guarded(self.userinfo), methods=["GET", "POST"]),
            Route("/realms/{tenant}/.well-known/openid-configuration", self._guarded(self.discovery),
                  methods=["GET"]),
            Route(f"{oidc}/certs", self._guarded(self.certs), methods=["GET"]),
        ]

        async def not_found(request: Request, exc: Exception) -> Response:
            return oauth_error(
                404,
                "Unable to find matching target resource method",
                f"{request.method} {request.scope['path']!r} is not served by this realm",
            )

        async def not_allowed(request: Request, exc: Exception) -> Response:
            # Keycloak (JAX-RS) answers a method a resource does not take with 405 and Allow.
            allow = getattr(exc, "headers", None) or {}
            return oauth_error(
                405,
                "HTTP 405 Method Not Allowed",
                f"{request.method} is not allowed on {request.scope['path']!r}",
                {"Allow": allow.get("Allow", "")} if allow.get("Allow") else None,
            )

        app = Starlette(routes=routes, exception_handlers={404: not_found, 405: not_allowed})
        app.router.redirect_slashes = False
        return app

    # -- realm lookup and URLs -------------------------------------------------------------------

    def _guarded(self, endpoint: Any) -> Any:
        async def run(request: Request) -> Response:
            try:
                response: Response = await endpoint(request)
                return response
            except _OAuthFailure as failure:
                why = failure.why or refused("oauth", failure.description, error=failure.error)
                explain(request.scope, why)
                return failure.response()
            except Exception:  # never a bare 500 page: the realm's own error shape
                log.exception("banqer-auth: unexpected error on %s %s", request.method, request.url.path)
                return oauth_error(500)

        return run

    def realm_url(self, request: Request, tenant: str) -> str:
        """The realm URL as this request reached it: ``{scheme}://{host}{mount}/realms/{tenant}``."""
        url = request.url
        return f"{url.scheme}://{url.netloc}{request.scope.get('root_path', '')}{realm_path(tenant)}"

    def _clients(self, request: Request) -> tuple[str, dict[str, BanqerClient]]:
        tenant: str = request.path_params["tenant"]
        clients = self.settings.tenants.get(tenant) if _TENANT.fullmatch(tenant) else None
        if clients is None:
            known = ", ".join(sorted(self.settings.tenants)) or "none"
            raise _OAuthFailure(
                404,
                "Realm does not exist",
                f"No realm named {tenant!r}; this mock serves the realms: {known}",
            )
        return tenant, clients

    # -- endpoints ------------------------------------------------------------------------------

    async def discovery(self, request: Request) -> Response:
        tenant, clients = self._clients(request)
        issuer = self.realm_url(request, tenant)
        oidc = f"{issuer}/protocol/openid-connect"
        scopes = sorted({s for client in clients.values() for s in client.scopes})
        # Only what is served: no authorization endpoint, so no response type either.
        return BanqerJSONResponse(
            {
                "issuer": issuer,
                "token_endpoint": f"{oidc}/token",
                "introspection_endpoint": f"{oidc}/token/introspect",
                "revocation_endpoint": f"{oidc}/revoke",
                "end_session_endpoint": f"{oidc}/logout",
                "userinfo_endpoint": f"{oidc}/userinfo",
                "jwks_uri": f"{oidc}/certs",
                "grant_types_supported": list(GRANT_TYPES),
                "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
                "introspection_endpoint_auth_methods_supported": list(AUTH_METHODS),
                "revocation_endpoint_auth_methods_supported": list(AUTH_METHODS),
                "response_types_supported": [],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "userinfo_signing_alg_values_supported": ["none"],
                "scopes_supported": ["openid", *scopes],
                "claims_supported": ["iss", "sub", "azp", "scope", "exp", "iat", "jti", "client_id"],
            }
        )

    async def realm(self, request: Request) -> Response:
        """Keycloak's realm document (python-keycloak's ``public_key()`` reads ``public_key``)."""
        tenant, _ = self._clients(request)
        issuer = self.realm_url(request, tenant)
        return BanqerJSONResponse(
            {
                "realm": tenant,
                "public_key": self.state.keys.public_key_der_b64(),
                "token-service": f"{issuer}/protocol/openid-connect",
                "account-service": f"{issuer}/account",
                "tokens-not-before": 0,
            }
        )

    async def introspect(self, request: Request) -> Response:
        """RFC 7662: the token's claims with ``active: true``, or only ``active: false``.

        An access token or a refresh token (``token_type`` ``Refresh``, with its ``sid``) is active
        until it expires or its session is logged out or revoked; ``token_type_hint`` is not needed,
        as RFC 7662 §2.1 asks. Expired, revoked, unknown tokens and tokens of another realm are all
        ``active: false``, as RFC 7662 §2.2 asks (no reason is given away).
        """
        tenant, client, _, token = await self._client_and_token(
            request, "token", "Missing form parameter: token")
        claims = self._active_claims(request, tenant, token)
        if claims is None:
            claims = self._active_refresh_claims(request, tenant, token, client)
        if claims is None:
            return BanqerJSONResponse({"active": False}, 200, _NO_STORE)
        log.debug("banqer-auth: %s introspected a token of %s", client.client_id, claims.get("azp"))
        body = {
            **claims,
            "client_id": claims.get("azp"),
            # Keycloak names the session's user; a refresh token carries no preferred_username
            "username": claims.get("preferred_username", f"service-account-{claims.get('azp')}"),
            "token_type": claims.get("typ", "Bearer"),
            "active": True,
        }
        return BanqerJSONResponse(body, 200, _NO_STORE)

    async def revoke(self, request: Request) -> Response:
        """RFC 7009: 200 with an empty body, whether or not the token was valid (§2.2)."""
        tenant, client, form, token = await self._client_and_token(
            request, "token", "Missing token parameter to revoke")
        hint = form.get("token_type_hint")
        if hint not in (None, "", "access_token", "refresh_token"):
            raise _OAuthFailure(
                400, "unsupported_token_type", f"Unsupported token_type_hint: {hint}", _NO_STORE
            )
        refresh = self._refresh_record(request, tenant, token, client)
        if refresh is not None:
            self._end_session(refresh)
        else:
            self._end(request, tenant, token, client)
        return Response(status_code=200, headers=_NO_STORE)

    async def logout(self, request: Request) -> Response:
        """Keycloak's back-channel logout: 204 once the session of ``refresh_token`` is ended.

        Only a refresh token names a session: an access token, an expired or foreign refresh token
        or any other string is 400 ``invalid_grant``, as Keycloak answers (a client that gets no
        refresh token has nothing to log out).
        """
        tenant, client, _, token = await self._client_and_token(request, "refresh_token", "No refresh token")
        self._end_session(self._live_refresh(request, tenant, token, client))
        return Response(status_code=204, headers=_NO_STORE)

    async def userinfo(self, request: Request) -> Response:
        """The service account behind a valid bearer token requested with the ``openid`` scope.

        The token comes in an ``Authorization: Bearer`` header or, on ``POST`` without one, in the
        ``access_token`` field of a form body (RFC 6750 §2.2), which Keycloak reads as a fallback.
        Refusals as Keycloak (20 and later) makes them, in its order: no token 401, a token that
        does not verify 401 ``invalid_token``, one without ``openid`` in its ``scope`` 403
        ``insufficient_scope``, a revoked one 401 ``invalid_token``; each with its ``Bearer``
        challenge and an empty body.
        """
        tenant, _ = self._clients(request)
        token = _header_bearer(request)
        if token is None and request.method == "POST":
            token = await _form_access_token(request)
        if token is None:
            raise _bearer_refusal(tenant)
        claims = self._signed_claims(request, tenant, token)
        if claims is None:
            raise _bearer_refusal(tenant, 401, "invalid_token", "Token verification failed")
        if "openid" not in str(claims.get("scope", "")).split():
            raise _bearer_refusal(tenant, 403, "insufficient_scope", "Missing openid scope")
        if not self._is_active(tenant, claims):
            raise _bearer_refusal(tenant, 401, "invalid_token", "Token verification failed")
        return BanqerJSONResponse(
            {
                "sub": claims.get("sub"),
                "preferred_username": claims.get("preferred_username"),
                "email_verified": False,
            }
        )

    def _signed_claims(self, request: Request, tenant: str, token: str) -> dict[str, Any] | None:
        """Claims of a token this realm signed (whatever its state), with a ``jti``."""
        import jwt

        try:
            claims = self.state.keys.verify(token)
        except (jwt.InvalidTokenError, ValueError, TypeError):
            return None
        if claims.get("iss") != self.realm_url(request, tenant) or not isinstance(claims.get("jti"), str):
            return None
        return claims

    def _active_claims(self, request: Request, tenant: str, token: str) -> dict[str, Any] | None:
        """Claims of an access token this realm issued that is registered, unexpired and not revoked."""
        claims = self._signed_claims(request, tenant, token)
        return claims if claims is not None and self._is_active(tenant, claims) else None

    def _is_active(self, tenant: str, claims: Mapping[str, Any]) -> bool:
        """Whether the access token of these (signed) claims is registered, unexpired and not revoked."""
        record = self.state.tokens.active(TOKEN_API, str(claims["jti"]), self.state.clock.now())
        return record is not None and record.data.get("tenant") == tenant

    def _refresh_record(
        self, request: Request, tenant: str, token: str, client: BanqerClient
    ) -> TokenRecord | None:
        """The registry's record of ``token`` if it is a refresh token this realm issued to ``client``."""
        claims = self._signed_claims(request, tenant, token)
        return None if claims is None else self._refresh_of(tenant, claims, client)

    def _refresh_of(self, tenant: str, claims: Mapping[str, Any], client: BanqerClient) -> TokenRecord | None:
        """The registry's record of the refresh token of these (signed) claims, if issued to ``client``."""
        if claims.get("typ") != "Refresh" or claims.get("azp") != client.client_id:
            return None
        record = self.state.tokens.get(REFRESH_API, str(claims["jti"]))
        return record if record is not None and record.data.get("tenant") == tenant else None

    def _active_refresh_claims(
        self, request: Request, tenant: str, token: str, client: BanqerClient
    ) -> dict[str, Any] | None:
        """Claims of a refresh token of ``client`` whose session is live and which has not expired.

        As Keycloak (26.8 and later) checks it, only the client the refresh token was issued to
        (its ``azp``) sees it active; to any other client of the realm it is ``active: false``.
        """
        claims = self._signed_claims(request, tenant, token)
        record = None if claims is None else self._refresh_of(tenant, claims, client)
        if record is None or record.revoked or self.state.clock.now() >= record.expires_at:
            return None
        return claims

    def _live_refresh(self, request: Request, tenant: str, token: str, client: BanqerClient) -> TokenRecord:
        """The record of a usable refresh token of ``client``; 400 ``invalid_grant`` in Keycloak's words
        for anything else (an access token included)."""
        record = self._refresh_record(request, tenant, token, client)
        if record is None:
            raise _OAuthFailure(400, "invalid_grant", "Invalid refresh token", _NO_STORE)
        if record.revoked:
            raise _OAuthFailure(400, "invalid_grant", "Session not active", _NO_STORE)
        if self.state.clock.now() >= record.expires_at:
            raise _OAuthFailure(400, "invalid_grant", "Token is not active", _NO_STORE)
        return record

    def _end_session(self, refresh: TokenRecord) -> None:
        """Revoke the session of the refresh token ``refresh``: every refresh and access token of it."""
        session = refresh.data["session"]
        tokens = self.state.tokens
        for record in tokens.records():
            if record.api in (TOKEN_API, REFRESH_API) and record.data.get("session") == session:
                tokens.revoke(record.api, record.token_id)

    def _end(self, request: Request, tenant: str, token: str, client: BanqerClient) -> bool:
        """Revoke ``token`` if it is an active token of this realm issued to ``client``."""
        claims = self._active_claims(request, tenant, token)
        if claims is None or claims.get("azp") != client.client_id:
            return False
        return self.state.tokens.revoke(TOKEN_API, str(claims["jti"]))

    async def certs(self, request: Request) -> Response:
        self._clients(request)
        return BanqerJSONResponse({"keys": [self.state.keys.jwk()]})

    async def token(self, request: Request) -> Response:
        tenant, clients = self._clients(request)
        form = await self._form(request)
        grant_type = form.get("grant_type", "")
        if not grant_type:
            raise _OAuthFailure(400, "invalid_request", "Missing form parameter: grant_type", _NO_STORE)
        client = self._authenticate(request, tenant, clients, form)
        if grant_type == "refresh_token":
            return self._refresh(request, tenant, client, form)
        if grant_type != "client_credentials":
            raise _OAuthFailure(400, "unsupported_grant_type", "Unsupported grant_type", _NO_STORE)
        scopes, openid = self._granted_scopes(client, form.get("scope"))
        return self._issue(request, tenant, client, scopes, openid)

    def _refresh(
        self, request: Request, tenant: str, client: BanqerClient, form: Mapping[str, str]
    ) -> Response:
        """The ``refresh_token`` grant: a new token pair of the same session, with the same scopes."""
        token = form.get("refresh_token", "")
        if not token:
            raise _OAuthFailure(400, "invalid_request", "Missing parameter: refresh_token", _NO_STORE)
        record = self._live_refresh(request, tenant, token, client)
        scopes = [s for s in client.scopes if s in record.data.get("scopes", ())]
        return self._issue(request, tenant, client, scopes, bool(record.data.get("openid")),
                           str(record.data["session"]))

    # -- token endpoint steps -------------------------------------------------------------------

    async def _client_and_token(
        self, request: Request, field: str, missing: str
    ) -> tuple[str, BanqerClient, dict[str, str], str]:
        """The tenant, the authenticated client, its form and the token it names in ``field``
        (400 ``invalid_request`` with ``missing`` when the field is absent or empty)."""
        tenant, clients = self._clients(request)
        form = await self._form(request)
        client = self._authenticate(request, tenant, clients, form)
        token = form.get(field, "")
        if not token:
            raise _OAuthFailure(400, "invalid_request", missing, _NO_STORE)
        return tenant, client, form, token

    async def _form(self, request: Request) -> dict[str, str]:
        media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media_type != "application/x-www-form-urlencoded":
            raise _OAuthFailure(
                400,
                "invalid_request",
                "The token request must be application/x-www-form-urlencoded",
                _NO_STORE,
            )
        try:
            text = (await request.body()).decode("utf-8")
        except UnicodeDecodeError:
            raise _OAuthFailure(400, "invalid_request", "The form body is not UTF-8", _NO_STORE) from None
        try:
            pairs = parse_qsl(text, keep_blank_values=True, errors="strict", max_num_fields=100)
        except (UnicodeDecodeError, ValueError):
            raise _OAuthFailure(
                400, "invalid_request", "The form body cannot be decoded", _NO_STORE
            ) from None
        form: dict[str, str] = {}
        for key, value in pairs:
            # RFC 6749 3.1/3.2: a parameter sent twice is refused, an unrecognized one is ignored.
            if key in form and key in _PARAMETERS:
                raise _OAuthFailure(400, "invalid_request", f"Duplicated form parameter: {key}", _NO_STORE)
            form.setdefault(key, value)
        return form

    def _authenticate(
        self, request: Request, tenant: str, clients: Mapping[str, BanqerClient], form: Mapping[str, str]
    ) -> BanqerClient:
        header = request.headers.get("authorization", "")
        scheme, _, credentials = header.partition(" ")
        if header and scheme.lower() == "basic":
            challenge = {**_NO_STORE, "WWW-Authenticate": f'Basic realm="{tenant}"'}
            try:
                decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
            except (binascii.Error, ValueError):
                raise _OAuthFailure(
                    401, "invalid_client", "Malformed HTTP Basic credentials", challenge
                ) from None
            raw_id, colon, raw_secret = decoded.partition(":")
            if not colon:
                raise _OAuthFailure(401, "invalid_client", "Malformed HTTP Basic credentials", challenge)
            # RFC 6749 §2.3.1: both halves are form-urlencoded before being joined. Several client
            # libraries skip that step, so the raw halves are tried when the decoded ones fail.
            client_id, secret = unquote_plus(raw_id), unquote_plus(raw_secret)
            if (client_id, secret) != (raw_id, raw_secret) and not self._matches(clients, client_id, secret):
                client_id, secret = raw_id, raw_secret
            if "client_secret" in form:
                raise _OAuthFailure(
                    400,
                    "invalid_request",
                    "Use one client authentication method: HTTP Basic or client_secret in the body",
                    _NO_STORE,
                )
            if form.get("client_id", client_id) != client_id:
                raise _OAuthFailure(
                    400, "invalid_request", "client_id in the body differs from the HTTP Basic one", _NO_STORE
                )
        else:
            challenge = dict(_NO_STORE)
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
            if not client_id:
                raise _OAuthFailure(
                    401,
                    "invalid_client",
                    "No client authentication: send client_id and client_secret in the body "
                    "(client_secret_post) or an HTTP Basic header (client_secret_basic)",
                    challenge,
                )
            if not secret:
                raise _OAuthFailure(401, "invalid_client", "Client secret not provided in request", challenge)
        client = self._matches(clients, client_id, secret)
        if client is None:
            failure = _OAuthFailure(401, "invalid_client", _INVALID_CLIENT, challenge)
            failure.why = refused("client", f"the realm {tenant!r} has no client {client_id!r}"
                                  if client_id not in clients else f"wrong client_secret for {client_id!r}",
                                  error="invalid_client")
            raise failure
        return client

    @staticmethod
    def _matches(clients: Mapping[str, BanqerClient], client_id: str, secret: str) -> BanqerClient | None:
        client = clients.get(client_id)
        if client is None or not hmac.compare_digest(client.secret.encode(), secret.encode()):
            return None
        return client

    def _granted_scopes(self, client: BanqerClient, requested: str | None) -> tuple[list[str], bool]:
        """The client's scopes granted for ``requested``, and whether ``openid`` was asked for (Keycloak
        then names it in the token's ``scope``, which userinfo requires)."""
        if requested is None or not requested.strip():
            return list(client.scopes), False
        asked = requested.split()
        openid = "openid" in asked
        wanted = [s for s in asked if s != "openid"]
        if not wanted:  # only "openid" (python-keycloak's default): the client's default scopes, as Keycloak
            return list(client.scopes), openid
        refused = [s for s in wanted if s not in client.scopes]
        if refused:
            raise _OAuthFailure(400, "invalid_scope", f"Invalid scopes: {' '.join(refused)}", _NO_STORE)
        return [s for s in client.scopes if s in wanted], openid

    def _issue(self, request: Request, tenant: str, client: BanqerClient, scopes: list[str], openid: bool,
               session: str | None = None) -> Response:
        state = self.state
        ttl = self.settings.token_ttl
        issued_at = math.floor(state.clock.now())
        expires_at = issued_at + ttl
        jti = str(uuid.uuid4())
        subject = str(uuid.uuid5(uuid.NAMESPACE_URL, f"banqer:{tenant}:{client.client_id}"))
        scope = " ".join(["openid", *scopes] if openid else scopes)
        if client.use_refresh_token and session is None:
            session = str(uuid.uuid4())
        claims = {
            "exp": expires_at,
            "iat": issued_at,
            "jti": jti,
            "iss": self.realm_url(request, tenant),
            "sub": subject,
            "typ": "Bearer",
            "azp": client.client_id,
            "client_id": client.client_id,
            "preferred_username": f"service-account-{client.client_id}",
            "scope": scope,
        }
        data: dict[str, Any] = {"tenant": tenant, "scopes": tuple(scopes)}
        if session is not None:
            claims["sid"] = data["session"] = session
        token = state.keys.sign(claims)
        state.tokens.issue(
            TokenRecord(TOKEN_API, jti, float(expires_at), float(issued_at), client.client_id, data),
            state.clock.now(),
        )
        body: dict[str, Any] = {
            "access_token": token,
            "expires_in": ttl,
            "refresh_expires_in": 0,
            "token_type": "Bearer",
            "not-before-policy": 0,
            "scope": scope,
        }
        if session is not None:
            refresh_ttl = self.settings.refresh_token_ttl
            refresh_jti = str(uuid.uuid4())
            refresh_claims = {**claims, "exp": issued_at + refresh_ttl, "jti": refresh_jti, "typ": "Refresh",
                              "aud": claims["iss"]}
            refresh_claims.pop("preferred_username", None)
            state.tokens.issue(
                TokenRecord(REFRESH_API, refresh_jti, float(issued_at + refresh_ttl), float(issued_at),
                            client.client_id, {**data, "openid": openid}),
                state.clock.now(),
            )
            body.update(refresh_token=state.keys.sign(refresh_claims), refresh_expires_in=refresh_ttl,
                        session_state=session)
        return BanqerJSONResponse(body, 200, _NO_STORE)
