"""What every API's consumer contract is built from; each API module supplies the hooks.

An API module defines:

* its adapter, a :class:`ContractAdapter`: how the suite builds and calls a client of that API;
* a :class:`ContractRun` subclass: the fake API's token endpoint, the client it builds, the call the
  properties make, the answers they script and the error fields the outcome must carry;
* its own properties (pagination, renewal), gathered with :func:`standard_properties` in a
  :class:`ContractSuite`;
* its ``...ConsumerContract`` class: ``class XConsumerContract(ConsumerContract, suite=SUITE)``.

The adapter interface (every API's adapter has these; the API adds its call methods):

``make_client(**keywords)``
    A new client. Keywords: the API's connection and credential keywords (``client_keywords``
    of the adapter class names them), ``sleep`` (wait, seconds) and ``now`` (epoch seconds) of the
    suite's fake clock, and, *only when the method accepts them* (a parameter of that name or
    ``**kwargs``): ``random`` (a ``() -> float`` in [0, 1) the client draws its jitter from,
    seeded by the example) and ``max_attempts`` (the attempts per call the suite wants, used to
    drive backoffs up to the 30 s cap).
``error_types``
    The exceptions the client raises on purpose; every failure must be one of them.
``error_fields(error)``
    The fields the contract checks of one such error (default: the ``error_attributes``).
``close(client)``
    Called after each example (default: ``client.close()`` when there is one).
Knobs, with the vendor's values as defaults: ``max_attempts`` (3), ``backoff_base`` (2.0),
``renew_window`` ((0.8, 0.8): the share of a token's lifetime at which it is renewed; a team may
allow any part of 0.5-0.8).
"""

from __future__ import annotations

import abc
import inspect
import itertools
import random as _random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar, cast

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from .contract import title
from .fake_server import Answer, Checker, Exchange, Harness, json_answer, property_settings
from .rules import (
    FieldRule,
    Outcome,
    RetryAfter,
    Step,
    capture,
    check_bearer,
    check_error_fields,
    check_typed_error,
    check_waits,
    vendor_model,
)

__all__ = [
    "CAP_ATTEMPTS",
    "ConsumerContract",
    "ContractAdapter",
    "ContractRun",
    "ContractSuite",
    "Property",
    "Route",
    "api_suite",
    "standard_properties",
]

Route = Callable[[Exchange], Answer]
#: Attempts that take the vendor's backoff past the cap: min(2**5 + r, 30) after the 5th.
CAP_ATTEMPTS = 6


class ContractAdapter(abc.ABC):
    """What every adapter has; an API's adapter adds how to call its client (see the module doc)."""

    #: The exceptions your client raises on purpose; every failure must be one of them.
    error_types: tuple[type[BaseException], ...] = (Exception,)
    #: Attempts per call your client is configured with (the vendor's default: 3).
    max_attempts: int = 3
    #: Base of the exponential backoff after a 5xx: ``min(base**attempt + random(), 30)`` s.
    backoff_base: float = 2.0
    #: Share of a token's lifetime at which the client renews it: any point of ``(low, high)``.
    renew_window: tuple[float, float] = (0.8, 0.8)
    #: The attributes :meth:`error_fields` reads from one of your errors.
    error_attributes: ClassVar[tuple[str, ...]]
    #: The API's keywords of :meth:`make_client` (besides ``sleep``, ``now`` and the optional ones).
    client_keywords: ClassVar[tuple[str, ...]]

    @abc.abstractmethod
    def make_client(self, **keywords: Any) -> Any:
        """A new client (no token yet) built from ``keywords`` (see the module doc)."""

    def error_fields(self, error: BaseException) -> dict[str, Any]:
        """The fields the contract checks (:attr:`error_attributes`) of one of your errors."""
        return {k: getattr(error, k, None) for k in self.error_attributes}

    def close(self, client: Any) -> None:
        close = getattr(client, "close", None)
        if callable(close):
            close()

    def accepts(self, keyword: str) -> bool:
        """Whether :meth:`make_client` takes ``keyword`` (by name or through ``**kwargs``)."""
        parameters = inspect.signature(self.make_client).parameters.values()
        return any(p.name == keyword or p.kind is p.VAR_KEYWORD for p in parameters)


