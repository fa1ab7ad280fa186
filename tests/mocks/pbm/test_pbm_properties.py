"""Properties over generated documents and bodies (hypothesis, hypothesis-graphql).

Every response also passes the spec checks of :mod:`tests.mocks.pbm.support` (response JSON Schema,
``data`` shaped by the SDL, business failures from the spec's table).
"""

from __future__ import annotations

import json
from typing import Any

import graphql
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, queries

from tests.mocks.pbm.support import SDL, Mock, expected_unauthenticated, make_mock

# Generated documents are large and slow to build; the example count comes from the active profile.
GENERATED = settings(deadline=None, suppress_health_check=list(HealthCheck))
JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def mock() -> Mock:
    return make_mock()


def first_root_field(document: str) -> str:
    operation = graphql.get_operation_ast(graphql.parse(document))
    assert operation is not None
    field = operation.selection_set.selections[0]
    assert isinstance(field, graphql.FieldNode)
    return field.name.value


def _envelopes(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [value for key, value in data.items() if key.startswith("WsAcesso_")]


@GENERATED
@given(document=st.one_of(queries(SDL), mutations(SDL)))
def test_any_valid_document_with_a_valid_token_returns_shaped_data(mock: Mock, document: str) -> None:
    mock.state.reset()
    token = mock.token()
    response = mock.graphql(document, token=token)
    assert response.status_code == 200, response.text
    body = response.json()
    if "errors" in body:
        # Only createToken, called with generated credentials, may fail: the documented shape.
        assert first_root_field(document) == "createToken"
        assert response.content == expected_unauthenticated("createToken")
        return
    for envelope in _envelopes(body["data"]):
        assert envelope.get("code", 0) in (0, 1)  # success, or a business failure of the spec's table


@GENERATED
@given(document=st.one_of(queries(SDL), mutations(SDL)))
def test_any_document_after_the_token_lifetime_gets_the_exact_unauthenticated_body(
    mock: Mock, document: str
) -> None:
    mock.state.reset()
    token = mock.token()
    advanced = mock.client.post("/__mock__/clock/advance", json={"seconds": 3600})
    assert advanced.status_code == 200
    response = mock.graphql(document, token=token)
    assert response.status_code == 200
    assert response.content == expected_unauthenticated(first_root_field(document))


@GENERATED
@given(document=st.one_of(queries(SDL, mode=Mode.NEGATIVE), mutations(SDL, mode=Mode.NEGATIVE)))
def test_invalid_documents_get_a_400_graphql_error(mock: Mock, document: str) -> None:
    response = mock.graphql(document, token="x")
    assert response.status_code == 400, response.text
    codes = {e["extensions"]["code"] for e in response.json()["errors"]}
    assert codes <= {"GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED"}


@GENERATED
@given(content=st.binary(max_size=300))
def test_garbage_bytes_never_get_a_500(mock: Mock, content: bytes) -> None:
    response = mock.client.post("/pbm/graphql", content=content, headers=JSON)
    assert response.status_code in (200, 400), response.text


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
_QUERYISH = st.sampled_from(
    ["{ __typename }", "{", "query { x }", "", "mutation { createToken }", "query($a: Int) { __typename }"]
) | st.text(max_size=40)


@GENERATED
@given(
    payload=st.one_of(
        _JSON_VALUES,
        st.fixed_dictionaries(
            {"query": _QUERYISH},
            optional={
                "variables": _JSON_VALUES,
                "operationName": _JSON_VALUES | st.text(max_size=5),
                "extensions": _JSON_VALUES,
            },
        ),
    )
)
def test_arbitrary_json_payloads_get_a_graphql_answer_never_a_500(mock: Mock, payload: Any) -> None:
    response = mock.client.post("/pbm/graphql", content=json.dumps(payload).encode(), headers=JSON)
    assert response.status_code in (200, 400), response.text
    body = response.json()
    if response.status_code == 400:
        assert "data" not in body and body["errors"]
