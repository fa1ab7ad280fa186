"""The ``assine:`` section of the config: users who can log in, seeded users, token lifetime."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar, cast

from specmock.mocks.descriptor import NAME_SCHEMA, TOKEN_TTL_SCHEMA, ApiSettings

if TYPE_CHECKING:
    from specmock.mocks.core.state import MockState

__all__ = ["DEMO_USERS", "AssineSettings", "AssineUser", "assine_settings"]


@dataclass(frozen=True)
class AssineUser:
    email: str
    password: str
    name: str
    business_unit: bool


DEMO_USERS = {
    "demo@empresa.example": AssineUser("demo@empresa.example", "demo-password", "Empresa Demonstração", True),
    "pf@pessoa.example": AssineUser(
        "pf@pessoa.example", "demo-password", "Pessoa Física Demonstração", False
    ),
}


@dataclass(frozen=True)
class AssineSettings(ApiSettings):
    users: dict[str, AssineUser] = field(default_factory=lambda: dict(DEMO_USERS))
    token_ttl: int = 3600
    seeded_users: int = 60

    SCHEMA: ClassVar[dict[str, Any]] = {
        "token_ttl": TOKEN_TTL_SCHEMA,
        "seeded_users": {"type": "integer", "minimum": 0, "maximum": 100_000},
        "users": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "required": ["password"],
                "properties": {"password": NAME_SCHEMA, "name": NAME_SCHEMA,
                               "business_unit": {"type": "boolean"}},
            },
        },
    }

    def merged(self, section: Mapping[str, Any]) -> AssineSettings:
        merged = super().merged({k: v for k, v in section.items() if k != "users"})
        if not section.get("users"):
            return merged
        users = dict(self.users)
        for email, user in section["users"].items():
            users[email] = AssineUser(email, user["password"], user.get("name", email),
                                      user.get("business_unit", True))
        return replace(merged, users=users)


def assine_settings(state: MockState) -> AssineSettings:
    """The ``assine:`` section of ``state``'s config."""
    return cast(AssineSettings, state.config.api("assine"))
