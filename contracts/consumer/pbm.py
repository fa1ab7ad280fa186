"""Consumer contract for Funcional PBM GraphQL clients.

Point it at your client with a :class:`PbmAdapter` and subclass :class:`PbmConsumerContract`
in a test module, or call :func:`run_pbm_contract`.

Properties (error bodies come from the ``$defs`` of ``pbm.responses.schema.json`` or are
malformed on purpose):

``retries``           any run of 401 / ``UNAUTHENTICATED`` / 429 / 5xx answers, then a final
                      answer: exactly the requests the contract allows (one new ``createToken``
                      and retry per call; 429/5xx like Banqer, attempts counted the same way),
                      the new token used, the waits, and the last answer's value or error.
``error_bodies``      every spec error body gives a typed error with the HTTP status and the
                      first error's ``extensions.code``, ``message`` and ``path``.
``malformed_bodies``  empty, HTML, truncated or wrong-shaped bodies: a typed error with the
                      status and code ``"UNKNOWN"``.
``token_renewal``     the token is reused until 60 s before its ``exp`` claim, renewed after.
"""

from __future__ import annotations

import abc
from collections.abc import Callable, Iterator
from typing import Any

import jwt
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ._common import (
    RetryAfter,
    Step,
    capture,
    check_bearer,
    check_typed_error,
    check_waits,
    retry_afters,
    vendor_model,
)
from ._harness import Answer, Checker, Exchange, Harness, json_answer, property_settings
from .schemas import answer_from_malformed, malformed_bodies, spec_bodies

__all__ = ["PbmAdapter", "PbmConsumerContract", "run_pbm_contract"]

API = "PBM"
SCHEMA = "pbm.responses.schema.json"
RENEW_BEFORE_EXP = 60.0
QUERY = (
    "query {\n  WsAcesso_getMedicinesForTreatmentStart(args: {programCode: 126, originCode: 37}) {\n"
    "    code message status medicines { lineCode description ean }\n  }\n}"
)


class PbmAdapter(abc.ABC):
    """How the contract drives your PBM client. Implement the two abstract methods."""

    error_types: tuple[type[BaseException], ...] = (Exception,)
    max_attempts: int = 3
    login = "contract-login"
    password = "contract-password-8c2d4e6f"

    @abc.abstractmethod
    def make_client(
        self, *, url: str, login: str, password: str, sleep: Callable[[float], None], now: Callable[[], float]
    ) -> Any:
        """A new client (no token yet) for the GraphQL endpoint ``url``."""

    @abc.abstractmethod
    def execute(self, client: Any, query: str, variables: dict[str, Any] | None = None) -> Any:
        """Run ``query``; return the response's ``data``."""

    def error_fields(self, error: BaseException) -> dict[str, Any]:
        """``status``, ``code``, ``message`` and ``path`` of one of your errors."""
        return {k: getattr(error, k, None) for k in ("status", "code", "message", "path")}

    def close(self, client: Any) -> None:
        close = getattr(client, "close", None)
        if callable(close):
            close()


def _is_token_request(ex: Exchange) -> bool:
    body = ex.json
    return isinstance(body, dict) and "createToken" in str(body.get("query", ""))


def _unauthenticated(answer: Answer) -> bool:
    if answer.status == 401:
        return True
    errors = answer.data.get("errors") if isinstance(answer.data, dict) else None
    return (
        answer.status == 200
        and isinstance(errors, list)
        and any(
            isinstance(e, dict)
            and isinstance(e.get("extensions"), dict)
            and e["extensions"].get("code") == "UNAUTHENTICATED"
            for e in errors
        )
    )


def _expected_error(answer: Answer) -> dict[str, Any]:
    """code / message / path the contract requires (None: any value)."""
    body = answer.data if answer.content_type == "application/json" else None
    errors = body.get("errors") if isinstance(body, dict) else None
    first = errors[0] if isinstance(errors, list) and errors else None
    if not (isinstance(first, dict) and isinstance(first.get("message"), str)):
        return {"code": "UNKNOWN", "message": None, "path": None}
    ext = first.get("extensions")
    code = ext.get("code") if isinstance(ext, dict) else None
    if not isinstance(code, str):
        code = "GRAPHQL_VALIDATION_FAILED" if answer.status == 400 else "UNKNOWN"
    return {"code": code, "message": first["message"], "path": first.get("path")}


