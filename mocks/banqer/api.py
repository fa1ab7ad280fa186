"""The Banqer API of every configured tenant: ``/v1/credores``, ``/v1/fichas``, ``/v1/fichas/{id}``.

Mounted at ``/banqer/{tenant}``: ``{base}/banqer/demo`` stands for ``https://api-demo.banqer.com.br``.
Each request goes through, in order:

1. the bearer token (401 ``UNAUTHENTICATED`` with ``WWW-Authenticate``): a JWT signed by this run's
   key, still registered in ``state.tokens`` (so reset and expire-all revoke it), not expired on
   the mock's clock, issued by the realm of the path's tenant — an unknown tenant has no realm, so
   no token is valid for it and the answer is 401 too (the spec declares no 404 on the lists);
2. the operation's scope (403 ``MISSING_SCOPE`` with ``metadata.requiredScope``);
3. the parameters, validated against ``banqer.openapi.yaml`` (400 ``INVALID_ARGUMENT`` naming the
   parameter; 400 ``INVALID_PAGE_TOKEN`` for a token that is not this query's).

A path the spec does not describe is 404 ``NOT_FOUND`` in the Banqer shape, a method it does not
describe on a served path 405 ``METHOD_NOT_ALLOWED`` with ``Allow`` (:mod:`.routes`).
Pagination follows the spec: ``pageSize`` default 50 (200 on ``/v1/credores``), values above 200
served as 200; ``pageToken`` empty or absent is the first page;
``nextPageToken`` is omitted on the last page. Fichas are listed most overdue first.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any
from urllib.parse import urlsplit

import jwt
from starlette.datastructures import QueryParams
from starlette.responses import Response
from starlette.types import ASGIApp

from specmock.mocks.banqer.data import REFERENCE_DATE, TenantData, tenant_data
from specmock.mocks.banqer.errors import JSON_UTF8, ApiFailure, api_error, bearer_challenge, encode_json
from specmock.mocks.banqer.pagination import (
    MAX_PAGE_SIZE,
    InvalidPageToken,
    decode_token,
    encode_token,
    query_hash,
)
from specmock.mocks.banqer.realm import TOKEN_API, realm_path
from specmock.mocks.banqer.routes import BanqerApp
from specmock.mocks.banqer.settings import BanqerClient, BanqerSettings
from specmock.mocks.core.cache import BoundedCache
from specmock.mocks.core.openapi import OpenApiSpec, Operation, ParamError
from specmock.mocks.core.state import MockApi, MockState
from specmock.mocks.core.why import refused, spec_violation, token_refused
from specmock.specs import load as load_spec

__all__ = ["SCOPES", "BanqerApi"]

#: Scope each operation needs (``security`` of ``banqer.openapi.yaml``).
SCOPES = {"listCredores": "credores:read", "listFichas": "fichas:read", "getFicha": "fichas:read"}
DEFAULT_PAGE_SIZE = {"listCredores": 200, "listFichas": 50}
_STRICT_INT = re.compile(r"[+-]?[0-9]{1,18}")
#: Encoded bodies kept for queries already answered (a list page of 200 fichas is about 45 KiB).
_BODIES_KEPT, _BODIES_KEPT_BYTES = 4096, 4 * 1024 * 1024
_INVALID_PAGE_TOKEN = "pageToken inválido ou gerado para outra consulta. Reinicie a paginação sem pageToken."


@cache
def _operations() -> dict[str, Operation]:
    """The compiled operations of ``banqer.openapi.yaml``, built on first use (parsing the YAML is
    the costly part, so it is kept out of the start-up)."""
    spec = OpenApiSpec(load_spec("banqer"))
    return {operation_id: spec.operation(operation_id) for operation_id in SCOPES}


@dataclass(frozen=True, slots=True)
class _Granted:
    """What a token's signed claims grant: the expiry, the id the registry knows it by, the scopes."""

    expires: float
    jti: str | None
    scopes: frozenset[str]


#: Tokens judged, remembered per tenant (the least recently used go first).
_GRANTS_KEPT, _GRANTS_KEPT_BYTES = 1024, 4 * 1024 * 1024


def _unauthenticated(
    tenant: str, message: str, description: str | None, with_error: bool = True, *, why: dict[str, Any]
) -> ApiFailure:
    challenge = bearer_challenge(tenant, "invalid_token" if with_error else None, description)
    return ApiFailure(api_error(401, message, {"WWW-Authenticate": challenge}, reason="UNAUTHENTICATED"),
                      why)


def _grants(client: BanqerClient) -> str:
    """What the banner says a client gets: its scopes, and refresh tokens when it has them."""
    scopes = " ".join(client.scopes) or "no scope"
    return f"{scopes}, refresh tokens" if client.use_refresh_token else scopes