AdapterT = TypeVar("AdapterT", bound=ContractAdapter)
Property = Callable[[AdapterT, Harness], None]


class ContractRun(abc.ABC, Generic[AdapterT]):
    """One example: the servers reset, a new client, the exchanges it makes.

    Requests :meth:`is_token` picks are answered by :meth:`answer_token` (or by ``token_failure``
    when a property sets one); the others by the example's ``route_api``. A subclass sets what it
    needs for :meth:`answer_token` before calling ``super().__init__``, which builds the client.
    """

    #: The API's name in failure titles: ``"<api_name> contract: ..."``.
    api_name: ClassVar[str]
    #: Whose attempt counting the retry rules follow, as failures say it.
    counted_like: ClassVar[str] = "the vendor's client"
    #: Words of the token titles (see ``contract.RULES``).
    words: ClassVar[Mapping[str, str]]
    #: Where the client's error fields come from in an error body.
    error_rules: ClassVar[tuple[FieldRule, ...]]
    #: A JSON pointer that must hold a text for any field to come from the body (PBM's first error).
    error_guard: ClassVar[str | None] = None
    #: Answers the standard properties script: a success, a 401, a 429, a 503.
    ok: ClassVar[Answer]
    unauthorized_answer: ClassVar[Answer]
    rate_limited: ClassVar[Answer]
    unavailable: ClassVar[Answer]

    def __init__(
        self,
        adapter: AdapterT,
        harness: Harness,
        route_api: Route,
        *,
        max_attempts: int | None = None,
        seed: int = 0,
    ) -> None:
        self.adapter, self.harness = adapter, harness
        self.token_failure: Answer | None = None
        self.clock = harness.reset(self._route(route_api))
        keywords: dict[str, Any] = {**self.connection(), "sleep": self.clock.sleep, "now": self.clock.now}
        if adapter.accepts("random"):
            keywords["random"] = _random.Random(seed).random
        self.max_attempts = adapter.max_attempts
        if max_attempts is not None and adapter.accepts("max_attempts"):
            keywords["max_attempts"] = self.max_attempts = max_attempts
        self.client = adapter.make_client(**keywords)

    def _route(self, route_api: Route) -> Route:
        def route(ex: Exchange) -> Answer:
            if not self.is_token(ex):
                return route_api(ex)
            return self.token_failure if self.token_failure is not None else self.answer_token(ex)

        return route

    @abc.abstractmethod
    def connection(self) -> dict[str, Any]:
        """The API's keywords of ``make_client``: URLs and credentials."""

    @abc.abstractmethod
    def is_token(self, ex: Exchange) -> bool:
        """Whether ``ex`` asks for a token (or logs in)."""

    @abc.abstractmethod
    def answer_token(self, ex: Exchange) -> Answer:
        """The fake API's answer to a token request; sets ``ex.issued``."""

    @abc.abstractmethod
    def call(self) -> Any:
        """The call the retry and renewal properties make with the client."""

    def call_once(self) -> Any:
        """The call of the properties that serve one answer."""
        return self.call()

    @staticmethod
    @abc.abstractmethod
    def extra() -> Answer:
        """The answer to a request the script has no answer for."""

    @classmethod
    @abc.abstractmethod
    def error_answers(cls) -> st.SearchStrategy[Answer]:
        """Final error answers with bodies the spec allows (none of them retried)."""

    @classmethod
    @abc.abstractmethod
    def malformed_answers(cls) -> st.SearchStrategy[Answer]:
        """Final error answers with bodies no schema allows."""

    @classmethod
    @abc.abstractmethod
    def retry_scripts(cls, max_attempts: int) -> st.SearchStrategy[list[Step]]:
        """Runs of retryable answers, then a final one."""

    @classmethod
    @abc.abstractmethod
    def token_failures(cls) -> list[tuple[Answer, bool]]:
        """Failing answers of the token endpoint, and whether each refuses the credentials."""

    #: Another dimension of the retry scripts (Assine: whether a refresh grant is accepted); the
    #: fixed scripts of ``retries`` run with each value.
    variant_values: ClassVar[tuple[Any, ...]] = (None,)

    @classmethod
    def variants(cls) -> st.SearchStrategy[Any]:
        return st.sampled_from(cls.variant_values)

    def set_variant(self, variant: Any) -> None:
        """Apply a value of :meth:`variants` (before the call)."""

    @staticmethod
    def describe_variant(variant: Any) -> list[str]:
        return []

    def secrets(self) -> list[str]:
        """Values no error message may show."""
        return []

    def unauthorized(self, answer: Answer) -> bool:
        """Whether the client must renew its token and retry after ``answer``."""
        return answer.status == 401

    @abc.abstractmethod
    def check_logins(self, c: Checker, renewals: int) -> None:
        """The token requests of a call that had to renew its token ``renewals`` times (0 or 1)."""

    def success_value(self, final: Answer) -> tuple[bool, Any]:
        """Whether ``final`` ends the call with a value, and that value."""
        return final.status < 400, final.data

    def api(self) -> list[Exchange]:
        return self.harness.requests(lambda e: not self.is_token(e))

    def tokens(self) -> list[Exchange]:
        return self.harness.requests(self.is_token)

    def is_api(self, ex: Exchange) -> bool:
        return not self.is_token(ex)

    def checker(self, prop: str, script: Any) -> Checker:
        return Checker(self.api_name, prop, script, self.harness.check_handler_errors)

    def finish(self, call: Callable[[], Any]) -> Outcome:
        """Run ``call``, then close the client."""
        outcome = capture(call)
        self.adapter.close(self.client)
        return outcome

    def check_outcome(self, c: Checker, outcome: Outcome, final: Answer, what: str) -> None:
        """What the call returned or raised, given the ``final`` answer it got."""
        is_value, value = self.success_value(final)
        if is_value:
            if outcome.ok:
                c.check(
                    outcome.value == value, title("value", noun="the body"), repr(outcome.value), repr(value)
                )
            else:
                c.check(False, title("raised-on-success", what=what), repr(outcome.error), "the body")
            return
        error = check_typed_error(c, outcome, self.adapter.error_types, what)
        if error is None:
            return
        fields = self.adapter.error_fields(error)
        c.check(
            fields.get("status") == final.status,
            title("error-status"),
            f"status={fields.get('status')!r}",
            f"status={final.status}",
        )
        check_error_fields(c, fields, final, self.error_rules, self.error_guard)


