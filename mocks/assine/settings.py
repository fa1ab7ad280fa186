"""The ``assine:`` section of the config: users who can log in, seeded users, token lifetime.

The first account is the one the vendor's own examples act as (user 474, "Jhon Doe", of business
unit 24): its e-mail is the one its listings show and its password the one the "Gerando um token
de aplicação" page confirms an application token with (``INFORME_SENHA``, the page's placeholder).
The spec's ``/oauth`` example logs in as this account, so every example of the spec works against
the mock's defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from specmock.mocks.descriptor import NAME_SCHEMA, TOKEN_TTL_SCHEMA, ApiSettings, keyed_objects

__all__ = ["DEMO_USERS", "DOCUMENTED_EMAIL", "AssineSettings", "AssineUser"]


@dataclass(frozen=True)
class AssineUser:
    email: str
    password: str
    name: str
    business_unit: bool


#: The account of the vendor's examples (see the module docstring).
DOCUMENTED_EMAIL = "siletic225@xhyemail.com"

DEMO_USERS = {
    DOCUMENTED_EMAIL: AssineUser(DOCUMENTED_EMAIL, "INFORME_SENHA", "Jhon Doe", True),
    "demo@empresa.example": AssineUser("demo@empresa.example", "demo-password", "Empresa Demonstração", True),
    "pf@pessoa.example": AssineUser(
        "pf@pessoa.example", "demo-password", "Pessoa Física Demonstração", False
    ),
}


@dataclass(frozen=True)
class AssineSettings(ApiSettings):
    users: dict[str, AssineUser] = field(default_factory=lambda: dict(DEMO_USERS))
    #: The vendor's access-token listing shows login tokens living about 24 h ("expires_in": "86400").
    token_ttl: int = 86400
    seeded_users: int = 60

    SCHEMA: ClassVar[dict[str, Any]] = {
        "token_ttl": TOKEN_TTL_SCHEMA,
        "seeded_users": {"type": "integer", "minimum": 0, "maximum": 100_000},
        "users": keyed_objects(["password"], {"password": NAME_SCHEMA, "name": NAME_SCHEMA,
                                              "business_unit": {"type": "boolean"}}),
    }

    def merge_users(self, given: Mapping[str, Any]) -> dict[str, AssineUser]:
        """The demo users plus the configured ones (named after their e-mail, a business unit by default)."""
        added = {email: AssineUser(email, u["password"], u.get("name", email), u.get("business_unit", True))
                 for email, u in given.items()}
        return {**self.users, **added}

