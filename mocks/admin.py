"""The admin API under ``/__mock__/``: the control plane over HTTP, JSON in and out.

A request this API cannot use gets a 400 ``{"error": "..."}`` naming what is wrong. A browser
(``Accept: text/html``) asking for ``/__mock__/`` gets the page of :mod:`~specmock.mocks.page`
instead, which drives this same API with same-origin JSON calls.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from specmock.mocks.control_plane import MockControl
from specmock.mocks.core.curl import curl_command
from specmock.mocks.core.incoming import (
    HEADER_NAME_CHARS,
    HEADER_VALUE_CHARS,
    MAX_HEADER_NAME,
    MAX_HEADER_VALUE,
    read_body,
    strict_json,
)
from specmock.mocks.core.state import HostedApi
from specmock.mocks.page import asset, wants_page

__all__ = ["PAGE_LIMIT", "AdminError", "build_admin_app"]

_FAULT = {
    "type": "object",
    "additionalProperties": False,
    "required": ["api", "status"],
    "properties": {
        "api": {"type": "string"},
        "method": {"type": "string", "pattern": "^(\\*|[A-Za-z]+)$"},
        "path": {"type": "string", "maxLength": 2000},
        # 1xx cannot be the final answer to a request: no server can send it as one.
        "status": {"type": "integer", "minimum": 200, "maximum": 599},
        "times": {"type": "integer", "minimum": 1, "maximum": 1_000_000},
        # The header rules of core/incoming.py (see MockControl.fail), as a schema.
        "headers": {
            "type": "object",
            "maxProperties": 50,
            "propertyNames": {"pattern": f"^{HEADER_NAME_CHARS}{{1,{MAX_HEADER_NAME}}}$"},
            # null leaves the header out (a 429 without Retry-After)
            "additionalProperties": {"type": ["string", "null"], "maxLength": MAX_HEADER_VALUE,
                                     "pattern": f"^{HEADER_VALUE_CHARS}*$"},
        },
        "body": {},
        "delay_ms": {"type": "integer", "minimum": 0, "maximum": 60_000},
    },
}
_ADVANCE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["seconds"],
    "properties": {"seconds": {"type": "number", "minimum": 0, "maximum": 3.2e9}},
}
_EXPIRE = {"type": "object", "additionalProperties": False, "properties": {"api": {"type": "string"}}}
_RATE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["api", "limit"],
    "properties": {
        "api": {"type": "string"},
        "limit": {"type": ["integer", "null"], "minimum": 1},
        "per_seconds": {"type": "number", "minimum": 0.001, "maximum": 86_400},
    },
}


class AdminError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _bad(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status)


def _whole(data: dict[str, Any], key: str, default: int) -> int:
    """An ``integer`` member as an ``int``: JSON Schema also calls ``503.0`` an integer."""
    return int(data.get(key, default))


async def _body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 past ``limit`` bytes (declared or sent) as the APIs do."""
    body = await read_body(request.receive, request.headers, limit)
    if body.too_large:
        raise AdminError(f"the request body is larger than {limit} bytes", 413)
    if not body.complete:  # nobody is left to read the answer; it only must not be a crash
        raise AdminError("the client went away before sending the whole body")
    return body.data


async def _json(
    request: Request, schema: dict[str, Any], limit: int, optional: bool = False
) -> dict[str, Any]:
    raw = await _body(request, limit)
    if not raw.strip():
        if optional:
            return {}
        raise AdminError("the request body must be a JSON object")
    try:
        data = strict_json(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise AdminError(f"the request body is not valid JSON: {exc}") from None
    except RecursionError:
        raise AdminError("the request body is not valid JSON: it is nested too deeply") from None
    import jsonschema  # here, not at the top: a server answers before it has taken the time to import it

    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(data))
    if error is not None:
        where = ".".join(str(p) for p in error.absolute_path)
        raise AdminError(f"{where + ': ' if where else ''}{error.message}")
    if not isinstance(data, dict):  # every schema here asks for an object: only narrows the type
        raise AdminError("the request body must be a JSON object")
    return data


#: Most journal entries one ``GET /requests`` answers (a page also stops at about 8 MiB).
PAGE_LIMIT = 1000


def _query_int(params: Any, name: str, default: int, low: int, high: int) -> int:
    value = params.get(name)
    if value is None:
        return default
    if not (value.isascii() and value.isdigit() and len(value) <= 19) or not low <= int(value) <= high:
        shown = value if len(value) <= 40 else value[:40] + "…"
        raise AdminError(f"{name} must be a whole number from {low} to {high}, not {shown!r}")
    return int(value)


def _info(hosted: HostedApi, base_url: str) -> dict[str, Any]:
    """The API's own description once it is built; before that (or if building it failed), its mount."""
    api = hosted.api
    if api is not None:
        return {**api.info(base_url), "loaded": True}
    error = hosted.error
    return {"mount": hosted.mount_path, "loaded": False, **({"error": error} if error else {})}


