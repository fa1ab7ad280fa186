"""What the pytest plugin's fixtures hand out: mock servers, and one handle per API.

The plugin module (:mod:`specmock.contracts.plugin`) imports this module inside its fixtures, never
at load time, because it pulls in uvicorn and starlette. It can also be used without pytest::

    from specmock.contracts.fixtures import MockServer, SpecMock

    with MockServer() as server:
        mock = SpecMock(server)
        mock.banqer.fail(503, path="/v1/fichas")
        ...

A :class:`MockServer` is one mock of all three APIs (one :class:`~specmock.mocks.core.state.MockState`)
served by uvicorn in a daemon thread on a free loopback port. Exceptions the app raises while
handling a request are recorded (:class:`ServerError`) instead of being lost in the thread; the
plugin turns them into a failure of the test that sent the request.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Iterable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

import httpx

from specmock.mocks.app import create_app, create_state
from specmock.mocks.config import MockConfig, load_config, parse_config
from specmock.mocks.control_plane import MockControl
from specmock.mocks.core.faults import Fault
from specmock.mocks.server import ServerThread
from specmock.mocks.transport import async_transport, sync_transport

__all__ = [
    "AssineCredentials",
    "AssineMock",
    "BanqerCredentials",
    "BanqerMock",
    "ErrorLog",
    "MockServer",
    "MockServerError",
    "PbmCredentials",
    "PbmMock",
    "ServerError",
    "ServerFactory",
    "SpecMock",
    "marker_config",
]

#: Timeout of the httpx clients made by ``client()``: a stuck mock fails the test instead of hanging it.
CLIENT_TIMEOUT = 10.0


class MockServerError(Exception):
    """The mock server raised while handling a request of the test (the client saw an HTTP 500)."""


# -- the server --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerError:
    """An exception the mock raised while handling a request: escaped from the app, or caught by an
    API mock and logged (the mocks log unexpected errors under ``specmock.mocks`` and answer 500)."""

    summary: str
    exception: BaseException | None
    traceback: str

    def render(self) -> str:
        return f"{self.summary}\n{self.traceback}".rstrip()


def describe_errors(errors: list[ServerError], when: str = "while this test ran") -> str:
    """The message a test fails with when the mock raised: every request and its traceback."""
    count = "an unhandled exception" if len(errors) == 1 else f"{len(errors)} unhandled exceptions"
    lines = [f"specmock: the mock server raised {count} {when} (the client got HTTP 500):"]
    lines += [error.render() for error in errors]
    return "\n".join(lines).rstrip()


class ErrorLog(logging.Handler):
    """Collects the errors the API mocks log with a traceback (``log.exception`` under ``specmock.mocks``).

    The mocks catch unexpected exceptions themselves, log them and answer 500 in the vendor's error
    shape; this handler brings those back to the test. Installed once per process.
    """

    LOGGER = "specmock.mocks"

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.errors: list[ServerError] = []
        self._guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        if not record.exc_info or record.exc_info[1] is None:
            return
        exc = record.exc_info[1]
        text = "".join(traceback.format_exception(exc)).rstrip()
        with self._guard:
            self.errors.append(ServerError(f"{record.getMessage()}: {type(exc).__name__}: {exc}", exc, text))

    def take(self) -> list[ServerError]:
        with self._guard:
            errors = list(self.errors)
            self.errors.clear()
        return errors

    @classmethod
    def installed(cls) -> ErrorLog:
        logger = logging.getLogger(cls.LOGGER)
        for handler in logger.handlers:
            if isinstance(handler, ErrorLog):
                return handler
        handler = cls()
        logger.addHandler(handler)
        return handler


class ErrorRecorder:
    """ASGI middleware that records exceptions escaping the app instead of losing them in uvicorn's log.

    Starlette has already answered 500 when an exception reaches this layer; if nothing was sent yet,
    the recorder answers a plain-text 500 naming the exception. The exception is not re-raised, so
    the server thread stays quiet and the test reports it once, with its traceback.
    """

    def __init__(self, app: Any, errors: list[ServerError]) -> None:
        self.app = app
        self.errors = errors
        self._lock = threading.Lock()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        last: Any = None  # the response's last body message, held until the app has returned

        async def send_tracked(message: Any) -> None:
            nonlocal started, last
            if message["type"] == "http.response.start":
                started = True
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                last = message
                return
            await send(message)

        try:
            await self.app(scope, receive, send_tracked)
            if last is not None:
                await send(last)
        except Exception as exc:
            query = scope.get("query_string", b"").decode("latin-1")
            path = scope.get("path", "") + (f"?{query}" if query else "")
            inside = exc.__traceback__.tb_next if exc.__traceback__ else None  # from the app's frame on
            text = "".join(traceback.format_exception(type(exc), exc, inside)).rstrip()
            summary = f"{scope.get('method', '?')} {path} raised {type(exc).__name__}: {exc}"
            with self._lock:
                self.errors.append(ServerError(summary, exc, text))
            if not started:
                body = f"specmock: the mock raised {type(exc).__name__}: {exc}".encode()
                await send({"type": "http.response.start", "status": 500,
                            "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                        (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
            else:  # Starlette's 500 (held back above), or the end of a response cut short
                await send(last if last is not None else {"type": "http.response.body", "body": b""})


class MockServer:
    """One mock of the three APIs for ``config``, on a real loopback port, in a daemon thread.

    ``state``, ``app`` (the Starlette app) and ``control`` (:class:`MockControl`) are the mock's own
    objects; ``asgi`` is the app behind the :class:`ErrorRecorder`, which both the socket and the
    in-process transports use, so every path records server errors the same way.
    """

    def __init__(self, config: MockConfig | None = None, host: str = "127.0.0.1") -> None:
        self.config = config or MockConfig()
        self.state = create_state(self.config)
        self.app = create_app(self.state)
        self.control: MockControl = self.app.state.control
        self.errors: list[ServerError] = []
        self.asgi = ErrorRecorder(self.app, self.errors)
        self._thread = ServerThread(self.asgi, host, 0)
        self.host = host
        self.port = self._thread.port
        self.url = self._thread.url
        self._transport: httpx.BaseTransport | None = None
        self._async_transport: httpx.AsyncBaseTransport | None = None
        self._stopped_on_purpose = False

    def start(self) -> MockServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped_on_purpose = True
        self._thread.stop()

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def alive(self) -> bool:
        return self._thread.alive

    def check_alive(self) -> None:
        """Raise ``RuntimeError("specmock: the mock server stopped: ...")`` if the server thread is gone."""
        __tracebackhide__ = True
        if self.alive:
            return
        error = self._thread.error
        if error is not None:
            reason = f"{type(error).__name__}: {error}"
        elif self._stopped_on_purpose:
            reason = "it was stopped (stop() was called)"
        else:
            reason = "its thread exited without an error"
        raise RuntimeError(f"specmock: the mock server stopped: {reason}; {self.url} no longer answers")

    def reset(self) -> None:
        """Everything back to the seeded start (data, tokens, faults, limits, journal, clock)."""
        self.state.reset()

    def take_errors(self) -> list[ServerError]:
        """The server errors recorded since the last call, forgotten once returned."""
        with self.asgi._lock:
            errors = list(self.errors)
            self.errors.clear()
        return errors

    @property
    def transport(self) -> httpx.BaseTransport:
        """A synchronous httpx transport to this mock's app, in-process (same state as the port)."""
        if self._transport is None:
            self._transport = sync_transport(self.asgi)
        return self._transport

    @property
    def async_transport(self) -> httpx.AsyncBaseTransport:
        """An async httpx transport (httpx's ASGI transport) to this mock's app, same state."""
        if self._async_transport is None:
            self._async_transport = async_transport(self.asgi)
        return self._async_transport

    def __repr__(self) -> str:
        return f"<MockServer {self.url} seed={self.config.seed}>"


