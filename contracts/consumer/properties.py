"""What every API's consumer contract is built from; each API module supplies the hooks.

An API module defines:

* its adapter, a :class:`ContractAdapter`: how the suite builds and calls a client of that API;
* a :class:`ContractRun` subclass: the fake API's token endpoint, the client it builds, the call the
  properties make and what the outcome of that call must be;
* its properties, with Hypothesis strategies of its own, run through :func:`retried` (or
  :func:`check_retry_script`), :func:`answered_once` and :func:`check_renewal`, gathered in a
  :class:`ContractSuite`;
* its ``...ConsumerContract`` class, a :class:`ConsumerContract` naming that suite.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar, cast

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from .fake_server import Answer, Checker, Exchange, Harness, property_settings
from .rules import (
    Outcome,
    Step,
    TokenWords,
    capture,
    check_bearer,
    check_typed_error,
    check_waits,
    vendor_model,
)

Route = Callable[[Exchange], Answer]


class ContractAdapter(abc.ABC):
    """What every adapter has; an API's adapter adds how to build and call its client."""

    #: The exceptions your client raises on purpose; every failure must be one of them.
    error_types: tuple[type[BaseException], ...] = (Exception,)
    #: Attempts per call your client is configured with (the vendor's default: 3).
    max_attempts: int = 3
    #: The attributes :meth:`error_fields` reads from one of your errors.
    error_attributes: ClassVar[tuple[str, ...]]

    def error_fields(self, error: BaseException) -> dict[str, Any]:
        """The fields the contract checks (:attr:`error_attributes`) of one of your errors."""
        return {k: getattr(error, k, None) for k in self.error_attributes}

    def close(self, client: Any) -> None:
        close = getattr(client, "close", None)
        if callable(close):
            close()


AdapterT = TypeVar("AdapterT", bound=ContractAdapter)
Property = Callable[[AdapterT, Harness], None]


class ContractRun(abc.ABC, Generic[AdapterT]):
    """One example: the servers reset, a new client, the exchanges it makes.

    Requests :meth:`is_token` picks are answered by :meth:`answer_token`; the others by the
    example's ``route_api``. A subclass sets what it needs for :meth:`answer_token` before calling
    ``super().__init__``, which builds the client.
    """

    #: The API's name in failure titles: ``"<api_name> contract: ..."``.
    api_name: ClassVar[str]
    #: Whose attempt counting the retry rules follow, as failures say it.
    counted_like: ClassVar[str] = "Banqer's client"

    def __init__(self, adapter: AdapterT, harness: Harness, route_api: Route) -> None:
        self.adapter, self.harness = adapter, harness
        self.clock = harness.reset(lambda ex: self.answer_token(ex) if self.is_token(ex) else route_api(ex))
        self.client = self.make_client()

    @abc.abstractmethod
    def make_client(self) -> Any:
        """A new client from the adapter, on the harness's servers and fake clock."""

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

    def unauthorized(self, answer: Answer) -> bool:
        """Whether the client must renew its token and retry after ``answer``."""
        return answer.status == 401

    @abc.abstractmethod
    def check_logins(self, c: Checker, renewals: int) -> None:
        """The token requests of a call that had to renew its token ``renewals`` times (0 or 1)."""

    @abc.abstractmethod
    def check_outcome(self, c: Checker, outcome: Outcome, final: Answer, what: str) -> None:
        """What the call returned or raised, given the ``final`` answer it got."""

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

    def check_error(self, c: Checker, outcome: Outcome, final: Answer, what: str) -> dict[str, Any] | None:
        """A typed error with the status of ``final``; its fields, for the API's own checks."""
        error = check_typed_error(c, outcome, self.adapter.error_types, what)
        if error is None:
            return None
        fields = self.adapter.error_fields(error)
        c.check(
            fields.get("status") == final.status,
            "raised an error with the wrong status",
            f"status={fields.get('status')!r}",
            f"status={final.status}",
        )
        return fields


