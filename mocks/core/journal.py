"""The bounded request journal: what reached the mock, how it was answered and why, secrets redacted.

A response is kept as sent (its raw headers and its body) and rendered, redacted, only when the
journal is read: recording it costs the request path nothing but references. Only the first
:data:`RESPONSE_PREVIEW` bytes of a body are ever shown; a body streamed through the control layer
is kept only that far. A body given whole (``DirectAnswer``: Banqer's, at most one list page, most
often the very bytes its answer cache holds) is kept by reference, as copying its start would cost
every request.
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from specmock.redact import redact_header, redact_text

__all__ = ["RESPONSE_PREVIEW", "Journal", "JournalEntry"]

#: Bytes of a response body the journal keeps (the start of a longer one, marked as cut).
RESPONSE_PREVIEW = 4096


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
    #: The path the API is mounted at for this request (``/banqer/demo``): ``base + path`` was called.
    base: str = ""
    status: int = 0
    duration_ms: float = 0.0
    fault: bool = False
    extra: dict[str, Any] = field(default_factory=dict)
    #: Why the mock answered so (see :mod:`specmock.mocks.core.why`), when it refused or was steered.
    why: dict[str, Any] | None = None
    #: The answer as sent: raw headers, and the body (or its first bytes; only these are ever shown).
    response_headers: list[tuple[bytes, bytes]] | None = None
    response_body: bytes = b""
    response_size: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "time": self.time, "api": self.api, "method": self.method, "path": self.path,
            "query": self.query, "headers": dict(self.headers), "body": copy.deepcopy(self.body),
            "status": self.status,
            "duration_ms": round(self.duration_ms, 3),  # rounded here, off the request path
            "fault": self.fault, "extra": copy.deepcopy(self.extra), "base": self.base,
            "why": copy.deepcopy(self.why),
            "response": self._response(),
        }

    def _response(self) -> dict[str, Any] | None:
        raw = self.response_headers
        if raw is None:
            return None
        headers: dict[str, str] = {}
        for key, value in raw:
            name, text = key.decode("latin-1").lower(), redact_header(key.decode("latin-1"),
                                                                       value.decode("latin-1"))
            headers[name] = f"{headers[name]}, {text}" if name in headers else text
        kept = self.response_body[:RESPONSE_PREVIEW]
        cut = self.response_size > len(kept)
        return {"headers": headers, "size": self.response_size, "truncated": cut,
                "body": _response_body(headers.get("content-type", ""), kept, cut)}


def _response_body(content_type: str, body: bytes, cut: bool) -> Any:
    if not body:
        return None
    if not cut:
        from specmock.mocks.core.middleware import _journal_body  # the request bodies' rendering

        return _journal_body(content_type.lower(), body)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(body) - 3:  # not a character split by the cut
            return f"<{len(body)} bytes, not UTF-8>"
        text = body[: exc.start].decode("utf-8")
    return redact_text(text)


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

    def entries(self, api: str | None = None, after: int = 0) -> list[JournalEntry]:
        """Entries kept (oldest first), of ``api`` if given, numbered above ``after``."""
        with self._lock:
            items = list(self._entries)
        if after:
            items = [e for e in items if e.id > after]
        return [e for e in items if api is None or e.api == api]

    def get(self, entry_id: int) -> JournalEntry | None:
        with self._lock:
            return next((e for e in self._entries if e.id == entry_id), None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.total = 0

    def __len__(self) -> int:
        return len(self._entries)