def check_retry_script(run: ContractRun[Any], steps: Sequence[Step], script: Any) -> None:
    """``steps`` served in order: the requests, token renewals, waits and outcome of the vendor's
    retry rules (``script`` is how failures show the server's behaviour)."""
    outcome = run.finish(run.call)
    model = vendor_model(steps, run.max_attempts, run.unauthorized)
    c = run.checker("retries", script)
    api = run.api()
    # Waits first: a client that sleeps past the cap also outlives its token.
    check_waits(c, api, run.clock, model.reasons, run.adapter.backoff_base)
    run.check_logins(c, model.renewals)
    counted = f"{model.requests} (max_attempts={run.max_attempts}, counted like {run.counted_like})"
    c.check(len(api) <= model.requests, title("too-many-attempts"), f"{len(api)} requests", counted)
    c.check(len(api) >= model.requests, title("too-few-attempts"), f"{len(api)} requests", counted)
    check_bearer(c, run.harness.exchanges, run.is_api)
    run.check_outcome(c, outcome, model.final.answer, "the last answer")
    c.raise_if_failed()


RunType = Callable[..., ContractRun[AdapterT]]


def _queued(
    run_type: RunType[AdapterT], adapter: AdapterT, harness: Harness, steps: Sequence[Step], **options: Any
) -> ContractRun[AdapterT]:
    queue: Iterator[Step] = iter(steps)
    run: ContractRun[AdapterT] = run_type(
        adapter, harness, lambda ex: next(queue, Step(run.extra())).serve(run.clock), **options
    )
    return run


