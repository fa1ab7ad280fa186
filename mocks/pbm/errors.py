"""Every error body the PBM gateway mock sends, built in one place.

Three families, as a NestJS + Apollo gateway produces them (reference §5):

* **field errors** raised while a root field executes (:class:`FieldError`): the NestJS
  HTTP-exception mapping of the Apollo driver — 401 ``UNAUTHENTICATED`` exactly as the public
  expired-token example, 400 ``BAD_REQUEST``, 403 ``FORBIDDEN``, 422 ``BAD_USER_INPUT``, anything
  else ``INTERNAL_SERVER_ERROR`` with ``extensions.status``. The body has ``data: null`` (every
  root field is non-null) and is sent with HTTP 200 (reference §10 row 8);
* **request errors** found before execution (:class:`RequestError`): parse and validation
  failures (``GRAPHQL_PARSE_FAILED`` / ``GRAPHQL_VALIDATION_FAILED``, public §5.2 shape), bad
  variables (``BAD_USER_INPUT``) and malformed HTTP requests (``BAD_REQUEST``). Apollo Server
  answers these with HTTP 400 (405 for a mutation over GET) and no ``data`` key;
* **HTTP errors** the control layer asks for (:func:`http_error_body`: faults, ``Prefer``, 429,
  413): the field-error shape without a ``path``, with ``data: null``.

Bodies are serialised compactly with the documented key order (errors before data), as
``JSON.stringify`` would.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from graphql import GraphQLError
from starlette.responses import Response

__all__ = [
    "MEDIA_TYPE",
    "FieldError",
    "RequestError",
    "dumps",
    "graphql_error_item",
    "http_error_body",
    "http_exception_item",
    "json_response",
    "reason",
    "unauthenticated_item",
]

MEDIA_TYPE = "application/json"

#: The NestJS Apollo driver's mapping of HTTP exceptions to GraphQL error codes.
_MAPPED_CODES = {400: "BAD_REQUEST", 401: "UNAUTHENTICATED", 403: "FORBIDDEN", 422: "BAD_USER_INPUT"}


def reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def dumps(body: Any) -> bytes:
    """Compact JSON, non-ASCII kept as UTF-8; strings that cannot be UTF-8 are \\u-escaped."""
    try:
        return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate echoed back from the request
        return json.dumps(body, ensure_ascii=True, separators=(",", ":"), allow_nan=False).encode("ascii")


def json_response(body: Any, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    content = b"" if status in (204, 304) or status < 200 else dumps(body)
    return Response(content, status, dict(headers or {}), media_type=MEDIA_TYPE)


# ---------------------------------------------------------------------------------------------
# Error items
# ---------------------------------------------------------------------------------------------


def unauthenticated_item(path: Sequence[str | int] | None) -> dict[str, Any]:
    """The public expired-token error item, key for key (no ``locations``)."""
    item: dict[str, Any] = {"message": "Unauthorized"}
    if path:
        item["path"] = list(path)
    item["extensions"] = {
        "code": "UNAUTHENTICATED",
        "originalError": {"message": "Unauthorized", "statusCode": 401},
    }
    return item


def http_exception_item(
    status: int, message: str | list[str] | None = None, path: Sequence[str | int] | None = None
) -> dict[str, Any]:
    """What a NestJS ``HttpException`` of ``status`` becomes through the Apollo driver."""
    if status == 401:
        return unauthenticated_item(path)
    phrase = reason(status)
    if status == 400:
        texts = message if isinstance(message, list) else [message or phrase]
        item: dict[str, Any] = {"message": "Bad Request Exception"}
        original: dict[str, Any] = {"statusCode": 400, "message": texts, "error": phrase}
    elif status == 403:
        item = {"message": "Forbidden resource"}
        original = {"statusCode": 403, "message": "Forbidden resource", "error": "Forbidden"}
    else:
        text = message if isinstance(message, str) and message else phrase
        item = {"message": text}
        original = {"statusCode": status, "message": text, "error": phrase}
    if path:
        item["path"] = list(path)
    code = _MAPPED_CODES.get(status, "INTERNAL_SERVER_ERROR")
    extensions: dict[str, Any] = {"code": code}
    if code == "INTERNAL_SERVER_ERROR":
        extensions["status"] = status
    extensions["originalError"] = original
    item["extensions"] = extensions
    return item


def graphql_error_item(error: GraphQLError, code: str, message: str | None = None) -> dict[str, Any]:
    """A parse/validation/variable error: message, locations, ``extensions.code`` (public §5.2)."""
    item: dict[str, Any] = {"message": message if message is not None else error.message}
    if error.locations:
        item["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    item["extensions"] = {"code": code}
    return item


def http_error_body(status: int, message: str | None = None) -> dict[str, Any]:
    """The body for an HTTP-level error of ``status`` (faults, rate limits, 413, unknown path)."""
    return {"errors": [http_exception_item(status, message)], "data": None}


# ---------------------------------------------------------------------------------------------
# Exceptions
# ---------------------------------------------------------------------------------------------


class FieldError(Exception):
    """Raised by a resolver: becomes one error item at the root field ``field_name``."""

    def __init__(self, status: int, field_name: str, message: str | list[str] | None = None) -> None:
        super().__init__(reason(status))
        self.status = status
        self.field_name = field_name
        self.detail = message

    @classmethod
    def unauthenticated(cls, field_name: str) -> FieldError:
        return cls(401, field_name)

    def item(self) -> dict[str, Any]:
        # The path names the root field itself (not an alias): the documented RootFieldPath.
        return http_exception_item(self.status, self.detail, [self.field_name])


class RequestError(Exception):
    """A request that never reaches execution; rendered by :meth:`response`."""

    def __init__(
        self, status: int, items: list[dict[str, Any]], headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(items[0]["message"] if items else reason(status))
        self.status = status
        self.items = items
        self.headers = dict(headers or {})

    @classmethod
    def bad_request(
        cls, message: str, status: int = 400, headers: Mapping[str, str] | None = None
    ) -> RequestError:
        return cls(status, [{"message": message, "extensions": {"code": "BAD_REQUEST"}}], headers)

    def response(self) -> Response:
        return json_response({"errors": self.items}, self.status, self.headers)
