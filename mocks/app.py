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
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from specmock.mocks.admin import build_admin_app
from specmock.mocks.config import MockConfig
from specmock.mocks.control import MockControl
from specmock.mocks.core.control import ControlLayer
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
    ApiEntry("banqer-auth", "/banqer-auth", "specmock.mocks.banqer.auth:BanqerAuthApi"),
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
        self._layer: ControlLayer | None = None
        self._error: str | None = None
        self._lock = threading.Lock()

    def ready(self) -> ControlLayer:
        """The API's control layer, built now if needed (blocking); raises :class:`ApiLoadError`."""
        layer = self._layer
        if layer is None:
            with self._lock:
                if self._layer is None and self._error is None:
                    try:
                        api = self.hosted.load()
                        self._layer = ControlLayer(api, api.build_app())
                    except ApiLoadError as exc:
                        self._error = str(exc)
                    except Exception as exc:
                        name = self.hosted.name
                        self._error = f"the {name} mock could not be loaded: {type(exc).__name__}: {exc}"
                        log.error("specmock: %s", self._error, exc_info=exc)
                layer = self._layer
            if layer is None:
                raise ApiLoadError(self._error)
        return layer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            layer: ASGIApp = self._layer if self._layer is not None else await run_in_threadpool(self.ready)
        except ApiLoadError as exc:
            if scope["type"] != "http":
                raise
            await _load_failed(exc)(scope, receive, send)
            return
        await layer(scope, receive, send)


def _load_failed(exc: ApiLoadError) -> Response:
    return JSONResponse({"error": f"specmock: {exc}"}, status_code=500)


def warm_up(app: Starlette) -> None:
    """Build every API of ``app`` (made by :func:`create_app`) not built yet, one after the other.

    Blocks until done. A failure is not raised: it is logged, and that API's requests answer 500.
    """
    for route in app.router.routes:
        if isinstance(route, Mount) and isinstance(route.app, _ApiOnFirstUse):
            with contextlib.suppress(ApiLoadError):
                route.app.ready()


class _MockApp(Starlette):
    """Starlette, with a request to a hosted API handed straight to that API's mount.

    Such a request would only cross Starlette's two outer middlewares and try each mount's pattern
    in turn before reaching the same mount. Here the mount is found by the first path segment and
    its own ``matches`` builds the very scope the router would; the outer middlewares' only effect
    on these requests, a plain 500 when the control layer itself fails before answering, is kept.
    Anything else (the admin API, a 404, a user's middleware, lifespan) takes Starlette's path.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._by_segment: dict[str, list[Mount]] | None = {}
        for route in self.router.routes:
            segment = route.path.split("/")[1] if isinstance(route, Mount) else ""
            if not isinstance(route, Mount) or not segment or "{" in segment:  # could match anything
                self._by_segment = None
                break
            if isinstance(route.app, ControlLayer | _ApiOnFirstUse):
                self._by_segment.setdefault(segment, []).append(route)
        if self.exception_handlers.keys() & {500, Exception}:  # a custom 500 page: Starlette's path
            self._by_segment = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._by_segment is not None and scope["type"] == "http" and not self.user_middleware:
            path: str = scope["path"]
            root: str = scope.get("root_path", "")
            if root and path.startswith(root):
                path = path[len(root) :]
            # Only picks the candidate: the mount's own matches() decides, Starlette's path otherwise.
            for route in self._by_segment.get(path[1:].partition("/")[0], ()):
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    scope["app"] = self
                    scope.setdefault("router", self.router)
                    scope["route"] = route
                    scope.update(child_scope)
                    await _answer_500_if_failed(route.app, scope, receive, send)
                    return
        await super().__call__(scope, receive, send)


async def _answer_500_if_failed(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """What Starlette's ServerErrorMiddleware does: a plain 500 if nothing was sent yet, then re-raise."""
    started = False

    async def tracked(message: Message) -> None:
        nonlocal started
        started = started or message["type"] == "http.response.start"
        await send(message)

    try:
        await app(scope, receive, tracked)
    except Exception:
        if not started:
            await PlainTextResponse("Internal Server Error", status_code=500)(scope, receive, send)
        raise


def _mount(hosted: HostedApi) -> ASGIApp:
    api = hosted.api
    return _ApiOnFirstUse(hosted) if api is None else ControlLayer(api, api.build_app())


def create_app(state: MockState | None = None, *, admin: bool = True) -> Starlette:
    """The ASGI app for ``state`` (a fresh default state when omitted).

    ``admin=False`` leaves out ``/__mock__`` for shared environments. The state is reachable
    as ``app.state.mock`` and its controller as ``app.state.control``.
    """
    state = state or create_state()
    hosted = state.apis.hosted()
    if state.apis.built():
        state.keys.wait()  # an API built already may sign a token in its very first answer
    control = MockControl(state)
    routes = [Mount(h.mount_path, app=_mount(h)) for h in hosted]
    if admin:
        routes.append(Mount(ADMIN_PATH, app=build_admin_app(control)))

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
