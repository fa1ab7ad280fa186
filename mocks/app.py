"""The app factory: one :class:`MockState`, every API mounted behind the control layer, the admin API.

There is no module-level app: each call builds a fresh one, so the same engine runs on a port, in a
thread, or in-process through ``httpx.ASGITransport`` / ``starlette.testclient.TestClient``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from importlib import import_module
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from specmock.mocks.admin import build_admin_app
from specmock.mocks.config import MockConfig
from specmock.mocks.control import MockControl
from specmock.mocks.core.control import ControlLayer
from specmock.mocks.core.state import MockApi, MockState

__all__ = ["ADMIN_PATH", "API_CLASSES", "create_app", "create_state"]

ADMIN_PATH = "/__mock__"

#: The hosted APIs, as ``module:Class`` so that importing this module stays cheap.
API_CLASSES: tuple[str, ...] = (
    "specmock.mocks.banqer.auth:BanqerAuthApi",
    "specmock.mocks.banqer.api:BanqerApi",
    "specmock.mocks.pbm.api:PbmApi",
    "specmock.mocks.assine.api:AssineApi",
)


def _load(target: str) -> type[MockApi]:
    module, _, name = target.partition(":")
    cls: type[MockApi] = getattr(import_module(module), name)
    return cls


def create_state(config: MockConfig | None = None, apis: Iterable[type[MockApi]] | None = None) -> MockState:
    """A fresh state hosting ``apis`` (default: all of :data:`API_CLASSES`)."""
    state = MockState(config)  # starts generating the signing key in a background thread
    for cls in apis if apis is not None else (_load(t) for t in API_CLASSES):
        state.add_api(cls(state))
    state.keys.wait()  # ready before any request: a token's iat is never older than its response
    return state


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
            if isinstance(route.app, ControlLayer):
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


def create_app(state: MockState | None = None, *, admin: bool = True) -> Starlette:
    """The ASGI app for ``state`` (a fresh default state when omitted).

    ``admin=False`` leaves out ``/__mock__`` for shared environments. The state is reachable
    as ``app.state.mock`` and its controller as ``app.state.control``.
    """
    state = state or create_state()
    state.keys.wait()
    control = MockControl(state)
    routes = [Mount(api.mount_path, app=ControlLayer(api, api.build_app())) for api in state.apis.values()]
    if admin:
        routes.append(Mount(ADMIN_PATH, app=build_admin_app(control)))

    prefixes = [(re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(api.mount_path)) + "(/|$)"), api)
                for api in state.apis.values()]

    async def not_found(request: Request, exc: Exception) -> Response:
        # A path under an API's base that its mount did not match (an encoded newline, say) still
        # gets that API's own 404 shape.
        for pattern, api in prefixes:
            if pattern.match(request.url.path):
                return api.error_response(404, f"Nothing is served at {request.url.path}")
        mounts = [api.mount_path for api in state.apis.values()] + ([ADMIN_PATH] if admin else [])
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
