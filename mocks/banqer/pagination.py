"""Opaque page tokens: base64url of the cursor and a hash of the query they belong to.

A token only works with the filters (and tenant, collection and data seed) it was issued for:
anything else, or anything that does not decode, is rejected so the API can answer 400
``INVALID_PAGE_TOKEN``. ``pageSize`` is not part of the hash: it may change between pages.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re

__all__ = ["MAX_PAGE_SIZE", "InvalidPageToken", "decode_token", "encode_token", "query_hash"]

MAX_PAGE_SIZE = 200

_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,200}")


class InvalidPageToken(ValueError):
    pass


def query_hash(*parts: object) -> str:
    """A short hash identifying one query (collection, tenant, seed, filters)."""
    text = "\x1f".join(str(p) for p in parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def encode_token(offset: int, query: str) -> str:
    raw = json.dumps({"o": offset, "q": query}, separators=(",", ":")).encode("ascii")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_token(token: str, query: str, total: int) -> int:
    """The offset in ``token``, which must belong to ``query`` and point inside ``1..total-1``."""
    if not _TOKEN.fullmatch(token):
        raise InvalidPageToken("not a page token")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw.decode("ascii"))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidPageToken("not a page token") from None
    if not isinstance(data, dict) or set(data) != {"o", "q"}:
        raise InvalidPageToken("not a page token")
    offset, owner = data["o"], data["q"]
    if type(offset) is not int or not isinstance(owner, str):
        raise InvalidPageToken("not a page token")
    if owner != query:
        raise InvalidPageToken("issued for another query")
    if not 0 < offset < total:
        raise InvalidPageToken("points outside the collection")
    return offset
