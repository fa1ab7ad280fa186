"""The ``banqer:`` section of the config: tenants and their clients, token lifetimes, data size."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from specmock.mocks.descriptor import NAME_SCHEMA, TOKEN_TTL_SCHEMA, ApiSettings, keyed_objects

__all__ = ["ALL_SCOPES", "DEMO_TENANTS", "BanqerClient", "BanqerSettings"]

#: Every scope of the API (the banqerOAuth scheme of banqer.openapi.yaml declares these); a configured
#: client without ``scopes`` gets them all, and one naming any other scope is refused at start.
ALL_SCOPES = ("credores:read", "fichas:read")


@dataclass(frozen=True)
class BanqerClient:
    client_id: str
    secret: str
    scopes: tuple[str, ...]
    #: Keycloak's "Use refresh tokens for client credentials grant" (``client_credentials.use_refresh_token``,
    #: off by default): the client's tokens then come with a refresh token and belong to a session.
    use_refresh_token: bool = False


DEMO_TENANTS: dict[str, dict[str, BanqerClient]] = {
    "demo": {
        "demo-client": BanqerClient("demo-client", "demo-secret", ALL_SCOPES),
        "demo-credores": BanqerClient("demo-credores", "demo-secret", ("credores:read",)),
    }
}


@dataclass(frozen=True)
class BanqerSettings(ApiSettings):
    tenants: dict[str, dict[str, BanqerClient]] = field(default_factory=lambda: dict(DEMO_TENANTS))
    token_ttl: int = 300
    #: ``refresh_expires_in`` of a client with refresh tokens: Keycloak's SSO Session Idle (30 min).
    refresh_token_ttl: int = 1800
    fichas_per_tenant: int = 360

    SCHEMA: ClassVar[dict[str, Any]] = {
        "token_ttl": TOKEN_TTL_SCHEMA,
        "refresh_token_ttl": TOKEN_TTL_SCHEMA,
        "fichas_per_tenant": {"type": "integer", "minimum": 0, "maximum": 100_000},
        "tenants": keyed_objects(["clients"], {
            "clients": keyed_objects(["secret"], {"secret": NAME_SCHEMA,
                                                  "scopes": {"type": "array", "items": NAME_SCHEMA},
                                                  "use_refresh_token": {"type": "boolean"}}),
        }, propertyNames={"pattern": "^[a-z0-9-]+$"}),
    }

    def merge_tenants(self, given: Mapping[str, Any]) -> dict[str, dict[str, BanqerClient]]:
        """The demo tenants plus the configured ones; a client without ``scopes`` gets them all.

        ``ValueError`` for a scope the API does not have: a typo would otherwise surface as a 403
        much later.
        """
        tenants = {name: dict(clients) for name, clients in self.tenants.items()}
        for tenant, spec in given.items():
            clients = tenants.setdefault(tenant, {})
            for client_id, client in spec["clients"].items():
                scopes = tuple(client.get("scopes", ALL_SCOPES))
                unknown = [scope for scope in scopes if scope not in ALL_SCOPES]
                if unknown:
                    raise ValueError(f"banqer.tenants.{tenant}.clients.{client_id}.scopes: unknown scope "
                                     f"{unknown[0]!r}; the Banqer API has: {', '.join(ALL_SCOPES)}")
                clients[client_id] = BanqerClient(client_id, client["secret"], scopes,
                                                  bool(client.get("use_refresh_token", False)))
        return tenants

