"""Encoded response bodies kept for answers that can only ever be the same bytes again.

An API whose data for a request is immutable (Banqer's seeded fichas, say) need not build and
encode the same page on every request: it keeps the bytes under a key naming everything the
answer depends on. The cache is bounded by the bytes it holds, not by a count, because one page
can weigh 200 bytes or 50 KiB; when full, the oldest entries go first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

__all__ = ["BoundedBytes"]


class BoundedBytes:
    """A least-recently-stored map of keys to bytes holding at most ``max_bytes`` of values."""

    def __init__(self, max_bytes: int) -> None:
        if max_bytes < 0:
            raise ValueError(f"max_bytes must be at least 0, not {max_bytes}")
        self.max_bytes = max_bytes
        self._items: OrderedDict[Hashable, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> bytes | None:
        return self._items.get(key)

    def put(self, key: Hashable, value: bytes) -> None:
        """Keep ``value`` in place of what ``key`` held; one larger than the whole budget is not kept."""
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._size -= len(old)
            if len(value) > self.max_bytes:
                return
            self._items[key] = value
            self._size += len(value)
            while self._size > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self._size -= len(dropped)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._size = 0

    @property
    def size(self) -> int:
        """Bytes held."""
        return self._size

    def __len__(self) -> int:
        return len(self._items)
