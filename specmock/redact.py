"""What counts as a secret, and how it is hidden, in one place.

Shared by the mock (request journal, admin API) and the contract suites (reports, curl lines):
neither layer imports the other, both import this module. ``specmock.redact``
re-exports it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "MASK",
    "SECRET_KEYS",
    "is_secret_key",
    "redact_graphql",
    "redact_header",
    "redact_mapping",
    "redact_text",
]

MASK = "***"
#: Known secret values shorter than this are not replaced literally (they would mangle ordinary words).
_MIN_LITERAL = 4

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

_KEY_ALTERNATION = "|".join(sorted((re.escape(key) for key in SECRET_KEYS), key=len, reverse=True))
_GRAPHQL_SECRET_ARG = re.compile(r'((?:password|token|client_secret)\s*:\s*)"(?:[^"\\]|\\.)*"', re.IGNORECASE)
# The same GraphQL literal once the document sits JSON-encoded in a body (curl lines): `password: \"...\"`.
_GRAPHQL_ESCAPED_SECRET_ARG = re.compile(
    r'((?:password|token|client_secret)\s*:\s*)\\"(?:[^"\\]|\\\\.)*?\\"', re.IGNORECASE
)
_BEARER_LIKE = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
# "password": "..." in JSON text (also when the key's case differs, e.g. "accessToken").
_JSON_SECRET_MEMBER = re.compile(rf'("(?:{_KEY_ALTERNATION})"\s*:\s*)"(?:[^"\\]|\\.)*"', re.IGNORECASE)
# The same member cut short at the end of a text (the start of a long body): `"password": "abc`.
_JSON_SECRET_MEMBER_CUT = re.compile(
    rf'("(?:{_KEY_ALTERNATION})"\s*:\s*)"(?:[^"\\]|\\.)*\\?\Z', re.IGNORECASE
)
# password=... in form bodies and query strings; the key must not be the tail of a longer name (pageToken).
_FORM_SECRET_PAIR = re.compile(rf"(?<![A-Za-z0-9_.-])((?:{_KEY_ALTERNATION})=)[^&\s'\"]*", re.IGNORECASE)
# Header lines inside curl commands or dumps: `-H 'Cookie: ...'`.
_SECRET_HEADER_LINE = re.compile(r"(?im)\b((?:proxy-)?authorization|cookie|set-cookie)(:\s*)([^'\"\r\n]+)")


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
        return {
            k: (MASK if isinstance(k, str) and is_secret_key(k) else redact_mapping(v))
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [redact_mapping(item) for item in data]
    return data


def redact_graphql(query: str) -> str:
    """Mask secret literals written inline in a GraphQL document (``password: "..."``)."""
    return _GRAPHQL_SECRET_ARG.sub(lambda m: f'{m.group(1)}"{MASK}"', query)


def _redact_header_line(match: re.Match[str]) -> str:
    name, sep, value = match.group(1), match.group(2), match.group(3)
    return f"{name}{sep}{redact_header(name, value.strip())}"


def redact_text(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Mask credentials in free text such as an error message, a report or a curl line.

    Masks ``Bearer``/``Basic`` credentials, secret header lines, secret-keyed JSON members and
    form/query pairs, secret GraphQL literals (plain or JSON-escaped), and every literal value in
    ``secrets`` (tokens and passwords the caller knows about).
    """
    for secret in sorted({s for s in secrets if s and len(s) >= _MIN_LITERAL}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = _SECRET_HEADER_LINE.sub(_redact_header_line, text)
    text = _BEARER_LIKE.sub(lambda m: f"{m.group(1)} {MASK}", text)
    text = _JSON_SECRET_MEMBER.sub(lambda m: f'{m.group(1)}"{MASK}"', text)
    text = _JSON_SECRET_MEMBER_CUT.sub(lambda m: f'{m.group(1)}"{MASK}', text)
    text = _GRAPHQL_ESCAPED_SECRET_ARG.sub(lambda m: f'{m.group(1)}\\"{MASK}\\"', text)
    text = _FORM_SECRET_PAIR.sub(lambda m: f"{m.group(1)}{MASK}", text)
    return redact_graphql(text)