class ServerFactory:
    """Starts one :class:`MockServer` per distinct config, on first use, and keeps it until :meth:`close`.

    ``factory()`` is the server for ``default_config``; ``factory(config)`` the one for ``config``.
    """

    def __init__(self, default_config: MockConfig | None = None, host: str = "127.0.0.1") -> None:
        self.default_config = default_config or MockConfig()
        self.host = host
        self.servers: list[MockServer] = []

    def __call__(self, config: MockConfig | None = None) -> MockServer:
        config = config or self.default_config
        for server in self.servers:
            if server.config == config:
                return server
        server = MockServer(config, self.host).start()
        self.servers.append(server)
        return server

    def close(self) -> None:
        for server in self.servers:
            server.stop()
        self.servers.clear()


def marker_config(base: MockConfig, *, seed: int | None = None, token_ttl: int | None = None,
                  config: MockConfig | dict[str, Any] | str | Path | None = None,
                  root: Path | None = None) -> MockConfig:
    """The config ``@pytest.mark.specmock(seed=, token_ttl=, config=)`` asks for.

    ``config`` replaces ``base`` (a :class:`MockConfig`, a dict shaped like the YAML config file, or a
    path to one, relative to ``root``); ``seed`` and ``token_ttl`` then apply on top.
    """
    result = base
    if isinstance(config, MockConfig):
        result = config
    elif isinstance(config, dict):
        result = parse_config(config, "@pytest.mark.specmock(config=...)")
    elif isinstance(config, str | Path):
        path = Path(config)
        result = load_config(path if path.is_absolute() or root is None else root / path)
    elif config is not None:
        raise TypeError("config must be a MockConfig, a dict or a path to a YAML file, "
                        f"not {type(config).__name__}")
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"seed must be an integer, not {seed!r}")
        result = replace(result, seed=seed)
    if token_ttl is not None:
        if isinstance(token_ttl, bool) or not isinstance(token_ttl, int) or token_ttl < 1:
            raise TypeError(f"token_ttl must be a whole number of seconds, at least 1, not {token_ttl!r}")
        result = result.with_token_ttl(token_ttl)
    return result


