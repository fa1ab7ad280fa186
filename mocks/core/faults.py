"""Queued fault injections: the next ``times`` matching requests answer as told."""

from __future__ import annotations

import fnmatch
import itertools
import threading
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Fault", "FaultQueue"]


@dataclass
class Fault:
    api: str
    status: int
    method: str = "*"
    path: str = "*"
    times: int = 1
    #: ``None`` as a value: the header is left out, even where the API would add it.
    headers: dict[str, str | None] = field(default_factory=dict)
    body: Any = None
    delay_ms: int = 0
    id: int = 0
    fired: int = 0

    def matches(self, api: str, method: str, path: str) -> bool:
        if api != self.api or (self.method != "*" and self.method != method):
            return False
        return self.path == "*" or self.path == path or fnmatch.fnmatchcase(path, self.path)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "api": self.api,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "times": self.times,
            "remaining": self.times - self.fired,
            "fired": self.fired,
            "headers": self.headers,
            "body": self.body,
            "delay_ms": self.delay_ms,
        }


class FaultQueue:
    """First queued, first fired; a fault is dropped once it has fired ``times`` times."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            fault.id = next(self._ids)
            fault.method = fault.method.upper()
            self._faults.append(fault)
        return fault

    def take(self, api: str, method: str, path: str) -> Fault | None:
        if not self._faults:  # the hot path: nothing queued, no lock taken
            return None
        with self._lock:
            for fault in self._faults:
                if fault.matches(api, method, path):
                    fault.fired += 1
                    if fault.fired >= fault.times:
                        self._faults.remove(fault)
                    return fault
        return None

    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
