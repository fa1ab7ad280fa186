"""The one bounded cache of the mock: least recently used first out, bounded by entries and by bytes.

Keys come from requests (paths, query strings, tokens, ``Host`` headers), so whatever clients send,
every cache the mock keeps must stay bounded. Two bounds, because entries differ in weight: an
encoded list page can weigh 200 bytes or 50 KiB, while a remembered path weighs its length. Each
entry states its size when it is stored; an entry larger than the whole byte budget is not kept.

Reads take no lock: one dictionary lookup and one move to the most recent end, each atomic under
the GIL, so a hot path pays little for it. Writes take a lock, so threads may share a cache.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

__all__ = ["BoundedCache"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """At most ``max_entries`` entries whose sizes add up to at most ``max_bytes``; thread-safe."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        if max_entries < 0 or max_bytes < 0:
            raise ValueError(f"cache bounds must not be negative: {max_entries} entries, {max_bytes} bytes")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The value kept under ``key`` (now the most recently used), or ``None``."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        try:  # noqa: SIM105 (a try costs nothing here; contextlib.suppress would on every hit)
            self._entries.move_to_end(key)
        except KeyError:  # dropped by another thread meanwhile: the value read is still right
            pass
        return entry[0]

    def put(self, key: K, value: V, size: int) -> None:
        """Keep ``value`` under ``key``, counted as ``size`` bytes, dropping the least recently used
        entries to stay in bounds. A value larger than ``max_bytes`` is not kept (nor what ``key``
        held before)."""
        if size < 0:
            raise ValueError(f"an entry's size must not be negative, not {size}")
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            if self.max_entries == 0 or size > self.max_bytes:
                return
            self._entries[key] = (value, size)
            self._bytes += size
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    @property
    def bytes(self) -> int:
        """The sizes of the entries held, added up."""
        return self._bytes

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries
