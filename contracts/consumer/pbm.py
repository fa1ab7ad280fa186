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
from collections.abc import Callable
from typing import Any

import jwt
from hypothesis import example, given
from hypothesis import strategies as st

from .fake_server import Answer, Checker, Exchange, Harness, json_answer, property_settings
from .properties import (
    ConsumerContract,
    ContractAdapter,
    ContractRun,
    ContractSuite,
    Property,
    Route,
    answered_once,
    check_renewal,
    retried,
)
from .rules import (
    RetryAfter,
    Step,
    TokenWords,
    check_field,
    check_token_count,
    check_value,
    labelled,
    malformed_answers,
    retry_afters,
    step_scripts,
)
from .schemas import answer_from_malformed, malformed_bodies, spec_bodies

__all__ = ["PbmAdapter", "PbmConsumerContract", "run_pbm_contract"]

API = "PBM"
SCHEMA = "pbm.responses.schema.json"
RENEW_BEFORE_EXP = 60.0
QUERY = (
    "query {\n  WsAcesso_getMedicinesForTreatmentStart(args: {programCode: 126, originCode: 37}) {\n"
    "    code message status medicines { lineCode description ean }\n  }\n}"
)
WORDS = TokenWords(
    requests="createToken requests",
    twice="created a new token twice in one call",
    unexpected="created a token the contract does not call for",
    missing="did not create a new token after UNAUTHENTICATED",
    renewal="one after UNAUTHENTICATED",
)


class PbmAdapter(ContractAdapter):
    """How the contract drives your PBM client. Implement the two abstract methods."""

    error_attributes = ("status", "code", "message", "path")
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
            labelled,
            st.just(400),
            spec_bodies(SCHEMA, "$defs/ValidationFailedResponse", "$defs/ParseFailedResponse"),
        ),
        st.builds(
            labelled, st.just(200), spec_bodies(SCHEMA, "$defs/ExecutionErrorResponse").filter(_no_unauth)
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
        st.builds(labelled, st.just(401), unauth).map(Step),
        st.builds(answer_from_malformed, st.just(401), malformed).map(Step),
        st.builds(labelled, st.just(200), unauth).map(Step),
        st.builds(Step, st.builds(answer_from_malformed, st.just(429), malformed), retry_afters()),
        st.builds(answer_from_malformed, st.sampled_from([500, 502, 503, 504]), malformed).map(Step),
    )
    final = st.one_of(st.just(_success()), final_error_answers()).map(Step)
    return step_scripts(retryable, final, max_attempts)


class _Run(ContractRun[PbmAdapter]):
    """One GraphQL endpoint on server ``gql``; ``createToken`` requests answered with a JWT."""

    api_name = API

    def __init__(
        self, adapter: PbmAdapter, harness: Harness, route_api: Route, lifetime: float = 3600
    ) -> None:
        self.lifetime = lifetime
        self.issued: list[str] = []
        super().__init__(adapter, harness, route_api)

    def make_client(self) -> Any:
        return self.adapter.make_client(
            url=self.harness.url("gql") + "/graphql",
            login=self.adapter.login,
            password=self.adapter.password,
            sleep=self.clock.sleep,
            now=self.clock.now,
        )

    def is_token(self, ex: Exchange) -> bool:
        return _is_token_request(ex)

    def answer_token(self, ex: Exchange) -> Answer:
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

    def call(self) -> Any:
        return self.adapter.execute(self.client, QUERY)

    @staticmethod
    def extra() -> Answer:
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

    def unauthorized(self, answer: Answer) -> bool:
        return _unauthenticated(answer)

    def check_logins(self, c: Checker, renewals: int) -> None:
        check_token_count(c, len(self.tokens()), renewals, WORDS)
        for ex in self.tokens():
            text = ex.body.decode("utf-8", "replace")
            c.check(
                ex.method == "POST" and self.adapter.login in text and self.adapter.password in text,
                "sent a createToken without the login and password",
                text[:120],
                "createToken(login, password)",
            )

    def check_outcome(self, c: Checker, outcome: Any, final: Answer, what: str) -> None:
        data = final.data
        if final.status == 200 and isinstance(data, dict) and "errors" not in data and "data" in data:
            check_value(c, outcome, data["data"], what, "data", "the response's data")
            return
        fields = self.check_error(c, outcome, final, what)
        if fields is None:
            return
        want = _expected_error(final)
        check_field(
            c,
            fields,
            "code",
            want["code"],
            "did not carry the error's extensions.code"
            if want["code"] != "UNKNOWN"
            else "did not report code UNKNOWN for a body that is not GraphQL",
        )
        for name in ("message", "path"):
            if want[name] is not None:
                check_field(c, fields, name, want[name], f"did not carry the error's {name}")


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


check_retries = retried(
    _Run,
    retry_scripts,
    [Step(labelled(200, _UNAUTH_BODY)), Step(labelled(401, _UNAUTH_BODY)), Step(_success())],
    [Step(labelled(429, {}), RetryAfter("seconds", 2)), Step(_success())],
    [Step(labelled(502, {}))] * 3 + [Step(_success())],
)
check_error_bodies = answered_once(_Run, "error_bodies", final_error_answers())
check_malformed_bodies = answered_once(
    _Run, "malformed_bodies", malformed_answers([200, 400, 404, 422], WRONG_SHAPES)
)


def check_token_renewal(adapter: PbmAdapter, harness: Harness) -> None:
    @property_settings()
    @given(lifetime=st.integers(120, 86_400), before=st.floats(0.0, 0.999), after=st.floats(0.01, 600.0))
    @example(lifetime=3600, before=0.999, after=0.01)
    def token_renewal(lifetime: int, before: float, after: float) -> None:
        run = _Run(adapter, harness, lambda ex: _success(), lifetime=lifetime)
        due = lifetime - RENEW_BEFORE_EXP
        at = (before * due, due + after)
        c = run.checker(
            "token_renewal",
            f"token lifetime {lifetime} s (exp - iat); calls at 0 s, {at[0]:.2f} s and {at[1]:.2f} s",
        )
        check_renewal(
            run,
            c,
            at,
            f"{due}",
            WORDS,
            early="renewed the token earlier than 60 s before exp",
            late="did not renew the token 60 s before exp",
            value="the response's data",
        )

    token_renewal()


PROPERTIES: dict[str, Property[PbmAdapter]] = {
    "retries": check_retries,
    "error_bodies": check_error_bodies,
    "malformed_bodies": check_malformed_bodies,
    "token_renewal": check_token_renewal,
}

SUITE = ContractSuite("pbm", ("gql",), PROPERTIES)


def run_pbm_contract(adapter: PbmAdapter, only: list[str] | None = None) -> None:
    """Run the properties (all, or those named in ``only``) against ``adapter``."""
    SUITE.run(adapter, only)


class PbmConsumerContract(ConsumerContract):
    """Subclass in a test module (named ``Test...``) and set ``adapter``; one test per property."""

    adapter: PbmAdapter
    suite = SUITE
