"""GraphQL over HTTP: request errors, validation and parse errors, limits, faults, journal redaction."""

from __future__ import annotations

import json
from typing import Any

import graphql
import httpx
import pytest

from specmock.mocks.config import MockConfig
from specmock.mocks.pbm.limits import limits_rule
from specmock.mocks.pbm.messages import graphql_js_message
from specmock.mocks.transport import sync_transport
from tests.mocks.pbm.support import GRAPHQL_URL, SCHEMA, Mock, assert_def, make_mock, read_data

MEDICINES = read_data("get-medicines-for-treatment-start.graphql")
JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def mock() -> Mock:
    return make_mock(MockConfig(max_body_bytes=64 * 1024))


@pytest.fixture(autouse=True)
def _fresh(mock: Mock) -> None:
    mock.state.reset()


def bad_request(response: Any, status: int = 400) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert list(body) == ["errors"]
    (error,) = body["errors"]
    assert error["extensions"]["code"] == "BAD_REQUEST"
    return str(error["message"])


def test_missing_password_gets_the_documented_validation_error(mock: Mock) -> None:
    response = mock.graphql(read_data("invalid/create-token-missing-password.graphql"))
    assert response.status_code == 400
    assert response.json() == json.loads(read_data("validation-failed-password-required.json"))
    assert list(response.json()["errors"][0]) == ["message", "locations", "extensions"]


def test_legacy_envelope_selection_fails_validation(mock: Mock) -> None:
    response = mock.graphql(read_data("invalid/create-token-legacy-envelope.graphql"))
    assert response.status_code == 400
    messages = [e["message"] for e in response.json()["errors"]]
    assert 'Cannot query field "code" on type "CreateTokenResponse".' in messages
    assert len(messages) == 4


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "{ WsAcesso_getMedicinesForTreatmentStart(args: {programCode: 126}) { code } }",
            'Field "WsAcesso_ProgramOriginArgs.originCode" of required type "Int!" was not provided.',
        ),
        (
            '{ WsAcesso_getMedicinesForTreatmentStart(args: {programCode: 126, originCode: "x"}) { code } }',
            'Int cannot represent non-integer value: "x"',
        ),
        (
            "{ WsAcesso_getMedicinesForTreatmentStart(args: {programCode: 126, originCode: null}) { code } }",
            'Expected value of type "Int!", found null.',
        ),
        (
            "{ WsAcesso_getMedicinesForTreatmentStart(args: {programCode: 1, originCode: 1, x: 1}) {code} }",
            'Field "x" is not defined by type "WsAcesso_ProgramOriginArgs".',
        ),
        (
            "{ WsAcesso_getMedicinesForTreatmentStart(args: {programCode: 1, originCode: 1}) { cod } }",
            'Cannot query field "cod" on type "WsAcesso_MedicinesResponse". Did you mean "code"?',
        ),
        (
            "{ WsAcesso_getMedicinesForTreatmentStart { code } }",
            'Field "WsAcesso_getMedicinesForTreatmentStart" argument "args" '
            'of type "WsAcesso_ProgramOriginArgs!" is required, but it was not provided.',
        ),
        (
            "query($a: Int) { WsAcesso_getMedicinesForTreatmentStart(args: {programCode: $a, originCode: 1}) "
            "{ code } }",
            'Variable "$a" of type "Int" used in position expecting type "Int!".',
        ),
        (
            "{ __typename @skip }",
            'Directive "@skip" argument "if" of type "Boolean!" is required, but it was not provided.',
        ),
    ],
)
def test_validation_messages_use_graphql_js_wording(mock: Mock, query: str, message: str) -> None:
    response = mock.graphql(query)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors[0]["message"] == message
    assert all(e["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"} for e in errors)


def test_unmapped_messages_keep_values_but_get_double_quoted_names() -> None:
    assert graphql_js_message("Unknown type 'Foo'. Did you mean 'Int' or 'WsAcesso_Form'?", SCHEMA) == (
        'Unknown type "Foo". Did you mean "Int" or "WsAcesso_Form"?'
    )


