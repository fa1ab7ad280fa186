"""The app factory: one :class:`MockState`, every API mounted behind the control layer, the admin API.

There is no module-level app: each call builds a fresh one, so the same engine runs on a port, in a
thread, or in-process through ``httpx.ASGITransport`` / ``starlette.testclient.TestClient``.

By default an API is imported and built on first use (see :func:`create_state`): a server answers
at once, and :func:`warm_up` builds the rest in the background (``specmock serve`` starts it as
soon as it listens).
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from specmock.mocks.admin import build_admin_app
from specmock.mocks.admin_guard import AdminGuard
from specmock.mocks.config import MockConfig
from specmock.mocks.control_plane import MockControl
from specmock.mocks.core.hosts import normalized_hosts
from specmock.mocks.core.middleware import ControlLayer
from specmock.mocks.core.state import ApiLoadError, HostedApi, MockApi, MockState

__all__ = ["ADMIN_PATH", "API_CLASSES", "API_ENTRIES", "ApiEntry", "create_app", "create_state", "warm_up"]

ADMIN_PATH = "/__mock__"

log = logging.getLogger("specmock.mocks")


@dataclass(frozen=True)
class ApiEntry:
    """A hosted API as the app knows it before importing its module: name, mount path, class."""

    name: str
    mount_path: str
    #: ``module:Class``
    target: str


#: The hosted APIs. Name and mount path repeat the class's own (checked when it is built), so that
#: the app can route to, list and control an API without importing its module.
API_ENTRIES: tuple[ApiEntry, ...] = (
    ApiEntry("banqer-auth", "/banqer-auth", "specmock.mocks.banqer.realm:BanqerAuthApi"),
    ApiEntry("banqer", "/banqer/{tenant}", "specmock.mocks.banqer.api:BanqerApi"),
    ApiEntry("pbm", "/pbm", "specmock.mocks.pbm.api:PbmApi"),
    ApiEntry("assine", "/assine", "specmock.mocks.assine.api:AssineApi"),
)
#: The hosted APIs' classes, as ``module:Class``.
API_CLASSES: tuple[str, ...] = tuple(entry.target for entry in API_ENTRIES)


def _load(target: str) -> type[MockApi]:
    module, _, name = target.partition(":")
    cls: type[MockApi] = getattr(import_module(module), name)
    return cls


def _builder(target: str) -> Callable[[MockState], MockApi]:
    return lambda state: _load(target)(state)


def create_state(config: MockConfig | None = None, apis: Iterable[type[MockApi]] | None = None) -> MockState:
    """A fresh state hosting ``apis``, built now, or by default every API of :data:`API_ENTRIES`,
    each imported and built on first use (a request to it, ``state.apis[name]``, :func:`warm_up`).
    """
    state = MockState(config)  # starts generating the signing key in a background thread
    if apis is None:
        for entry in API_ENTRIES:
            state.add_api_on_first_use(entry.name, entry.mount_path, _builder(entry.target))
        return state  # each API waits for the key when it is built
    for cls in apis:
        state.add_api(cls(state))
    state.keys.wait()  # ready before any request: a token's iat is never older than its response
    return state


class _ApiOnFirstUse:
    """The mount of an API not built yet: builds it, and the control layer in front, on first use.

    Building runs in a worker thread, so the event loop goes on serving the admin API and the
    other APIs meanwhile; concurrent first requests all wait for the one build. If it fails, the
    API's requests are answered 500 with the reason (logged once when it happened).
    """

    def __init__(self, hosted: HostedApi) -> None:
        self.hosted = hosted
        self.layer: ControlLayer | None = None
        self._error: str | None = None
        self._warmed = False
        self._lock = threading.Lock()

    def ready(self) -> ControlLayer:
        """The API's control layer, built now if needed (blocking); raises :class:`ApiLoadError`."""
        layer = self.layer
        if layer is None:
            with self._lock:
                if self.layer is None and self._error is None:
                    try:
                        api = self.hosted.load()
                        self.layer = ControlLayer(api, api.build_app())
                    except ApiLoadError as exc:
                        self._error = str(exc)
                    except Exception as exc:
                        name = self.hosted.name
                        self._error = f"the {name} mock could not be loaded: {type(exc).__name__}: {exc}"
                        log.error("specmock: %s", self._error, exc_info=exc)
                layer = self.layer
            if layer is None:
                raise ApiLoadError(self._error)
        return layer

    def warm(self) -> None:
        """Build the API if needed, then, once, what it builds on first use (:meth:`MockApi.warm_up`)."""
        api = self.ready().api
        with self._lock:
            if self._warmed:
                return
            self._warmed = True
        try:
            api.warm_up()
        except Exception as exc:  # the first requests will build it instead
            log.warning("specmock: warming up %s failed: %s: %s", api.name, type(exc).__name__, exc)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            layer: ASGIApp = self.layer if self.layer is not None else await run_in_threadpool(self.ready)
        except ApiLoadError as exc:
            if scope["type"] != "http":
                raise
            await _load_failed(exc)(scope, receive, send)
            return
        await layer(scope, receive, send)


