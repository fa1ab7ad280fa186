"""The state one mock server owns, and the protocol each API mock implements.

Dependencies point one way: an API mock (``mocks/banqer`` …) subclasses :class:`MockApi` and reads
the shared parts of :class:`MockState`; the core never imports an API mock.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.responses import Response
from starlette.types import ASGIApp

from specmock.mocks.core.clock import Clock
from specmock.mocks.core.faults import FaultQueue
from specmock.mocks.core.journal import Journal
from specmock.mocks.core.ratelimit import RateLimiter
from specmock.mocks.core.tokens import SigningKey, TokenRegistry

if TYPE_CHECKING:
    from specmock.mocks.config import MockConfig


class MockApi(abc.ABC):
    """One API hosted by the mock: its routes, its own error shape, its resettable data."""

    #: Name used by faults, rate limits and the journal (``"banqer"``, ``"banqer-auth"``, ``"pbm"``, ``"assine"``).
    name: ClassVar[str]
    #: Where the API is mounted; may hold path parameters (``"/banqer/{tenant}"``).
    mount_path: ClassVar[str]
    #: Media type of this API's error bodies.
    error_media_type: ClassVar[str] = "application/json"

    def __init__(self, state: MockState) -> None:
        self.state = state

    @abc.abstractmethod
    def build_app(self) -> ASGIApp:
        """The ASGI app serving this API, relative to :attr:`mount_path`."""

    @abc.abstractmethod
    def error_response(
        self, status: int, message: str | None = None, headers: Mapping[str, str] | None = None
    ) -> Response:
        """A response in this API's own error shape for ``status`` (used by faults, limits, 413 …)."""

    def reset(self) -> None:  # noqa: B027 - APIs without data have nothing to reset
        """Put this API's data back to the seeded start."""

    def rate_limit_key(self, headers: Mapping[str, str]) -> str:
        """What a quota is counted per: the bearer token by default."""
        return headers.get("authorization", "") or "anonymous"

    def banner(self, base_url: str) -> list[str]:
        """Lines printed at start: base URLs and demo credentials."""
        return []

    def info(self, base_url: str) -> dict[str, Any]:
        """What ``GET /__mock__/`` tells about this API."""
        return {"mount": self.mount_path}


class MockState:
    """Clock, keys, tokens, faults, limits and journal shared by every API, plus each API's data."""

    def __init__(self, config: MockConfig | None = None) -> None:
        from specmock.mocks.config import MockConfig

        self.config: MockConfig = config or MockConfig()
        self.clock = Clock()
        self.keys = SigningKey()
        self.tokens = TokenRegistry()
        self.faults = FaultQueue()
        self.rate_limits = RateLimiter()
        self.rate_limits.reset(self.config.rate_limits)
        self.journal = Journal(self.config.journal_size)
        self.apis: dict[str, MockApi] = {}

    def add_api(self, api: MockApi) -> MockApi:
        if api.name in self.apis:
            raise ValueError(f"API {api.name!r} is already hosted")
        self.apis[api.name] = api
        return api

    def reset(self) -> None:
        """Everything back to the seeded start: data, tokens, faults, limits, journal and clock."""
        self.clock.reset()
        self.tokens.clear()
        self.faults.clear()
        self.rate_limits.reset(self.config.rate_limits)
        self.journal.clear()
        for api in self.apis.values():
            api.reset()