@pytest.mark.parametrize("query", ["{", "query {", "{ a(x: ) }", "}", "query Q { __typename } extra", "\x00"])
def test_parse_errors(mock: Mock, query: str) -> None:
    response = mock.graphql(query)
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "GRAPHQL_PARSE_FAILED"}
    assert error["message"].startswith("Syntax Error: ")


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"", "application/json"),
        (b"not json", "application/json"),
        (b"\xff\xfe\x00", "application/json"),
        (b"[]", "application/json"),
        (b'["{ __typename }"]', "application/json"),
        (b"5", "application/json"),
        (b"null", "application/json"),
        (b'"{ __typename }"', "application/json"),
        (b"{}", "application/json"),
        (b'{"query": 5}', "application/json"),
        (b'{"query": null}', "application/json"),
        (b'{"query": ""}', "application/json"),
        (b'{"query": "  "}', "application/json"),
        (b'{"query": ["{ __typename }"]}', "application/json"),
        (b'{"query": "{x}", "variables": []}', "application/json"),
        (b'{"query": "{x}", "variables": "{}"}', "application/json"),
        (b'{"query": "{ __typename }", "operationName": 5}', "application/json"),
        (b'{"query": "{ __typename }", "extensions": 5}', "application/json"),
        (b'{"query": "{ __typename }", "operationName": "Nope"}', "application/json"),
        (b'{"query": "query A { __typename } query B { __typename }"}', "application/json"),
        (b'{"query": "{ __typename }", "variables": {"a": NaN}}', "application/json"),
        (b'{"query": "{ __typename }"}', "text/plain"),
        (b'{"query": "{ __typename }"}', ""),
        (b"{ __typename }", "application/graphql"),
        (b"query=%7B__typename%7D", "application/x-www-form-urlencoded"),
        (b"[" * 100_000 + b"]" * 100_000, "application/json"),
        (
            b'{"query": "{ __typename }", "variables": ' + b'{"a":' * 5000 + b"1" + b"}" * 5001,
            "application/json",
        ),
    ],
)
def test_malformed_requests_get_a_400_graphql_body(mock: Mock, content: bytes, content_type: str) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = mock.client.post(GRAPHQL_URL, content=content[:60_000], headers=headers)
    message = bad_request(response)
    assert message and "Traceback" not in message


def test_the_right_operation_is_chosen_by_name(mock: Mock) -> None:
    query = "query A { a: __typename } query B { b: __typename }"
    response = mock.graphql(query, operation_name="B")
    assert response.json() == {"data": {"b": "Query"}}


def test_wrong_variable_types_are_bad_user_input(mock: Mock) -> None:
    query = (
        "query($a: WsAcesso_ProgramOriginArgs!) { WsAcesso_getMedicinesForTreatmentStart(args: $a) { code } }"
    )
    cases = {
        json.dumps(
            {"programCode": "x", "originCode": 1}
        ): 'Variable "$a" got invalid value {"programCode": "x", "originCode": 1} at "a.programCode"; '
        'Int cannot represent non-integer value: "x"',
        json.dumps({"programCode": 1}): 'Variable "$a" got invalid value {"programCode": 1}; '
        'Field "WsAcesso_ProgramOriginArgs.originCode" of required type "Int!" was not provided.',
        "null": 'Variable "$a" got invalid value null; '
        'Expected value of type "WsAcesso_ProgramOriginArgs!", found null.',
    }
    for value, message in cases.items():
        response = mock.graphql(query, {"a": json.loads(value)})
        assert response.status_code == 400
        (error,) = response.json()["errors"]
        assert error["extensions"] == {"code": "BAD_USER_INPUT"} and error["locations"]
        assert error["message"] == message
    missing = mock.graphql(query, {})
    assert missing.json()["errors"][0]["message"] == (
        'Variable "$a" of required type "WsAcesso_ProgramOriginArgs!" was not provided.'
    )
    too_big = mock.graphql(
        "query($n: Int!) { WsAcesso_listNestedQuestions(args: {programCode: $n, "
        "parentBeneficiaryQuestionCode: 1}) { code } }",
        {"n": 2**31},
    )
    assert (
        too_big.status_code == 400 and too_big.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    )


