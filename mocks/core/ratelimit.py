"""Fixed-window quotas per API and token, measured on the mock's clock.

``Retry-After`` is honest: it is the whole number of seconds until the window that is full ends,
so waiting that long (or advancing the clock that much) always lets the next call through.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass


@dataclass(frozen=True)
class RateLimitRule:
    limit: int
    per_seconds: float


class RateLimiter:
    def __init__(self) -> None:
        self._rules: dict[str, RateLimitRule] = {}
        self._windows: dict[tuple[str, str], tuple[float, int]] = {}
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
        with self._lock:
            start, count = self._windows.get((api, key), (window_start, 0))
            if start != window_start:
                start, count = window_start, 0
                if len(self._windows) > 10_000:  # old windows of idle tokens: drop them all
                    self._windows = {k: v for k, v in self._windows.items() if v[0] == window_start}
            if count >= rule.limit:
                return max(1, math.ceil(start + rule.per_seconds - now))
            self._windows[(api, key)] = (start, count + 1)
            return None

    def reset(self, keep_rules: dict[str, RateLimitRule] | None = None) -> None:
        with self._lock:
            self._rules = dict(keep_rules or {})
            self._windows.clear()
