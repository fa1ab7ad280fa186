"""A clock the control plane can move forward, so tokens expire without waiting."""

from __future__ import annotations

import math
import threading
import time

__all__ = ["LATEST", "Clock"]

#: The clock cannot be moved past 9000-01-01 UTC: every date the APIs write (token expiries a year
#: ahead, refresh tokens, ``YYYY-MM-DD`` fields) must stay within the four-digit years of
#: ``datetime``, which ends at 9999.
LATEST = 221_845_392_000.0


class Clock:
    """Wall-clock time plus an offset that only ever grows between resets."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        return time.time() + self._offset

    @property
    def offset(self) -> float:
        return self._offset

    def advance(self, seconds: float) -> float:
        if not math.isfinite(seconds):
            raise ValueError(f"the clock moves by a finite number of seconds, not {seconds}")
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            if time.time() + self._offset + seconds > LATEST:
                raise ValueError("the clock cannot move past the year 9000 (dates would no longer be "
                                 "representable); reset the mock to start over")
            self._offset += seconds
            return self._offset

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0
