"""Machinery shared by the consumer contracts: fake clock, scripted local servers, failures."""

from __future__ import annotations

import json
import logging
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from hypothesis import HealthCheck, Phase, settings
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from .. import profiles

__all__ = [
    "EPOCH",
    "REQUEST_BUDGET",
    "Answer",
    "Checker",
    "ClockOverrun",
    "ContractViolation",
    "Exchange",
    "FakeClock",
    "Harness",
    "SuiteError",
    "describe",
    "json_answer",
    "property_settings",
    "shown_as_repr",
]

#: The fake clock starts here (2023-11-14T22:13:20Z): whole seconds, so HTTP dates are exact.
EPOCH = 1_700_000_000.0
#: A client is stopped (the server answers 400) after this many requests in one example.
REQUEST_BUDGET = 40


class ContractViolation(AssertionError):
    """A client broke a consumer contract. ``str()`` has a title and a Received/Expected body."""

    def __init__(self, api: str, prop: str, title: str, received: str, expected: str, script: str) -> None:
        self.api, self.prop, self.title = api, prop, title
        self.received, self.expected, self.script = received, expected, script
        super().__init__(
            f"{api} contract: {title}\n"
            f"  property: {prop}\n"
            f"  server script: {script}\n"
            f"  Received: {received}\n"
            f"  Expected: {expected}"
        )


class SuiteError(Exception):
    """The suite itself broke (a handler of its fake server raised): not the client's fault."""


class ClockOverrun(Exception):
    """Raised into the client when it sleeps absurdly often (a retry loop that never ends)."""


class FakeClock:
    """``now()`` in epoch seconds; ``sleep(s)`` records ``s`` and moves ``now`` forward."""

    MAX_SLEEPS = 200

    def __init__(self, start: float = EPOCH) -> None:
        self.t = start
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if len(self.sleeps) > self.MAX_SLEEPS:
            raise ClockOverrun(f"slept {len(self.sleeps)} times in one call")
        self.t += max(0.0, float(seconds))

    def advance(self, seconds: float) -> None:
        """Time passing outside the client (between calls): not recorded as a sleep."""
        self.t += seconds


@dataclass
class Exchange:
    """One request the client made, with the fake time it arrived and the answer it got."""

    server: str
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes
    at: float
    status: int = 0
    #: Set by a token endpoint route: the token this exchange issued.
    issued: str | None = None

    @property
    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def param(self, name: str) -> str | None:
        values = [v for k, v in self.query if k == name]
        return values[0] if values else None


def shown_as_repr(cls: type) -> type:
    """Hypothesis prints values of ``cls`` with their ``repr`` (the script), not field by field."""

    def pretty(self: Any, printer: Any, cycle: bool) -> None:
        printer.text(repr(self))

    cls._repr_pretty_ = pretty  # type: ignore[attr-defined]
    return cls


@shown_as_repr
@dataclass
class Answer:
    """A scripted HTTP answer. ``label`` is how it shows in failure messages (and in Hypothesis'
    "Falsifying example" lines, through ``_repr_pretty_``)."""

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    label: str = ""
    #: The body as JSON when it is JSON (kept for computing expectations).
    data: Any = None

    def __repr__(self) -> str:
        return self.label or str(self.status)

    def response(self) -> Response:
        return Response(
            self.body, status=self.status, headers={"Content-Type": self.content_type, **self.headers}
        )


def json_answer(status: int, data: Any, label: str = "", **headers: str) -> Answer:
    return Answer(
        status, json.dumps(data).encode(), "application/json", dict(headers), label or str(status), data
    )


class _Server(HTTPServer):
    """pytest-httpserver's server, stopped within 50 ms (its default poll interval is 0.5 s)."""

    def thread_target(self) -> None:
        assert self.server is not None
        self.server.serve_forever(poll_interval=0.05)


