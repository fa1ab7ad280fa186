"""The app factory: one :class:`MockState`, every API mounted behind the control layer, the admin API.

There is no module-level app: each call builds a fresh one, so the same engine runs on a port, in a
thread, or in-process through ``httpx.ASGITransport`` / ``starlette.testclient.TestClient``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from importlib import import_module

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount

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
    state = MockState(config)
    for cls in apis if apis is not None else (_load(t) for t in API_CLASSES):
        state.add_api(cls(state))
    return state


def create_app(state: MockState | None = None, *, admin: bool = True) -> Starlette:
    """The ASGI app for ``state`` (a fresh default state when omitted).

    ``admin=False`` leaves out ``/__mock__`` for shared environments. The state is reachable
    as ``app.state.mock`` and its controller as ``app.state.control``.
    """
    state = state or create_state()
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

    app = Starlette(routes=routes, exception_handlers={404: not_found})
    app.state.mock = state
    app.state.control = control
    return app
