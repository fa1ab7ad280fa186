"""The control plane as a Python object: the same operations the admin API offers over HTTP."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from specmock.mocks.core.faults import Fault
from specmock.mocks.core.incoming import FRAMING_HEADERS, HEADER_NAME, HEADER_VALUE, MAX_HEADER_VALUE
from specmock.mocks.core.ratelimit import RateLimitRule
from specmock.mocks.core.state import MockState

__all__ = ["MockControl"]

#: How deeply a fault's JSON body may nest (an error body needs a few levels; rendering needs a bound).
_MAX_BODY_DEPTH = 64


def _whole(value: Any, name: str) -> int:
    """An integer given as ``int`` or as a whole ``float`` (JSON Schema calls ``503.0`` an integer)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not float(value).is_integer():
        raise ValueError(f"{name} must be a whole number, not {value!r}")
    return int(value)


def _fault_headers(headers: Mapping[str, Any] | None) -> dict[str, str | None]:
    """Headers a fault answers with, refused when they could not be sent as given (or inject others).

    ``None`` as a value leaves that header out, even one the API would add itself (a 429 without
    ``Retry-After``, so a client's "no header" path can be exercised).
    """
    checked: dict[str, str | None] = {}
    for name, value in (headers or {}).items():
        if not isinstance(name, str) or not HEADER_NAME.fullmatch(name):
            raise ValueError(f"headers: {name!r} is not an HTTP header name")
        if name.lower() in FRAMING_HEADERS:
            raise ValueError(f"headers.{name}: the server sets this header, a fault cannot")
        if value is None:
            checked[name] = None
            continue
        if not isinstance(value, str) or not HEADER_VALUE.fullmatch(value):
            raise ValueError(f"headers.{name}: the value must be printable ASCII (no CR, LF or other control "
                             f"characters), at most {MAX_HEADER_VALUE} characters")
        checked[name] = value.strip(" \t")
    return checked


def _fault_body(body: Any) -> Any:
    """A fault's body, refused unless it can be rendered: JSON of bounded depth, text UTF-8 can carry."""
    stack = [(body, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > _MAX_BODY_DEPTH:
            raise ValueError(f"body is nested more than {_MAX_BODY_DEPTH} levels deep")
        if isinstance(node, dict):
            stack.extend((item, depth + 1) for item in node.values())
            stack.extend((key, depth + 1) for key in node)
        elif isinstance(node, list | tuple):
            stack.extend((item, depth + 1) for item in node)
        elif isinstance(node, float) and not math.isfinite(node):
            raise ValueError(f"body holds {node}, which JSON cannot carry")
        elif isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                raise ValueError("body holds text UTF-8 cannot carry (a lone surrogate)") from None
    return body


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
        headers: dict[str, str | None] | None = None,
        body: Any = None,
        delay_ms: int = 0,
    ) -> Fault:
        """The next ``times`` requests to ``api`` matching ``method`` and ``path`` answer ``status``.

        ``path`` is relative to the API's base (``/v1/fichas``) and may use ``*`` wildcards;
        ``body`` defaults to that API's own error body for ``status``; a header given as ``None``
        is left out of the answer (``{"Retry-After": None}``: a 429 without it).
        """
        status, times = _whole(status, "status"), _whole(times, "times")
        delay_ms = _whole(delay_ms, "delay_ms")
        if not 200 <= status <= 599:
            raise ValueError(f"status must be an HTTP status code a server can send (200-599), not {status}")
        if times < 1:
            raise ValueError("times must be at least 1")
        if delay_ms < 0:
            raise ValueError("delay_ms cannot be negative")
        fault = Fault(self._check_api(api), status, method, path, times, _fault_headers(headers),
                      _fault_body(body), delay_ms)
        return self.state.faults.add(fault)

    def faults(self) -> list[dict[str, Any]]:
        return [fault.to_dict() for fault in self.state.faults.pending()]

    def clear_faults(self) -> None:
        self.state.faults.clear()

    def advance(self, seconds: float) -> float:
        """Move the mock's clock forward; returns the new total offset in seconds."""
        if not math.isfinite(seconds):
            raise ValueError(f"seconds must be a finite number, not {seconds}")
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
        self.state.rate_limits.set_rule(api, RateLimitRule(_whole(limit, "limit"), per_seconds))

    def requests(self, api: str | None = None, after: int = 0) -> list[dict[str, Any]]:
        """The journal (newest last), secrets redacted; only entries numbered above ``after`` if given."""
        return [entry.to_dict() for entry in self.state.journal.entries(api, after)]

    def tokens(self) -> dict[str, dict[str, int]]:
        """Tokens each API has issued and the registry still keeps: how many, and how many are live now."""
        now = self.state.clock.now()
        counts = {name: {"issued": 0, "active": 0, "revoked": 0} for name in self.state.apis}
        for record in self.state.tokens.records():
            count = counts.setdefault(record.api, {"issued": 0, "active": 0, "revoked": 0})
            count["issued"] += 1
            count["revoked"] += record.revoked
            count["active"] += not record.revoked and now < record.expires_at
        return counts

    def clear_requests(self) -> None:
        self.state.journal.clear()
