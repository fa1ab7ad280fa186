"""Pieces the three API contracts share: the retry model, Retry-After variants, outcome capture,
and the checks their properties make."""

from __future__ import annotations

import email.utils
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from .fake_server import Answer, Checker, Exchange, FakeClock, describe, json_answer
from .schemas import answer_from_malformed, malformed_bodies

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


def labelled(status: int, body: Any) -> Answer:
    """A JSON answer shown in server scripts as its status and the start of its body."""
    text = repr(body)
    return json_answer(status, body, f"{status} {text[:90]}{'...' if len(text) > 90 else ''}")


def malformed_answers(statuses: list[int], wrong_shapes: list[Any]) -> st.SearchStrategy[Answer]:
    """Answers with one of ``statuses`` and a body no schema allows (see ``malformed_bodies``)."""
    return st.builds(answer_from_malformed, st.sampled_from(statuses), malformed_bodies(wrong_shapes))


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


def step_scripts(
    retryable: st.SearchStrategy[Step], final: st.SearchStrategy[Step], max_attempts: int
) -> st.SearchStrategy[list[Step]]:
    """Up to ``max_attempts + 2`` retryable answers, then a final one."""
    return st.builds(
        lambda steps, last: [*steps, last], st.lists(retryable, max_size=max_attempts + 2), final
    )


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


@dataclass(frozen=True)
class TokenWords:
    """How an API's contract words its token requests in failures."""

    requests: str  # "token requests"
    twice: str  # title: renewed twice in one call
    unexpected: str  # title: one token request more than the script calls for
    missing: str  # title: no renewal after an unauthorized answer
    renewal: str  # what the one renewal per call follows, e.g. "one refresh after a 401"


def check_token_count(c: Checker, sent: int, renewals: int, words: TokenWords) -> None:
    """One token request at the start of a call, plus one per renewal the script calls for."""
    want = 1 + renewals
    if sent > want:
        c.check(
            False,
            words.twice if sent > 2 else words.unexpected,
            f"{sent} {words.requests}",
            f"{want} (one at the start, {words.renewal}, at most once per call)",
        )
    c.check(sent >= want, words.missing, f"{sent} {words.requests}", f"{want}")


def check_value(c: Checker, outcome: Outcome, value: Any, what: str, noun: str, expected: str) -> None:
    """A call whose last answer succeeded returns ``value``; ``noun`` and ``expected`` name it."""
    if outcome.ok:
        c.check(
            outcome.value == value, f"returned something else than {noun}", repr(outcome.value), repr(value)
        )
    else:
        c.check(False, f"raised on {what}", repr(outcome.error), expected)


def check_field(
    c: Checker, fields: Mapping[str, Any], name: str, want: Any, title: str, expected: str | None = None
) -> None:
    """The error's ``name`` field is ``want``."""
    got = fields.get(name)
    c.check(got == want, title, f"{name}={got!r}", f"{name}={want!r}" if expected is None else expected)


def check_text(c: Checker, fields: Mapping[str, Any], name: str, title: str, expected: str) -> None:
    """The error's ``name`` field is a text (the body had none to carry)."""
    got = fields.get(name)
    c.check(isinstance(got, str), title, f"{name}={got!r}", expected)


def check_collection(
    c: Checker,
    api: Sequence[Exchange],
    pages: Sequence[Sequence[Any]],
    outcome: Outcome,
    *,
    filters: Callable[[Exchange], tuple[bool, Any, Any]],
    id_key: str,
    holder: str,
) -> None:
    """A walk through ``pages``: ``filters(request)`` (kept?, received, expected) holds on every
    page, one request per page, every item exactly once (shown by ``id_key``)."""
    for k, ex in enumerate(api):
        kept, received, expected = filters(ex)
        c.check(kept, f"dropped the filters on page {k + 1}", received, expected)
    c.check(
        len(api) <= len(pages),
        f"requested more pages than the {holder} has",
        f"{len(api)} requests",
        f"{len(pages)}",
    )
    c.check(len(api) >= len(pages), "stopped before the last page", f"{len(api)} requests", f"{len(pages)}")
    items = [item for page in pages for item in page]
    if outcome.ok:
        c.check(
            list(outcome.value) == items,
            "did not yield every item exactly once",
            [i.get(id_key) if isinstance(i, dict) else i for i in outcome.value],
            [i[id_key] for i in items],
        )
    else:
        c.check(False, "raised on a well-formed collection", repr(outcome.error), f"{len(items)} items")


def check_no_revisit(
    c: Checker,
    sent: Sequence[str],
    pages: int,
    outcome: Outcome,
    error_types: tuple[type[BaseException], ...],
    *,
    title: str,
    shown: str,
    what: str,
) -> None:
    """A walk that loops back stops with a typed error instead of asking for a page twice."""
    repeated = sorted({t for t in sent if sent.count(t) > 1})
    c.check(
        not repeated,
        title,
        f"{shown}: {list(sent[:8])}{'...' if len(sent) > 8 else ''}",
        f"stop with a typed error after {pages} pages",
    )
    check_typed_error(c, outcome, error_types, what)
