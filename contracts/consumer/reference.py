"""Adapters that run the consumer contracts against the reference clients.

They are also the worked example of an adapter: a team's own adapter looks the same with its
client in place of ours. The reference clients take the adapters' keywords under the same names,
so ``make_client`` passes on the ones it does not need to place. Each adapter shares one
``httpx.Client`` across the examples (building one costs ~25 ms, mostly its TLS context, which
would dominate a property's run time); the reference clients never close a client they were given.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import httpx

from specmock.contracts.clients import AssineClient, BanqerClient, ClientError, PbmClient

from .assine import AssineAdapter
from .banqer import BanqerAdapter
from .pbm import PbmAdapter

__all__ = ["ReferenceAssineAdapter", "ReferenceBanqerAdapter", "ReferencePbmAdapter"]


class _SharedHttp:
    @cached_property
    def http(self) -> httpx.Client:
        return httpx.Client(timeout=10.0)


class ReferenceBanqerAdapter(_SharedHttp, BanqerAdapter):
    error_types = (ClientError,)

    def make_client(
        self, *, tenant: str, client_id: str, client_secret: str, **keywords: Any
    ) -> BanqerClient:
        """``keywords``: ``api_base``, ``auth_base``, ``sleep`` and ``now``."""
        return BanqerClient(tenant, client_id, client_secret, http_client=self.http, **keywords)

    def call_get(self, client: BanqerClient, path: str) -> Any:
        return client.get(path)

    def list_all(self, client: BanqerClient, path: str, params: dict[str, str]) -> list[Any]:
        return list(client.paginate(path, params))


class ReferencePbmAdapter(_SharedHttp, PbmAdapter):
    error_types = (ClientError,)

    def make_client(self, *, url: str, login: str, password: str, **keywords: Any) -> PbmClient:
        """``keywords``: ``sleep`` and ``now``."""
        return PbmClient(url, login, password, http_client=self.http, **keywords)

    def execute(self, client: PbmClient, query: str, variables: dict[str, Any] | None = None) -> Any:
        return client.execute(query, variables)


class ReferenceAssineAdapter(_SharedHttp, AssineAdapter):
    error_types = (ClientError,)

    def make_client(self, *, base_url: str, username: str, password: str, **keywords: Any) -> AssineClient:
        """``keywords``: ``client_id``, ``client_secret``, ``sleep`` and ``now``."""
        return AssineClient(base_url, username, password, http_client=self.http, **keywords)

    def call_get(self, client: AssineClient, path: str) -> Any:
        return client.get(path)

    def list_all(self, client: AssineClient, path: str, params: list[tuple[str, str]]) -> list[Any]:
        return list(client.iterate(path, params))
