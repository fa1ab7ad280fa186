"""The bounded request journal: what reached the mock, how it was answered and why, secrets redacted.

A response is kept as sent (its raw headers and its body) and rendered, redacted, only when the
journal is read: recording it costs the request path nothing but references. Only the first
:data:`RESPONSE_PREVIEW` bytes of a body are ever shown; a body streamed through the control layer
is kept only that far. A body given whole (``DirectAnswer``: Banqer's, at most one list page, most
often the very bytes its answer cache holds) is kept by reference, as copying its start would cost
every request.

Bounded twice: by entries (``maxlen``) and by bytes (``max_bytes``, measured as the characters of
an entry's fields plus what its kept answer may take). A field longer than :data:`FIELD_CHARS` (a
4 MiB ``User-Agent``, a path) is cut with a visible marker, so one request can never take the
whole budget; the oldest entries go first when either bound is reached.

Each entry's ``id`` is one more than the previous one's and is never reused while the server
runs (clearing the journal or resetting the mock does not restart it): ``page(after=id)`` is a
cursor that stays valid whatever happens in between.
"""

from __future__ import annotations

import copy
import itertools
import json
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from specmock.redact import redact_header, redact_text

__all__ = ["FIELD_CHARS", "PAGE_BYTES", "RESPONSE_PREVIEW", "Journal", "JournalEntry", "JournalPage"]

#: Bytes of a response body the journal keeps (the start of a longer one, marked as cut).
RESPONSE_PREVIEW = 4096
#: Longest text kept for one field (path, query, a header's value, a body given as text).
FIELD_CHARS = 2048
#: What an entry costs besides its request fields: numbers, names, the dict itself, and its answer
#: (recorded after the entry is added: its headers and the body's first bytes, all that is shown).
_ENTRY_OVERHEAD = 256 + 512 + RESPONSE_PREVIEW
#: A page of :meth:`Journal.page` stops once its entries reach this many bytes (one entry at least).
PAGE_BYTES = 8 << 20


def cut(text: str, limit: int = FIELD_CHARS) -> str:
    """``text``, or its first ``limit`` characters and a marker saying how much was left out."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…[cut: {len(text) - limit} more characters]"


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
    #: Bytes this entry counts for in the journal's budget (set when it is added).
    size: int = 0

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


def _body_size(body: Any) -> int:
    if body is None:
        return 0
    if isinstance(body, str):
        return len(body)
    try:
        return len(json.dumps(body, ensure_ascii=False, default=str))
    except (TypeError, ValueError, RecursionError):
        return len(str(body))


def _fitted(entry: JournalEntry) -> int:
    """Cut ``entry``'s oversized fields in place; its size in bytes."""
    if len(entry.path) > FIELD_CHARS:
        entry.path = cut(entry.path)
    if len(entry.query) > FIELD_CHARS:
        entry.query = cut(entry.query)
    size = _ENTRY_OVERHEAD + len(entry.path) + len(entry.query) + len(entry.base)
    for name, value in entry.headers.items():
        if len(value) > FIELD_CHARS:
            value = entry.headers[name] = cut(value)
        size += len(name) + len(value)
    if isinstance(entry.body, str) and len(entry.body) > FIELD_CHARS:
        entry.body = cut(entry.body)
    return size + _body_size(entry.body)


@dataclass(frozen=True)
class JournalPage:
    entries: list[JournalEntry]
    #: The cursor for the next page: the last id returned, or ``after`` itself when none was.
    next: int
    #: Whether entries after this page were already recorded.
    more: bool
    #: The oldest id still kept (0 when the journal is empty): above ``after + 1``, a poller missed some.
    oldest: int


class Journal:
    """Keeps the last ``maxlen`` entries within ``max_bytes``; ``total`` counts every request recorded."""

    def __init__(self, maxlen: int = 1000, max_bytes: int = 8 * 1_048_576) -> None:
        self._entries: deque[JournalEntry] = deque()
        self._maxlen = maxlen
        self.max_bytes = max_bytes
        self.bytes = 0
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.total = 0

    @property
    def maxlen(self) -> int:
        return self._maxlen

    def add(self, entry: JournalEntry) -> JournalEntry:
        """Keep ``entry``, numbered next (its ``id`` is set here), its oversized fields cut."""
        entry.size = _fitted(entry)
        with self._lock:
            entry.id = next(self._ids)
            entries = self._entries
            entries.append(entry)
            self.bytes += entry.size
            self.total += 1
            while len(entries) > self._maxlen or (self.bytes > self.max_bytes and len(entries) > 1):
                self.bytes -= entries.popleft().size
        return entry

    def entries(self, api: str | None = None, after: int = 0) -> list[JournalEntry]:
        """Entries kept (oldest first), of ``api`` if given, numbered above ``after``."""
        with self._lock:
            items = list(self._entries)
        if after:
            items = [e for e in items if e.id > after]
        return [e for e in items if api is None or e.api == api]

    def page(self, after: int = 0, limit: int = 1000, api: str | None = None,
             max_bytes: int = PAGE_BYTES) -> JournalPage:
        """Entries with an id above ``after`` (oldest first): at most ``limit`` and about ``max_bytes``."""
        with self._lock:
            items = list(self._entries)
        oldest = items[0].id if items else 0
        chosen: list[JournalEntry] = []
        size = 0
        cursor = after
        more = False
        for entry in items:
            if entry.id <= after or (api is not None and entry.api != api):
                continue
            if len(chosen) >= limit or (chosen and size + entry.size > max_bytes):
                more = True
                break
            chosen.append(entry)
            size += entry.size
            cursor = entry.id
        return JournalPage(chosen, cursor, more, oldest)

    def get(self, entry_id: int) -> JournalEntry | None:
        with self._lock:
            return next((e for e in self._entries if e.id == entry_id), None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.bytes = 0
            self.total = 0

    def __len__(self) -> int:
        return len(self._entries)