# -- credentials -------------------------------------------------------------------------------


class _Credentials:
    def as_dict(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]


@dataclass(frozen=True, repr=False)
class BanqerCredentials(_Credentials):
    """A client of the demo tenant: ``client_credentials`` with ``client_secret_post`` or Basic."""

    tenant: str
    client_id: str
    client_secret: str
    scopes: tuple[str, ...]

    def __repr__(self) -> str:
        return (f"BanqerCredentials(tenant={self.tenant!r}, client_id={self.client_id!r}, "
                f"scopes={self.scopes!r})")


@dataclass(frozen=True, repr=False)
class PbmCredentials(_Credentials):
    """A PBM account for the ``createToken`` mutation."""

    login: str
    password: str

    def __repr__(self) -> str:
        return f"PbmCredentials(login={self.login!r})"


@dataclass(frozen=True, repr=False)
class AssineCredentials(_Credentials):
    """An Assine Online user for the ``password`` grant at ``/oauth``, with the documented OAuth client."""

    username: str
    password: str
    client_id: str = "app"
    client_secret: str = "app"

    def __repr__(self) -> str:
        return f"AssineCredentials(username={self.username!r}, client_id={self.client_id!r})"


def _pick(names: Iterable[str], preferred: str, missing: str) -> str:
    """``preferred`` if it is one of ``names``, else the first name; ``LookupError(missing)`` if none."""
    names = list(names)
    if not names:
        raise LookupError(f"specmock: {missing}")
    return preferred if preferred in names else sorted(names)[0]


# -- the handles -------------------------------------------------------------------------------


class _Closer:
    """Closes the clients a test made through ``client()`` when the test ends."""

    def __init__(self) -> None:
        self.clients: list[httpx.Client] = []

    def close(self) -> None:
        while self.clients:
            self.clients.pop().close()