def _expired(expires_at: float, now: float) -> dict[str, Any]:
    late = now - expires_at
    return token_refused("expired", f"the token expired {late:.0f} s ago on the mock's clock",
                         expired_at=expires_at, now=now)


def _shown(value: str) -> str:
    return repr(value if len(value) <= 60 else value[:57] + "...")


class BanqerApi(MockApi):
    name = "banqer"
    mount_path = "/banqer/{tenant}"
    error_media_type = JSON_UTF8

    def __init__(self, state: MockState) -> None:
        super().__init__(state)
        self._data: dict[str, TenantData] = {}
        self._lock = threading.Lock()
        self._bodies: BoundedCache[tuple[str, str, str, str | None], bytes] = BoundedCache(
            _BODIES_KEPT, _BODIES_KEPT_BYTES)
        self._granted: BoundedCache[tuple[str, str], _Granted] = BoundedCache(
            _GRANTS_KEPT, _GRANTS_KEPT_BYTES)
        self._handlers: dict[str, Callable[[str, TenantData, Mapping[str, Any]], bytes]] = {
            "listCredores": self._list_credores,
            "listFichas": self._list_fichas,
            "getFicha": self._get_ficha,
        }

    @cached_property
    def settings(self) -> BanqerSettings:
        """This API's section of the config."""
        return BanqerSettings.of(self.state)

    # -- MockApi --------------------------------------------------------------------------------

    def error_response(
        self, status: int, message: str | None = None, headers: Mapping[str, str] | None = None
    ) -> Response:
        return api_error(status, message, headers)

    def reset(self) -> None:
        """Nothing to do: the seeded data is immutable, so it is already as it was at the start."""

    def warm_up(self) -> None:
        """Every configured tenant's data set and the compiled operations: a first list then takes
        milliseconds, not the 0.1–0.2 s of importing Faker and generating the fichas."""
        _operations()
        for tenant in sorted(self.settings.tenants):
            self.data(tenant)

    def data(self, tenant: str) -> TenantData | None:
        """The tenant's data set (built on first use), or ``None`` for a tenant that is not configured."""
        found = self._data.get(tenant)
        if found is not None:
            return found
        config = self.state.config
        if tenant not in self.settings.tenants:
            return None
        with self._lock:
            if tenant not in self._data:
                self._data[tenant] = tenant_data(config.seed, tenant, self.settings.fichas_per_tenant)
            return self._data[tenant]

    def _demo_tenant(self) -> str | None:
        tenants = self.settings.tenants
        return "demo" if "demo" in tenants else next(iter(sorted(tenants)), None)

    def info(self, base_url: str) -> dict[str, Any]:
        return {
            "mount": self.mount_path,
            "tenants": {tenant: f"{base_url}/banqer/{tenant}" for tenant in self.settings.tenants},
            "fichas_per_tenant": self.settings.fichas_per_tenant,
            "reference_date": REFERENCE_DATE.isoformat(),
            "scopes": dict(SCOPES),
        }

    def banner(self, base_url: str) -> list[str]:
        tenant = self._demo_tenant()
        if tenant is None:
            return ["banqer API      no tenant configured"]
        api = f"{base_url}/banqer/{tenant}"
        realm = f"{base_url}/banqer-auth{realm_path(tenant)}"
        token_url = f"{realm}/protocol/openid-connect/token"
        clients = self.settings.tenants[tenant]
        listed = "; ".join(
            f"{c.client_id} / {c.secret} ({_grants(c)})" for c in clients.values()
        )
        lines = [
            f"banqer API      {api}  (tenant {tenant}: GET /v1/credores, /v1/fichas, /v1/fichas/{{id}})",
            f"banqer token    {token_url}  (client_credentials)",
            f"banqer OIDC     {realm}/.well-known/openid-configuration",
            f"banqer clients  {listed}",
        ]
        for other in sorted(set(self.state.config.banqer_tenants) - {tenant}):
            # the config's own tenants and clients (their secrets are the user's: not printed)
            added = ", ".join(
                f"{c.client_id} ({_grants(c)})" for c in self.state.config.banqer_tenants[other].values()
            )
            lines.append(f"banqer tenant   {other}: {base_url}/banqer/{other}  clients {added or 'none'}")
        first = next((c for c in clients.values() if "fichas:read" in c.scopes), None)
        if first is not None:
            lines.append(
                "banqer try      TOKEN=$(curl -s -d grant_type=client_credentials "
                f"-d client_id={first.client_id} -d client_secret={first.secret} {token_url} "
                "| python3 -c \"import json,sys; print(json.load(sys.stdin)['access_token'])\") && "
                f"curl -s -H \"Authorization: Bearer $TOKEN\" '{api}/v1/fichas?atrasoMin=90&pageSize=5'"
            )
        return lines

    def build_app(self) -> ASGIApp:
        return BanqerApp(self)

    # -- request pipeline -----------------------------------------------------------------------

    def serve(self, operation_id: str, tenant: str, authorization: str | None, query: str,
              path_params: Mapping[str, str], server_host: str = "") -> bytes:
        """The 200 body of one request, or :class:`ApiFailure` with the error response.

        Authentication and scope are judged on every request (they depend on the clock and the
        token registry). ``server_host`` is the address the request reached (its ``scope["server"]``),
        a host a token's issuer may name besides the allowed ones. What follows is a pure function
        of the query and the tenant's data, which never changes, so the body of a query that already
        passed is served again as it was.
        """
        granted = self._authenticate(authorization, tenant, server_host)
        self._authorize(tenant, granted.scopes, SCOPES[operation_id])
        key = (operation_id, tenant, query, path_params.get("id"))
        body = self._bodies.get(key)
        if body is None:
            values = self._parameters(_operations()[operation_id], query, path_params)
            data = self.data(tenant)
            if data is None:  # unreachable: no realm, so no token, for an unknown tenant
                raise _unauthenticated(tenant, "Tenant desconhecido.", "unknown tenant",
                                       why=token_refused("unknown_tenant"))
            body = self._handlers[operation_id](tenant, data, values)
            self._bodies.put(key, body, len(body) + len(query))
        return body

    def _authenticate(self, header: str | None, tenant: str, server_host: str = "") -> _Granted:
        """What a valid bearer token grants, judged now; :class:`ApiFailure` (401) otherwise.

        What a token's signed claims say is fixed, so it is judged once per token and tenant; its
        expiry against the clock, and the registry (reset, revocation, expire-all), every time.
        """
        if not header:
            raise _unauthenticated(
                tenant, "Token de acesso ausente: envie Authorization: Bearer <access_token>.", None, False,
                why=token_refused("missing"),
            )
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise _unauthenticated(
                tenant,
                "Cabeçalho Authorization malformado: use Bearer <access_token>.",
                "malformed Authorization header",
                why=token_refused("malformed"),
            )
        granted = self._granted.get((token, tenant))
        if granted is None:
            granted = self._judge(token, tenant, server_host)
            self._granted.put((token, tenant), granted, len(token) + len(tenant))
        now = self.state.clock.now()
        if now >= granted.expires:
            raise _unauthenticated(tenant, "Token de acesso expirado.", "token expired",
                                   why=_expired(granted.expires, now))
        jti = granted.jti
        record = self.state.tokens.active(TOKEN_API, jti, now) if jti is not None else None
        if record is None:
            known = self.state.tokens.get(TOKEN_API, jti) if jti is not None else None
            if known is not None:
                raise _unauthenticated(
                    tenant, "Token de acesso expirado ou revogado.", "token expired or revoked",
                    why=token_refused("revoked") if known.revoked else _expired(known.expires_at, now),
                )
            raise _unauthenticated(
                tenant, "Token de acesso desconhecido (emitido antes de um reset?).", "unknown token",
                why=token_refused("unknown"),
            )
        if record.data.get("tenant") != tenant:
            raise _unauthenticated(
                tenant,
                f"Token emitido para outro tenant, não para {tenant!r}.",
                "token issued for another tenant",
                why=token_refused("other_tenant", issued_for=str(record.data.get("tenant")), tenant=tenant),
            )
        return granted

    def _judge(self, token: str, tenant: str, server_host: str = "") -> _Granted:
        """The checks of a token that do not depend on the clock or the registry."""
        if tenant not in self.settings.tenants:
            raise _unauthenticated(
                tenant, f"Tenant {tenant!r} desconhecido: nenhum token é válido para ele.", "unknown tenant",
                why=token_refused("unknown_tenant", tenant=tenant),
            )
        try:
            claims = self.state.keys.verify(token)
        except (jwt.InvalidTokenError, ValueError, TypeError):
            raise _unauthenticated(
                tenant,
                "Token de acesso inválido (malformado ou com assinatura inválida).",
                "invalid signature or malformed token",
                why=token_refused("bad_signature"),
            ) from None
        issuer = claims.get("iss")
        if not isinstance(issuer, str) or not issuer.endswith(realm_path(tenant)):
            raise _unauthenticated(
                tenant,
                f"Token emitido para outro tenant, não para {tenant!r}.",
                "token issued for another tenant",
                why=token_refused("other_tenant", issuer=str(issuer), tenant=tenant),
            )
        if not self._own_issuer(issuer, server_host):
            raise _unauthenticated(
                tenant,
                "Token emitido por um emissor desconhecido (iss não é a URL do realm neste servidor).",
                "unknown issuer",
                why=token_refused("unknown_issuer", issuer=issuer[:200]),
            )
        expires = claims.get("exp")
        if not isinstance(expires, int | float) or isinstance(expires, bool):
            raise _unauthenticated(tenant, "Token de acesso expirado.", "token expired",
                                   why=token_refused("expired", "the token carries no expiry (exp)"))
        jti = claims.get("jti")
        scope = claims.get("scope")
        return _Granted(
            expires, jti if isinstance(jti, str) else None,
            frozenset(scope.split()) if isinstance(scope, str) else frozenset(),
        )

    def _own_issuer(self, issuer: str, server_host: str) -> bool:
        """Whether ``issuer`` is a realm URL under a host this server answers to, as Keycloak
        accepts only its own realm URL: a token issued to a spoofed ``Host`` is refused."""
        try:
            parts = urlsplit(issuer)
            name = parts.hostname
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError:
            return False
        if parts.scheme not in ("http", "https") or not name or parts.username is not None \
                or parts.query or parts.fragment:
            return False
        name = name.rstrip(".")
        return name in self.state.allowed_hosts or name == server_host.lower().strip("[]")

    def _authorize(self, tenant: str, scopes: frozenset[str], scope: str) -> None:
        if scope in scopes:
            return
        challenge = bearer_challenge(tenant, "insufficient_scope", None, scope)
        raise ApiFailure(
            api_error(
                403,
                f"Credencial sem o escopo necessário: {scope}",
                {"WWW-Authenticate": challenge},
                reason="MISSING_SCOPE",
                metadata={"requiredScope": scope},
            ),
            token_refused("missing_scope", f"the token lacks the scope {scope}", required=scope,
                          granted=sorted(scopes)),
        )

    def _parameters(self, operation: Operation, query_string: str, path_params: Mapping[str, str]
                    ) -> dict[str, Any]:
        query = QueryParams(query_string)
        errors: list[ParamError] = []
        # Integers in plain ASCII digits only: no Unicode digits, no trailing newline.
        for param in operation.params:
            if param.location == "query" and param.kind == "integer":
                raw = query.getlist(param.name)
                if raw and not _STRICT_INT.fullmatch(raw[-1]):
                    errors.append(
                        ParamError("query", param.name, f"must be an integer, got {_shown(raw[-1])}",
                                   "type: integer")
                    )
        values, found = operation.validate_params(query, path_params)
        flagged = {error.name for error in errors}
        errors += [error for error in found if error.name not in flagged]
        if errors:
            message = "Parâmetro inválido: " + "; ".join(str(error) for error in errors)
            raise ApiFailure(
                api_error(
                    400,
                    message,
                    reason="INVALID_ARGUMENT",
                    metadata={"field": errors[0].name, "location": errors[0].location},
                ),
                spec_violation(operation.operation_id, errors, operation.method, operation.path),
            )
        return values

    # -- operations -----------------------------------------------------------------------------

    def _page(
        self,
        operation_id: str,
        tenant: str,
        items: tuple[dict[str, Any], ...],
        total: int,
        values: Mapping[str, Any],
        filters: tuple[object, ...],
        key: str,
    ) -> bytes:
        size = min(int(values.get("pageSize", DEFAULT_PAGE_SIZE[operation_id])), MAX_PAGE_SIZE)
        token = values.get("pageToken", "")
        query = query_hash(key, tenant, self.state.config.seed, len(items), *filters)
        start = 0
        if token:
            try:
                start = decode_token(token, query, total)
            except InvalidPageToken:
                raise ApiFailure(
                    api_error(
                        400,
                        _INVALID_PAGE_TOKEN,
                        reason="INVALID_PAGE_TOKEN",
                    ),
                    refused("page_token", "the pageToken was not issued for this query (filters, tenant "
                            "or page size changed), or is not one this mock made", operation=operation_id),
                ) from None
        end = min(start + size, total)
        body: dict[str, Any] = {key: list(items[start:end])}
        if end < total:
            body["nextPageToken"] = encode_token(end, query)
        return encode_json(body)

    def _list_credores(self, tenant: str, data: TenantData, values: Mapping[str, Any]) -> bytes:
        return self._page("listCredores", tenant, data.credores, len(data.credores), values, (), "credores")

    def _list_fichas(self, tenant: str, data: TenantData, values: Mapping[str, Any]) -> bytes:
        atraso_min = int(values.get("atrasoMin", 0))
        total = data.count_atraso_min(atraso_min)
        return self._page("listFichas", tenant, data.fichas, total, values, (atraso_min,), "fichas")

    def _get_ficha(self, tenant: str, data: TenantData, values: Mapping[str, Any]) -> bytes:
        ficha_id = str(values["id"]).lower()
        ficha = data.by_id.get(ficha_id)
        if ficha is None:
            raise ApiFailure(
                api_error(
                    404,
                    "Ficha de cobrança não encontrada.",
                    reason="NOT_FOUND",
                    metadata={"idFichaCobranca": ficha_id},
                )
            )
        return encode_json(ficha)
