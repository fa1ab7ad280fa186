"""The Banqer realm (Keycloak layout): client-credentials tokens, OIDC discovery and JWKS per tenant.

Mounted at ``/banqer-auth``: the realm of tenant ``demo`` is ``{base}/banqer-auth/realms/demo``,
standing for ``https://auth.banqer.com.br/realms/demo``. Every URL the realm publishes (the
discovery ``issuer``, the tokens' ``iss``) is built from the URL the request was made to, so
OIDC libraries that compare the issuer character for character accept it whatever host, port or
scheme the mock is reached through.

Tokens are RS256 JWTs signed with the run's key (``state.keys``) and registered in
``state.tokens`` under the API ``"banqer"`` with the ``jti`` as id, so reset, expire-all and the
controllable clock apply to them. The Banqer API (:mod:`.api`) accepts them.
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

__all__ = ["TOKEN_API", "BanqerAuthApi", "realm_path"]

log = logging.getLogger(__name__)

#: The API name tokens are registered under in ``state.tokens``.
TOKEN_API = "banqer"
AUTH_METHODS = ["client_secret_post", "client_secret_basic"]
_TENANT = re.compile(r"[a-z0-9-]{1,59}")
_INVALID_CLIENT = "Invalid client or Invalid client credentials"
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def realm_path(tenant: str) -> str:
    return f"/realms/{tenant}"


class _OAuthFailure(Exception):
    def __init__(self, status: int, error: str, description: str, headers: Mapping[str, str] | None = None):
        super().__init__(description)
        self.status, self.error, self.description = status, error, description
        self.headers = dict(headers or {})
        self.why: dict[str, Any] | None = None

    def response(self) -> Response:
        return oauth_error(self.status, self.error, self.description, self.headers)


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
        routes = [
            Route(
                "/realms/{tenant}/protocol/openid-connect/token", self._guarded(self.token), methods=["POST"]
            ),
            Route(
                "/realms/{tenant}/.well-known/openid-configuration",
                self._guarded(self.discovery),
                methods=["GET"],
            ),
            Route(
                "/realms/{tenant}/protocol/openid-connect/certs", self._guarded(self.certs), methods=["GET"]
            ),
        ]

        async def not_served(request: Request, exc: Exception) -> Response:
            # The spec declares no 405: a method the realm does not serve is as unknown as a path.
            served = (
                "POST …/protocol/openid-connect/token, GET …/.well-known/openid-configuration, "
                "GET …/protocol/openid-connect/certs"
            )
            return oauth_error(
                404,
                "Unable to find matching target resource method",
                f"{request.method} {request.scope['path']!r} is not served; the realm serves {served}",
            )

        app = Starlette(routes=routes, exception_handlers={404: not_served, 405: not_served})
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
        scopes = sorted({s for client in clients.values() for s in client.scopes})
        return BanqerJSONResponse(
            {
                "issuer": issuer,
                "authorization_endpoint": f"{issuer}/protocol/openid-connect/auth",
                "token_endpoint": f"{issuer}/protocol/openid-connect/token",
                "jwks_uri": f"{issuer}/protocol/openid-connect/certs",
                "grant_types_supported": ["client_credentials"],
                "token_endpoint_auth_methods_supported": list(AUTH_METHODS),
                "response_types_supported": ["code", "none", "id_token", "token"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "scopes_supported": ["openid", *scopes],
                "claims_supported": ["iss", "sub", "azp", "scope", "exp", "iat", "jti", "client_id"],
            }
        )

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
        if grant_type != "client_credentials":
            raise _OAuthFailure(400, "unsupported_grant_type", "Unsupported grant_type", _NO_STORE)
        scopes = self._granted_scopes(client, form.get("scope"))
        return self._issue(request, tenant, client, scopes)

    # -- token endpoint steps -------------------------------------------------------------------

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
            if key in form:
                raise _OAuthFailure(400, "invalid_request", f"Duplicated form parameter: {key}", _NO_STORE)
            form[key] = value
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

    def _granted_scopes(self, client: BanqerClient, requested: str | None) -> list[str]:
        if requested is None or not requested.strip():
            return list(client.scopes)
        wanted = [s for s in requested.split() if s != "openid"]
        refused = [s for s in wanted if s not in client.scopes]
        if refused:
            raise _OAuthFailure(400, "invalid_scope", f"Invalid scopes: {' '.join(refused)}", _NO_STORE)
        return [s for s in client.scopes if s in wanted]

    def _issue(self, request: Request, tenant: str, client: BanqerClient, scopes: list[str]) -> Response:
        _config, state = self.state.config, self.state
        ttl = self.settings.token_ttl
        issued_at = math.floor(state.clock.now())
        expires_at = issued_at + ttl
        jti = str(uuid.uuid4())
        subject = str(uuid.uuid5(uuid.NAMESPACE_URL, f"banqer:{tenant}:{client.client_id}"))
        scope = " ".join(scopes)
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
        token = state.keys.sign(claims)
        state.tokens.issue(
            TokenRecord(
                TOKEN_API,
                jti,
                float(expires_at),
                float(issued_at),
                client.client_id,
                {"tenant": tenant, "scopes": tuple(scopes)},
            ),
            state.clock.now(),
        )
        body = {
            "access_token": token,
            "expires_in": ttl,
            "refresh_expires_in": 0,
            "token_type": "Bearer",
            "not-before-policy": 0,
            "scope": scope,
        }
        return BanqerJSONResponse(body, 200, _NO_STORE)
