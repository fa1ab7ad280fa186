"""What a client sends, read and checked in one place: the request line and headers, the body under a
byte limit, strict JSON, and which header names and values the mock accepts to send back.

The control layer in front of every API and the admin API both read requests through here, so a
body over the limit, a client that goes away, ``NaN`` or ``1e999`` in JSON are judged alike.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.types import Receive, Scope

__all__ = [
    "FRAMING_HEADERS",
    "HEADER_NAME",
    "HEADER_NAME_CHARS",
    "HEADER_VALUE",
    "HEADER_VALUE_CHARS",
    "MAX_HEADER_NAME",
    "MAX_HEADER_VALUE",
    "Body",
    "IncomingRequest",
    "parse_request",
    "read_body",
    "strict_json",
]

#: Header names are HTTP tokens (RFC 9110); values the mock sends as given are printable ASCII, so
#: CR/LF (header injection), NUL or text outside Latin-1 never reach the wire.
HEADER_NAME_CHARS = r"[!#$%&'*+.^_`|~0-9A-Za-z-]"
HEADER_VALUE_CHARS = r"[\t\x20-\x7e]"
MAX_HEADER_NAME = 256
MAX_HEADER_VALUE = 8192
HEADER_NAME = re.compile(f"{HEADER_NAME_CHARS}{{1,{MAX_HEADER_NAME}}}")
HEADER_VALUE = re.compile(f"{HEADER_VALUE_CHARS}{{0,{MAX_HEADER_VALUE}}}")
#: Headers that frame the message: the server sets them, nobody else.
FRAMING_HEADERS = frozenset(
    {"content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "te", "trailer"}
)
#: Methods whose requests carry no body unless a framing header says so.
_BODILESS = frozenset({"GET", "HEAD"})


@dataclass(slots=True)
class IncomingRequest:
    """An HTTP request as an API's mount sees it, decoded once."""

    method: str
    #: The path below the mount (the scope's ``root_path`` taken off).
    path: str
    #: The path as the client sent it, mount included (for messages and logs).
    full_path: str
    #: The mount's matched prefix (the scope's ``root_path``, ``/banqer/demo``).
    base: str
    #: The raw query string, decoded as Latin-1 (undecoded bytes survive the round trip).
    query: str
    #: Lower-cased names; of a repeated header, the first value (as Starlette's ``Headers.get``).
    headers: dict[str, str]
    #: The mount's own path parameters (``tenant`` of ``/banqer/{tenant}``).
    path_params: Mapping[str, str]
    #: The server's own address as the connection gives it (``scope["server"]``), or "".
    server_host: str = ""
    #: Why a :class:`~specmock.mocks.core.middleware.DirectAnswer` refused it (see ``core/why.py``).
    why: dict[str, Any] | None = None

    @property
    def has_body(self) -> bool:
        """Whether a body may follow: a GET or HEAD without framing headers has none (HTTP/1.1)."""
        headers = self.headers
        return (self.method not in _BODILESS or "content-length" in headers
                or "transfer-encoding" in headers)


_NO_PARAMS: Mapping[str, str] = {}


def parse_request(scope: Scope) -> IncomingRequest:
    """The request of an ASGI ``http`` scope, its path made relative to the mount's ``root_path``."""
    headers: dict[str, str] = {}
    for key, value in reversed(scope["headers"]):  # a loop: cheaper than a comprehension here
        headers[key.decode("latin-1").lower()] = value.decode("latin-1")  # the first one written last
    root: str = scope.get("root_path", "")
    full_path: str = scope["path"]
    path = full_path[len(root):] if root and full_path.startswith(root) else full_path
    query: str = scope.get("query_string", b"").decode("latin-1")
    server = scope.get("server")
    return IncomingRequest(scope["method"], path, full_path, root, query, headers,
                           scope.get("path_params") or _NO_PARAMS, str(server[0]) if server else "")


@dataclass(frozen=True, slots=True)
class Body:
    """A request body as read: the bytes, or nothing when it was over the limit."""

    data: bytes
    #: Declared or sent past the limit: ``data`` is empty and the rest was not read.
    too_large: bool = False
    #: The client went away before the last chunk: ``data`` holds what came.
    complete: bool = True


NO_BODY = Body(b"")


async def read_body(receive: Receive, headers: Mapping[str, str], limit: int) -> Body:
    """The body of a request, read no further than ``limit`` bytes (declared or sent)."""
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return Body(b"", too_large=True)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return Body(b"".join(chunks), complete=False)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return Body(b"", too_large=True)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return Body(b"".join(chunks))


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def _finite(text: str) -> float:
    number = float(text)
    if number in (float("inf"), float("-inf")):  # float() of a JSON number is never NaN
        raise ValueError(f"{text} is out of range")
    return number


def strict_json(data: str | bytes) -> Any:
    """JSON as RFC 8259 has it: ``NaN``, ``Infinity`` and numbers no double holds (``1e999``) refused.

    Raises :class:`ValueError` (bad JSON, bad UTF-8) or :class:`RecursionError` (nested too deeply).
    """
    return json.loads(data, parse_constant=_not_json, parse_float=_finite)