def _body_answer(status: int, body: Any) -> Answer:
    text = repr(body)
    return json_answer(status, body, f"{status} {text[:90]}{'...' if len(text) > 90 else ''}")


WRONG_SHAPES: list[Any] = [
    [],
    "Bad Gateway",
    42,
    None,
    {},
    {"errors": "boom"},
    {"errors": [None]},
    {"errors": [{"message": 5}]},
    {"errors": [{"extensions": {"code": "INTERNAL_SERVER_ERROR"}}]},
    {"message": "Internal server error"},
    {"statusCode": 500, "message": "Internal server error"},
]


def _no_unauth(body: Any) -> bool:
    return not _unauthenticated(Answer(200, data=body))


def final_error_answers() -> st.SearchStrategy[Answer]:
    return st.one_of(
        st.builds(
            _body_answer,
            st.just(400),
            spec_bodies(SCHEMA, "$defs/ValidationFailedResponse", "$defs/ParseFailedResponse"),
        ),
        st.builds(
            _body_answer, st.just(200), spec_bodies(SCHEMA, "$defs/ExecutionErrorResponse").filter(_no_unauth)
        ),
    )


def _success() -> Answer:
    data = {
        "WsAcesso_getMedicinesForTreatmentStart": {
            "code": 0,
            "message": None,
            "status": "00",
            "medicines": [{"lineCode": 6994, "description": "MICARDIS", "ean": "7896026304276"}],
        }
    }
    return json_answer(200, {"data": data}, "200 data")


def retry_scripts(max_attempts: int) -> st.SearchStrategy[list[Step]]:
    unauth = spec_bodies(SCHEMA, "$defs/UnauthenticatedResponse")
    malformed = malformed_bodies(WRONG_SHAPES)
    retryable = st.one_of(
        st.builds(_body_answer, st.just(401), unauth).map(Step),
        st.builds(answer_from_malformed, st.just(401), malformed).map(Step),
        st.builds(_body_answer, st.just(200), unauth).map(Step),
        st.builds(Step, st.builds(answer_from_malformed, st.just(429), malformed), retry_afters()),
        st.builds(answer_from_malformed, st.sampled_from([500, 502, 503, 504]), malformed).map(Step),
    )
    final = st.one_of(st.just(_success()), final_error_answers()).map(Step)
    return st.builds(
        lambda steps, last: [*steps, last], st.lists(retryable, max_size=max_attempts + 2), final
    )


class _Run:
    def __init__(
        self,
        adapter: PbmAdapter,
        harness: Harness,
        route_api: Callable[[Exchange], Answer],
        lifetime: float = 3600,
    ) -> None:
        self.adapter, self.harness, self.lifetime = adapter, harness, lifetime
        self.issued: list[str] = []
        self.clock = harness.reset(lambda ex: self._token(ex) if _is_token_request(ex) else route_api(ex))
        self.client = adapter.make_client(
            url=harness.url("gql") + "/graphql",
            login=adapter.login,
            password=adapter.password,
            sleep=self.clock.sleep,
            now=self.clock.now,
        )

    def _token(self, ex: Exchange) -> Answer:
        iat = int(self.clock.now())
        claims = {
            "iat": iat,
            "exp": iat + int(self.lifetime),
            "jti": f"contract{len(self.issued):08d}",
            "iss": "SSO",
            "sub": "273f9945-bdd8-4a24-89db-49e3e3a7ea29",
            "authorized_app": True,
        }
        token = jwt.encode(claims, "contract-suite-signing-key-not-verified-by-clients", algorithm="HS256")
        self.issued.append(token)
        ex.issued = token
        return json_answer(200, {"data": {"createToken": {"token": token}}}, "createToken")

    def api(self) -> list[Exchange]:
        return self.harness.requests(lambda e: not _is_token_request(e))

    def tokens(self) -> list[Exchange]:
        return self.harness.requests(_is_token_request)


def _check_token_requests(c: Checker, run: _Run) -> None:
    for ex in run.tokens():
        text = ex.body.decode("utf-8", "replace")
        c.check(
            ex.method == "POST" and run.adapter.login in text and run.adapter.password in text,
            "sent a createToken without the login and password",
            text[:120],
            "createToken(login, password)",
        )


