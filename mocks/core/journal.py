"""The bounded request journal: what reached the mock, with secrets redacted."""

from __future__ import annotations

import itertools
import threading
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(slots=True)
class JournalEntry:
    id: int
    time: float
    api: str
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: Any
    status: int = 0
    duration_ms: float = 0.0
    fault: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["duration_ms"] = round(self.duration_ms, 3)  # rounded here, off the request path
        return data


class Journal:
    """Keeps the last ``maxlen`` entries; ``total`` counts every request ever recorded."""

    def __init__(self, maxlen: int = 1000) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=maxlen)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.total = 0

    @property
    def maxlen(self) -> int:
        return self._entries.maxlen or 0

    def add(self, entry: JournalEntry) -> JournalEntry:
        """Keep ``entry``, numbered next (its ``id`` is set here)."""
        with self._lock:
            entry.id = next(self._ids)
            self._entries.append(entry)
            self.total += 1
        return entry

    def entries(self, api: str | None = None) -> list[JournalEntry]:
        with self._lock:
            items = list(self._entries)
        return [e for e in items if api is None or e.api == api]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.total = 0

    def __len__(self) -> int:
        return len(self._entries)
