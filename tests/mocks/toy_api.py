"""A tiny API used to test the spec-agnostic core without any real API mock."""

from __future__ import annotations

from collections.abc import Mapping

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from specmock.mocks.core.state import MockApi


class ToyApi(MockApi):
    name = "toy"
    mount_path = "/toy"

    def build_app(self) -> Starlette:
        async def echo(request: Request) -> Response:
            body = await request.body()
            return JSONResponse({"ok": True, "path": request.url.path, "size": len(body)})

        return Starlette(routes=[Route("/items/{rest:path}", echo, methods=["GET", "POST"]),
                                 Route("/items", echo, methods=["GET", "POST"])])

    def error_response(
        self, status: int, message: str | None = None, headers: Mapping[str, str] | None = None
    ) -> Response:
        body = {"toyError": status, "message": message or "toy error"}
        return JSONResponse(body, status, dict(headers or {}))