def _check_outcome(c: Checker, run: _Run, outcome: Any, final: Answer, what: str) -> None:
    if (
        final.status == 200
        and isinstance(final.data, dict)
        and "errors" not in final.data
        and "data" in final.data
    ):
        if outcome.ok:
            c.check(
                outcome.value == final.data["data"],
                "returned something else than data",
                repr(outcome.value),
                repr(final.data["data"]),
            )
        else:
            c.check(False, f"raised on {what}", repr(outcome.error), "the response's data")
        return
    error = check_typed_error(c, outcome, run.adapter.error_types, what)
    if error is None:
        return
    fields = run.adapter.error_fields(error)
    want = _expected_error(final)
    c.check(
        fields.get("status") == final.status,
        "raised an error with the wrong status",
        f"status={fields.get('status')!r}",
        f"status={final.status}",
    )
    c.check(
        fields.get("code") == want["code"],
        "did not carry the error's extensions.code"
        if want["code"] != "UNKNOWN"
        else "did not report code UNKNOWN for a body that is not GraphQL",
        f"code={fields.get('code')!r}",
        f"code={want['code']!r}",
    )
    if want["message"] is not None:
        c.check(
            fields.get("message") == want["message"],
            "did not carry the error's message",
            f"message={fields.get('message')!r}",
            f"message={want['message']!r}",
        )
    if want["path"] is not None:
        c.check(
            fields.get("path") == want["path"],
            "did not carry the error's path",
            f"path={fields.get('path')!r}",
            f"path={want['path']!r}",
        )


_UNAUTH_BODY = {
    "errors": [
        {
            "message": "Unauthorized",
            "path": ["WsAcesso_getMedicinesForTreatmentStart"],
            "extensions": {
                "code": "UNAUTHENTICATED",
                "originalError": {"message": "Unauthorized", "statusCode": 401},
            },
        }
    ],
    "data": None,
}


def check_retries(adapter: PbmAdapter, harness: Harness) -> None:
    @property_settings()
    @given(script=retry_scripts(adapter.max_attempts))
    @example(
        script=[
            Step(_body_answer(200, _UNAUTH_BODY)),
            Step(_body_answer(401, _UNAUTH_BODY)),
            Step(_success()),
        ]
    )
    @example(script=[Step(_body_answer(429, {}), RetryAfter("seconds", 2)), Step(_success())])
    @example(script=[Step(_body_answer(502, {}))] * 3 + [Step(_success())])
    def retries(script: list[Step]) -> None:
        queue: Iterator[Step] = iter(script)
        run = _Run(adapter, harness, lambda ex: next(queue, Step(_extra())).serve(run.clock))
        outcome = capture(lambda: adapter.execute(run.client, QUERY))
        adapter.close(run.client)
        model = vendor_model(script, adapter.max_attempts, _unauthenticated)
        c = Checker(API, "retries", script)
        api, tokens = run.api(), run.tokens()
        want = 1 + model.renewals
        if len(tokens) > want:
            c.check(
                False,
                "created a new token twice in one call"
                if len(tokens) > 2
                else "created a token the contract does not call for",
                f"{len(tokens)} createToken requests",
                f"{want} (one at the start, one after UNAUTHENTICATED, at most once per call)",
            )
        c.check(
            len(tokens) >= want,
            "did not create a new token after UNAUTHENTICATED",
            f"{len(tokens)} createToken requests",
            f"{want}",
        )
        _check_token_requests(c, run)
        c.check(
            len(api) <= model.requests,
            "retried more than the contract allows",
            f"{len(api)} requests",
            f"{model.requests} (max_attempts={adapter.max_attempts}, counted like Banqer's client)",
        )
        c.check(
            len(api) >= model.requests,
            "gave up before the contract allows",
            f"{len(api)} requests",
            f"{model.requests} (max_attempts={adapter.max_attempts}, counted like Banqer's client)",
        )
        check_bearer(c, run.harness.exchanges, lambda ex: not _is_token_request(ex))
        check_waits(c, api, run.clock, model.reasons)
        _check_outcome(c, run, outcome, model.final.answer, "the last answer")
        c.raise_if_failed()

    retries()


def _extra() -> Answer:
    return json_answer(
        400,
        {
            "errors": [
                {
                    "message": "contract suite: request not in the script",
                    "extensions": {"code": "CONTRACT_SUITE_EXTRA"},
                }
            ]
        },
        "400 (not scripted)",
    )


