"""The control plane as a Python object: the same operations the admin API offers over HTTP."""

from __future__ import annotations

from typing import Any

from specmock.mocks.core.faults import Fault
from specmock.mocks.core.ratelimit import RateLimitRule
from specmock.mocks.core.state import MockState

__all__ = ["MockControl"]


class MockControl:
    """Drive a mock in-process: queue faults, move the clock, expire tokens, limit, read the journal."""

    def __init__(self, state: MockState) -> None:
        self.state = state

    @property
    def apis(self) -> list[str]:
        return list(self.state.apis)

    def _check_api(self, api: str) -> str:
        if api not in self.state.apis:
            raise ValueError(f"unknown api {api!r}; this mock hosts: {', '.join(self.state.apis)}")
        return api

    def reset(self) -> None:
        self.state.reset()

    def fail(
        self,
        api: str,
        status: int,
        *,
        method: str = "*",
        path: str = "*",
        times: int = 1,
        headers: dict[str, str] | None = None,
        body: Any = None,
        delay_ms: int = 0,
    ) -> Fault:
        """The next ``times`` requests to ``api`` matching ``method`` and ``path`` answer ``status``.

        ``path`` is relative to the API's base (``/v1/fichas``) and may use ``*`` wildcards;
        ``body`` defaults to that API's own error body for ``status``.
        """
        if not 100 <= status <= 599:
            raise ValueError(f"status must be an HTTP status code (100-599), not {status}")
        if times < 1:
            raise ValueError("times must be at least 1")
        if delay_ms < 0:
            raise ValueError("delay_ms cannot be negative")
        fault = Fault(self._check_api(api), status, method, path, times, dict(headers or {}), body, delay_ms)
        return self.state.faults.add(fault)

    def faults(self) -> list[dict[str, Any]]:
        return [fault.to_dict() for fault in self.state.faults.pending()]

    def clear_faults(self) -> None:
        self.state.faults.clear()

    def advance(self, seconds: float) -> float:
        """Move the mock's clock forward; returns the new total offset in seconds."""
        if seconds < 0:
            raise ValueError("seconds cannot be negative: the clock only moves forward")
        return self.state.clock.advance(seconds)

    def now(self) -> float:
        return self.state.clock.now()

    def expire_tokens(self, api: str | None = None) -> int:
        """Every issued token (of ``api``, or of all APIs) is expired now; returns how many were live."""
        if api is not None:
            self._check_api(api)
        return self.state.tokens.expire_all(self.state.clock.now(), api)

    def rate_limit(self, api: str, limit: int | None, per_seconds: float = 1.0) -> None:
        """At most ``limit`` calls per token per ``per_seconds`` window; ``limit=None`` removes the quota."""
        self._check_api(api)
        if limit is None:
            self.state.rate_limits.set_rule(api, None)
            return
        if limit < 1 or per_seconds <= 0:
            raise ValueError("limit must be at least 1 and per_seconds greater than 0")
        self.state.rate_limits.set_rule(api, RateLimitRule(limit, per_seconds))

    def requests(self, api: str | None = None) -> list[dict[str, Any]]:
        """The journal (newest last), secrets redacted."""
        return [entry.to_dict() for entry in self.state.journal.entries(api)]

    def clear_requests(self) -> None:
        self.state.journal.clear()