def build_admin_app(control: MockControl) -> Starlette:
    limit = control.state.config.max_body_bytes  # the same body limit as the APIs

    async def index(request: Request) -> Response:
        if wants_page(request.headers.get("accept", "")):
            return asset("index.html")
        base = str(request.base_url).rstrip("/")
        apis = {hosted.name: _info(hosted, base) for hosted in control.state.apis.hosted()}
        journal = control.state.journal
        return JSONResponse({"apis": apis, "clock_offset": control.state.clock.offset,
                             "journal": {"kept": len(journal), "total": journal.total}},
                            headers={"Vary": "Accept"})

    async def page_asset(request: Request) -> Response:
        return asset(request.path_params["name"])

    async def reset(request: Request) -> Response:
        control.reset()
        return JSONResponse({"reset": True})

    async def faults(request: Request) -> Response:
        if request.method == "GET":
            return JSONResponse({"faults": control.faults()})
        if request.method == "DELETE":
            control.clear_faults()
            return Response(status_code=204)
        data = await _json(request, _FAULT, limit)
        fault = control.fail(
            data["api"], _whole(data, "status", 0), method=data.get("method", "*"),
            path=data.get("path", "*"), times=_whole(data, "times", 1), headers=data.get("headers"),
            body=data.get("body"), delay_ms=_whole(data, "delay_ms", 0),
        )
        return JSONResponse(fault.to_dict(), 201)

    async def clock(request: Request) -> Response:
        return JSONResponse({"now": control.now(), "offset": control.state.clock.offset})

    async def advance(request: Request) -> Response:
        data = await _json(request, _ADVANCE, limit)
        offset = control.advance(data["seconds"])
        return JSONResponse({"now": control.now(), "offset": offset})

    async def expire(request: Request) -> Response:
        data = await _json(request, _EXPIRE, limit, optional=True)
        return JSONResponse({"expired": control.expire_tokens(data.get("api"))})

    async def rate_limit(request: Request) -> Response:
        if request.method == "GET":
            rules = control.state.rate_limits.rules()
            return JSONResponse(
                {api: {"limit": r.limit, "per_seconds": r.per_seconds} for api, r in rules.items()}
            )
        data = await _json(request, _RATE, limit)
        if data["limit"] is not None:
            data["limit"] = int(data["limit"])
        control.rate_limit(data["api"], data["limit"], data.get("per_seconds", 1.0))
        return JSONResponse(
            {"api": data["api"], "limit": data["limit"], "per_seconds": data.get("per_seconds", 1.0)}
        )

    async def requests(request: Request) -> Response:
        if request.method == "DELETE":
            control.clear_requests()
            return Response(status_code=204)
        params = request.query_params
        journal = control.state.journal
        page = journal.page(after=_query_int(params, "after", 0, 0, 2**63),
                            limit=_query_int(params, "limit", PAGE_LIMIT, 1, PAGE_LIMIT),
                            api=params.get("api"))
        return JSONResponse({"requests": [entry.to_dict() for entry in page.entries],
                             "total": journal.total, "next": page.next, "more": page.more,
                             "oldest": page.oldest})

    async def one_request(request: Request) -> Response:
        entry = control.state.journal.get(request.path_params["id"])
        if entry is None:
            raise AdminError(f"no journal entry {request.path_params['id']} (cleared, or dropped as the "
                             "journal filled)", 404)
        data = entry.to_dict()
        data["curl"] = curl_command(data, str(request.base_url).rstrip("/"))
        return JSONResponse(data)

    async def tokens(request: Request) -> Response:
        return JSONResponse({"tokens": control.tokens()})

    async def handle_value_error(request: Request, exc: Exception) -> Response:
        return _bad(str(exc), getattr(exc, "status", 400))

    async def not_found(request: Request, exc: Exception) -> Response:
        calls = ["GET /", "POST /reset", "GET|POST|DELETE /faults", "GET /clock", "POST /clock/advance",
                 "GET /tokens", "POST /tokens/expire", "GET|POST /rate-limit", "GET|DELETE /requests",
                 "GET /requests/{id}"]
        prefix = request.scope.get("root_path", "")
        listed = ", ".join(f"{verb} {prefix}{path}" for verb, path in (c.split(" ") for c in calls))
        return _bad(f"no admin call {request.method} {request.url.path}; available: {listed}",
                    getattr(exc, "status_code", 404))

    return Starlette(
        routes=[
            Route("/", index),
            Route("/reset", reset, methods=["POST"]),
            Route("/faults", faults, methods=["GET", "POST", "DELETE"]),
            Route("/clock", clock),
            Route("/clock/advance", advance, methods=["POST"]),
            Route("/tokens/expire", expire, methods=["POST"]),
            Route("/rate-limit", rate_limit, methods=["GET", "POST"]),
            Route("/requests", requests, methods=["GET", "DELETE"]),
            Route("/requests/{id:int}", one_request),
            Route("/tokens", tokens),
            Route("/page/{name}", page_asset),
        ],
        exception_handlers={AdminError: handle_value_error, ValueError: handle_value_error,
                            404: not_found, 405: not_found},
    )
