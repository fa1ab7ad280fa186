"""The APIs the proxy can stand in front of: where each is mounted, its spec, its error shape.

Every mount of the registry (:mod:`specmock.mocks.registry`) that has an OpenAPI spec or a check of
its own (:attr:`~specmock.mocks.descriptor.ApiMount.checker`) can be proxied, under the mock's path
(``/banqer/{tenant}``, ``/banqer-auth``, ``/pbm``, ``/assine``), so an app switches between the mock
and the proxy by base URL only. An upstream URL is the API's base on the real server; it may use the
mount's parameters (``https://api-{tenant}.banqer.com.br``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, cached_property
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from specmock.mocks.descriptor import ApiDescriptor, ApiMount, resolve
from specmock.mocks.registry import descriptors

if TYPE_CHECKING:
    from starlette.responses import Response

__all__ = ["ProxyTarget", "UpstreamError", "api_names", "error_response", "parse_targets", "proxied_mounts"]

_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def proxied_mounts() -> dict[str, tuple[ApiDescriptor, ApiMount]]:
    """Each mount the proxy can check, by name, with the API it belongs to (registry order)."""
    return {mount.name: (api, mount) for api in descriptors() for mount in api.mounts
            if mount.openapi is not None or mount.checker is not None}


def api_names() -> tuple[str, ...]:
    """What ``specmock proxy --api`` takes: the names of :func:`proxied_mounts`."""
    return tuple(proxied_mounts())


class UpstreamError(ValueError):
    """An ``--api``/``--upstream`` pair the proxy cannot use; the message is one readable line."""


@dataclass(frozen=True)
class ProxyTarget:
    api: str  # the mount's name
    upstream: str  # without a trailing slash; may hold ``{tenant}``
    mount: str  # the mount's path (``/banqer/{tenant}``)

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        return _mount_pattern(self.mount)

    @cached_property
    def _parts(self) -> tuple[str, ...]:
        # The upstream split once: literal text at even places, parameter names at odd ones.
        return tuple(_PARAM.split(self.upstream))

    def base(self, params: dict[str, str]) -> str:
        """The upstream URL with the mount's parameters filled in."""
        parts = self._parts
        if len(parts) == 1:
            return parts[0]
        return "".join(
            params.get(part, "{" + part + "}") if index % 2 else part for index, part in enumerate(parts)
        )


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
    known = proxied_mounts()
    targets: list[ProxyTarget] = []
    for api, upstream in zip(apis, upstreams, strict=True):
        if api not in known:
            raise UpstreamError(f"unknown API {api!r}: expected one of {', '.join(known)}")
        mount = known[api][1].path
        if any(t.api == api for t in targets):
            raise UpstreamError(f"--api {api} is given twice")
        parts = urlsplit(upstream)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise UpstreamError(f"--upstream {upstream!r} for {api} is not an http:// or https:// URL")
        if parts.query or parts.fragment:
            raise UpstreamError(f"--upstream {upstream!r} for {api} must not have a query or fragment")
        unknown = set(_PARAM.findall(upstream)) - set(_PARAM.findall(mount))
        if unknown:
            raise UpstreamError(
                f"--upstream {upstream!r} uses {{{sorted(unknown)[0]}}}, which {api}'s mount "
                f"{mount} does not have"
            )
        targets.append(ProxyTarget(api, upstream.rstrip("/"), mount))
    return targets


def error_response(mount: ApiMount, status: int, message: str) -> Response:
    """``status`` (502 or 504) in ``mount``'s own error shape, as the mock builds it
    (:attr:`~specmock.mocks.descriptor.ApiMount.errors`); plain ``{"error": message}`` if it names none."""
    if mount.errors is None:
        from starlette.responses import JSONResponse  # not on the CLI's path: --help reads this module

        return JSONResponse({"error": message}, status)
    response: Response = _renderer(mount.errors)(status, message)
    return response


@cache
def _renderer(target: str) -> Any:
    return resolve(target)
