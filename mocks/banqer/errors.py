"""The two error shapes of Banqer: the API's ``{message, details[].reason}`` and the realm's OAuth 2.0 one.

API errors follow ``banqer.openapi.yaml`` (``Error``): ``code`` (the HTTP status repeated),
``message`` in Portuguese and ``details[0].reason`` in UPPER_SNAKE_CASE, the only two members
Banqer's clients read. The reasons of the statuses the spec declares come from its
``x-specmock-reasons`` catalogue; statuses the spec does not declare (405, 413 …) get a reason
named after the status. Realm errors follow RFC 6749 §5.2 as Keycloak sends them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from starlette.responses import Response

__all__ = [
    "JSON_UTF8",
    "ApiFailure",
    "BanqerJSONResponse",
    "api_error",
    "bearer_challenge",
    "default_reason",
    "encode_json",
    "oauth_error",
]

JSON_UTF8 = "application/json; charset=utf-8"

#: Reason of each status when the caller names none. 400–503 are the spec's catalogue.
REASONS: dict[int, str] = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "MISSING_SCOPE",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    429: "RATE_LIMITED",
    500: "INTERNAL",
    501: "UNIMPLEMENTED",
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "UNAVAILABLE",
}

MESSAGES: dict[int, str] = {
    400: "Requisição inválida.",
    401: "Token de acesso ausente, inválido ou expirado.",
    403: "Credencial sem o escopo necessário para esta operação.",
    404: "Recurso não encontrado.",
    405: "Método não permitido neste recurso.",
    413: "Corpo da requisição grande demais.",
    429: "Limite de requisições excedido.",
    500: "Erro interno. Tente novamente mais tarde.",
    502: "Falha no gateway. Tente novamente em instantes.",
    503: "Serviço temporariamente indisponível. Tente novamente em instantes.",
    504: "Tempo de resposta esgotado. Tente novamente em instantes.",
}

_NOT_UPPER_SNAKE = re.compile(r"[^A-Z0-9]+")


def encode_json(content: Any) -> bytes:
    """Compact UTF-8 JSON, as Banqer sends it."""
    return json.dumps(content, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")


class BanqerJSONResponse(Response):
    """Compact UTF-8 JSON, declared as ``application/json; charset=utf-8``."""

    media_type = JSON_UTF8

    def render(self, content: Any) -> bytes:
        return encode_json(content)


class ApiFailure(Exception):
    """Raised on the request path with the error response that answers the request, and why
    (see :mod:`specmock.mocks.core.why`)."""

    def __init__(self, response: Response, why: dict[str, Any] | None = None) -> None:
        super().__init__(response.status_code)
        self.response = response
        self.why = why


def default_reason(status: int) -> str:
    """The reason for ``status``: the catalogue's, else the status phrase in UPPER_SNAKE_CASE."""
    if status in REASONS:
        return REASONS[status]
    if status >= 500:
        return "INTERNAL"
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return f"HTTP_{status}"
    reason = _NOT_UPPER_SNAKE.sub("_", phrase.upper().replace("'", "")).strip("_")
    return reason if reason and reason[0].isalpha() else f"HTTP_{status}"


def _default_message(status: int, headers: Mapping[str, str]) -> str:
    if status == 429:
        wait = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
        if wait:
            return f"Limite de requisições excedido. Tente novamente em {wait} segundos."
    if status in MESSAGES:
        return MESSAGES[status]
    try:
        return f"Erro {status}: {HTTPStatus(status).phrase}."
    except ValueError:
        return f"Erro {status}."


def bearer_challenge(
    realm: str, error: str | None = None, description: str | None = None, scope: str | None = None
) -> str:
    """An RFC 6750 §3 ``WWW-Authenticate`` value (``description`` must be plain ASCII).

    ``realm`` is the tenant of the request path, which may hold anything a client sent (``%00``,
    CR/LF, quotes, non-Latin-1 text): it is percent-encoded down to a safe quoted-string.
    """
    parts = ['realm="{}"'.format(quote(realm, safe="-._~!$&'()*+,;=:@/"))]
    if error:
        parts.append(f'error="{error}"')
    if description:
        parts.append('error_description="{}"'.format(description.replace('"', "'").replace("\\", "/")))
    if scope:
        parts.append(f'scope="{scope}"')
    return "Bearer " + ", ".join(parts)


def api_error(
    status: int,
    message: str | None = None,
    headers: Mapping[str, str] | None = None,
    *,
    reason: str | None = None,
    metadata: Mapping[str, str] | None = None,
) -> Response:
    """A Banqer API error body for any status, with the headers the spec requires for it."""
    out = dict(headers or {})
    names = {k.lower() for k in out}
    if status == 401 and "www-authenticate" not in names:
        out["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    if status == 429 and "retry-after" not in names:
        out["Retry-After"] = "1"
    if status in (204, 304) or status < 200:
        return Response(status_code=status, headers=out)
    detail: dict[str, Any] = {"reason": reason or default_reason(status)}
    if metadata:
        detail["metadata"] = {str(k): str(v) for k, v in metadata.items()}
    body = {"code": status, "message": message or _default_message(status, out), "details": [detail]}
    return BanqerJSONResponse(body, status, out)


#: OAuth 2.0 ``error`` code of each status when the caller names none.
OAUTH_ERRORS: dict[int, tuple[str, str]] = {
    400: ("invalid_request", "Invalid request"),
    401: ("invalid_client", "Invalid client or Invalid client credentials"),
    403: ("access_denied", "Access denied"),
    404: ("not_found", "Not found"),
    413: ("invalid_request", "Request body too large"),
    429: ("temporarily_unavailable", "Too many requests"),
    500: ("unknown_error", "For more on this error consult the server log."),
    502: ("temporarily_unavailable", "Bad gateway"),
    503: ("temporarily_unavailable", "Service temporarily unavailable"),
    504: ("temporarily_unavailable", "Gateway timeout"),
}


def oauth_error(
    status: int,
    error: str | None = None,
    description: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """An RFC 6749 §5.2 error body (``error``, ``error_description``), never cached."""
    out = {"Cache-Control": "no-store", "Pragma": "no-cache", **dict(headers or {})}
    names = {k.lower() for k in out}
    if status == 429 and "retry-after" not in names:
        out["Retry-After"] = "1"
    if status in (204, 304) or status < 200:
        return Response(status_code=status, headers=out)
    default_error, default_description = OAUTH_ERRORS.get(
        status, ("server_error" if status >= 500 else "invalid_request", f"HTTP {status}")
    )
    body = {"error": error or default_error, "error_description": description or default_description}
    return BanqerJSONResponse(body, status, out)
