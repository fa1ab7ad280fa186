"""Fixed-window quotas per API and token, measured on the mock's clock.

``Retry-After`` is honest: it is the whole number of seconds until the window that is full ends,
so waiting that long (or advancing the clock that much) always lets the next call through.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

__all__ = ["MIN_WINDOW_SECONDS", "RateLimitRule", "RateLimiter"]

#: The shortest window: below it ``now / per_seconds`` loses all precision (and overflows near 0).
MIN_WINDOW_SECONDS = 0.001


@dataclass(frozen=True)
class RateLimitRule:
    limit: int
    per_seconds: float

    def __post_init__(self) -> None:
        if isinstance(self.limit, bool) or not isinstance(self.limit, int) or self.limit < 1:
            raise ValueError(f"limit must be a whole number, at least 1, not {self.limit!r}")
        if not (isinstance(self.per_seconds, int | float) and math.isfinite(self.per_seconds)
                and self.per_seconds >= MIN_WINDOW_SECONDS):
            raise ValueError(f"per_seconds must be a number of seconds, at least {MIN_WINDOW_SECONDS}, "
                             f"not {self.per_seconds!r}")


class RateLimiter:
    """Counts calls per ``(api, key)`` in fixed windows.

    The window map is bounded: keys are the callers' ``Authorization`` headers, which a client can
    vary at will, so each is kept as its ``hash()`` (SipHash keyed per process: no client can pick
    two headers that share a count), windows that have ended are dropped, and past
    ``max_windows`` live keys the oldest ones are forgotten (a forgotten caller starts a new count).
    """

    def __init__(self, max_windows: int = 10_000) -> None:
        self.max_windows = max_windows
        self._rules: dict[str, RateLimitRule] = {}
        self._windows: dict[tuple[str, int], tuple[float, int]] = {}
        self._lock = threading.Lock()

    def set_rule(self, api: str, rule: RateLimitRule | None) -> None:
        with self._lock:
            if rule is None:
                self._rules.pop(api, None)
            else:
                self._rules[api] = rule
            self._windows = {k: v for k, v in self._windows.items() if k[0] != api}

    def rules(self) -> dict[str, RateLimitRule]:
        return dict(self._rules)

    def hit(self, api: str, key: str, now: float) -> int | None:
        """Count one call; ``None`` when allowed, else the seconds to wait before the next one."""
        rule = self._rules.get(api)
        if rule is None:
            return None
        window_start = math.floor(now / rule.per_seconds) * rule.per_seconds
        slot = (api, hash(key))
        with self._lock:
            start, count = self._windows.get(slot, (window_start, 0))
            if start != window_start:
                start, count = window_start, 0
            if count >= rule.limit:
                return max(1, math.ceil(start + rule.per_seconds - now))
            if slot not in self._windows and len(self._windows) >= self.max_windows:
                self._make_room(now)
            self._windows[slot] = (start, count + 1)
            return None

    def _make_room(self, now: float) -> None:
        """Drop ended windows; if the live ones still fill the map, the oldest half of them."""
        rules = self._rules
        self._windows = {k: v for k, v in self._windows.items()
                         if k[0] in rules and v[0] + rules[k[0]].per_seconds > now}
        if len(self._windows) >= self.max_windows:
            keep = list(self._windows.items())[len(self._windows) // 2 :]
            self._windows = dict(keep)

    def __len__(self) -> int:
        """How many callers' windows are kept."""
        return len(self._windows)

    def reset(self, keep_rules: dict[str, RateLimitRule] | None = None) -> None:
        with self._lock:
            self._rules = dict(keep_rules or {})
            self._windows.clear()