def _load_failed(exc: ApiLoadError) -> Response:
    return JSONResponse({"error": f"specmock: {exc}"}, status_code=500)


def warm_up(app: Starlette) -> None:
    """Build every API of ``app`` (made by :func:`create_app`) not built yet, one after the other,
    and what each builds on first use (:meth:`MockApi.warm_up`).

    Blocks until done. A failure is not raised: it is logged, and that API's requests answer 500
    (a failed :meth:`MockApi.warm_up` only leaves the work to the first request).
    """
    for route in app.router.routes:
        if isinstance(route, Mount) and isinstance(route.app, _ApiOnFirstUse):
            with contextlib.suppress(ApiLoadError):
                route.app.warm()


class _MountPrefix:
    """A mount whose path is literal segments and ``{name}`` segments, matched by splitting the path.

    Gives what ``Mount.matches`` gives for a path holding no newline (the mount's regex treats a
    newline apart; such paths take Starlette's path): the path parameters, the matched prefix.
    """

    def __init__(self, route: Mount, segments: tuple[str, ...]) -> None:
        self.route = route
        self.segments = segments

    @classmethod
    def of(cls, route: BaseRoute) -> _MountPrefix | None:
        """The prefix of ``route``, or ``None`` when only its regex can tell what it takes."""
        if not isinstance(route, Mount) or not route.path.startswith("/"):
            return None
        segments = tuple(route.path.strip("/").split("/"))
        plain = all(s and ("{" not in s or (s[0] == "{" and s[-1] == "}" and s[1:-1].isidentifier()))
                    for s in segments)
        return cls(route, segments) if plain and "{" not in segments[0] else None

    def match(self, path: str) -> tuple[dict[str, str], str] | None:
        """``(path parameters, matched prefix)``, or ``None`` when the mount does not take ``path``."""
        parts = path.split("/", len(self.segments) + 1)
        if len(parts) != len(self.segments) + 2:  # the mount takes "/pbm/...", not "/pbm"
            return None
        params: dict[str, str] = {}
        for wanted, given in zip(self.segments, parts[1:-1], strict=True):
            if wanted[0] == "{":
                if not given:
                    return None
                params[wanted[1:-1]] = given
            elif wanted != given:
                return None
        return params, path[: len(path) - len(parts[-1]) - 1]


_API_MOUNTS = (ControlLayer, _ApiOnFirstUse)
_UNSEEN: Any = object()
#: Paths whose mount is remembered; past that the memory starts again (ids in paths vary at will).
_PATHS_REMEMBERED = 4096
_PATH_CHARS_REMEMBERED = 256


