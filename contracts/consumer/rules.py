"""Pieces the three API contracts share: the retry model, Retry-After variants, outcome capture,
and the checks their properties make."""

from __future__ import annotations

import email.utils
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from .contract import title
from .fake_server import Answer, Checker, Exchange, FakeClock, describe, json_answer, shown_as_repr
from .schemas import answer_from_malformed, malformed_bodies

__all__ = [
    "ANY_TEXT",
    "CAP",
    "DEFAULT_RETRY_AFTER",
    "Expected",
    "FieldRule",
    "Outcome",
    "RetryAfter",
    "Step",
    "at_pointer",
    "bearer",
    "capture",
    "check_bearer",
    "check_collection",
    "check_error_fields",
    "check_no_revisit",
    "check_token_count",
    "check_typed_error",
    "check_waits",
    "expected_error",
    "labelled",
    "malformed_answers",
    "retry_afters",
    "step_scripts",
    "vendor_model",
]

#: The vendor's backoff cap, in seconds.
CAP = 30.0
#: Wait the vendor's client uses when a 429 has no usable Retry-After.
DEFAULT_RETRY_AFTER = 5.0


@shown_as_repr
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

    @property
    def rule(self) -> str:
        """The contract rule a wait after this 429 follows."""
        return {
            "date": "retry-after-date",
            "absent": "retry-after-default",
            "garbage": "retry-after-default",
        }.get(self.kind, "retry-after-seconds")

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


@shown_as_repr
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
    c: Checker,
    api: Sequence[Exchange],
    clock: FakeClock,
    reasons: Sequence[tuple[Any, ...]],
    base: float = 2.0,
) -> None:
    """Waits before each retry: >= Retry-After after a 429, the vendor's backoff after a 5xx,
    never more than the cap (checked first: it is the rule a very long wait breaks)."""
    for sleep in clock.sleeps:
        c.check(sleep <= CAP + 1e-6, title("cap"), f"sleep({sleep:.2f})", f"every wait <= {CAP:.0f} s")
    for k in range(1, min(len(api), len(reasons) + 1)):
        gap = api[k].at - api[k - 1].at
        c.check(
            gap <= CAP + 1e-6, title("cap"), f"{gap:.2f} s before request {k + 1}", f"at most {CAP:.0f} s"
        )
        reason = reasons[k - 1]
        if reason[0] == "429":
            after: RetryAfter = reason[1]
            need = after.expected
            c.check(
                gap >= need - 1e-6,
                title(after.rule),
                f"request {k + 1} sent {gap:.2f} s after the 429 ({after!r})",
                f"a wait of at least {need:g} s",
            )
        elif reason[0] == "5xx":
            low = min(base ** reason[1], CAP)
            high = min(base ** reason[1] + 1.0, CAP)
            c.check(
                low - 1e-6 <= gap <= high + 1e-6,
                title("backoff"),
                f"request {k + 1} sent {gap:.2f} s after the 5xx of attempt {reason[1]}",
                f"min({base:g}**{reason[1]} + random(), {CAP:.0f}) s: between {low:g} and {high:g} s",
            )


def check_typed_error(
    c: Checker, outcome: Outcome, error_types: tuple[type[BaseException], ...], what: str
) -> BaseException | None:
    """The call must have raised one of the client's own error types."""
    if outcome.ok:
        c.check(
            False, title("error-returned", what=what), f"returned {outcome.value!r:.200}", "a typed error"
        )
        return None
    assert outcome.error is not None
    if not c.check(
        isinstance(outcome.error, error_types),
        title("error-typed", what=what),
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
            title("newest-token" if renewed else "bearer"),
            f"Authorization: {ex.headers.get('authorization')!r}",
            f"Bearer {current}",
        )


def check_token_count(c: Checker, sent: int, renewals: int, words: Mapping[str, str]) -> None:
    """One token request at the start of a call, plus one per renewal the script calls for."""
    want = 1 + renewals
    if sent > want:
        c.check(
            False,
            title("token-twice" if sent > 2 else "token-unexpected", **words),
            f"{sent} {words['requests']}",
            f"{want} (one at the start, {words['renewal']}, at most once per call)",
        )
    c.check(sent >= want, title("token-missing", **words), f"{sent} {words['requests']}", f"{want}")