def _single(adapter: PbmAdapter, harness: Harness, answer: Answer, prop: str) -> None:
    run = _Run(adapter, harness, lambda ex: answer if len(run.api()) == 1 else _extra())
    outcome = capture(lambda: adapter.execute(run.client, QUERY))
    adapter.close(run.client)
    c = Checker(API, prop, [answer])
    c.check(len(run.api()) == 1, f"retried a {answer.status}", f"{len(run.api())} requests", "1 request")
    _check_outcome(c, run, outcome, answer, f"a {answer.status} answer")
    c.raise_if_failed()


def check_error_bodies(adapter: PbmAdapter, harness: Harness) -> None:
    @property_settings()
    @given(answer=final_error_answers())
    def error_bodies(answer: Answer) -> None:
        _single(adapter, harness, answer, "error_bodies")

    error_bodies()


def check_malformed_bodies(adapter: PbmAdapter, harness: Harness) -> None:
    @property_settings()
    @given(status=st.sampled_from([200, 400, 404, 422]), body=malformed_bodies(WRONG_SHAPES))
    def malformed(status: int, body: tuple[str, bytes, str]) -> None:
        _single(adapter, harness, answer_from_malformed(status, body), "malformed_bodies")

    malformed()


def check_token_renewal(adapter: PbmAdapter, harness: Harness) -> None:
    @property_settings()
    @given(lifetime=st.integers(120, 86_400), before=st.floats(0.0, 0.999), after=st.floats(0.01, 600.0))
    @example(lifetime=3600, before=0.999, after=0.01)
    def token_renewal(lifetime: int, before: float, after: float) -> None:
        run = _Run(adapter, harness, lambda ex: _success(), lifetime=lifetime)
        due = lifetime - RENEW_BEFORE_EXP
        c = Checker(
            API,
            "token_renewal",
            f"token lifetime {lifetime} s (exp - iat); calls at 0 s, "
            f"{before * due:.2f} s and {due + after:.2f} s",
        )
        outcomes = [capture(lambda: adapter.execute(run.client, QUERY))]
        run.clock.advance(before * due)
        outcomes.append(capture(lambda: adapter.execute(run.client, QUERY)))
        c.check(
            len(run.tokens()) == 1,
            "renewed the token earlier than 60 s before exp",
            f"{len(run.tokens())} createToken requests by {before * due:.2f} s",
            f"1 (renewal due at {due} s)",
        )
        run.clock.advance(due + after - before * due)
        outcomes.append(capture(lambda: adapter.execute(run.client, QUERY)))
        adapter.close(run.client)
        c.check(
            len(run.tokens()) == 2,
            "did not renew the token 60 s before exp",
            f"{len(run.tokens())} createToken requests by {due + after:.2f} s",
            f"2 (renewal due at {due} s)",
        )
        for o in outcomes:
            c.check(o.ok, "failed a plain call", repr(o.error), "the response's data")
        check_bearer(c, run.harness.exchanges, lambda ex: not _is_token_request(ex))
        c.raise_if_failed()

    token_renewal()


PROPERTIES: dict[str, Callable[[PbmAdapter, Harness], None]] = {
    "retries": check_retries,
    "error_bodies": check_error_bodies,
    "malformed_bodies": check_malformed_bodies,
    "token_renewal": check_token_renewal,
}


def _new_harness() -> Harness:
    return Harness(["gql"])


def run_pbm_contract(adapter: PbmAdapter, only: list[str] | None = None) -> None:
    """Run the properties (all, or those named in ``only``) against ``adapter``."""
    with _new_harness().running() as harness:
        for name, check in PROPERTIES.items():
            if only is None or name in only:
                check(adapter, harness)


class PbmConsumerContract:
    """Subclass in a test module (named ``Test...``) and set ``adapter``; one test per property."""

    adapter: PbmAdapter

    @pytest.fixture(scope="class")
    @classmethod
    def pbm_harness(cls) -> Iterator[Harness]:
        with _new_harness().running() as harness:
            yield harness

    def test_retries(self, pbm_harness: Harness) -> None:
        check_retries(self.adapter, pbm_harness)

    def test_error_bodies(self, pbm_harness: Harness) -> None:
        check_error_bodies(self.adapter, pbm_harness)

    def test_malformed_bodies(self, pbm_harness: Harness) -> None:
        check_malformed_bodies(self.adapter, pbm_harness)

    def test_token_renewal(self, pbm_harness: Harness) -> None:
        check_token_renewal(self.adapter, pbm_harness)