def retried(run_type: RunType[AdapterT]) -> Property[AdapterT]:
    """The property ``retries``: the fixed scripts below (every kind of ``Retry-After``, a 5xx run,
    two 401s), then scripts drawn from the API's ``retry_scripts``."""
    r = cast(Any, run_type)
    fixed = [
        [Step(r.unauthorized_answer), Step(r.unauthorized_answer), Step(r.ok)],
        [Step(r.rate_limited, RetryAfter("seconds", 3)), Step(r.ok)],
        [Step(r.rate_limited, RetryAfter("absent")), Step(r.ok)],
        [Step(r.rate_limited, RetryAfter("date", 4)), Step(r.ok)],
        [Step(r.rate_limited, RetryAfter("garbage")), Step(r.ok)],
        [Step(r.unavailable)] * 3 + [Step(r.ok)],
    ]

    def check(adapter: AdapterT, harness: Harness) -> None:
        @property_settings()
        @given(script=r.retry_scripts(adapter.max_attempts), variant=r.variants())
        def retries(script: list[Step], variant: Any) -> None:
            run = _queued(run_type, adapter, harness, script)
            run.set_variant(variant)
            check_retry_script(run, script, [*script, *run.describe_variant(variant)])

        for script in reversed(fixed):  # Hypothesis runs the last one added first
            for variant in reversed(r.variant_values):
                retries = example(script=script, variant=variant)(retries)
        retries()

    return check


#: Clients the ``backoff`` property serves the same script to (their waits must differ: jitter).
JITTER_RUNS = 2
#: Examples of ``backoff`` at most: it draws only the seed of the clients' random source.
BACKOFF_EXAMPLES = 5


def backoff(run_type: RunType[AdapterT]) -> Property[AdapterT]:
    """The property ``backoff``: the longest run of 503s a call retries, served to
    :data:`JITTER_RUNS` clients in turn. Every wait is the vendor's backoff, none is over the cap,
    and the waits differ between the clients (jitter). A client that takes ``max_attempts=`` gets
    :data:`CAP_ATTEMPTS`, so its last backoff reaches the cap."""
    r = cast(Any, run_type)

    def check(adapter: AdapterT, harness: Harness) -> None:
        attempts = CAP_ATTEMPTS if adapter.accepts("max_attempts") else adapter.max_attempts
        script = [Step(r.unavailable)] * max(1, attempts - 1) + [Step(r.ok)]

        @property_settings(examples_at_most=BACKOFF_EXAMPLES)
        @given(seed=st.integers(0, 2**32 - 1))
        @example(seed=0)
        def backoff(seed: int) -> None:
            waits: list[list[float]] = []
            for k in range(JITTER_RUNS):
                run = _queued(run_type, adapter, harness, script, max_attempts=attempts, seed=seed + k)
                run.finish(run.call)
                model = vendor_model(script, run.max_attempts, run.unauthorized)
                shown = [*script, f"client {k + 1} of {JITTER_RUNS} (max_attempts={run.max_attempts})"]
                c = run.checker("backoff", shown)
                api = run.api()
                check_waits(c, api, run.clock, model.reasons, adapter.backoff_base)
                waits.append([b.at - a.at for a, b in itertools.pairwise(api)])
                c.raise_if_failed()
            c.check(
                any(w != waits[0] for w in waits) or not waits[0],
                title("jitter"),
                "; ".join(", ".join(f"{s:.3f} s" for s in w) for w in waits),
                f"{adapter.backoff_base:g}**attempt + random() s: other waits for each client",
            )
            c.raise_if_failed()

        backoff()

    return check


def token_failures(run_type: RunType[AdapterT]) -> Property[AdapterT]:
    """The property ``token_failures``: the token endpoint fails on every request (5xx, 429,
    refused credentials, garbage). The call raises a typed error without a secret in it, sends no
    API request, asks at most ``max_attempts`` times, and only once when the credentials are refused."""
    r = cast(Any, run_type)

    def check(adapter: AdapterT, harness: Harness) -> None:
        failures = r.token_failures()

        @property_settings()
        @given(failure=st.sampled_from(failures))
        def token_failures(failure: tuple[Answer, bool]) -> None:
            answer, refused = failure
            run = run_type(adapter, harness, lambda ex: r.ok)
            run.token_failure = answer
            outcome = run.finish(run.call)
            words = dict(run.words)
            c = run.checker("token_failures", f"every {words['endpoint']} request answered {answer!r}")
            sent = len(run.tokens())
            if refused:
                c.check(
                    sent <= 1, title("token-refused-retried", **words), f"{sent} {words['requests']}", "1"
                )
            c.check(
                sent <= run.max_attempts,
                title("token-failure-bounded", **words),
                f"{sent} {words['requests']}",
                f"at most {run.max_attempts}",
            )
            c.check(not run.api(), title("token-failure-api"), f"{len(run.api())} API requests", "none")
            if outcome.ok:
                c.check(
                    False,
                    title("token-failure-returned", **words),
                    repr(outcome.value)[:200],
                    "a typed error",
                )
            elif c.check(
                isinstance(outcome.error, adapter.error_types),
                title("token-failure-typed", **words),
                f"{type(outcome.error).__name__}: {outcome.error}"[:300],
                "one of " + ", ".join(t.__name__ for t in adapter.error_types),
            ):
                shown = f"{outcome.error}\n{outcome.error!r}"
                leaked = [s for s in run.secrets() if s and s in shown]
                c.check(
                    not leaked, title("secret-in-error", **words), shown[:300], "no secret in str() or repr()"
                )
            c.raise_if_failed()

        for failure in reversed(failures):  # every one, whatever the number of examples
            token_failures = example(failure=failure)(token_failures)
        token_failures()

    return check


