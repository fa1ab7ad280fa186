"""API Problem documents: Assine Online's one error shape, the exception that carries it, the JSON bodies.

Assine runs on Apigility (Laminas API Tools), whose errors are API Problem documents
(``{type, title, status, detail}`` served as ``application/problem+json``) with any extra keys
merged *before* the four standard ones. Every error of this mock is an :class:`ApiProblem` raised
where it is detected and rendered once, by :meth:`ApiProblem.response`, so the shape cannot drift.
OAuth errors use the same document with the OAuth error code as ``title`` (zf-oauth2 does that).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from specmock.mocks.core.why import refused, token_refused

__all__ = [
    "HAL",
    "JSON",
    "PROBLEM",
    "PROBLEM_TYPE",
    "ApiProblem",
    "JsonBody",
    "ProblemForPath",
    "dump",
    "dump_utf8",
    "encoded_body",
    "forbidden",
    "invalid_token",
    "not_found",
    "oauth_error",
    "title_for",
    "validation_failed",
]

PROBLEM_TYPE = "http://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html"
PROBLEM = "application/problem+json"
HAL = "application/hal+json"
JSON = "application/json"

#: Titles by status (zf-api-problem's map; the spec's 413 wording).
TITLES: dict[int, str] = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    409: "Conflict",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}

#: Details used when the caller gives none (faults, ``Prefer: code=``, rate limits).
DETAILS: dict[int, str] = {
    400: "Bad Request",
    403: "Forbidden",
    404: "Entity was not found",
    405: "The requested method is not allowed",
    409: "Conflict",
    413: "Request body larger than the accepted size",
    415: "Invalid content-type specified",
    422: "Failed Validation",
    429: "Rate limit exceeded, retry later",
    500: "An unexpected error occurred",
    503: "Service temporarily unavailable, retry later",
}

INVALID_TOKEN = "The access token provided is invalid"
EXPIRED_TOKEN = "The access token provided has expired"


def title_for(status: int) -> str:
    if status in TITLES:
        return TITLES[status]
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown Status"


def dump(content: Any) -> bytes:
    """Compact UTF-8 JSON, non-ASCII kept as is (the API serves accented Portuguese text).

    Text holding a lone surrogate (JSON input may carry one) cannot be UTF-8: such a body is
    escaped to ASCII instead, which is the same JSON.
    """
    body = dump_utf8(content)
    if body is None:
        return json.dumps(content, separators=(",", ":"), allow_nan=False).encode("ascii")
    return body


def dump_utf8(content: Any) -> bytes | None:
    """:func:`dump`'s UTF-8 form of ``content``; ``None`` where it would need the ASCII fallback."""
    try:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":"), allow_nan=False,
                          check_circular=False).encode("utf-8")
    except UnicodeEncodeError:
        return None


class JsonBody(Response):
    """A JSON body under the media type given (``application/hal+json``, ``problem+json``, ``json``)."""

    def __init__(self, content: Any, status_code: int = 200, headers: Mapping[str, str] | None = None,
                 media_type: str = HAL) -> None:
        super().__init__(dump(content), status_code, dict(headers) if headers else None, media_type)


def encoded_body(body: bytes, media_type: str = HAL) -> Response:
    """A 200 with JSON already encoded by :func:`dump`: what :class:`JsonBody` answers for its content."""
    return Response(body, 200, None, media_type)


class ApiProblem(Exception):
    """An error answer: status, title, detail, extra members and headers, rendered by :meth:`response`."""

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        title: str | None = None,
        extra: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        why: dict[str, Any] | None = None,
    ) -> None:
        self.status = status
        self.title = title or title_for(status)
        self.detail = detail if detail is not None else DETAILS.get(status, self.title)
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})
        #: Why the mock refused, for the journal (see :mod:`specmock.mocks.core.why`).
        self.why = why
        super().__init__(f"{status} {self.title}: {self.detail}")

    def body(self) -> dict[str, Any]:
        # Extra members first, then the standard four: the key order of ApiProblem::toArray().
        return {**self.extra, "type": PROBLEM_TYPE, "title": self.title, "status": self.status,
                "detail": self.detail}

    def response(self, media_type: str = PROBLEM) -> Response:
        return JsonBody(self.body(), self.status, self.headers, media_type)


def validation_failed(messages: Mapping[str, Any]) -> ApiProblem:
    """422 "Failed Validation" with ``validation_messages`` (field -> validator key -> message)."""
    return ApiProblem(422, "Failed Validation", extra={"validation_messages": dict(messages)},
                      why=_violation(messages))


