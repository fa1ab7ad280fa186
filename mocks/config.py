"""The optional YAML config: tenants, clients, accounts, token lifetimes and rate limits.

Whatever a config file names is merged over the built-in demo set-up, so a file only needs to say
what it adds or changes. A file that is not valid YAML, or not of the documented shape, raises
:class:`ConfigError` with one line saying where and what.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from specmock.mocks.config_file import MAX_INTEGER_BITS, ConfigError, oversized_integer, read_yaml_file
from specmock.mocks.core.ratelimit import RateLimitRule

if TYPE_CHECKING:
    import jsonschema

# jsonschema and yaml are imported where a config is parsed: a server started without a config
# file never needs them.

__all__ = ["AssineUser", "BanqerClient", "ConfigError", "MockConfig", "PbmAccount", "load_config"]


@dataclass(frozen=True)
class BanqerClient:
    client_id: str
    secret: str
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class PbmAccount:
    login: str
    password: str


@dataclass(frozen=True)
class AssineUser:
    email: str
    password: str
    name: str
    business_unit: bool


DEMO_BANQER_TENANTS: dict[str, dict[str, BanqerClient]] = {
    "demo": {
        "demo-client": BanqerClient("demo-client", "demo-secret", ("credores:read", "fichas:read")),
        "demo-credores": BanqerClient("demo-credores", "demo-secret", ("credores:read",)),
    }
}
DEMO_PBM_ACCOUNTS = {"usuario_exemplo": PbmAccount("usuario_exemplo", "senha_exemplo")}
DEMO_ASSINE_USERS = {
    "demo@empresa.example": AssineUser("demo@empresa.example", "demo-password", "Empresa Demonstração", True),
    "pf@pessoa.example": AssineUser(
        "pf@pessoa.example", "demo-password", "Pessoa Física Demonstração", False
    ),
}


@dataclass(frozen=True)
class MockConfig:
    seed: int = 2024
    banqer_tenants: dict[str, dict[str, BanqerClient]] = field(
        default_factory=lambda: dict(DEMO_BANQER_TENANTS)
    )
    banqer_token_ttl: int = 300
    banqer_fichas_per_tenant: int = 360
    pbm_accounts: dict[str, PbmAccount] = field(default_factory=lambda: dict(DEMO_PBM_ACCOUNTS))
    pbm_token_ttl: int = 3600
    assine_users: dict[str, AssineUser] = field(default_factory=lambda: dict(DEMO_ASSINE_USERS))
    #: The vendor's access-token listing shows login tokens living about 24 h ("expires_in": "86400").
    assine_token_ttl: int = 86400
    assine_seeded_users: int = 60
    rate_limits: dict[str, RateLimitRule] = field(default_factory=dict)
    journal_size: int = 1000
    journal_bytes: int = 8 * 1_048_576
    max_body_bytes: int = 1_048_576

    def with_token_ttl(self, seconds: int) -> MockConfig:
        """The same config with every API's token lifetime set to ``seconds``."""
        return replace(self, banqer_token_ttl=seconds, pbm_token_ttl=seconds, assine_token_ttl=seconds)


#: Seeds are 64-bit: a longer one cannot even be printed as a decimal number by Python.
SEED_MIN, SEED_MAX = -(2**63), 2**63 - 1
_TTL = {"type": "integer", "minimum": 1, "maximum": 31_536_000}
_RATE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["limit", "per_seconds"],
    "properties": {"limit": {"type": "integer", "minimum": 1, "maximum": 1_000_000_000},
                   "per_seconds": {"type": "number", "minimum": 0.001, "maximum": 86_400}},
}
_NAME = {"type": "string", "minLength": 1, "maxLength": 200}
CONFIG_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "seed": {"type": "integer", "minimum": SEED_MIN, "maximum": SEED_MAX},
        "journal_size": {"type": "integer", "minimum": 1, "maximum": 1_000_000},
        "journal_bytes": {"type": "integer", "minimum": 65_536, "maximum": 1 << 30},
        "max_body_bytes": {"type": "integer", "minimum": 1024, "maximum": 1 << 30},
        "banqer": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "token_ttl": _TTL,
                "fichas_per_tenant": {"type": "integer", "minimum": 0, "maximum": 100_000},
                "rate_limit": _RATE,
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
                                    "properties": {
                                        "secret": _NAME,
                                        "scopes": {"type": "array", "items": _NAME},
                                    },
                                },
                            }
                        },
                    },
                },
            },
        },
        "pbm": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "token_ttl": _TTL,
                "rate_limit": _RATE,
                "accounts": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["password"],
                        "properties": {"password": _NAME},
                    },
                },
            },
        },
        "assine": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "token_ttl": _TTL,
                "rate_limit": _RATE,
                "seeded_users": {"type": "integer", "minimum": 0, "maximum": 100_000},
                "users": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["password"],
                        "properties": {
                            "password": _NAME,
                            "name": _NAME,
                            "business_unit": {"type": "boolean"},
                        },
                    },
                },
            },
        },
    },
}