def answered_once(
    run_type: RunType[AdapterT], prop: str, answers: st.SearchStrategy[Answer]
) -> Property[AdapterT]:
    """The property ``prop``: one answer drawn from ``answers`` is the outcome of one call, which
    sends a single request (none of these answers is retried)."""

    def check(adapter: AdapterT, harness: Harness) -> None:
        @property_settings()
        @given(answer=answers)
        def answered(answer: Answer) -> None:
            run: ContractRun[AdapterT] = run_type(
                adapter, harness, lambda ex: answer if len(run.api()) == 1 else run.extra()
            )
            outcome = run.finish(run.call_once)
            c = run.checker(prop, [answer])
            sent = len(run.api())
            c.check(sent == 1, title("not-retried", status=answer.status), f"{sent} requests", "1 request")
            run.check_outcome(c, outcome, answer, f"a {answer.status} answer")
            c.raise_if_failed()

        answered.__name__ = answered.__qualname__ = prop
        answered()

    return check


def standard_properties(run_type: RunType[AdapterT]) -> dict[str, Property[AdapterT]]:
    """The properties every API has: retries, backoff, token_failures, error_bodies, malformed_bodies."""
    r = cast(Any, run_type)
    return {
        "retries": retried(run_type),
        "backoff": backoff(run_type),
        "token_failures": token_failures(run_type),
        "error_bodies": answered_once(run_type, "error_bodies", st.deferred(lambda: r.error_answers())),
        "malformed_bodies": answered_once(
            run_type, "malformed_bodies", st.deferred(lambda: r.malformed_answers())
        ),
    }


def check_renewal(
    run: ContractRun[Any], c: Checker, at: tuple[float, float], due: str, *, early: str, late: str
) -> None:
    """Calls at 0 s, ``at[0]`` s (before the renewal is ``due``) and ``at[1]`` s (after it): the
    first two share the first token, the third fetches a second one. ``early``/``late`` are the
    titles of the two ways to get it wrong."""
    requests = run.words["requests"]
    outcomes = [capture(run.call)]
    run.clock.advance(at[0])
    outcomes.append(capture(run.call))
    sent = len(run.tokens())
    c.check(sent == 1, early, f"{sent} {requests} by {at[0]:.2f} s", f"1 (renewal due at {due} s)")
    run.clock.advance(at[1] - at[0])
    outcomes.append(capture(run.call))
    run.adapter.close(run.client)
    sent = len(run.tokens())
    c.check(sent == 2, late, f"{sent} {requests} by {at[1]:.2f} s", f"2 (renewal due at {due} s)")
    for o in outcomes:
        c.check(o.ok, title("plain-call"), repr(o.error), "the body")
    check_bearer(c, run.harness.exchanges, run.is_api)
    c.raise_if_failed()


