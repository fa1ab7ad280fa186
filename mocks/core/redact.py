"""What counts as a secret, and how it is hidden, in one place."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

MASK = "***"

#: Keys whose values are secrets wherever they appear: JSON bodies, forms, query strings, GraphQL variables.
SECRET_KEYS = frozenset(
    {
        "client_secret",
        "password",
        "token",
        "access_token",
        "accesstoken",
        "refresh_token",
        "id_token",
        "secret",
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
    }
)

_GRAPHQL_SECRET_ARG = re.compile(r'((?:password|token|client_secret)\s*:\s*)"(?:[^"\\]|\\.)*"', re.IGNORECASE)
_BEARER_LIKE = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")


def is_secret_key(key: str) -> bool:
    return key.lower() in SECRET_KEYS


def redact_header(name: str, value: str) -> str:
    if name.lower() in ("authorization", "proxy-authorization"):
        scheme, _, _ = value.partition(" ")
        return f"{scheme} {MASK}" if scheme else MASK
    if is_secret_key(name):
        return MASK
    return value


def redact_mapping(data: Any) -> Any:
    """A deep copy of JSON-like ``data`` with every secret-keyed value masked."""
    if isinstance(data, Mapping):
        return {k: (MASK if isinstance(k, str) and is_secret_key(k) else redact_mapping(v)) for k, v in data.items()}
    if isinstance(data, list):
        return [redact_mapping(item) for item in data]
    return data


def redact_graphql(query: str) -> str:
    """Mask secret literals written inline in a GraphQL document (``password: "..."``)."""
    return _GRAPHQL_SECRET_ARG.sub(lambda m: f'{m.group(1)}"{MASK}"', query)


def redact_text(text: str) -> str:
    """Mask credentials in free text such as an error message or a curl line."""
    return redact_graphql(_BEARER_LIKE.sub(lambda m: f"{m.group(1)} {MASK}", text))
