"""The cache of query results: repeated reads answer stored bytes after the same token check.

Every ``Query`` field is a pure function of its arguments over the immutable catalogue (and
introspection of the fixed schema), so a successful query — same text, operation and variables —
answers the same bytes every time. Only the token check is repeated, for the root field whose
resolver asked for the token first, so an expired token still gets its UNAUTHENTICATED body.
Mutations are never cached. Parse + validate is cached separately, per query text.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

RESULT_CACHE_SIZE = 256
#: Bodies and query texts above these sizes are not kept.
CACHEABLE_RESULT_BYTES = 256 * 1024
CACHEABLE_QUERY_CHARS = 64 * 1024

Key = tuple[str, str | None, str]


@dataclass(frozen=True)
class CachedResult:
    """The body of a successful query, and the root field whose resolver checked the token first."""

    body: bytes
    token_field: str | None


def result_key(query: str, operation_name: str | None, variables: dict[str, Any] | None) -> Key | None:
    """The cache key of a request, or ``None`` when it should not be cached."""
    if len(query) > CACHEABLE_QUERY_CHARS:
        return None
    try:
        encoded = json.dumps(variables, sort_keys=True, separators=(",", ":")) if variables else ""
    except (RecursionError, TypeError, ValueError):
        return None
    return query, operation_name, encoded


class ResultCache:
    """Bounded LRU of :class:`CachedResult` by :func:`result_key`."""

    def __init__(self, size: int = RESULT_CACHE_SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[Key, CachedResult] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Key) -> CachedResult | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: Key, entry: CachedResult) -> None:
        if len(entry.body) > CACHEABLE_RESULT_BYTES:
            return
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
