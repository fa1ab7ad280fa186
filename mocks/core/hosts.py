"""Which host names the mock answers to as itself: loopback, the address it was bound to, and names
the operator allowed (``--allowed-host``).

Used where a ``Host`` header decides something: the admin API refuses other names (DNS
rebinding), and Banqer accepts only tokens whose issuer is a realm URL under one of these names.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.types import Scope

__all__ = ["LOOPBACK_NAMES", "host_name", "host_port", "is_own_host", "normalized_hosts"]

#: Names every mock answers to: it is always reachable on loopback.
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def _bare(name: str) -> str:
    name = name.strip().lower()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    return name.rstrip(".")


def host_port(value: str, default_port: int | None = None) -> tuple[str, int | None] | None:
    """``(name, port)`` of a ``Host`` header value (``name``, ``name:port``, ``[v6]:port``), or
    ``None`` when it is not one."""
    value = value.strip()
    if not value or any(c in value for c in "/\\@?# \t"):
        return None
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return None
        name, rest = value[1:end], value[end + 1 :]
        if rest and not rest.startswith(":"):
            return None
        port_text = rest[1:]
    elif value.count(":") == 1:
        name, _, port_text = value.partition(":")
    elif ":" in value:  # a bare IPv6 address, as some clients send it
        name, port_text = value, ""
    else:
        name, port_text = value, ""
    if port_text:
        if not (port_text.isascii() and port_text.isdigit() and len(port_text) <= 5):
            return None
        return _bare(name), int(port_text)
    return _bare(name), default_port


def host_name(value: str) -> str | None:
    """The name of a ``Host`` header value, lowercase, without port or brackets."""
    parsed = host_port(value)
    return parsed[0] if parsed else None


def normalized_hosts(names: Iterable[str]) -> frozenset[str]:
    """Loopback names plus ``names`` (each a host name, with or without port or brackets)."""
    extra = {host_name(name) or _bare(name) for name in names if name}
    return LOOPBACK_NAMES | {name for name in extra if name}


def is_own_host(name: str, scope: Scope, allowed: frozenset[str]) -> bool:
    """Whether ``name`` is one the server answers to: allowed, or the address the connection
    reached (``scope["server"]``: the bound address, or the interface's with ``0.0.0.0``)."""
    if name in allowed:
        return True
    server = scope.get("server")
    return server is not None and name == _bare(str(server[0]))


def origin_host(origin: str) -> tuple[str, str, int] | None:
    """``(scheme, name, port)`` of an ``Origin`` header, or ``None`` (``null``, not a URL)."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return parts.scheme, _bare(parts.hostname), port or (443 if parts.scheme == "https" else 80)