class Harness:
    """Local HTTP servers (127.0.0.1) whose answers come from a per-example ``route`` function."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = tuple(names)
        self.servers: dict[str, HTTPServer] = {}
        self.exchanges: list[Exchange] = []
        self.clock = FakeClock()
        self._route: Callable[[Exchange], Answer] | None = None
        self._lock = threading.Lock()

    def url(self, name: str) -> str:
        return self.servers[name].url_for("").rstrip("/")

    @contextmanager
    def running(self) -> Iterator[Harness]:
        with ExitStack() as stack:
            quiet = logging.getLogger("werkzeug")  # one access-log line per request otherwise
            stack.callback(quiet.setLevel, quiet.level)
            quiet.setLevel(logging.WARNING)
            for name in self.names:
                server = _Server(host="127.0.0.1", port=0)
                server.start()
                stack.callback(server.stop)
                self.servers[name] = server
            yield self

    def check_handler_errors(self) -> None:
        """Raise :class:`SuiteError` when a handler of the suite raised in this example (the
        client then got a 500 the script never asked for: its behaviour proves nothing)."""
        for name, server in self.servers.items():
            try:
                server.check_handler_errors()
            except Exception as exc:
                server.clear_handler_errors()
                raise SuiteError(
                    f"the contract suite's fake server {name!r} failed while answering the client "
                    f"({describe(exc)}); this is a bug of the suite, not of the client"
                ) from exc

    def reset(self, route: Callable[[Exchange], Answer]) -> FakeClock:
        """New example: clear servers and records, install ``route``, return a fresh clock."""
        self.check_handler_errors()
        self.exchanges = []
        self.clock = FakeClock()
        self._route = route
        for name, server in self.servers.items():
            server.clear()
            server.expect_request(re.compile(".*")).respond_with_handler(self._handler(name))
        return self.clock

    def _handler(self, name: str) -> Callable[[Request], Response]:
        def handle(request: Request) -> Response:
            exchange = Exchange(
                server=name,
                method=request.method,
                path=request.path,
                query=parse_qsl(request.query_string.decode("latin-1"), keep_blank_values=True),
                headers={k.lower(): v for k, v in request.headers.items()},
                body=request.get_data(),
                at=self.clock.now(),
            )
            with self._lock:
                self.exchanges.append(exchange)
                over_budget = len(self.exchanges) > REQUEST_BUDGET
            if over_budget:
                answer = json_answer(
                    400,
                    {
                        "message": "contract suite: request budget exhausted",
                        "details": [{"reason": "CONTRACT_SUITE_STOP"}],
                    },
                    "400 STOP",
                )
            else:
                assert self._route is not None
                answer = self._route(exchange)
            exchange.status = answer.status
            return answer.response()

        return handle

    def requests(self, predicate: Callable[[Exchange], bool]) -> list[Exchange]:
        return [e for e in self.exchanges if predicate(e)]


def property_settings(examples_at_most: int | None = None, **overrides: Any) -> settings:
    """Settings for one property: the active profile, no deadline (network), no fixture noise.

    Built when the property runs, so the profile loaded by the test run applies.
    ``examples_at_most`` caps ``max_examples`` for a property whose input space is small.
    """
    base = profiles.active()
    if examples_at_most is not None:
        overrides.setdefault("max_examples", min(base.max_examples, examples_at_most))
    return settings(
        base,
        deadline=None,
        report_multiple_bugs=False,
        # The explain phase traces every line (client, httpx, server thread): 10x slower shrinking
        # for a note the Received/Expected text already gives.
        phases=[p for p in base.phases if p is not Phase.explain],
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
            HealthCheck.function_scoped_fixture,
        ],
        **overrides,
    )


class Checker:
    """Collects the first violation of one example; raised at a single place (stable shrinking)."""

    def __init__(
        self, api: str, prop: str, script: Any, suite_check: Callable[[], None] | None = None
    ) -> None:
        self.api, self.prop, self.script = api, prop, script
        self.violation: ContractViolation | None = None
        #: Runs before a verdict: raises when the suite itself failed (see ``Harness``).
        self.suite_check = suite_check

    def check(self, ok: bool, title: str, received: Any, expected: Any) -> bool:
        if not ok and self.violation is None:
            self.violation = ContractViolation(
                self.api, self.prop, title, str(received), str(expected), _script_text(self.script)
            )
        return ok

    def failed(self) -> bool:
        return self.violation is not None

    def raise_if_failed(self) -> None:
        if self.suite_check is not None:
            self.suite_check()
        if self.violation is not None:
            raise self.violation


def _script_text(script: Any) -> str:
    if isinstance(script, str):
        return script
    if isinstance(script, list | tuple):
        return ", ".join(repr(a) for a in script) or "(nothing)"
    return repr(script)


def describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
