"""A journal entry as a curl command that sends the same request again, secrets shown as ``***``.

The entry is already redacted (``Authorization: Bearer ***``, masked body members and query
values), so the command holds no secret: the user puts a real token where ``***`` stands.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlencode

from specmock.redact import MASK

__all__ = ["curl_command"]

#: A body the journal did not keep, only described (``<5000 bytes of application/pdf>``).
_DESCRIBED = re.compile(r"<(?:over )?\d+ (?:bytes|characters)\b.*>", re.DOTALL)
#: curl reads ``[]{}`` in a URL as its own globbing unless told not to (``-g``).
_GLOB = frozenset("[]{}")
_QUOTED_MASK = "%2A%2A%2A"
_PATH_SAFE = "/!$&'()*+,;=:@-._~"


def _header_name(name: str) -> str:
    return "-".join(part[:1].upper() + part[1:] for part in name.split("-"))


def _body_text(body: Any, content_type: str) -> str | None:
    if body is None:
        return None
    if isinstance(body, str):
        return body
    if content_type.startswith("application/x-www-form-urlencoded") and isinstance(body, Mapping):
        return urlencode({str(k): str(v) for k, v in body.items()}, safe="*")
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def curl_command(entry: Mapping[str, Any], origin: str) -> str:
    """The curl command for a journal entry (as :meth:`JournalEntry.to_dict` gives it) sent to ``origin``
    (``http://127.0.0.1:8080``)."""
    query = str(entry.get("query") or "").replace(_QUOTED_MASK, MASK)
    # The journal keeps the path decoded: encoded again, it reaches the server as the same path.
    path = quote(f"{entry.get('base', '')}{entry.get('path', '')}", safe=_PATH_SAFE)
    url = f"{origin.rstrip('/')}{path}{'?' + query if query else ''}"
    method = str(entry.get("method", "GET"))
    headers: Mapping[str, str] = entry.get("headers") or {}
    body = _body_text(entry.get("body"), headers.get("content-type", "").lower())
    parts = ["curl"]
    if _GLOB & set(url):
        parts.append("-g")
    if method == "HEAD":
        parts.append("-I")
    elif method != "GET" or body is not None:
        parts += ["-X", method]
    parts.append(url)
    for name, value in headers.items():
        parts += ["-H", f"{_header_name(name)}: {value}"]
    if body is not None:
        if _DESCRIBED.fullmatch(body):  # not kept: the user supplies the file
            parts += ["--data-binary", "@request-body"]
        else:
            parts += ["--data-raw", body]
    return " ".join(shlex.quote(part) for part in parts)
