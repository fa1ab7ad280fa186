"""The ``pbm:`` section of the config: accounts for ``createToken`` and the token lifetime."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from specmock.mocks.descriptor import NAME_SCHEMA, TOKEN_TTL_SCHEMA, ApiSettings, keyed_objects

__all__ = ["DEMO_ACCOUNTS", "PbmAccount", "PbmSettings"]


@dataclass(frozen=True)
class PbmAccount:
    login: str
    password: str


DEMO_ACCOUNTS = {"usuario_exemplo": PbmAccount("usuario_exemplo", "senha_exemplo")}


@dataclass(frozen=True)
class PbmSettings(ApiSettings):
    accounts: dict[str, PbmAccount] = field(default_factory=lambda: dict(DEMO_ACCOUNTS))
    token_ttl: int = 3600

    SCHEMA: ClassVar[dict[str, Any]] = {
        "token_ttl": TOKEN_TTL_SCHEMA,
        "accounts": keyed_objects(["password"], {"password": NAME_SCHEMA}),
    }

    def merge_accounts(self, given: Mapping[str, Any]) -> dict[str, PbmAccount]:
        """The demo account plus the configured ones."""
        return {**self.accounts, **{login: PbmAccount(login, a["password"]) for login, a in given.items()}}