# -- the error oracle: which field of an error body each field of the client's error carries ---------

#: Expected field value: any text (the body has none; e.g. the HTTP reason phrase).
ANY_TEXT: Any = type("AnyText", (), {"__repr__": lambda self: "a text"})()
_MISSING: Any = object()


@dataclass(frozen=True)
class FieldRule:
    """A field of the client's error: read at ``pointer`` (RFC 6901) of the error body when a value of
    type ``kind`` is there; otherwise ``fallback`` (``ANY_TEXT``, a value, or ``None``: not checked),
    or ``by_status[status]`` when the answer's status has its own."""

    name: str
    pointer: str
    kind: type | tuple[type, ...] = str
    fallback: Any = None
    by_status: Mapping[int, Any] = field(default_factory=dict)


def at_pointer(doc: Any, pointer: str) -> Any:
    """The value at JSON pointer ``pointer`` of ``doc``, or ``_MISSING``."""
    for token in pointer.split("/")[1:]:
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(doc, dict) and token in doc:
            doc = doc[token]
        elif isinstance(doc, list) and token.isdigit() and int(token) < len(doc):
            doc = doc[int(token)]
        else:
            return _MISSING
    return doc


def expected_error(answer: Answer, rules: Sequence[FieldRule], guard: str | None = None) -> dict[str, Any]:
    """Per field: ``("body", value)`` or ``("fallback", value)`` for an error ``answer``."""
    body = answer.data if answer.content_type == "application/json" else None
    usable = guard is None or isinstance(at_pointer(body, guard), str)
    out: dict[str, Any] = {}
    for rule in rules:
        if not usable:
            out[rule.name] = ("fallback", rule.fallback)
            continue
        value = at_pointer(body, rule.pointer)
        if value is not _MISSING and isinstance(value, rule.kind) and not isinstance(value, bool):
            out[rule.name] = ("body", value)
        else:
            out[rule.name] = ("fallback", rule.by_status.get(answer.status, rule.fallback))
    return out


def check_error_fields(
    c: Checker, fields: Mapping[str, Any], answer: Answer, rules: Sequence[FieldRule], guard: str | None
) -> None:
    """The error's fields against :func:`expected_error`, each failure titled by its field."""
    for name, (origin, want) in expected_error(answer, rules, guard).items():
        got = fields.get(name)
        if origin == "body":
            c.check(got == want, title("error-field", field=name), f"{name}={got!r}", f"{name}={want!r}")
        elif want is ANY_TEXT:
            c.check(isinstance(got, str), title("error-text", field=name), f"{name}={got!r}", "a text")
        elif want is not None:
            c.check(
                got == want,
                title("error-fallback", field=name, value=want),
                f"{name}={got!r}",
                f"{name}={want!r}",
            )


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
        c.check(kept, title("filters", page=k + 1), received, expected)
    c.check(
        len(api) <= len(pages),
        title("too-many-pages", holder=holder),
        f"{len(api)} requests",
        f"{len(pages)}",
    )
    c.check(len(api) >= len(pages), title("too-few-pages"), f"{len(api)} requests", f"{len(pages)}")
    items = [item for page in pages for item in page]
    if outcome.ok:
        c.check(
            list(outcome.value) == items,
            title("every-item"),
            [i.get(id_key) if isinstance(i, dict) else i for i in outcome.value],
            [i[id_key] for i in items],
        )
    else:
        c.check(False, title("page-raised"), repr(outcome.error), f"{len(items)} items")


def check_no_revisit(
    c: Checker,
    sent: Sequence[str],
    pages: int,
    outcome: Outcome,
    error_types: tuple[type[BaseException], ...],
    *,
    link: str,
    shown: str,
    what: str,
) -> None:
    """A walk that loops back stops with a typed error instead of asking for a page twice;
    ``link`` names what it follows ("page token" / "next link")."""
    repeated = sorted({t for t in sent if sent.count(t) > 1})
    c.check(
        not repeated,
        title("page-loop", link=link, sent="sent" if link == "page token" else "followed"),
        f"{shown}: {list(sent[:8])}{'...' if len(sent) > 8 else ''}",
        f"stop with a typed error after {pages} pages",
    )
    check_typed_error(c, outcome, error_types, what)
