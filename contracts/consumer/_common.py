"""Pieces the three API contracts share: the retry model, Retry-After variants, outcome capture."""

from __future__ import annotations

import email.utils
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from ._harness import Answer, Checker, Exchange, FakeClock, describe

#: The vendor's backoff cap, in seconds.
CAP = 30.0
#: Wait the vendor's client uses when a 429 has no usable Retry-After.
DEFAULT_RETRY_AFTER = 5.0


@dataclass(frozen=True)
class RetryAfter:
    """How a scripted 429 states its wait; ``expected`` is the least the client must wait."""

    kind: str  # seconds | date | absent | garbage | negative
    seconds: int = 0

    @property
    def expected(self) -> float:
        return {"seconds": self.seconds, "date": self.seconds, "negative": 0.0}.get(
            self.kind, DEFAULT_RETRY_AFTER
        )

    def header(self, now: float) -> str | None:
        if self.kind == "seconds":
            return str(self.seconds)
        if self.kind == "date":  # whole seconds, rounded up so the wait is never shorter
            return email.utils.formatdate(math.ceil(now + self.seconds), usegmt=True)
        if self.kind == "negative":
            return f"-{self.seconds}"
        if self.kind == "garbage":
            return "soon"
        return None

    def __repr__(self) -> str:
        return {
            "seconds": f"Retry-After: {self.seconds}",
            "date": f"Retry-After: <HTTP date +{self.seconds}s>",
            "negative": f"Retry-After: -{self.seconds}",
            "garbage": "Retry-After: soon",
        }.get(self.kind, "no Retry-After")


def retry_afters() -> st.SearchStrategy[RetryAfter]:
    seconds = st.integers(0, 20)
    return st.one_of(
        st.builds(RetryAfter, st.just("seconds"), seconds),
        st.builds(RetryAfter, st.just("date"), seconds),
        st.just(RetryAfter("absent")),
        st.just(RetryAfter("garbage")),
        st.builds(RetryAfter, st.just("negative"), st.integers(1, 20)),
    )


@dataclass
class Step:
    """One scripted API answer plus, for a 429, its Retry-After."""

    answer: Answer
    retry_after: RetryAfter | None = None

    def __repr__(self) -> str:
        return f"{self.answer!r} ({self.retry_after!r})" if self.retry_after else repr(self.answer)

    def serve(self, clock: FakeClock) -> Answer:
        if self.retry_after is None:
            return self.answer
        header = self.retry_after.header(clock.now())
        headers = {k: v for k, v in self.answer.headers.items() if k != "Retry-After"}
        if header is not None:
            headers["Retry-After"] = header
        a = self.answer
        return Answer(a.status, a.body, a.content_type, headers, a.label, a.data)


@dataclass
class Expected:
    """What the vendor's algorithm does with a script."""

    requests: int  # API requests sent
    renewals: int  # token renewals after an unauthorized answer (0 or 1)
    final: Step  # the answer the call ends on
    #: for request k (k >= 1): why it was sent: ("401",), ("429", RetryAfter), ("5xx", attempt)
    reasons: list[tuple[Any, ...]] = field(default_factory=list)


def vendor_model(
    steps: Sequence[Step], max_attempts: int, unauthorized: Callable[[Answer], bool]
) -> Expected:
    """Banqer's Node.js ``call()`` loop, step by step (shared by the three contracts)."""
    attempt, refreshed, i = 0, False, 0
    reasons: list[tuple[Any, ...]] = []
    while True:
        attempt += 1
        step = steps[i]
        i += 1
        status = step.answer.status
        if not refreshed and unauthorized(step.answer):
            refreshed = True
            reasons.append(("401",))
        elif status == 429 and attempt < max_attempts:
            reasons.append(("429", step.retry_after or RetryAfter("absent")))
        elif 500 <= status < 600 and attempt < max_attempts:
            reasons.append(("5xx", attempt))
        else:
            return Expected(i, int(refreshed), step, reasons)


@dataclass
class Outcome:
    value: Any = None
    error: BaseException | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def capture(call: Callable[[], Any]) -> Outcome:
    try:
        return Outcome(value=call())
    except Exception as exc:  # the contract judges every kind of failure
        return Outcome(error=exc)


def check_waits(
    c: Checker, api: Sequence[Exchange], clock: FakeClock, reasons: Sequence[tuple[Any, ...]]
) -> None:
    """Waits before each retry: >= Retry-After after a 429, the vendor's backoff after a 5xx,
    never more than the cap."""
    for sleep in clock.sleeps:
        c.check(
            sleep <= CAP + 1e-6,
            f"waited longer than the {CAP:.0f} s cap",
            f"sleep({sleep:.2f})",
            f"every wait <= {CAP:.0f} s",
        )
    for k in range(1, min(len(api), len(reasons) + 1)):
        gap = api[k].at - api[k - 1].at
        reason = reasons[k - 1]
        if reason[0] == "429":
            need = reason[1].expected
            c.check(
                gap >= need - 1e-6,
                "did not wait Retry-After before retrying after a 429",
                f"request {k + 1} sent {gap:.2f} s after the 429 ({reason[1]!r})",
                f"a wait of at least {need:g} s",
            )
        elif reason[0] == "5xx":
            low = min(2.0 ** reason[1], CAP)
            high = min(2.0 ** reason[1] + 1.0, CAP)
            c.check(
                low - 1e-6 <= gap <= high + 1e-6,
                "did not back off exponentially after a 5xx",
                f"request {k + 1} sent {gap:.2f} s after the 5xx of attempt {reason[1]}",
                f"a wait of min(2**{reason[1]} + random(), {CAP:.0f}) s, i.e. between {low:g} and {high:g} s",
            )
        c.check(
            gap <= CAP + 1e-6,
            f"waited longer than the {CAP:.0f} s cap",
            f"{gap:.2f} s before request {k + 1}",
            f"at most {CAP:.0f} s",
        )


def check_typed_error(
    c: Checker, outcome: Outcome, error_types: tuple[type[BaseException], ...], what: str
) -> BaseException | None:
    """The call must have raised one of the client's own error types."""
    if outcome.ok:
        c.check(False, f"returned normally on {what}", f"returned {outcome.value!r:.200}", "a typed error")
        return None
    assert outcome.error is not None
    if not c.check(
        isinstance(outcome.error, error_types),
        f"crashed with an untyped error on {what}",
        describe(outcome.error),
        "one of " + ", ".join(t.__name__ for t in error_types),
    ):
        return None
    return outcome.error


def bearer(exchange: Exchange) -> str | None:
    value = exchange.headers.get("authorization", "")
    return value[7:] if value.lower().startswith("bearer ") else None


def check_bearer(c: Checker, exchanges: Sequence[Exchange], is_api: Callable[[Exchange], bool]) -> None:
    """Every API request carries the newest token issued before it (``Exchange.issued``)."""
    current: str | None = None
    renewed = False
    for ex in exchanges:
        if ex.issued is not None:
            renewed, current = current is not None, ex.issued
            continue
        if not is_api(ex):
            continue
        c.check(
            bearer(ex) == current,
            "did not send the newest token" if renewed else "did not send the bearer token",
            f"Authorization: {ex.headers.get('authorization')!r}",
            f"Bearer {current}",
        )