class _Handle:
    """What every handle on a running mock has: its server, the mock-wide control plane, the
    in-process transports and ``client()``."""

    def __init__(self, server: MockServer, closer: _Closer | None = None) -> None:
        self.server = server
        self._closer = closer or _Closer()

    @property
    def url(self) -> str:
        """The base URL of what the handle drives: an API's, or the server's root."""
        raise NotImplementedError

    @property
    def base_url(self) -> str:
        """Same as :attr:`url`."""
        return self.url

    @property
    def control(self) -> MockControl:
        return self.server.control

    @property
    def config(self) -> MockConfig:
        return self.server.config

    def advance(self, seconds: float) -> float:
        """Move the mock's clock (shared by the three APIs) forward; returns the total offset."""
        return self.control.advance(seconds)

    def now(self) -> float:
        """The mock's clock, in epoch seconds."""
        return self.control.now()

    def clear_requests(self) -> None:
        """Empty the journal (it is shared by the three APIs)."""
        self.control.clear_requests()

    def reset(self) -> None:
        """The whole mock back to its seeded start (the state is shared by the three APIs)."""
        self.server.reset()

    @property
    def transport(self) -> httpx.BaseTransport:
        """Synchronous in-process httpx transport to the same mock (no socket)."""
        return self.server.transport

    @property
    def async_transport(self) -> httpx.AsyncBaseTransport:
        """Async in-process httpx transport (httpx's ASGI transport) to the same mock."""
        return self.server.async_transport

    def client(self, **kwargs: Any) -> httpx.Client:
        """An ``httpx.Client`` on :attr:`url` over the real port, closed when the test ends."""
        kwargs.setdefault("base_url", self.url)
        kwargs.setdefault("timeout", CLIENT_TIMEOUT)
        client = httpx.Client(**kwargs)
        self._closer.clients.append(client)
        return client

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url}>"


class ApiMock(_Handle):
    """The control plane and URLs of one API of a running mock (base of the three handles)."""

    #: Control-plane names of the APIs this handle drives; faults and limits go to the first by default.
    apis: ClassVar[tuple[str, ...]]

    @property
    def root_url(self) -> str:
        """The mock server's root, e.g. ``http://127.0.0.1:40123``."""
        return self.server.url

    def fail(self, status: int, *, method: str = "*", path: str = "*", times: int = 1,
             headers: dict[str, str | None] | None = None, body: Any = None, delay_ms: int = 0,
             api: str | None = None) -> Fault:
        """The next ``times`` requests matching ``method`` and ``path`` (relative to the API's base, ``*``
        wildcards) answer ``status``; ``body`` defaults to the API's own error body for that status."""
        target = self.apis[0] if api is None else api
        if target not in self.apis:
            raise ValueError(f"{type(self).__name__}.fail(api=...) takes one of {', '.join(self.apis)}, "
                             f"not {api!r}")
        return self.control.fail(target, status, method=method, path=path, times=times, headers=headers,
                                 body=body, delay_ms=delay_ms)

    @property
    def faults(self) -> list[dict[str, Any]]:
        """Faults still queued for this API."""
        return [f for f in self.control.faults() if f["api"] in self.apis]

    def expire_tokens(self) -> int:
        """Every token this API issued is expired now; returns how many were live."""
        return sum(self.control.expire_tokens(api) for api in self.apis)

    def rate_limit(self, limit: int | None, per_seconds: float = 1.0) -> None:
        """At most ``limit`` calls per token per ``per_seconds``, then 429 with ``Retry-After``;
        ``None`` removes the quota."""
        self.control.rate_limit(self.apis[0], limit, per_seconds)

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The journal of this API's requests (newest last), secrets redacted."""
        return [entry for entry in self.control.requests() if entry["api"] in self.apis]


class BanqerMock(ApiMock):
    """Banqer: the API of each tenant and its Keycloak realm (``fail(api="banqer-auth")`` for the realm)."""

    apis = ("banqer", "banqer-auth")

    @property
    def tenant(self) -> str:
        """The demo tenant (``demo`` unless the config has no such tenant)."""
        return _pick(self.config.banqer_tenants, "demo", "the config has no Banqer tenant")

    def api_url(self, tenant: str | None = None) -> str:
        """``{root}/banqer/{tenant}``: the API base of one tenant (the reference client's ``api_base``)."""
        return f"{self.root_url}/banqer/{tenant or self.tenant}"

    @property
    def url(self) -> str:
        return self.api_url()

    @property
    def auth_url(self) -> str:
        """``{root}/banqer-auth``: the realm host (the reference client's ``auth_base``)."""
        return f"{self.root_url}/banqer-auth"

    def realm_url(self, tenant: str | None = None) -> str:
        return f"{self.auth_url}/realms/{tenant or self.tenant}"

    @property
    def token_url(self) -> str:
        """The demo tenant's token endpoint."""
        return f"{self.realm_url()}/protocol/openid-connect/token"

    @property
    def credentials(self) -> BanqerCredentials:
        """The demo tenant's client with every scope (``demo-client`` / ``demo-secret``)."""
        clients = self.config.banqer_tenants[self.tenant]
        client = clients[_pick(clients, "demo-client", f"the Banqer tenant {self.tenant!r} has no client")]
        return BanqerCredentials(self.tenant, client.client_id, client.secret, client.scopes)


