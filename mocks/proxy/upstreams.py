"""The APIs the proxy can stand in front of: where each is mounted, its spec, its error shape.

Mount paths are the mock's (``/banqer/{tenant}``, ``/banqer-auth``, ``/pbm``, ``/assine``), so an
app switches between the mock and the proxy by base URL only. An upstream URL is the API's base on
the real server; it may use the mount's parameters (``https://api-{tenant}.banqer.com.br``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any
from urllib.parse import urlsplit

from starlette.responses import Response

__all__ = ["API_NAMES", "ProxyTarget", "UpstreamError", "error_response", "parse_targets"]

MOUNTS: dict[str, str] = {
    "banqer": "/banqer/{tenant}",
    "banqer-auth": "/banqer-auth",
    "pbm": "/pbm",
    "assine": "/assine",
}
API_NAMES: tuple[str, ...] = tuple(MOUNTS)
_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


class UpstreamError(ValueError):
    """An ``--api``/``--upstream`` pair the proxy cannot use; the message is one readable line."""


@dataclass(frozen=True)
class ProxyTarget:
    api: str
    upstream: str  # without a trailing slash; may hold ``{tenant}``

    @property
    def mount(self) -> str:
        return MOUNTS[self.api]

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        return _mount_pattern(self.mount)

    @cached_property
    def _parts(self) -> tuple[str, ...]:
        # The upstream split once: literal text at even places, parameter names at odd ones.
        return tuple(_PARAM.split(self.upstream))

    def url(self, params: dict[str, str], rest: str, query: str) -> str:
        parts = self._parts
        base = (
            parts[0]
            if len(parts) == 1
            else "".join(
                params.get(part, "{" + part + "}") if index % 2 else part for index, part in enumerate(parts)
            )
        )
        return base + rest + (f"?{query}" if query else "")


@cache
def _mount_pattern(mount: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}/]+\})", mount)
    regex = "".join(f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{regex}(?=/|$)")


def parse_targets(apis: list[str], upstreams: list[str]) -> list[ProxyTarget]:
    """Pair ``--api`` and ``--upstream`` values in order; :class:`UpstreamError` names what is wrong."""
    if not apis:
        raise UpstreamError("at least one --api with its --upstream is needed")
    if len(apis) != len(upstreams):
        raise UpstreamError(
            f"{len(apis)} --api but {len(upstreams)} --upstream: give one --upstream per --api"
        )
    targets: list[ProxyTarget] = []
    for api, upstream in zip(apis, upstreams, strict=True):
        if api not in MOUNTS:
            raise UpstreamError(f"unknown API {api!r}: expected one of {', '.join(API_NAMES)}")
        if any(t.api == api for t in targets):
            raise UpstreamError(f"--api {api} is given twice")
        parts = urlsplit(upstream)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise UpstreamError(f"--upstream {upstream!r} for {api} is not an http:// or https:// URL")
        if parts.query or parts.fragment:
            raise UpstreamError(f"--upstream {upstream!r} for {api} must not have a query or fragment")
        unknown = set(_PARAM.findall(upstream)) - set(_PARAM.findall(MOUNTS[api]))
        if unknown:
            raise UpstreamError(
                f"--upstream {upstream!r} uses {{{sorted(unknown)[0]}}}, which {api}'s mount "
                f"{MOUNTS[api]} does not have"
            )
        targets.append(ProxyTarget(api, upstream.rstrip("/")))
    return targets


def error_response(api: str, status: int, message: str, path: str) -> Response:
    """``status`` (502 or 504) in ``api``'s own error shape, as the mock builds it."""
    return _ERRORS[api](status, message, path)


def _banqer(status: int, message: str, path: str) -> Response:
    from specmock.mocks.banqer.errors import api_error

    return api_error(status, message)


def _realm(status: int, message: str, path: str) -> Response:
    from specmock.mocks.banqer.errors import oauth_error

    return oauth_error(status, None, message)


def _pbm(status: int, message: str, path: str) -> Response:
    from specmock.mocks.pbm.errors import http_error_body, json_response

    return json_response(http_error_body(status, message), status)


def _assine(status: int, message: str, path: str) -> Response:
    from specmock.mocks.assine.errors import ApiProblem

    return ApiProblem(status, message).response()


_ERRORS: dict[str, Callable[[int, str, str], Any]] = {
    "banqer": _banqer,
    "banqer-auth": _realm,
    "pbm": _pbm,
    "assine": _assine,
}
