"""Adapters that run the consumer contracts against the reference clients, or a subclass of one.

They are also the worked example of an adapter: a team's own adapter looks the same with its
client in place of ours. ``ReferenceBanqerAdapter(MyBanqer)`` runs the contract against
``MyBanqer``, a subclass of :class:`~specmock.contracts.clients.BanqerClient`; keyword arguments
are passed on to every client it builds, e.g. ``ReferenceBanqerAdapter(retry_policy=MyPolicy)``.

The reference clients take the suite's keywords under the same names (``random`` and
``max_attempts`` included), so ``make_client`` passes them on. Each adapter shares one
``httpx.Client`` across the examples (building one costs ~25 ms, mostly its TLS context, which
would dominate a property's run time); the reference clients never close a client they were given.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any, ClassVar

import httpx

from specmock.contracts.clients import AssineClient, BanqerClient, ClientError, PbmClient

from .assine import AssineAdapter
from .banqer import BanqerAdapter
from .pbm import PbmAdapter

__all__ = ["ReferenceAssineAdapter", "ReferenceBanqerAdapter", "ReferencePbmAdapter"]


class _ReferenceAdapter:
    """``make_client(**keywords)`` is ``client_class(**keywords, http_client=<shared>, **options)``
    (``options`` win over the suite's keywords)."""

    error_types: tuple[type[BaseException], ...] = (ClientError,)
    default_client: ClassVar[type]

    def __init__(self, client_class: type | None = None, **options: Any) -> None:
        self.client_class = client_class or self.default_client
        self.options = options

    @cached_property
    def http(self) -> httpx.Client:
        return httpx.Client(timeout=10.0)

    def make_client(self, **keywords: Any) -> Any:
        return self.client_class(**{**keywords, "http_client": self.http, **self.options})

    def __repr__(self) -> str:
        extra = "".join(f", {k}={v!r}" for k, v in self.options.items())
        return f"{type(self).__name__}({self.client_class.__name__}{extra})"


class ReferenceBanqerAdapter(_ReferenceAdapter, BanqerAdapter):
    default_client = BanqerClient

    def call_get(self, client: BanqerClient, path: str) -> Any:
        return client.get(path)

    def list_all(self, client: BanqerClient, path: str, params: dict[str, str]) -> list[Any]:
        return list(client.paginate(path, params))


class ReferencePbmAdapter(_ReferenceAdapter, PbmAdapter):
    default_client = PbmClient

    def execute(self, client: PbmClient, query: str, variables: dict[str, Any] | None = None) -> Any:
        return client.execute(query, variables)


class ReferenceAssineAdapter(_ReferenceAdapter, AssineAdapter):
    default_client = AssineClient

    def call_get(self, client: AssineClient, path: str) -> Any:
        return client.get(path)

    def list_all(self, client: AssineClient, path: str, params: list[tuple[str, str]]) -> list[Any]:
        return list(client.iterate(path, params))