class PbmMock(ApiMock):
    """Funcional PBM: one GraphQL endpoint; ``createToken`` is a mutation on it."""

    apis = ("pbm",)

    @property
    def graphql_url(self) -> str:
        return f"{self.root_url}/pbm/graphql"

    @property
    def url(self) -> str:
        return self.graphql_url

    @property
    def token_url(self) -> str:
        """Where ``createToken`` is sent: the GraphQL endpoint itself."""
        return self.graphql_url

    @property
    def credentials(self) -> PbmCredentials:
        login = _pick(self.config.pbm_accounts, "usuario_exemplo", "the config has no PBM account")
        return PbmCredentials(login, self.config.pbm_accounts[login].password)


class AssineMock(ApiMock):
    """Assine Online: REST/HAL under ``/assine``, OAuth 2.0 password grant at ``/assine/oauth``."""

    apis = ("assine",)

    @property
    def url(self) -> str:
        return f"{self.root_url}/assine"

    @property
    def token_url(self) -> str:
        return f"{self.url}/oauth"

    @property
    def credentials(self) -> AssineCredentials:
        """The business-unit demo user (``demo@empresa.example`` / ``demo-password``) and the
        documented OAuth client ``app`` / ``app``."""
        email = _pick(self.config.assine_users, "demo@empresa.example", "the config has no Assine user")
        return AssineCredentials(email, self.config.assine_users[email].password)


class SpecMock(_Handle):
    """The three APIs of one running mock: ``banqer``, ``pbm``, ``assine``, plus the control plane
    over all of them (``fail`` takes the API name: ``banqer``, ``banqer-auth``, ``pbm``, ``assine``)."""

    def __init__(self, server: MockServer, closer: _Closer | None = None) -> None:
        super().__init__(server, closer)
        self.banqer = BanqerMock(server, self._closer)
        self.pbm = PbmMock(server, self._closer)
        self.assine = AssineMock(server, self._closer)

    @property
    def url(self) -> str:
        """The mock server's root, e.g. ``http://127.0.0.1:40123``."""
        return self.server.url

    def fail(self, api: str, status: int, *, method: str = "*", path: str = "*", times: int = 1,
             headers: dict[str, str | None] | None = None, body: Any = None, delay_ms: int = 0) -> Fault:
        return self.control.fail(api, status, method=method, path=path, times=times, headers=headers,
                                 body=body, delay_ms=delay_ms)

    @property
    def faults(self) -> list[dict[str, Any]]:
        return self.control.faults()

    def expire_tokens(self, api: str | None = None) -> int:
        return self.control.expire_tokens(api)

    def rate_limit(self, api: str, limit: int | None, per_seconds: float = 1.0) -> None:
        self.control.rate_limit(api, limit, per_seconds)

    @property
    def requests(self) -> list[dict[str, Any]]:
        return self.control.requests()


class TestRun:
    """What the plugin keeps for one test: the server it uses and the clients to close."""

    __test__ = False  # not a test class, whatever collects it

    def __init__(self, server: MockServer) -> None:
        self.server = server
        self.closer = _Closer()
        self.mock = SpecMock(server, self.closer)
        self.log = ErrorLog.installed()

    def raise_server_errors(self, when: str = "while this test ran") -> None:
        __tracebackhide__ = True
        errors = self.server.take_errors() + self.log.take()
        if errors:
            raise MockServerError(describe_errors(errors, when))

    def close(self) -> None:
        self.closer.close()
