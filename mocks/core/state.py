"""The state one mock server owns, and the protocol each API mock implements.

Dependencies point one way: an API mock (``mocks/banqer`` …) subclasses :class:`MockApi` and reads
the shared parts of :class:`MockState`; the core never imports an API mock.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.responses import Response
from starlette.types import ASGIApp

from specmock.mocks.core.clock import Clock
from specmock.mocks.core.faults import FaultQueue
from specmock.mocks.core.firstuse import BuildFailed, OnFirstUse
from specmock.mocks.core.hosts import LOOPBACK_NAMES
from specmock.mocks.core.journal import Journal
from specmock.mocks.core.ratelimit import RateLimiter
from specmock.mocks.core.tokens import SigningKey, TokenRegistry

if TYPE_CHECKING:
    from specmock.mocks.config import MockConfig



__all__ = ["ApiLoadError", "HostedApi", "HostedApis", "MockApi", "MockState"]


class MockApi(abc.ABC):
    """One API hosted by the mock: its routes, its own error shape, its resettable data."""

    #: Name used by faults, rate limits and the journal
    #: (``"banqer"``, ``"banqer-auth"``, ``"pbm"``, ``"assine"``).
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

    def warm_up(self) -> None:  # noqa: B027 - most APIs build everything when constructed
        """Build ahead what the first requests would otherwise wait for (seeded data, compiled specs).

        Called once by the server's background warm-up, after the API is built; never required.
        """

    def rate_limit_key(self, headers: Mapping[str, str]) -> str:
        """What a quota is counted per: the bearer token by default."""
        return headers.get("authorization", "") or "anonymous"

    def banner(self, base_url: str) -> list[str]:
        """Lines printed at start: base URLs and demo credentials."""
        return []

    def info(self, base_url: str) -> dict[str, Any]:
        """What ``GET /__mock__/`` tells about this API."""
        return {"mount": self.mount_path}


class ApiLoadError(BuildFailed):
    """An API hosted on first use could not be built; every later use raises this again."""


class HostedApi:
    """One API of a :class:`MockState`, known by name and mount path, built already or on first use.

    :meth:`load` builds it once (:class:`~specmock.mocks.core.firstuse.OnFirstUse`): whichever thread
    asks first builds, the others wait; a failed build is logged once and every later :meth:`load`
    raises :class:`ApiLoadError` with the same message.
    """

    def __init__(self, name: str, mount_path: str, build: Callable[[], MockApi] | None = None,
                 api: MockApi | None = None) -> None:
        if (build is None) == (api is None):
            raise TypeError("HostedApi takes either a built api or a build function")
        self.name = name
        self.mount_path = mount_path
        what = f"the {name} mock could not be loaded"
        self._api: OnFirstUse[MockApi] = (
            OnFirstUse.built(api, what) if api is not None
            else OnFirstUse(build, what, error=ApiLoadError)
        )

    @property
    def api(self) -> MockApi | None:
        """The API if it is built, else ``None`` (never builds it)."""
        return self._api.value

    @property
    def error(self) -> str | None:
        """Why building the API failed, if it did."""
        return self._api.error

    def load(self) -> MockApi:
        """The API, built now if it is not yet; raises :class:`ApiLoadError` if that fails."""
        return self._api.get()


class HostedApis(Mapping[str, MockApi]):
    """The APIs a state hosts, by name. Names, ``in`` and ``len`` never build an API; ``[name]`` does."""

    def __init__(self) -> None:
        self._hosted: dict[str, HostedApi] = {}

    def add(self, hosted: HostedApi) -> HostedApi:
        if hosted.name in self._hosted:
            raise ValueError(f"API {hosted.name!r} is already hosted")
        self._hosted[hosted.name] = hosted
        return hosted

    def hosted(self) -> list[HostedApi]:
        """Every API, built or not, in the order they were added."""
        return list(self._hosted.values())

    def built(self) -> list[MockApi]:
        """The APIs built so far."""
        return [hosted.api for hosted in self._hosted.values() if hosted.api is not None]

    def __getitem__(self, name: str) -> MockApi:
        return self._hosted[name].load()

    def __iter__(self) -> Iterator[str]:
        return iter(self._hosted)

    def __len__(self) -> int:
        return len(self._hosted)

    def __contains__(self, name: object) -> bool:
        return name in self._hosted


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
        self.journal = Journal(self.config.journal_size, self.config.journal_bytes)
        self.apis = HostedApis()
        #: Host names the server answers to as itself, besides the address a connection reached
        #: (see :mod:`~specmock.mocks.core.hosts`): the admin API's Host check, Banqer's issuer check.
        self.allowed_hosts: frozenset[str] = LOOPBACK_NAMES
        #: The mock-only controls besides the admin API: ``Prefer: code=NNN`` and Assine's signing
        #: hooks. ``create_app(admin=False)`` switches them off with the admin API.
        self.mock_only_controls = True

    def add_api(self, api: MockApi) -> MockApi:
        self.apis.add(HostedApi(api.name, api.mount_path, api=api))
        return api

    def add_api_on_first_use(
        self, name: str, mount_path: str, factory: Callable[[MockState], MockApi]
    ) -> HostedApi:
        """Host an API built by ``factory(state)`` the first time it is used (``apis[name]``, a request).

        It counts as built only once the signing key exists too, so a request it serves never
        waits for the key (as for APIs built at once, see ``create_state``).
        """

        def build() -> MockApi:
            api = factory(self)
            if (api.name, api.mount_path) != (name, mount_path):
                raise ValueError(f"{type(api).__name__} is {api.name!r} at {api.mount_path!r}, "
                                 f"but was announced as {name!r} at {mount_path!r}")
            self.keys.wait()
            return api

        return self.apis.add(HostedApi(name, mount_path, build))

    def reset(self) -> None:
        """Everything back to the seeded start: data, tokens, faults, limits, journal and clock.

        An API not built yet has nothing to reset: it is built from the seeded start when first used.
        """
        self.clock.reset()
        self.tokens.clear()
        self.faults.clear()
        self.rate_limits.reset(self.config.rate_limits)
        self.journal.clear()
        for api in self.apis.built():
            api.reset()