def renewal_by_share(run_type: Callable[..., ContractRun[AdapterT]]) -> Property[AdapterT]:
    """The property ``token_renewal`` of tokens renewed at a share of ``expires_in`` (Banqer,
    Assine): the token is kept until ``renew_window[0]`` of its lifetime, renewed by ``[1]``."""

    def check(adapter: AdapterT, harness: Harness) -> None:
        low, high = adapter.renew_window
        if not 0 < low <= high < 1:
            raise ValueError(f"renew_window must be (low, high) with 0 < low <= high < 1, not {(low, high)}")

        @property_settings()
        @given(expires_in=st.integers(10, 86_400), before=st.floats(0.0, 0.999), after=st.floats(0.001, 1.0))
        @example(expires_in=300, before=0.99, after=0.01)
        def token_renewal(expires_in: int, before: float, after: float) -> None:
            run = run_type(adapter, harness, lambda ex: cast(Any, run_type).ok, expires_in=expires_in)
            at = (before * low * expires_in, (high + after * (2 - high)) * expires_in)
            c = run.checker(
                "token_renewal", f"expires_in={expires_in}; calls at 0 s, {at[0]:.2f} s and {at[1]:.2f} s"
            )
            words = {"token": run.words["token"], "low": low, "high": high}
            check_renewal(
                run,
                c,
                at,
                f"{low * expires_in:.2f}-{high * expires_in:.2f}",
                early=title("renew-early", **words),
                late=title("renew-late", **words),
            )

        token_renewal()

    return check


@dataclass(frozen=True)
class ContractSuite(Generic[AdapterT]):
    """An API's properties and the local servers they need."""

    #: Names the pytest fixture of the suite's servers: ``<key>_harness``.
    key: str
    servers: tuple[str, ...]
    properties: Mapping[str, Property[AdapterT]]

    def harness(self) -> Harness:
        return Harness(self.servers)

    def run(self, adapter: AdapterT, only: list[str] | None = None) -> None:
        """Run the properties (all, or those named in ``only``) against ``adapter``.

        Raises a :class:`~specmock.contracts.consumer.ContractViolation` (an ``AssertionError``)
        for the first property that fails, with Hypothesis' minimal example.
        """
        unknown = sorted(set(only or ()) - set(self.properties))
        if unknown:
            raise ValueError(f"unknown {self.key} properties {unknown}; known: {list(self.properties)}")
        with self.harness().running() as harness:
            for name, check in self.properties.items():
                if only is None or name in only:
                    check(adapter, harness)


def api_suite(
    key: str, servers: tuple[str, ...], run_type: RunType[AdapterT], *more: Mapping[str, Property[AdapterT]]
) -> ContractSuite[AdapterT]:
    """An API's suite: :func:`standard_properties` of ``run_type``, then the API's ``more``."""
    properties = standard_properties(run_type)
    for extra in more:
        properties.update(extra)
    return ContractSuite(key, servers, properties)


class ConsumerContract:
    """Base of ``BanqerConsumerContract`` & co.: a class declared with ``suite=`` gets one test per
    property, ``test_<name>``, and the class-scoped fixture ``<key>_harness`` they share; a team's
    subclass sets ``adapter`` and inherits them."""

    adapter: Any
    suite: ClassVar[ContractSuite[Any]]

    def __init_subclass__(cls, suite: ContractSuite[Any] | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if suite is None:  # a test class of the user: it inherits the tests
            return
        cls.suite = suite
        fixture = f"{suite.key}_harness"
        setattr(cls, fixture, _harness_fixture(suite, fixture))
        for name, check in suite.properties.items():
            setattr(cls, f"test_{name}", _property_test(name, check, fixture))


def _harness_fixture(suite: ContractSuite[Any], name: str) -> Any:
    def harness(cls: type) -> Iterator[Harness]:
        with suite.harness().running() as running:
            yield running

    harness.__name__ = harness.__qualname__ = name
    return pytest.fixture(scope="class", name=name)(cast(Any, classmethod(harness)))


def _property_test(name: str, check: Property[Any], fixture: str) -> Callable[..., None]:
    def test(self: ConsumerContract, request: pytest.FixtureRequest) -> None:
        check(self.adapter, request.getfixturevalue(fixture))

    test.__name__ = test.__qualname__ = f"test_{name}"
    return test


def refusal(status: int, body: Any, label: str) -> tuple[Answer, bool]:
    """A token endpoint answer that refuses the credentials."""
    return json_answer(status, body, label), True


def outage(status: int, body: Any, label: str, **headers: str) -> tuple[Answer, bool]:
    """A token endpoint answer that may succeed later."""
    return json_answer(status, body, label, **headers), False
