"""A throwaway fourth API: one spec'd GET route, its mock, its descriptor and its provider plan.

Self-contained (no import of the kit's tests), so a throwaway pytest project can copy it next to
its ``conftest.py`` and register it there.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from specmock.contracts.provider.plan import ProviderPlan, SpecRun, UrlVar
from specmock.mocks import ApiDescriptor, ApiMount, ApiSpec, MockApi


class TinyApi(MockApi):
    name = "tiny"
    mount_path = "/tiny"

    def build_app(self) -> Starlette:
        async def ping(request: Request) -> Response:
            return JSONResponse({"pong": True})

        return Starlette(routes=[Route("/v1/ping", ping, methods=["GET"])])

    def error_response(
        self, status: int, message: str | None = None, headers: Mapping[str, str] | None = None
    ) -> Response:
        return JSONResponse({"error": message or f"tiny error {status}"}, status, dict(headers or {}))

    def banner(self, base_url: str) -> list[str]:
        return [f"tiny API        {base_url}{self.mount_path}/v1/ping"]


PLAN = ProviderPlan(
    urls=(UrlVar("api", "TINY_BASE_URL", "/tiny"),),
    credentials=(),
    specs=(SpecRun("tiny", "api"),),
)

DESCRIPTOR = ApiDescriptor(
    name="tiny",
    title="Tiny",
    mounts=(ApiMount("tiny", "/tiny", f"{__name__}:TinyApi", openapi="tiny"),),
    specs=(ApiSpec("tiny", str(Path(__file__).with_name("tiny.openapi.yaml")), "openapi"),),
    provider=f"{__name__}:PLAN",
)
