"""Consumer contract for Funcional PBM GraphQL clients.

Point it at your client with a :class:`PbmAdapter` and subclass :class:`PbmConsumerContract`
in a test module, or call :func:`run_pbm_contract`.

Properties (error bodies come from the ``$defs`` of ``pbm.responses.schema.json`` or are
malformed on purpose):

``retries``           any run of 401 / ``UNAUTHENTICATED`` / 429 / 5xx answers, then a final
                      answer: exactly the requests the contract allows (one new ``createToken``
                      and retry per call; 429/5xx like Banqer, attempts counted the same way),
                      the new token used, the waits, and the last answer's value or error.
``backoff``           runs of 503s: backoff, jitter and the 30 s cap, as for Banqer.
``token_failures``    ``createToken`` answers 5xx, 429, a refused login or garbage: a typed error
                      without the password, no API request, bounded retries (none after a refusal).
``error_bodies``      every spec error body gives a typed error with the HTTP status and the
                      first error's ``extensions.code``, ``message`` and ``path``.
``malformed_bodies``  empty, HTML, truncated or wrong-shaped bodies: a typed error with the
                      status and code ``"UNKNOWN"``.
``token_renewal``     the token is reused until 60 s before its ``exp`` claim, renewed after.

Every rule, its source and its title: ``docs/consumer-contract.md``.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import Any, ClassVar

import jwt
from hypothesis import example, given
from hypothesis import strategies as st

from . import properties as props
from . import rules
from .contract import title
from .fake_server import Answer, Checker, Exchange, Harness, json_answer, property_settings
from .schemas import answer_from_malformed, malformed_bodies, spec_bodies

__all__ = ["PbmAdapter", "PbmConsumerContract", "run_pbm_contract"]

SCHEMA = "pbm.responses.schema.json"
RENEW_BEFORE_EXP = 60.0
QUERY = (
    "query {\n  WsAcesso_getMedicinesForTreatmentStart(args: {programCode: 126, originCode: 37}) {\n"
    "    code message status medicines { lineCode description ean }\n  }\n}"
)


class PbmAdapter(props.ContractAdapter):
    """How the contract drives your PBM client. Implement the two abstract methods.

    ``make_client`` gets ``url`` (the GraphQL endpoint), ``login``, ``password``, ``sleep`` and
    ``now`` (and ``random``/``max_attempts`` when it takes them)."""

    error_attributes = ("status", "code", "message", "path")
    client_keywords = ("url", "login", "password")
    login = "contract-login"
    password = "contract-password-8c2d4e6f"

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


#: Bodies close to a GraphQL result that no schema of the gateway allows.
WRONG_SHAPES: list[Any] = [
    {"errors": "boom"},
    {"errors": [None]},
    {"errors": [{"message": 5}]},
    {"errors": [{"extensions": {"code": "INTERNAL_SERVER_ERROR"}}]},
    {"statusCode": 500, "message": "Internal server error"},
]


def _no_unauth(body: Any) -> bool:
    return not _unauthenticated(Answer(200, data=body))


def _graphql_error(message: str, code: str) -> dict[str, Any]:
    return {"errors": [{"message": message, "extensions": {"code": code}}]}


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


class _Run(props.ContractRun[PbmAdapter]):
    """One GraphQL endpoint on server ``gql``; ``createToken`` requests answered with a JWT."""

    api_name = "PBM"
    counted_like = "Banqer's client"
    words: ClassVar[Mapping[str, str]] = {
        "requests": "createToken requests",
        "renewed": "created a new token",
        "fetched": "created a token",
        "renew": "create a new token",
        "unauthorized": "UNAUTHENTICATED",
        "renewal": "one after UNAUTHENTICATED",
        "login_request": "createToken (without the login and password)",
        "token": "token",
        "endpoint": "createToken",
    }
    error_rules = (
        rules.FieldRule(
            "code", "/errors/0/extensions/code", str, "UNKNOWN", {400: "GRAPHQL_VALIDATION_FAILED"}
        ),
        rules.FieldRule("message", "/errors/0/message"),
        rules.FieldRule("path", "/errors/0/path", list),
    )
    error_guard = "/errors/0/message"
    ok = _success()
    unauthorized_answer = rules.labelled(200, _UNAUTH_BODY)
    rate_limited = rules.labelled(429, {})
    unavailable = rules.labelled(503, {})

    def __init__(
        self,
        adapter: PbmAdapter,
        harness: Harness,
        route_api: props.Route,
        lifetime: float = 3600,
        **options: Any,
    ) -> None:
        self.lifetime = lifetime
        self.issued: list[str] = []
        super().__init__(adapter, harness, route_api, **options)

    def connection(self) -> dict[str, Any]:
        return {
            "url": self.harness.url("gql") + "/graphql",
            "login": self.adapter.login,
            "password": self.adapter.password,
        }

    def secrets(self) -> list[str]:
        return [self.adapter.password]

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
            _graphql_error("contract suite: request not in the script", "CONTRACT_SUITE_EXTRA"),
            "400 (not scripted)",
        )

    @classmethod
    def error_answers(cls) -> st.SearchStrategy[Answer]:
        return st.one_of(
            st.builds(
                rules.labelled,
                st.just(400),
                spec_bodies(SCHEMA, "$defs/ValidationFailedResponse", "$defs/ParseFailedResponse"),
            ),
            st.builds(
                rules.labelled,
                st.just(200),
                spec_bodies(SCHEMA, "$defs/ExecutionErrorResponse").filter(_no_unauth),
            ),
        )

    @classmethod
    def malformed_answers(cls) -> st.SearchStrategy[Answer]:
        return rules.malformed_answers([200, 400, 404, 422], WRONG_SHAPES)

    @classmethod
    def retry_scripts(cls, max_attempts: int) -> st.SearchStrategy[list[rules.Step]]:
        unauth = spec_bodies(SCHEMA, "$defs/UnauthenticatedResponse")
        malformed = malformed_bodies(WRONG_SHAPES)
        retryable = st.one_of(
            st.builds(rules.labelled, st.just(401), unauth).map(rules.Step),
            st.builds(answer_from_malformed, st.just(401), malformed).map(rules.Step),
            st.builds(rules.labelled, st.just(200), unauth).map(rules.Step),
            st.builds(
                rules.Step, st.builds(answer_from_malformed, st.just(429), malformed), rules.retry_afters()
            ),
            st.builds(answer_from_malformed, st.sampled_from([500, 502, 503, 504]), malformed).map(
                rules.Step
            ),
        )
        final = st.one_of(st.just(_success()), cls.error_answers()).map(rules.Step)
        return rules.step_scripts(retryable, final, max_attempts)

    @classmethod
    def token_failures(cls) -> list[tuple[Answer, bool]]:
        refused = {
            "errors": [
                {
                    "message": "Usuário ou senha inválidos",
                    "path": ["createToken"],
                    "extensions": {"code": "UNAUTHENTICATED"},
                }
            ],
            "data": None,
        }
        return [
            props.refusal(200, refused, "200 UNAUTHENTICATED (wrong password)"),
            props.refusal(401, refused, "401 UNAUTHENTICATED"),
            props.outage(503, {"statusCode": 503, "message": "Service Unavailable"}, "503"),
            props.outage(502, "<html>502 Bad Gateway</html>", "502 HTML"),
            props.outage(429, {}, "429", **{"Retry-After": "1"}),
            props.outage(200, {"data": {"createToken": None}}, "200 createToken null"),
        ]

    def unauthorized(self, answer: Answer) -> bool:
        return _unauthenticated(answer)

    def success_value(self, final: Answer) -> tuple[bool, Any]:
        data = final.data
        if final.status == 200 and isinstance(data, dict) and "errors" not in data and "data" in data:
            return True, data["data"]
        return False, None

    def check_logins(self, c: Checker, renewals: int) -> None:
        rules.check_token_count(c, len(self.tokens()), renewals, self.words)
        for ex in self.tokens():
            text = ex.body.decode("utf-8", "replace")
            c.check(
                ex.method == "POST" and self.adapter.login in text and self.adapter.password in text,
                title("token-request", **self.words),
                text[:120],
                "createToken(login, password)",
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
        props.check_renewal(
            run, c, at, f"{due}", early=title("renew-early-exp"), late=title("renew-late-exp")
        )

    token_renewal()


SUITE = props.api_suite("pbm", ("gql",), _Run, {"token_renewal": check_token_renewal})
run_pbm_contract = SUITE.run


class PbmConsumerContract(props.ConsumerContract, suite=SUITE):
    """Base of your PBM client's test class (``Test...``): set ``adapter``; a test per property."""

    adapter: PbmAdapter
