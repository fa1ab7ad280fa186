"""httpx transports that reach a mock app in-process, with no socket.

``async_transport`` is httpx's own ASGI transport. Synchronous clients (the reference clients,
most test suites) get ``sync_transport``: the ASGI app adapted to WSGI by a2wsgi, which runs the
app's event loop in a helper thread, behind httpx's WSGI transport.
"""

from __future__ import annotations

import httpx
from starlette.types import ASGIApp

__all__ = ["async_transport", "sync_transport"]


def sync_transport(app: ASGIApp) -> httpx.BaseTransport:
    from a2wsgi import ASGIMiddleware

    return httpx.WSGITransport(app=ASGIMiddleware(app))  # type: ignore[arg-type]


def async_transport(app: ASGIApp) -> httpx.AsyncBaseTransport:
    return httpx.ASGITransport(app=app)
