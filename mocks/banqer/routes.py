"""The Banqer API as an ASGI app: three ``GET`` routes, matched by hand, answered with raw messages.

The API has three fixed routes, so a router would only add its cost to the hot path. A path the
spec does not describe is 404 ``NOT_FOUND`` in the Banqer shape; a method other than
``GET``/``HEAD`` on a served path is 405 ``METHOD_NOT_ALLOWED`` with ``Allow: GET, HEAD``
(RFC 9110 §15.5.6, as ASP.NET Core routing answers). Paths match exactly: no trailing slash, no
trailing newline.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING

from starlette.types import Receive, Scope, Send

from specmock.mocks.banqer.errors import JSON_UTF8, ApiFailure, api_error
from specmock.mocks.core.incoming import IncomingRequest, parse_request
from specmock.mocks.core.middleware import RawAnswer, raw_answer, send_raw
from specmock.mocks.core.why import explain, refused

if TYPE_CHECKING:
    from specmock.mocks.banqer.api import BanqerApi

__all__ = ["ALLOW", "BanqerApp", "match_route"]

log = logging.getLogger("specmock.mocks.banqer.api")

_FICHA_PREFIX = "/v1/fichas/"
_CONTENT_TYPE = (b"content-type", JSON_UTF8.encode("latin-1"))
_NO_PARAMS: Mapping[str, str] = {}
#: Methods every Banqer route serves.
ALLOW = "GET, HEAD"


def match_route(path: str) -> tuple[str, Mapping[str, str]] | None:
    """``(operationId, path parameters)`` of a path relative to the tenant's base, or ``None``."""
    if path == "/v1/fichas":
        return "listFichas", _NO_PARAMS
    if path == "/v1/credores":
        return "listCredores", _NO_PARAMS
    if path.startswith(_FICHA_PREFIX):
        ficha_id = path[len(_FICHA_PREFIX) :]
        if ficha_id and "/" not in ficha_id:
            return "getFicha", {"id": ficha_id}
    return None


def _printable(value: str) -> str:
    """``value`` with control characters escaped, cut to a readable length, for messages."""
    value = value if len(value) <= 200 else value[:197] + "..."
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii") for c in value)


class BanqerApp:
    """Serves one :class:`BanqerApi` below its mount (``/banqer/{tenant}``).

    Besides being an ASGI app, it offers :meth:`answer`, the whole response at once, which the
    control layer in front calls directly (see :class:`~specmock.mocks.core.middleware.DirectAnswer`).
    """

    def __init__(self, api: BanqerApi) -> None:
        self.api = api

    def answer(self, request: IncomingRequest) -> RawAnswer:
        """``(status, raw headers, body)`` answering an HTTP request (no Banqer route reads a body)."""
        path = request.path
        method = request.method
        route = match_route(path)
        if route is None:
            shown = _printable(path) or "/"
            request.why = refused("route", f"the spec has no operation {method} {shown}")
            return raw_answer(api_error(404, f"Rota não encontrada: {method} {shown}.", reason="NOT_FOUND"))
        if method not in ("GET", "HEAD"):
            shown = _printable(path)
            message = f"Método {_printable(method)} não disponível em {shown}: a API só aceita GET."
            request.why = refused("route", f"the spec describes only GET on {shown}")
            return raw_answer(api_error(405, message, {"Allow": ALLOW}, reason="METHOD_NOT_ALLOWED"))
        operation_id, path_params = route
        try:
            tenant = request.path_params["tenant"]
            body = self.api.serve(operation_id, tenant, request.headers.get("authorization"), request.query,
                                  path_params, request.server_host)
        except ApiFailure as failure:
            request.why = failure.why
            return raw_answer(failure.response)
        except Exception:  # bad input must never surface as a bare 500 page
            log.exception("banqer: unexpected error on %s %s", method, _printable(request.full_path))
            return raw_answer(api_error(500, reason="INTERNAL"))
        return 200, [(b"content-length", str(len(body)).encode("ascii")), _CONTENT_TYPE], body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1000})
            return
        request = parse_request(scope)
        answer = self.answer(request)
        explain(scope, request.why)
        await send_raw(send, answer)
