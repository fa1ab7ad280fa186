"""The ``pbm:`` section of the config: accounts for ``createToken`` and the token lifetime."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar, cast

from specmock.mocks.descriptor import NAME_SCHEMA, TOKEN_TTL_SCHEMA, ApiSettings

if TYPE_CHECKING:
    from specmock.mocks.core.state import MockState

__all__ = ["DEMO_ACCOUNTS", "PbmAccount", "PbmSettings", "pbm_settings"]


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
        "accounts": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "required": ["password"],
                "properties": {"password": NAME_SCHEMA},
            },
        },
    }

    def merged(self, section: Mapping[str, Any]) -> PbmSettings:
        merged = super().merged({k: v for k, v in section.items() if k != "accounts"})
        if not section.get("accounts"):
            return merged
        accounts = dict(self.accounts)
        for login, account in section["accounts"].items():
            accounts[login] = PbmAccount(login, account["password"])
        return replace(merged, accounts=accounts)


def pbm_settings(state: MockState) -> PbmSettings:
    """The ``pbm:`` section of ``state``'s config."""
    return cast(PbmSettings, state.config.api("pbm"))
