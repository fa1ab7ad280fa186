"""The admin API refuses what a web page could send it: requests from another origin, and requests
for a host name the server does not answer to (DNS rebinding).

A browser sends ``Origin`` with every cross-site ``POST``, whatever its content type, so a page
on ``http://evil.example`` cannot queue a fault or reset the mock. A page on a name the attacker
points at 127.0.0.1 sends its own ``Host``, which is refused unless the operator allowed it with
``--allowed-host``. Requests without ``Origin`` (curl, scripts, the pytest plugin) pass as before.
"""

from __future__ import annotations

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from specmock.mocks.core.hosts import host_port, is_own_host, origin_host

__all__ = ["AdminGuard"]


def _shown(value: str) -> str:
    return repr(value if len(value) <= 100 else value[:100] + "…")


class AdminGuard:
    """Wraps the admin app: 403 ``{"error": ...}`` (one line saying why) for a foreign Origin or Host."""

    def __init__(self, app: ASGIApp, allowed_hosts: frozenset[str]) -> None:
        self.app = app
        self.allowed_hosts = allowed_hosts

    def refusal(self, scope: Scope) -> str | None:
        """Why this request is refused, or ``None``."""
        host = origin = None
        for key, value in scope.get("headers", ()):
            if key == b"host":
                host = value.decode("latin-1")
            elif key == b"origin":
                origin = value.decode("latin-1")
        scheme = scope.get("scheme", "http")
        server = scope.get("server") or ("", None)
        default_port = 443 if scheme == "https" else 80
        if host is not None:
            parsed = host_port(host, default_port)
            if parsed is None or not is_own_host(parsed[0], scope, self.allowed_hosts):
                name = parsed[0] if parsed else host
                return (f"the admin API does not answer to Host {_shown(host)}; "
                        f"start the server with --allowed-host {name} if that name is this server's")
            own = (scheme, *parsed)
        else:
            own = (scheme, str(server[0]).lower(), server[1])
        if origin is not None and origin_host(origin) != own:
            return (f"the admin API refuses requests from another origin (Origin: {_shown(origin)}); "
                    "web pages cannot drive it, scripts and curl (no Origin header) can")
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            reason = self.refusal(scope)
            if reason is not None:
                await JSONResponse({"error": f"specmock: {reason}"}, 403)(scope, receive, send)
                return
        await self.app(scope, receive, send)
