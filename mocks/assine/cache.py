"""A small least-recently-used map, bounded by entry count and by a total cost (bytes, say).

The listing caches of the API use it: compiled filters and the encoded pages of ``/v1/user``. Keys
come from requests (query strings, ``Host`` headers), so every cache must stay bounded whatever
clients send; an entry costing more than the whole budget is simply not kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

__all__ = ["LruCache"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LruCache(Generic[K, V]):
    """At most ``max_entries`` entries whose costs add up to at most ``max_cost``; thread-safe."""

    def __init__(self, max_entries: int, max_cost: int | None = None) -> None:
        if max_entries < 0 or (max_cost is not None and max_cost < 0):
            raise ValueError("cache bounds must not be negative")
        self.max_entries = max_entries
        self.max_cost = max_cost
        self._entries: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._cost = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def cost(self) -> int:
        """The total cost of the entries held."""
        return self._cost

    def get(self, key: K) -> V | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def put(self, key: K, value: V, cost: int = 0) -> None:
        """Keep ``value`` under ``key``, dropping the least recently used entries to stay in bounds."""
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._cost -= old[1]
            if self.max_entries == 0 or (self.max_cost is not None and cost > self.max_cost):
                return
            self._entries[key] = (value, cost)
            self._cost += cost
            while len(self._entries) > self.max_entries or (
                self.max_cost is not None and self._cost > self.max_cost
            ):
                _, (_, dropped) = self._entries.popitem(last=False)
                self._cost -= dropped

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._cost = 0