class _MockApp(Starlette):
    """Starlette, with a request to a hosted API handed straight to that API's control layer.

    Such a request would only cross Starlette's outer middlewares and try each mount's regex in
    turn before reaching the same mount. Here the mount is found by splitting the path, and the
    scope gets what the router would give it. The control layer answers a plain 500 itself when it
    fails before answering, which is all the outer middlewares would add. Anything else (the admin
    API, a 404, a root path, a user's middleware, lifespan) takes Starlette's path.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._prefixes: dict[str, list[_MountPrefix]] | None = self._split_mounts()
        self._seen: dict[str, tuple[Mount, dict[str, str], str] | None] = {}

    def _split_mounts(self) -> dict[str, list[_MountPrefix]] | None:
        """Every mount by its first segment, or ``None`` when only the router can decide."""
        if self.exception_handlers.keys() & {500, Exception}:  # a custom 500 page: Starlette's path
            return None
        prefixes: dict[str, list[_MountPrefix]] = {}
        for route in self.router.routes:
            prefix = _MountPrefix.of(route)
            if prefix is None:  # could match anything
                return None
            prefixes.setdefault(prefix.segments[0], []).append(prefix)  # in the router's order
        return prefixes

    def _api_mount(self, prefixes: dict[str, list[_MountPrefix]], path: str
                   ) -> tuple[Mount, dict[str, str], str] | None:
        """The hosted API's mount that takes ``path``, its path parameters and matched prefix.

        ``None`` when no mount takes it or when the first that does is not an API (the admin API);
        both go to the router. Paths seen are remembered: a client sends the same few again and again.
        """
        known = self._seen.get(path, _UNSEEN)
        if known is not _UNSEEN:
            return known
        found: tuple[Mount, dict[str, str], str] | None = None
        for prefix in prefixes.get(path[1:].partition("/")[0], ()):
            match = prefix.match(path)
            if match is not None:
                if isinstance(prefix.route.app, _API_MOUNTS):
                    found = (prefix.route, *match)
                break
        if len(path) <= _PATH_CHARS_REMEMBERED:
            if len(self._seen) >= _PATHS_REMEMBERED:
                self._seen.clear()
            self._seen[path] = found
        return found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        prefixes = self._prefixes
        if (prefixes is not None and scope["type"] == "http" and not scope.get("root_path")
                and not self.user_middleware and "\n" not in path):
            found = self._api_mount(prefixes, path)
            if found is not None:
                route, params, matched = found
                scope["app"] = self
                scope.setdefault("router", self.router)
                scope["route"] = route
                path_params = dict(scope.get("path_params", ()))
                path_params.update(params)
                scope["path_params"] = path_params
                scope.setdefault("app_root_path", "")
                scope["root_path"] = matched
                scope["endpoint"] = app = route.app
                if isinstance(app, _ApiOnFirstUse) and app.layer is not None:
                    app = app.layer
                await app(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


def _mount(hosted: HostedApi) -> ASGIApp:
    api = hosted.api
    return _ApiOnFirstUse(hosted) if api is None else ControlLayer(api, api.build_app())


def create_app(
    state: MockState | None = None, *, admin: bool = True, allowed_hosts: Iterable[str] = ()
) -> Starlette:
    """The ASGI app for ``state`` (a fresh default state when omitted).

    ``admin=False`` switches off every mock-only control, for shared environments: the admin API
    (``/__mock__``), ``Prefer: code=NNN`` and Assine's signing hooks. ``allowed_hosts`` are host
    names the server answers to besides loopback and the address it was bound to: the admin API
    refuses any other ``Host`` (and any foreign ``Origin``), and Banqer accepts tokens whose issuer
    is a realm URL under one of them. The state is reachable as ``app.state.mock`` and its
    controller as ``app.state.control``.
    """
    state = state or create_state()
    state.mock_only_controls = admin
    state.allowed_hosts = normalized_hosts(allowed_hosts)
    hosted = state.apis.hosted()
    if state.apis.built():
        state.keys.wait()  # an API built already may sign a token in its very first answer
    control = MockControl(state)
    routes = [Mount(h.mount_path, app=_mount(h)) for h in hosted]
    if admin:
        routes.append(Mount(ADMIN_PATH, app=AdminGuard(build_admin_app(control), state.allowed_hosts)))

    prefixes = [(re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(h.mount_path)) + "(/|$)"), h)
                for h in hosted]

    async def not_found(request: Request, exc: Exception) -> Response:
        # A path under an API's base that its mount did not match (an encoded newline, say) still
        # gets that API's own 404 shape.
        for pattern, under in prefixes:
            if pattern.match(request.url.path):
                try:
                    api = under.api or await run_in_threadpool(under.load)
                except ApiLoadError as error:
                    return _load_failed(error)
                return api.error_response(404, f"Nothing is served at {request.url.path}")
        mounts = [h.mount_path for h in hosted] + ([ADMIN_PATH] if admin else [])
        return JSONResponse(
            {"error": f"specmock: nothing is served at {request.url.path}", "served": mounts},
            status_code=404,
        )

    app = _MockApp(routes=routes, exception_handlers={404: not_found})
    # No slash redirects: an encoded newline can make a mount pattern match a trailing-slash
    # variant, and a 307 is no answer any of the three APIs gives; their own 404 is.
    app.router.redirect_slashes = False
    app.state.mock = state
    app.state.control = control
    return app
