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
from collections.abc import Callable, Iterable
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from specmock.mocks import registry
from specmock.mocks.admin import build_admin_app
from specmock.mocks.admin_guard import AdminGuard
from specmock.mocks.config import MockConfig
from specmock.mocks.control_plane import MockControl
from specmock.mocks.core.firstuse import BuildFailed, OnFirstUse
from specmock.mocks.core.hosts import normalized_hosts
from specmock.mocks.core.middleware import ControlLayer
from specmock.mocks.core.state import ApiLoadError, HostedApi, MockApi, MockState
from specmock.mocks.descriptor import resolve
from specmock.mocks.dispatch import MountDispatcher

__all__ = ["ADMIN_PATH", "create_app", "create_state", "warm_up"]

ADMIN_PATH = "/__mock__"

log = logging.getLogger("specmock.mocks")


def _builder(target: str) -> Callable[[MockState], MockApi]:
    def build(state: MockState) -> MockApi:
        cls: type[MockApi] = resolve(target)
        return cls(state)

    return build


def create_state(config: MockConfig | None = None, apis: Iterable[type[MockApi]] | None = None) -> MockState:
    """A fresh state hosting ``apis``, built now, or by default every mount of every registered API
    (:mod:`specmock.mocks.registry`), each imported and built on first use (a request to it,
    ``state.apis[name]``, :func:`warm_up`).
    """
    state = MockState(config)  # starts generating the signing key in a background thread
    if apis is None:
        for mount in registry.mounts():
            state.add_api_on_first_use(mount.name, mount.path, _builder(mount.target))
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
        what = f"the {hosted.name} mock could not be loaded"
        self._layer: OnFirstUse[ControlLayer] = OnFirstUse(self._build, what, error=ApiLoadError)
        self._warm: OnFirstUse[None] = OnFirstUse(self._warm_up, f"warming up {hosted.name} failed",
                                                  level=logging.WARNING)

    def _build(self) -> ControlLayer:
        api = self.hosted.load()
        return ControlLayer(api, api.build_app())

    def _warm_up(self) -> None:
        self.ready().api.warm_up()

    @property
    def layer(self) -> ControlLayer | None:
        """The control layer if it is built (never builds it)."""
        return self._layer.value

    def ready(self) -> ControlLayer:
        """The API's control layer, built now if needed (blocking); raises :class:`ApiLoadError`."""
        return self._layer.get()

    def warm(self) -> None:
        """Build the API if needed, then, once, what it builds on first use (:meth:`MockApi.warm_up`).

        A failed warm-up is logged and leaves the work to the first requests."""
        self.ready()
        with contextlib.suppress(BuildFailed):
            self._warm.get()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            built = self._layer.value
            layer: ASGIApp = built if built is not None else await run_in_threadpool(self.ready)
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


class _MockApp(Starlette):
    """Starlette, with a request to a hosted API handed straight to that API's mount.

    Such a request would only cross Starlette's outer middlewares and try each mount's regex in
    turn before reaching the same mount: the :class:`MountDispatcher` finds it by splitting the
    path. The control layer answers a plain 500 itself when it fails before answering, which is all
    the outer middlewares would add. Anything else (the admin API, a 404, a root path, a user's
    middleware or custom 500 handler, lifespan) takes Starlette's path.
    """

    def __init__(self, api_mounts: list[tuple[str, ASGIApp]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        custom_500 = self.exception_handlers.keys() & {500, Exception}
        self.dispatcher: MountDispatcher | None = None if custom_500 else MountDispatcher(api_mounts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        dispatcher = self.dispatcher
        app = dispatcher.route(scope) if dispatcher is not None and not self.user_middleware else None
        if app is None:
            await super().__call__(scope, receive, send)
            return
        if type(app) is _ApiOnFirstUse and app.layer is not None:  # built: one call less per request
            app = app.layer
        await app(scope, receive, send)


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
    api_mounts = [(h.mount_path, _mount(h)) for h in hosted]
    routes = [Mount(path, app=api) for path, api in api_mounts]
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

    app = _MockApp(api_mounts, routes=routes, exception_handlers={404: not_found})
    # No slash redirects: an encoded newline can make a mount pattern match a trailing-slash
    # variant, and a 307 is no answer any of the three APIs gives; their own 404 is.
    app.router.redirect_slashes = False
    app.state.mock = state
    app.state.control = control
    return app
