"""The state of one API's provider run, and what scenarios and phases may do with it: :class:`RunContext`.

Phases (:mod:`.phases`) and scenarios (:mod:`.scenarios`) send requests through it, so every
answer is validated and every failure becomes a :class:`~.report.Finding`; findings are masked
with every secret met during the run when it ends (:meth:`RunContext.finish`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from specmock.contracts.provider.auth import TokenFlow, one_line, transport_reason
from specmock.contracts.provider.report import ApiResult, Finding, mask
from specmock.contracts.provider.targets import IN_PROCESS_ROOT, ApiTarget

if TYPE_CHECKING:
    import hypothesis
    from schemathesis import APIOperation, BaseSchema, Case, Response

__all__ = [
    "CURL_BASE",
    "MAX_FINDINGS_PER_CHECK",
    "Channel",
    "Crashed",
    "RunContext",
    "Stop",
    "is_transport_error",
]

#: Where curl lines of an in-process run point: ``specmock serve``'s default address.
CURL_BASE = "http://127.0.0.1:8080"
#: At most this many distinct failures are reported per operation and check.
MAX_FINDINGS_PER_CHECK = 3


class Crashed(Exception):
    """The in-process app raised while handling a case (already recorded as a finding)."""


class Stop(Exception):
    """The API cannot be verified any further (unreachable, login refused); one line for the report."""


@dataclass(frozen=True)
class Channel:
    """How requests reach the target: a URL (``app`` is ``None``) or an in-process ASGI app."""

    app: Any = None
    timeout: float = 10.0

    def kwargs(self, base_url: str) -> dict[str, Any]:
        """Transport arguments of every request (the app itself is set on each schema, see ``bind``)."""
        return {"base_url": base_url, "timeout": self.timeout}

    def bind(self, schema: BaseSchema) -> None:
        """Route ``schema``'s requests, its checks' probes included, to the in-process app if any."""
        if self.app is not None:
            schema.app = self.app

    def shown(self, base_url: str) -> str:
        """The base URL as curl lines show it."""
        if self.app is not None and base_url.startswith(IN_PROCESS_ROOT):
            return CURL_BASE + base_url[len(IN_PROCESS_ROOT) :]
        return base_url


class RunContext:
    """One API's run: its target and options, its findings, what it has seen so far."""

    def __init__(
        self,
        target: ApiTarget,
        channel: Channel,
        examples: int,
        seed: int,
        *,
        stateful: bool,
        selected: frozenset[str] | None = None,
    ) -> None:
        self.target = target
        self.channel = channel
        #: Generated requests per operation.
        self.examples = examples
        self.seed = seed
        #: Whether stateful runs and scenarios are on.
        self.stateful = stateful
        #: Operation names ``operations=`` selected, or ``None`` for all.
        self.selected = selected
        self.result = ApiResult(api=target.api, urls=dict(target.urls))
        #: What the run is doing (a finding records it): login, coverage, positive, stateful ...
        self.phase = "login"
        #: Checks run on every answer on top of schemathesis's.
        self.extra_checks: list[Callable[..., Any]] = []
        #: Token flows used; every token they got is masked in the report.
        self.flows: list[TokenFlow] = []
        #: Per spec file and operation, one authenticated request the server served (for auth probes).
        self.served: dict[str, dict[str, Case]] = {}
        #: Operations whose enforcement of authentication ``ignored_auth`` has already confirmed.
        self.auth_enforced: set[str] = set()
        #: Why the run stopped early, once it has (unreachable target, login refused).
        self.stopped: str | None = None
        #: Findings as recorded; secrets are masked when the run ends, once every secret is known.
        self._raw: list[Finding] = []
        self._seen: set[tuple[str, ...]] = set()
        self._per_check: dict[tuple[str, str, str], int] = {}
        self._secrets: list[str] = []
        self._specs: dict[int, str] = {}

    # -- findings -------------------------------------------------------------------------------

    def record(
        self,
        spec: str,
        operation: str,
        check: str,
        title: str,
        message: str,
        case: Case | None,
        response: Response | None,
        base_url: str,
        *,
        unique: str | None = None,
    ) -> None:
        """Keep a finding: the first of its kind, at most MAX_FINDINGS_PER_CHECK per operation and check."""
        key = (spec, operation, check, unique or title)
        count_key = (spec, operation, check)
        if key in self._seen or self._per_check.get(count_key, 0) >= MAX_FINDINGS_PER_CHECK:
            return
        self._seen.add(key)
        self._per_check[count_key] = self._per_check.get(count_key, 0) + 1
        curl = ""
        if case is not None:
            headers = dict(response.request.headers) if response is not None else None
            try:
                curl = case.as_curl_command(headers=headers, base_url=self.channel.shown(base_url))
            except Exception as exc:  # a request curl cannot express; the message still says what failed
                curl = f"(no curl line: {one_line(exc)})"
        self._raw.append(
            Finding(
                api=self.target.api,
                spec=spec,
                operation=operation,
                check=check,
                title=title,
                message=message,
                phase=self.phase,
                status=response.status_code if response is not None else None,
                curl=curl,
            )
        )

    def record_failure(
        self, spec: str, base_url: str, case: Case, response: Response, check: str, failure: Any
    ) -> None:
        """Keep a finding for a failed schemathesis check."""
        title = str(getattr(failure, "title", "") or type(failure).__name__)
        message = str(getattr(failure, "message", "") or failure)
        body = _excerpt(response)
        if body:
            message = f"{message.rstrip()}\n\nResponse body: {body}"
        unique = str(getattr(failure, "_unique_key", title))
        self.record(
            spec, case.operation.label, check, title, message, case, response, base_url, unique=unique
        )

    def add_secret(self, value: str) -> None:
        """A credential met during the run (e.g. an application token) that reports must mask."""
        self._secrets.append(value)

    def finish(self, error: BaseException | None = None) -> ApiResult:
        """The run's result, every finding and error masked with every secret met."""
        secrets = [
            *self.target.secrets,
            *self._secrets,
            *(token for flow in self.flows for token in flow.issued),
        ]
        self.result.findings = [
            replace(
                raw,
                title=mask(raw.title, secrets),
                message=mask(raw.message, secrets),
                curl=mask(raw.curl, secrets),
            )
            for raw in self._raw
        ]
        self.result.errors = [mask(error, secrets) for error in self.result.errors]
        return self.result

    # -- sending --------------------------------------------------------------------------------

    def send(self, case: Case, base_url: str) -> Response:
        """Send and validate one scenario step (raises :class:`Stop` when the target is unreachable)."""
        try:
            return self.send_checked(case, base_url)
        except Exception as exc:
            if is_transport_error(exc):
                raise Stop(self.unreachable(base_url, exc)) from exc
            raise

    def send_checked(self, case: Case, base_url: str) -> Response:
        """Send ``case`` and validate its answer (used for logins and scenario steps)."""
        kwargs = self.channel.kwargs(base_url)
        response = case.call(**kwargs)
        self.validate(case, response, kwargs)
        return response

    def validate(
        self, case: Case, response: Response, kwargs: dict[str, Any], excluded: list[Any] | None = None
    ) -> None:
        from schemathesis.core.failures import FailureGroup

        with contextlib.suppress(FailureGroup):  # failures are recorded by the after_validate hook
            case.validate_response(
                response,
                additional_checks=self.extra_checks,
                excluded_checks=excluded or [],
                transport_kwargs=kwargs,
            )

    def call(self, case: Case, base_url: str) -> Response:
        """``case.call``; an in-process app that raises is a server error, reported like a 500."""
        from specmock.contracts.provider.auth import LoginFailed

        try:
            return case.call(**self.channel.kwargs(base_url))
        except Exception as exc:
            if self.channel.app is None or is_transport_error(exc) or isinstance(exc, LoginFailed):
                raise
            self.record(
                self.spec_of(case.operation.schema),
                case.operation.label,
                "not_a_server_error",
                "The application raised an exception",
                f"Handling this request raised {one_line(exc)} (a server would answer 500).",
                case,
                None,
                base_url,
            )
            raise Crashed from exc

    def unreachable(self, base_url: str, exc: BaseException) -> str:
        return f"cannot reach {self.channel.shown(base_url)}: {transport_reason(exc)}"

    # -- schemas and operations -----------------------------------------------------------------

    def track(self, schema: BaseSchema, spec: str) -> None:
        """Remember that ``schema`` is the spec file ``spec`` (findings name the file)."""
        self._specs[id(schema)] = spec

    def spec_of(self, schema: BaseSchema) -> str:
        return self._specs.get(id(schema), "")

    def selects(self, operation: APIOperation) -> bool:
        return self.selected is None or bool(names_of(operation) & self.selected)

    def narrow(self, schema: BaseSchema) -> BaseSchema:
        """``schema`` limited to the selected operations (the same schema when nothing is selected)."""
        if self.selected is None:
            return schema
        narrowed = schema.include(lambda ctx: self.selects(ctx.operation))
        self.track(narrowed, self.spec_of(schema))
        return narrowed

    def operations(self, schema: BaseSchema) -> Iterator[APIOperation]:
        from schemathesis.core.result import Ok

        for result in schema.get_all_operations():
            if isinstance(result, Ok):
                if self.selects(result.ok()):
                    yield result.ok()
            else:
                reason = one_line(result.err())
                self.result.errors.append(f"an operation of the spec cannot be tested: {reason}")

    def settings(self, **changes: Any) -> hypothesis.settings:
        """hypothesis settings of the run's generated requests (no deadline, no database)."""
        import hypothesis

        options: dict[str, Any] = {
            "max_examples": self.examples,
            "deadline": None,
            "database": None,
            "derandomize": False,
            "suppress_health_check": list(hypothesis.HealthCheck),
            "phases": [hypothesis.Phase.explicit, hypothesis.Phase.generate],
            **changes,
        }
        return hypothesis.settings(hypothesis.settings.default, **options)


def names_of(operation: APIOperation) -> set[str]:
    """What ``operations=`` may call an operation: its label, its operationId, its GraphQL field."""
    names = {operation.label, operation.label.split(".", 1)[-1]}
    definition = getattr(operation.definition, "raw", None)
    if isinstance(definition, dict) and definition.get("operationId"):
        names.add(str(definition["operationId"]))
    return names


def is_transport_error(exc: BaseException) -> bool:
    import requests

    return isinstance(exc, (requests.ConnectionError, requests.Timeout, ConnectionError, TimeoutError))


def _excerpt(response: Response, limit: int = 300) -> str:
    try:
        text = (response.text or "").strip()
    except Exception:
        return ""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
