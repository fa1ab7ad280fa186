"""Repeated warnings, rate-limited: a flood of refused requests logs one line, then one line with a count.

The first warning of a kind (same logger, same message template) is logged; the same kind again
within :attr:`RepeatThrottle.window` seconds is counted, not logged. The next one logged after the
window says how many were left out, and :meth:`RepeatThrottle.flush` (called when the server stops)
logs the counts still pending.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["THROTTLED_LOGGERS", "RepeatThrottle", "install"]

#: The loggers a served mock writes warnings to.
THROTTLED_LOGGERS = ("uvicorn.error", "specmock.server", "specmock.mocks")
#: Kinds of warning remembered at most (message templates are few; anything past is not throttled).
_KINDS_KEPT = 256


@dataclass
class _Kind:
    start: float
    logger: str
    left_out: int = 0
    last: str = ""


class RepeatThrottle(logging.Filter):
    def __init__(self, window: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.window = window
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, str], _Kind] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.WARNING:
            return True
        key = (record.name, str(record.msg))
        now = self._clock()
        with self._lock:
            kind = self._seen.get(key)
            if kind is not None and now - kind.start < self.window:
                kind.left_out += 1
                kind.last = record.getMessage()
                return False
            left_out = kind.left_out if kind is not None else 0
            if kind is not None or len(self._seen) < _KINDS_KEPT:
                self._seen[key] = _Kind(now, record.name)
        if left_out:
            record.msg = f"{record.getMessage()} ({left_out} more like it in the {self.window:g} s before)"
            record.args = None
        return True

    def flush(self) -> None:
        """Log the count of every kind left out since it was last logged."""
        with self._lock:
            pending = [kind for kind in self._seen.values() if kind.left_out]
            self._seen.clear()
        for kind in pending:
            logging.getLogger(kind.logger).warning("%s (%d more like it)", kind.last, kind.left_out)
        with self._lock:
            self._seen.clear()


_installed: RepeatThrottle | None = None


def install() -> RepeatThrottle:
    """The process's throttle, added to :data:`THROTTLED_LOGGERS` once."""
    global _installed
    if _installed is None:
        _installed = RepeatThrottle()
        for name in THROTTLED_LOGGERS:
            logging.getLogger(name).addFilter(_installed)
    return _installed
