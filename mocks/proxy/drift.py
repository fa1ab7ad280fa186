"""The drift report: findings grouped by operation, counted, one redacted example each.

Rendered here as JSON and Markdown; the mock's code writes no file, so ``specmock proxy --report``
writes them (``specmock/cli.py``).

Also kept per assumption: how many exchanges exercised it without contradicting it ("held N
times") and how many contradicted it. Upstream failures (refused, TLS, timeout) are counted apart:
they say nothing about the spec.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from specmock.mocks.proxy.findings import Finding
from specmock.mocks.proxy.openapi_check import Check

__all__ = ["DriftReport"]


@dataclass
class _Group:
    finding: Finding
    count: int = 0
    example: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Operation:
    api: str
    operation: str
    route: str
    exchanges: int = 0
    groups: dict[tuple[str, str, str, str, str], _Group] = field(default_factory=dict)


class DriftReport:
    """Thread-safe; the proxy records every exchange, ``GET /__mock__/drift`` reads it any time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        with getattr(self, "_lock", threading.Lock()):
            self.exchanges = 0
            self._operations: dict[tuple[str, str], _Operation] = {}
            self._held: Counter[str] = Counter()
            self._contradicted: Counter[str] = Counter()
            self._assumption_api: dict[str, str] = {}
            self._failures: dict[tuple[str, str, str], dict[str, Any]] = {}

    def record(self, api: str, check: Check, request_id: int) -> None:
        with self._lock:
            self.exchanges += 1
            key = (api, check.operation)
            entry = self._operations.get(key)
            if entry is None:
                entry = self._operations[key] = _Operation(api, check.operation, check.route)
            entry.exchanges += 1
            for finding in check.findings:
                group = entry.groups.get(finding.key)
                if group is None:
                    group = entry.groups[finding.key] = _Group(
                        finding, example={"request": request_id, "at": finding.at, "seen": finding.seen}
                    )
                group.count += 1
            for assumption in {f.assumption for f in check.findings if f.assumption}:
                self._contradicted[assumption] += 1
                self._assumption_api[assumption] = api
            for assumption in check.touched:
                self._held[assumption] += 1
                self._assumption_api[assumption] = api

    def record_failure(
        self, api: str, route: str, kind: str, status: int, detail: str, request_id: int
    ) -> None:
        with self._lock:
            self.exchanges += 1
            key = (api, route, kind)
            entry = self._failures.setdefault(
                key,
                {
                    "api": api,
                    "request": route,
                    "kind": kind,
                    "answered": status,
                    "count": 0,
                    "example": {"request": request_id, "detail": detail},
                },
            )
            entry["count"] += 1

    @property
    def drift(self) -> int:
        """Distinct findings (the same finding seen again counts once)."""
        with self._lock:
            return sum(len(op.groups) for op in self._operations.values())

    def to_dict(self) -> dict[str, Any]:
        with self._lock:
            operations = []
            for op in sorted(self._operations.values(), key=lambda o: (o.api, o.operation)):
                findings = [
                    {**group.finding.to_dict(), "count": group.count, "example": group.example}
                    for group in sorted(op.groups.values(), key=lambda g: (-g.count, g.finding.pointer))
                ]
                for item in findings:
                    item.pop("api")
                    item.pop("operation")
                    item.pop("at")
                operations.append(
                    {
                        "api": op.api,
                        "operation": op.operation,
                        "route": op.route,
                        "exchanges": op.exchanges,
                        "findings": findings,
                    }
                )
            names = set(self._held) | set(self._contradicted)
            assumptions = [
                {
                    "assumption": name,
                    "api": self._assumption_api.get(name, ""),
                    "verdict": "contradicted" if self._contradicted[name] else "held",
                    "held": self._held[name],
                    "contradicted": self._contradicted[name],
                }
                for name in sorted(names, key=lambda n: (-self._contradicted[n], n))
            ]
            failures = sorted(self._failures.values(), key=lambda f: (f["api"], f["request"], f["kind"]))
            return {
                "exchanges": self.exchanges,
                "drift": sum(len(op.groups) for op in self._operations.values()),
                "operations": [op for op in operations if op["findings"]]
                + [op for op in operations if not op["findings"]],
                "assumptions": assumptions,
                "upstream_failures": [dict(f, example=dict(f["example"])) for f in failures],
            }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=2) + "\n"

    def to_markdown(self) -> str:
        data = self.to_dict()
        lines = [
            "# Drift report",
            "",
            f"{data['exchanges']} exchanges seen, {data['drift']} distinct findings, "
            f"{sum(f['count'] for f in data['upstream_failures'])} upstream failures.",
            "",
        ]
        drifting = [op for op in data["operations"] if op["findings"]]
        if not drifting:
            lines += ["No exchange disagreed with the specs.", ""]
        for op in drifting:
            lines += [f"## {op['api']} {op['operation']} (`{op['route']}`, {op['exchanges']} exchanges)", ""]
            for item in op["findings"]:
                verdict = (
                    f" — assumption `{item['assumption']}` is contradicted"
                    if item["assumed"]
                    else " — not an assumption: the spec states it from public material"
                )
                lines += [
                    f"- **{item['kind']}** `{item['pointer']}`: the spec says {_md(item['spec'])}; "
                    f"seen {_md(item['seen'])} ({item['count']}×){verdict}.",
                    f"  Example: request #{item['example']['request']}"
                    + (f", at `{item['example']['at']}`" if item["example"]["at"] else "")
                    + ".",
                ]
            lines.append("")
        if data["assumptions"]:
            lines += ["## Assumptions exercised", ""]
            for item in data["assumptions"]:
                if item["verdict"] == "contradicted":
                    lines.append(
                        f"- assumption `{item['assumption']}` is contradicted "
                        f"{item['contradicted']} times (held {item['held']} times)"
                    )
                else:
                    lines.append(f"- assumption `{item['assumption']}` held {item['held']} times")
            lines.append("")
        if data["upstream_failures"]:
            lines += ["## Upstream failures (not drift)", ""]
            for item in data["upstream_failures"]:
                lines.append(
                    f"- {item['api']} `{item['request']}`: {item['kind']}, answered {item['answered']} "
                    f"({item['count']}×): {_md(item['example']['detail'])}"
                )
            lines.append("")
        return "\n".join(lines)


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("`", "'")
