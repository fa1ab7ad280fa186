"""The ``banqer:`` section of the config: tenants and their clients, token lifetime, data size."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar, cast

from specmock.mocks.descriptor import NAME_SCHEMA, TOKEN_TTL_SCHEMA, ApiSettings

if TYPE_CHECKING:
    from specmock.mocks.core.state import MockState

__all__ = ["ALL_SCOPES", "DEMO_TENANTS", "BanqerClient", "BanqerSettings", "banqer_settings"]

#: Every scope of the API; a configured client without ``scopes`` gets them all.
ALL_SCOPES = ("credores:read", "fichas:read")


@dataclass(frozen=True)
class BanqerClient:
    client_id: str
    secret: str
    scopes: tuple[str, ...]


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
    fichas_per_tenant: int = 360

    SCHEMA: ClassVar[dict[str, Any]] = {
        "token_ttl": TOKEN_TTL_SCHEMA,
        "fichas_per_tenant": {"type": "integer", "minimum": 0, "maximum": 100_000},
        "tenants": {
            "type": "object",
            "propertyNames": {"pattern": "^[a-z0-9-]+$"},
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "required": ["clients"],
                "properties": {
                    "clients": {
                        "type": "object",
                        "additionalProperties": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["secret"],
                            "properties": {"secret": NAME_SCHEMA,
                                           "scopes": {"type": "array", "items": NAME_SCHEMA}},
                        },
                    }
                },
            },
        },
    }

    def merged(self, section: Mapping[str, Any]) -> BanqerSettings:
        merged = super().merged({k: v for k, v in section.items() if k != "tenants"})
        if not section.get("tenants"):
            return merged
        tenants = {name: dict(clients) for name, clients in self.tenants.items()}
        for tenant, spec in section["tenants"].items():
            clients = tenants.setdefault(tenant, {})
            for client_id, client in spec["clients"].items():
                scopes = tuple(client.get("scopes", ALL_SCOPES))
                clients[client_id] = BanqerClient(client_id, client["secret"], scopes)
        return replace(merged, tenants=tenants)


def banqer_settings(state: MockState) -> BanqerSettings:
    """The ``banqer:`` section of ``state``'s config."""
    return cast(BanqerSettings, state.config.api("banqer"))
