"""The result of a provider run: every failing check, with a reproducible request, secrets masked."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from specmock.redact import redact_text

__all__ = ["ApiResult", "Finding", "Report"]


@dataclass(frozen=True)
class Finding:
    """One check that does not hold, with the request that shows it."""

    api: str
    #: Spec file the operation belongs to (``banqer.openapi.yaml``, ``pbm.graphql`` …).
    spec: str
    #: ``GET /v1/fichas``, ``Query.WsAcesso_consultProgramForm`` …
    operation: str
    #: Name of the check: schemathesis's (``response_schema_conformance`` …) or the suite's own.
    check: str
    #: One-line summary, e.g. ``Response violates schema``.
    title: str
    #: What was expected and what came back (masked).
    message: str
    #: Where the request came from: ``positive``, ``negative``, ``stateful``, ``login`` or a scenario.
    phase: str
    #: HTTP status of the response that failed the check, when there was one.
    status: int | None
    #: A curl line that sends the same request again (tokens, passwords and secrets as ``***``).
    curl: str

    def render(self) -> str:
        status = f"HTTP {self.status}" if self.status is not None else "no response"
        lines = [
            f"FAIL {self.api}: {self.operation} - {self.check}: {self.title}",
            f"  {self.phase} request, {status} ({self.spec})",
        ]
        lines += [f"  {line}" if line else "" for line in self.message.strip().splitlines()]
        lines.append(f"  reproduce: {self.curl}")
        return "\n".join(lines)


@dataclass
class ApiResult:
    """What happened to one API."""

    api: str
    urls: dict[str, str]
    operations: list[str] = field(default_factory=list)
    responses: int = 0
    findings: list[Finding] = field(default_factory=list)
    #: Problems that stopped (part of) the run: login refused, target unreachable … (one line each).
    errors: list[str] = field(default_factory=list)
    #: Parts that could not run and why (e.g. no invalid input can be built for an operation).
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings and not self.errors


@dataclass
class Report:
    """The outcome of :func:`specmock.contracts.provider.verify`.

    ``ok`` (and ``exit_code == 0``) only when every check held for every API and nothing stopped
    the run. ``str(report)`` is the human-readable report; :meth:`to_dict` the JSON one.
    """

    results: list[ApiResult]
    #: Enabled checks, and the disabled ones with the reason.
    checks: list[str]
    disabled_checks: dict[str, str]
    max_examples: int
    seed: int
    duration: float = 0.0
    #: When the run was in-process, curl lines point at ``specmock serve``'s default address instead.
    curl_base: str | None = None

    @property
    def apis(self) -> list[str]:
        return [result.api for result in self.results]

    @property
    def findings(self) -> list[Finding]:
        return [finding for result in self.results for finding in result.findings]

    @property
    def errors(self) -> list[str]:
        return [error for result in self.results for error in result.errors]

    @property
    def ok(self) -> bool:
        return all(result.ok for result in self.results)

    @property
    def exit_code(self) -> int:
        return 0 if self.ok else 1

    def failing(self, check: str | None = None, api: str | None = None) -> list[Finding]:
        """Findings, optionally only those of one check and/or one API."""
        return [
            f for f in self.findings if (check is None or f.check == check) and (api is None or f.api == api)
        ]

    def summary(self) -> str:
        parts = []
        if self.findings:
            parts.append(_plural(len(self.findings), "failing check"))
        if self.errors:
            parts.append(_plural(len(self.errors), "error"))
        verdict = ", ".join(parts) if parts else "all checks hold"
        return (
            f"specmock verify: {verdict} ({', '.join(self.apis)}; {self.max_examples} examples per "
            f"operation, seed {self.seed}, {self.duration:.1f} s)"
        )

    def render(self) -> str:
        lines = [self.summary(), ""]
        for result in self.results:
            state = "ok" if result.ok else "FAIL"
            lines.append(
                f"  {result.api:8} {state:5} {len(result.operations)} operations, "
                f"{result.responses} responses checked  ({', '.join(result.urls.values())})"
            )
        for result in self.results:
            for error in result.errors:
                lines += ["", f"ERROR {result.api}: {error}"]
            for finding in result.findings:
                lines += ["", finding.render()]
        notes = [f"{result.api}: {note}" for result in self.results for note in result.notes]
        if notes:
            lines += ["", "Notes:"] + [f"  {note}" for note in notes]
        if self.curl_base and self.findings:
            lines += [
                "",
                f"The run was in-process; the curl lines target `specmock serve` at {self.curl_base}.",
            ]
        lines += ["", f"Checks: {', '.join(self.checks)}"]
        if self.disabled_checks:
            lines.append("Off: " + "; ".join(f"{name} ({why})" for name, why in self.disabled_checks.items()))
        lines += ["", f"Reproduce this run with --seed {self.seed} --max-examples {self.max_examples}."]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.render()

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "seed": self.seed,
            "max_examples": self.max_examples,
            "duration": round(self.duration, 3),
            "checks": self.checks,
            "disabled_checks": self.disabled_checks,
            "apis": [
                {
                    "api": r.api,
                    "ok": r.ok,
                    "urls": r.urls,
                    "operations": r.operations,
                    "responses": r.responses,
                    "errors": r.errors,
                    "notes": r.notes,
                    "findings": [asdict(f) for f in r.findings],
                }
                for r in self.results
            ],
        }

    def write(self, path: str | Path) -> Path:
        """Write the report: JSON when ``path`` ends in ``.json``, the text report otherwise."""
        path = Path(path)
        text = (
            json.dumps(self.to_dict(), indent=2, ensure_ascii=False)
            if path.suffix == ".json"
            else self.render()
        )
        path.write_text(text + "\n", encoding="utf-8")
        return path


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def mask(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every known secret value and every credential-looking part masked."""
    return redact_text(text, secrets)