def test_get_serves_queries_and_refuses_mutations(mock: Mock) -> None:
    token = mock.token()
    response = mock.client.get(
        GRAPHQL_URL, params={"query": MEDICINES}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    assert response.json()["data"]["WsAcesso_getMedicinesForTreatmentStart"]["code"] == 0
    with_variables = mock.client.get(
        GRAPHQL_URL,
        params={
            "query": "query($p: Int!) { WsAcesso_listNestedQuestions(args: {programCode: $p, "
            "parentBeneficiaryQuestionCode: 99}) { code } }",
            "variables": json.dumps({"p": 126}),
            "operationName": "",
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert bad_request(with_variables) == 'Unknown operation named "".'
    mutation = mock.client.get(GRAPHQL_URL, params={"query": read_data("create-token.graphql")})
    assert bad_request(mutation, 405) == "Can only perform a mutation operation from a POST request."
    assert mutation.headers["allow"] == "POST"
    assert bad_request(mock.client.get(GRAPHQL_URL))
    assert bad_request(mock.client.get(GRAPHQL_URL, params={"query": "{ __typename }", "variables": "[1"}))


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_are_405(mock: Mock, method: str) -> None:
    response = mock.client.request(method, GRAPHQL_URL, json={"query": "{ __typename }"})
    bad_request(response, 405)
    assert response.headers["allow"] == "GET, POST"


def test_unknown_paths_get_the_gateway_error_shape(mock: Mock) -> None:
    response = mock.client.post("/pbm/graphiql", json={"query": "{ __typename }"})
    assert response.status_code == 404
    (error,) = response.json()["errors"]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR" and error["extensions"]["status"] == 404
    assert mock.client.post("/pbm/graphql/", json={"query": "{ __typename }"}).status_code == 200


def test_depth_limit_is_a_validation_error(mock: Mock) -> None:
    deep = "{ __schema { types { fields { type " + "{ ofType " * 12 + "{ name }" + " }" * 12 + " } } } }"
    response = mock.graphql(deep)
    assert response.status_code == 400
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "GRAPHQL_VALIDATION_FAILED"}
    assert "nested 17 levels deep; the maximum allowed depth is 15" in error["message"]
    assert error["locations"] == [{"line": 1, "column": 1}]


def test_field_limit_counts_aliases_and_fragment_spreads(mock: Mock) -> None:
    wide = "{ " + " ".join(f"a{i}: __typename" for i in range(2001)) + " }"
    response = mock.graphql(wide)
    assert response.status_code == 400
    assert "selects 2001 fields; the maximum allowed is 2000" in response.json()["errors"][0]["message"]
    ok = "{ " + " ".join(f"a{i}: __typename" for i in range(2000)) + " }"
    assert mock.graphql(ok).status_code == 200
    # A fragment bomb: 2**12 expansions of a short text.
    fragments = ["fragment F0 on Query { __typename }"]
    fragments += [
        f"fragment F{i} on Query {{ ...F{i - 1} x{i}: __typename ...F{i - 1} }}" for i in range(1, 13)
    ]
    bomb = "query { ...F12 } " + " ".join(fragments)
    response = mock.graphql(bomb)
    assert response.status_code == 400
    assert "maximum allowed is 2000" in response.json()["errors"][0]["message"]


def test_limits_are_a_graphql_core_validation_rule() -> None:
    rule = limits_rule(max_depth=2, max_fields=3)
    assert graphql.validate(SCHEMA, graphql.parse("{ __typename }"), [rule]) == []
    errors = graphql.validate(SCHEMA, graphql.parse("{ __schema { queryType { name } } }"), [rule])
    assert [e.message for e in errors] == [
        "Operation is nested 3 levels deep; the maximum allowed depth is 2."
    ]
    cyclic = graphql.parse(
        "query Q { ...A } fragment A on Query { ...B } fragment B on Query { ...A __typename }"
    )
    assert graphql.validate(SCHEMA, cyclic, [rule]) == []


def test_the_standard_introspection_query_fits_the_limits(mock: Mock) -> None:
    assert (
        mock.graphql(
            graphql.get_introspection_query(
                descriptions=True, input_value_deprecation=True, schema_description=True
            )
        ).status_code
        == 200
    )


def test_documents_are_parsed_and_validated_once(mock: Mock) -> None:
    app = mock.api
    token = mock.token()
    query = (
        "query Once { WsAcesso_listNestedQuestions(args: {programCode: 126, "
        "parentBeneficiaryQuestionCode: 99}) { questionnaire { questionCode } } }"
    )
    endpoint = _endpoint(mock)
    before = endpoint.prepare.cache_info()
    for _ in range(5):
        assert mock.graphql(query, token=token).status_code == 200
    after = endpoint.prepare.cache_info()
    assert after.misses - before.misses == 1 and after.hits - before.hits == 4
    assert app.schema is endpoint.schema


def _endpoint(mock: Mock) -> Any:
    from specmock.mocks.pbm.routes import GraphQLHttpApp

    for route in mock.app.routes:
        control = getattr(route, "app", None)
        inner = getattr(control, "app", None)
        if isinstance(inner, GraphQLHttpApp):
            return inner
    raise AssertionError("no PBM endpoint mounted")


# -- control plane ----------------------------------------------------------------------------------


def test_fault_429_answers_the_graphql_error_shape_with_retry_after(mock: Mock) -> None:
    created = mock.client.post("/__mock__/faults", json={"api": "pbm", "status": 429, "path": "/graphql"})
    assert created.status_code == 201
    response = mock.graphql(MEDICINES)
    assert response.status_code == 429 and response.headers["retry-after"] == "1"
    body = response.json()
    assert list(body) == ["errors", "data"] and body["data"] is None
    (error,) = body["errors"]
    assert error["extensions"] == {
        "code": "INTERNAL_SERVER_ERROR",
        "status": 429,
        "originalError": {"statusCode": 429, "message": "Too Many Requests", "error": "Too Many Requests"},
    }
    assert mock.graphql("{ __typename }").status_code == 200


def test_fault_503_and_prefer_codes(mock: Mock) -> None:
    mock.client.post("/__mock__/faults", json={"api": "pbm", "status": 503, "times": 2})
    for _ in range(2):
        response = mock.graphql("{ __typename }")
        assert response.status_code == 503 and response.headers["retry-after"] == "1"
        assert response.json()["errors"][0]["extensions"]["status"] == 503
    assert mock.graphql("{ __typename }").status_code == 200
    unauthorized = mock.graphql("{ __typename }", headers={"Prefer": "code=401"})
    assert unauthorized.status_code == 401
    assert unauthorized.json() == {
        "errors": [
            {
                "message": "Unauthorized",
                "extensions": {
                    "code": "UNAUTHENTICATED",
                    "originalError": {"message": "Unauthorized", "statusCode": 401},
                },
            }
        ],
        "data": None,
    }
    forbidden = mock.graphql("{ __typename }", headers={"Prefer": "code=403"})
    assert forbidden.status_code == 403 and forbidden.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    bad = mock.graphql("{ __typename }", headers={"Prefer": "code=400"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


def test_error_response_bodies_match_the_spec_defs(mock: Mock) -> None:
    api = mock.api
    for status, definition in (
        (403, "ForbiddenError"),
        (502, "InternalServerError"),
        (400, "BadRequestError"),
    ):
        body = json.loads(api.error_response(status).body)
        assert body["data"] is None
        item = {**body["errors"][0], "path": ["WsAcesso_getMedicinesForTreatmentStart"]}
        assert_def(definition, item)
    assert json.loads(api.error_response(401).body)["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_rate_limit_per_token(mock: Mock) -> None:
    token = mock.token()
    mock.client.post("/__mock__/rate-limit", json={"api": "pbm", "limit": 2, "per_seconds": 60})
    statuses = [mock.graphql(MEDICINES, token=token).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    mock.client.post("/__mock__/rate-limit", json={"api": "pbm", "limit": None})


def test_oversized_bodies_get_413_in_the_graphql_shape(mock: Mock) -> None:
    response = mock.client.post(
        GRAPHQL_URL, content=b'{"query": "' + b" " * 70_000 + b'{ __typename }"}', headers=JSON
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["status"] == 413


def test_journal_keeps_no_password_or_token(mock: Mock) -> None:
    token = mock.token()  # password sent as a variable
    mock.graphql(read_data("create-token.graphql"))  # password written inline
    mock.graphql('mutation { createToken(login: "usuario_exemplo", password: "senha_exemplo") { token } }')
    mock.graphql(MEDICINES, token=token)
    mock.client.get(GRAPHQL_URL, params={"query": MEDICINES}, headers={"Authorization": f"Bearer {token}"})
    journal = mock.client.get("/__mock__/requests", params={"api": "pbm"}).json()
    text = json.dumps(journal)
    assert journal["requests"] and "senha_exemplo" not in text
    assert token not in text and token.split(".")[1] not in text
    assert "Bearer ***" in text


def test_journal_keeps_no_password_sent_in_get_parameters(mock: Mock) -> None:
    mock.client.get(GRAPHQL_URL, params={"query": read_data("create-token.graphql")})
    mock.client.get(
        GRAPHQL_URL,
        params={
            "query": "query($password: String) { __typename }",
            "variables": json.dumps({"password": "senha_exemplo"}),
        },
    )
    assert "senha_exemplo" not in json.dumps(mock.client.get("/__mock__/requests").json())


def test_genuine_bugs_are_logged_and_answered_500_in_the_graphql_shape(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken = make_mock()
    endpoint = _endpoint(broken)
    token = broken.token()
    plain = httpx.Client(transport=sync_transport(broken.app), base_url="http://mock.test")

    def failing_resolver(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("resolver bug")

    endpoint.root_value = {**endpoint.root_value, "WsAcesso_getMedicinesForTreatmentStart": failing_resolver}
    response = plain.post(
        GRAPHQL_URL, json={"query": MEDICINES}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 500
    body = response.json()
    assert body["data"] is None
    assert_def("ExecutionErrorResponse", body)
    assert body["errors"][0]["extensions"]["status"] == 500
    assert "resolver bug" not in response.text and "resolver failure" in caplog.text

    async def failing_respond(*_args: Any) -> Any:
        raise RuntimeError("handler bug")

    endpoint._respond = failing_respond
    response = plain.post(GRAPHQL_URL, json={"query": "{ __typename }"})
    assert response.status_code == 500
    assert response.json()["errors"][0]["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert "handler bug" in caplog.text