def _violation(messages: Mapping[str, Any]) -> dict[str, Any]:
    """``validation_messages`` as the journal's reason: each field (dotted path), rule key and message."""
    problems: list[dict[str, str]] = []
    stack: list[tuple[str, Any]] = [(str(k), v) for k, v in reversed(list(messages.items()))]
    while stack and len(problems) < 50:
        where, node = stack.pop()
        if isinstance(node, Mapping) and node and all(isinstance(v, str) for v in node.values()):
            problems += [{"location": "body", "field": where, "rule": str(k), "message": v}
                         for k, v in node.items()]
        elif isinstance(node, Mapping):
            stack += [(f"{where}.{k}", v) for k, v in reversed(list(node.items()))]
    first = problems[0] if problems else {"field": "body", "message": "Failed Validation"}
    return refused("validation", f"body field '{first['field']}': {first['message']}", problems=problems)


def invalid_token(expired: bool = False, check: str | None = None) -> ApiProblem:
    """401 ``invalid_token`` with the bearer challenge the OAuth2 server library sends."""
    detail = EXPIRED_TOKEN if expired else INVALID_TOKEN
    challenge = f'Bearer realm="Service", error="invalid_token", error_description="{detail}"'
    return ApiProblem(401, detail, title="invalid_token", headers={"WWW-Authenticate": challenge},
                      why=token_refused(check or ("expired" if expired else "unknown")))


def forbidden(detail: str = "Forbidden") -> ApiProblem:
    return ApiProblem(403, detail, title="Forbidden")


def not_found(detail: str = "Entity was not found") -> ApiProblem:
    return ApiProblem(404, detail)


def oauth_error(
    status: int, error: str, description: str, headers: Mapping[str, str] | None = None
) -> ApiProblem:
    """An OAuth2 error as zf-oauth2 renders it: the error code as ``title``, the description as ``detail``."""
    return ApiProblem(status, description, title=error, headers=headers)


def _relative_path(scope: Scope) -> str:
    path: str = scope.get("path", "")
    root: str = scope.get("root_path", "")
    return path[len(root):] if root and path.startswith(root) else path


def _problem_for(status: int, detail: str | None, oauth: bool) -> ApiProblem:
    if oauth:
        if status == 400:
            return oauth_error(400, "invalid_request", detail or "The request is invalid")
        if status == 401:
            return oauth_error(401, "invalid_client", detail or "The client credentials are invalid")
        if status == 405:
            return oauth_error(405, "invalid_request", detail or "The request method must be POST",
                               {"Allow": "POST"})
    if status == 401:
        problem = invalid_token()
        if detail:
            problem.detail = detail
        return problem
    if status == 405:
        return ApiProblem(405, detail, headers={"Allow": "GET"})
    return ApiProblem(status, detail)


class ProblemForPath(Response):
    """The error body the control layer asks for, fitted to the path it is sent on.

    ``error_response`` is called without a request (faults, ``Prefer: code=``, rate limits), but the
    spec gives ``/oauth`` and the resources different shapes for the same status: a 401 is
    ``invalid_client`` on the token endpoint and ``invalid_token`` (with ``WWW-Authenticate``)
    elsewhere. The body for a resource path is rendered at once; on ``/oauth*`` it is re-rendered
    when the response is sent, once the path is known. Headers set on this object afterwards
    (fault headers) are kept.
    """

    def __init__(self, status: int, detail: str | None, headers: Mapping[str, str] | None) -> None:
        self._status = status
        self._detail = detail
        self._extra_headers = dict(headers or {})
        problem = _problem_for(status, detail, oauth=False)
        # Headers only the resource rendering adds (Allow: GET, the bearer challenge), to drop on /oauth.
        self._resource_only = {k.lower(): v for k, v in problem.headers.items()
                               if k not in self._extra_headers}
        super().__init__(dump(problem.body()), status, {**problem.headers, **self._extra_headers}, PROBLEM)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not _relative_path(scope).startswith("/oauth"):
            await super().__call__(scope, receive, send)
            return
        problem = _problem_for(self._status, self._detail, oauth=True)
        response = problem.response()
        for key, value in self.raw_headers:
            if key in (b"content-length", b"content-type"):
                continue
            name, text = key.decode("latin-1"), value.decode("latin-1")
            if self._resource_only.get(name.lower()) == text:
                continue
            response.headers[name] = text
        await response(scope, receive, send)