#: The scopes banqer.openapi.yaml declares (its banqerOAuth scheme); a config may grant only these.
_ALL_SCOPES = ("credores:read", "fichas:read")


def _where(error: jsonschema.ValidationError) -> str:
    return ".".join(str(p) for p in error.absolute_path) or "top level"


def parse_config(data: Any, source: str = "config") -> MockConfig:
    """A :class:`MockConfig` from already-parsed YAML, merged over the demo defaults."""
    import jsonschema

    if data is None:
        data = {}
    huge = oversized_integer(data)
    if huge is not None:
        raise ConfigError(
            f"{source}: {huge}: an integer of more than {MAX_INTEGER_BITS} bits is out of range")
    validator = jsonschema.Draft202012Validator(CONFIG_SCHEMA)
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        raise ConfigError(f"{source}: {_where(error)}: {error.message}")
    config = MockConfig()
    updates: dict[str, Any] = {}
    for key in ("seed", "journal_size", "journal_bytes", "max_body_bytes"):
        if key in data:
            updates[key] = data[key]
    rate_limits: dict[str, RateLimitRule] = {}
    banqer = data.get("banqer", {})
    if "token_ttl" in banqer:
        updates["banqer_token_ttl"] = banqer["token_ttl"]
    if "fichas_per_tenant" in banqer:
        updates["banqer_fichas_per_tenant"] = banqer["fichas_per_tenant"]
    if banqer.get("tenants"):
        tenants = {name: dict(clients) for name, clients in config.banqer_tenants.items()}
        for tenant, spec in banqer["tenants"].items():
            clients = tenants.setdefault(tenant, {})
            for client_id, client in spec["clients"].items():
                scopes = tuple(client.get("scopes", _ALL_SCOPES))
                unknown = [scope for scope in scopes if scope not in _ALL_SCOPES]
                if unknown:  # refused at start: a typo would otherwise surface as a 403 much later
                    raise ConfigError(
                        f"{source}: banqer.tenants.{tenant}.clients.{client_id}.scopes: unknown scope "
                        f"{unknown[0]!r}; the Banqer API has: {', '.join(_ALL_SCOPES)}"
                    )
                clients[client_id] = BanqerClient(client_id, client["secret"], scopes)
        updates["banqer_tenants"] = tenants
    pbm = data.get("pbm", {})
    if "token_ttl" in pbm:
        updates["pbm_token_ttl"] = pbm["token_ttl"]
    if pbm.get("accounts"):
        accounts = dict(config.pbm_accounts)
        for login, account in pbm["accounts"].items():
            accounts[login] = PbmAccount(login, account["password"])
        updates["pbm_accounts"] = accounts
    assine = data.get("assine", {})
    if "token_ttl" in assine:
        updates["assine_token_ttl"] = assine["token_ttl"]
    if "seeded_users" in assine:
        updates["assine_seeded_users"] = assine["seeded_users"]
    if assine.get("users"):
        users = dict(config.assine_users)
        for email, user in assine["users"].items():
            users[email] = AssineUser(
                email, user["password"], user.get("name", email), user.get("business_unit", True)
            )
        updates["assine_users"] = users
    for api, section in (("banqer", banqer), ("pbm", pbm), ("assine", assine)):
        if "rate_limit" in section:
            rule = section["rate_limit"]
            rate_limits[api] = RateLimitRule(int(rule["limit"]), rule["per_seconds"])
    updates["rate_limits"] = rate_limits
    return replace(config, **updates)


def load_config(path: str | Path) -> MockConfig:
    """Read and validate a YAML config file; every problem is one :class:`ConfigError` line.

    The file is read within the limits of :mod:`~specmock.mocks.config_file` (regular file, size,
    no aliases, no duplicate keys).
    """
    return parse_config(read_yaml_file(path), str(path))
