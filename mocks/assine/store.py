"""What callers create: files, folders, workflows and their steps, templates, webhooks, and id counters.

Plain records in dictionaries keyed by id, owned by the user (or, for webhooks, the business unit)
that created them. One re-entrant lock guards every change, because requests run on the server's
event loop while tests may drive signatures from their own thread (``AssineApi.sign_step``).
Ids start at the numbers the public examples show (file 5577, workflow 3101, step 7001 …) and
come back to them on reset; the records the spec's examples name
(:mod:`~specmock.mocks.assine.examples`) take those ids, and the counters move past them.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "FileRecord",
    "FolderRecord",
    "StepRecord",
    "Store",
    "TemplateRecord",
    "WebhookRecord",
    "WorkflowRecord",
]

FIRST_IDS = {"token": 5320, "file": 5577, "folder": 12, "workflow": 3101, "step": 7001, "template": 88,
             "webhook": 49}
#: Webhook notifications kept for inspection (the mock records them instead of sending them).
OUTBOX_SIZE = 1000

# Workflow and step status codes (the spec's provisional ones).
DRAFT, IN_PROGRESS, COMPLETED, CANCELLED, EXPIRED = 0, 1, 2, 3, 4
WAITING, PENDING, SIGNED, REJECTED = 0, 1, 2, 3


@dataclass
class FileRecord:
    id: int
    owner: int
    name: str
    description: str
    content: bytes = field(repr=False)
    checksum: str
    uuid: str
    folder: int | None
    created: float


@dataclass
class FolderRecord:
    id: int
    owner: int
    name: str
    parent: int | None
    created: float


@dataclass
class StepRecord:
    id: int
    workflow: int
    file: int
    order: int
    status: int
    action: int
    user: dict[str, Any]
    signature_type: str
    presential: bool
    positions: list[Any]
    custom_fields: list[Any]
    changed: float | None = None
    #: The current signing link: (token, expiry timestamp).
    link: tuple[str, float] | None = None


@dataclass
class WorkflowRecord:
    id: int
    owner: int
    status: int
    message: str | None
    priority: int
    sla: str | None
    auto_remind: int
    template: int | None
    due: float | None
    created: float
    files: list[dict[str, Any]]
    steps: list[StepRecord]


@dataclass
class TemplateRecord:
    id: int
    owner: int
    type: int
    name: str
    settings: dict[str, Any]
    payload: dict[str, Any]
    token: str = field(repr=False)
    created: float


@dataclass
class WebhookRecord:
    id: int
    unit: int
    user: int
    url: str


class Store:
    """Every record callers created, with the next id of each kind."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.outbox: deque[dict[str, Any]] = deque(maxlen=OUTBOX_SIZE)
        self.clear()

    def clear(self) -> None:
        with self.lock:
            self._next = dict(FIRST_IDS)
            self.files: dict[int, FileRecord] = {}
            self.folders: dict[int, FolderRecord] = {}
            self.workflows: dict[int, WorkflowRecord] = {}
            self.steps: dict[int, StepRecord] = {}
            self.templates: dict[int, TemplateRecord] = {}
            self.webhooks: dict[int, WebhookRecord] = {}
            self.outbox.clear()

    def reserve(self, kind: str, value: int) -> None:
        """``value`` is taken: the next id of ``kind`` comes after it."""
        with self.lock:
            self._next[kind] = max(self._next[kind], value + 1)

    def next_id(self, kind: str) -> int:
        with self.lock:
            value = self._next[kind]
            self._next[kind] = value + 1
            return value