def check_retry_script(
    start: Callable[[Route], ContractRun[Any]], steps: Sequence[Step], script: Any
) -> None:
    """``steps`` served in order: the requests, token renewals, waits and outcome of the vendor's
    retry rules (``script`` is how failures show the server's behaviour)."""
    queue: Iterator[Step] = iter(steps)
    run = start(lambda ex: next(queue, Step(run.extra())).serve(run.clock))
    outcome = run.finish(run.call)
    max_attempts = run.adapter.max_attempts
    model = vendor_model(steps, max_attempts, run.unauthorized)
    c = run.checker("retries", script)
    run.check_logins(c, model.renewals)
    api = run.api()
    counted = f"{model.requests} (max_attempts={max_attempts}, counted like {run.counted_like})"
    c.check(
        len(api) <= model.requests, "retried more than the contract allows", f"{len(api)} requests", counted
    )
    c.check(len(api) >= model.requests, "gave up before the contract allows", f"{len(api)} requests", counted)
    check_bearer(c, run.harness.exchanges, run.is_api)
    check_waits(c, api, run.clock, model.reasons)
    run.check_outcome(c, outcome, model.final.answer, "the last answer")
    c.raise_if_failed()


def retried(
    run_type: Callable[[AdapterT, Harness, Route], ContractRun[AdapterT]],
    scripts: Callable[[int], st.SearchStrategy[list[Step]]],
    *examples: list[Step],
) -> Property[AdapterT]:
    """The property ``retries``: each of ``examples``, then scripts drawn from
    ``scripts(max_attempts)``, checked by :func:`check_retry_script`."""

    def check(adapter: AdapterT, harness: Harness) -> None:
        @property_settings()
        @given(script=scripts(adapter.max_attempts))
        def retries(script: list[Step]) -> None:
            check_retry_script(lambda route: run_type(adapter, harness, route), script, script)

        for script in reversed(examples):  # Hypothesis runs the last one added first
            retries = example(script=script)(retries)
        retries()

    check.__name__ = "check_retries"
    return check


def answered_once(
    run_type: Callable[[AdapterT, Harness, Route], ContractRun[AdapterT]],
    prop: str,
    answers: st.SearchStrategy[Answer],
) -> Property[AdapterT]:
    """The property ``prop``: one answer drawn from ``answers`` is the outcome of one call, which
    sends a single request (none of these answers is retried)."""

    def check(adapter: AdapterT, harness: Harness) -> None:
        @property_settings()
        @given(answer=answers)
        def answered(answer: Answer) -> None:
            run = run_type(adapter, harness, lambda ex: answer if len(run.api()) == 1 else run.extra())
            outcome = run.finish(run.call_once)
            c = run.checker(prop, [answer])
            sent = len(run.api())
            c.check(sent == 1, f"retried a {answer.status}", f"{sent} requests", "1 request")
            run.check_outcome(c, outcome, answer, f"a {answer.status} answer")
            c.raise_if_failed()

        answered()

    check.__name__ = f"check_{prop}"
    return check


def check_renewal(
    run: ContractRun[Any],
    c: Checker,
    at: tuple[float, float],
    due: str,
    words: TokenWords,
    *,
    early: str,
    late: str,
    value: str,
) -> None:
    """Calls at 0 s, ``at[0]`` s (before the renewal is ``due``) and ``at[1]`` s (after it): the
    first two share the first token, the third fetches a second one. ``early``/``late`` are the
    titles of the two ways to get it wrong; ``value`` is what a plain call returns."""
    outcomes = [capture(run.call)]
    run.clock.advance(at[0])
    outcomes.append(capture(run.call))
    sent = len(run.tokens())
    c.check(sent == 1, early, f"{sent} {words.requests} by {at[0]:.2f} s", f"1 (renewal due at {due} s)")
    run.clock.advance(at[1] - at[0])
    outcomes.append(capture(run.call))
    run.adapter.close(run.client)
    sent = len(run.tokens())
    c.check(sent == 2, late, f"{sent} {words.requests} by {at[1]:.2f} s", f"2 (renewal due at {due} s)")
    for o in outcomes:
        c.check(o.ok, "failed a plain call", repr(o.error), value)
    check_bearer(c, run.harness.exchanges, run.is_api)
    c.raise_if_failed()


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
        """Run the properties (all, or those named in ``only``) against ``adapter``."""
        with self.harness().running() as harness:
            for name, check in self.properties.items():
                if only is None or name in only:
                    check(adapter, harness)


class ConsumerContract:
    """Base of ``BanqerConsumerContract`` & co.: a class naming a ``suite`` gets one test per
    property, ``test_<name>``, and the class-scoped fixture ``<key>_harness`` they share."""

    adapter: Any
    suite: ClassVar[ContractSuite[Any]]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        suite: ContractSuite[Any] | None = cls.__dict__.get("suite")
        if suite is None:  # a test class of the user: it inherits the tests
            return
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
