"""Test support for the PBM mock: a client that checks every answer against both PBM specs.

Every response the mock gives to a ``/pbm`` path in these tests goes through :func:`check_pbm_response`:

* the body validates against ``$defs/Response`` of ``specs/pbm.responses.schema.json``, and
  against the specific ``$defs`` for its kind (``UnauthenticatedResponse``,
  ``ValidationFailedResponse``, ``ParseFailedResponse``, ``ExecutionErrorResponse``,
  ``CreateTokenSuccessResponse``, ``WsAcessoEnvelope`` …);
* ``data`` is shaped by the SDL: executing the same request against a schema built from
  ``specs/pbm.graphql`` with the returned ``data`` as root value (each field read by its response
  key) reproduces it exactly, key order included — so every selected field is present, scalars
  have the right type and nullability is respected;
* a business failure carries a message of the spec's table, listed for that operation;
* no response is a 500.

The checks use graphql-core and jsonschema directly, never the mock's own code.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import graphql
import httpx
from jsonschema import Draft202012Validator

from specmock import specs
from specmock.mocks.app import create_app, create_state
from specmock.mocks.config import MockConfig
from specmock.mocks.core.state import MockState
from specmock.mocks.pbm.api import PbmApi
from specmock.mocks.transport import sync_transport
from tests.conformance import conforming_client

DATA = Path(__file__).resolve().parents[2] / "data" / "pbm"
SDL = specs.read_text("pbm.graphql")
SCHEMA = graphql.build_schema(SDL)
RESPONSES: dict[str, Any] = specs.load("pbm.responses.schema.json")
BUSINESS_TABLE: list[dict[str, Any]] = RESPONSES["x-specmock-business-errors"]
GRAPHQL_URL = "/pbm/graphql"
DEMO = {"login": "usuario_exemplo", "password": "senha_exemplo"}
CREATE_TOKEN = (
    "mutation($login: String!, $password: String!) "
    "{ createToken(login: $login, password: $password) { token } }"
)


class SpecViolation(AssertionError):
    pass


@cache
def validator(def_name: str) -> Draft202012Validator:
    return Draft202012Validator({**RESPONSES, "$ref": f"#/$defs/{def_name}"})


def assert_def(def_name: str, instance: Any) -> None:
    errors = sorted(validator(def_name).iter_errors(instance), key=lambda e: list(e.path))
    if errors:
        raise SpecViolation(
            f"not a {def_name}: {errors[0].message} at {list(errors[0].path)}\n{instance!r:.800}"
        )


def read_data(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def minified(text: str) -> bytes:
    """The documented body as it travels (compact JSON), key order and values untouched."""
    return json.dumps(json.loads(text), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def expected_unauthenticated(field: str) -> bytes:
    """The documented expired-token body with ``field`` as its path, as raw bytes."""
    text = read_data("unauthenticated-expired-token.json")
    return minified(text.replace('"WsAcesso_insertOptinExternal"', json.dumps(field)))


def _message_pattern(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{\w+\\\}", ".+", re.escape(template)) + "$")


@cache
def _business_patterns() -> list[tuple[re.Pattern[str], frozenset[str]]]:
    return [(_message_pattern(row["message"]), frozenset(row["operations"])) for row in BUSINESS_TABLE]


def business_key(message: str, operation: str) -> str:
    for row in BUSINESS_TABLE:
        if _message_pattern(row["message"]).match(message) and operation in row["operations"]:
            return str(row["key"])
    raise SpecViolation(f"{message!r} is not a business error of {operation} in the spec's table")


def _request_graphql(request: httpx.Request) -> tuple[str, dict[str, Any] | None, str | None] | None:
    if request.method == "GET":
        params = request.url.params
        if "query" not in params:
            return None
        variables = json.loads(params["variables"]) if params.get("variables") else None
        return params["query"], variables, params.get("operationName")
    payload = json.loads(request.content)
    return payload["query"], payload.get("variables"), payload.get("operationName")


def _by_response_key(source: Any, info: graphql.GraphQLResolveInfo, **_args: Any) -> Any:
    return source.get(info.path.key) if isinstance(source, dict) else None


def assert_shaped_by_sdl(
    data: dict[str, Any], query: str, variables: dict[str, Any] | None, operation_name: str | None
) -> None:
    """Re-executing the request over ``data`` must reproduce ``data`` exactly."""
    result = graphql.execute(
        SCHEMA,
        graphql.parse(query),
        root_value=data,
        variable_values=variables,
        operation_name=operation_name,
        field_resolver=_by_response_key,
    )
    assert isinstance(result, graphql.ExecutionResult)
    if result.errors or json.dumps(result.data) != json.dumps(data):
        raise SpecViolation(f"data is not shaped by the SDL: {result.errors}\n{data!r:.800}")


def _root_fields(query: str, operation_name: str | None) -> dict[str, str]:
    """Response key -> root field name of the operation sent."""
    operation = graphql.get_operation_ast(graphql.parse(query), operation_name)
    assert operation is not None
    return {
        (f.alias or f.name).value: f.name.value
        for f in operation.selection_set.selections
        if isinstance(f, graphql.FieldNode)
    }


def check_pbm_response(response: httpx.Response) -> None:
    """Every check of the module docstring, for one response."""
    if response.status_code >= 500 and response.status_code not in (502, 503, 504):
        raise SpecViolation(f"{response.status_code} from the mock: {response.text[:500]}")
    assert response.headers["content-type"].startswith("application/json"), response.headers
    body = response.json()
    assert_def("Response", body)
    errors = body.get("errors")
    if errors:
        code = errors[0].get("extensions", {}).get("code")
        if code == "GRAPHQL_VALIDATION_FAILED":
            assert_def("ValidationFailedResponse", body)
        elif code == "GRAPHQL_PARSE_FAILED":
            assert_def("ParseFailedResponse", body)
        elif "data" in body and all("path" in e for e in errors):
            assert_def("ExecutionErrorResponse", body)
            if code == "UNAUTHENTICATED":
                assert_def("UnauthenticatedResponse", body)
        elif "data" not in body:
            assert response.status_code in (400, 405), response.status_code
        return
    data = body["data"]
    sent = _request_graphql(response.request)
    assert sent is not None
    query, variables, operation_name = sent
    assert_shaped_by_sdl(data, query, variables, operation_name)
    fields = _root_fields(query, operation_name)
    for key, value in data.items():
        name = fields.get(key, key)
        if name == "createToken":
            assert_def("Jwt", value["token"])
        elif name.startswith("WsAcesso_") and {"code", "message", "status"} <= set(value):
            assert_def("WsAcessoEnvelope", value)
            if value["code"] != 0:
                business_key(value["message"], name)


def pbm_client(app: Any) -> httpx.Client:
    """An in-process client over ``app`` checking every response (OpenAPI paths too)."""
    client = conforming_client(sync_transport(app))

    def hook(response: httpx.Response) -> None:
        if response.request.url.path.startswith("/pbm"):
            response.read()
            check_pbm_response(response)

    client.event_hooks["response"].append(hook)
    return client


@dataclass
class Mock:
    """One PBM-only mock: its state, app and checking client."""

    state: MockState
    app: Any
    client: httpx.Client

    @property
    def api(self) -> PbmApi:
        api = self.state.apis["pbm"]
        assert isinstance(api, PbmApi)
        return api

    def graphql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        token: str | None = None,
        operation_name: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        payload: dict[str, Any] = {"query": query}
        if variables is not None:
            payload["variables"] = variables
        if operation_name is not None:
            payload["operationName"] = operation_name
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        return self.client.post(GRAPHQL_URL, json=payload, headers=sent)

    def token(self, login: str = DEMO["login"], password: str = DEMO["password"]) -> str:
        response = self.graphql(CREATE_TOKEN, {"login": login, "password": password})
        assert response.status_code == 200, response.text
        return str(response.json()["data"]["createToken"]["token"])

    def data(self, query: str, variables: dict[str, Any] | None = None, token: str | None = None) -> Any:
        response = self.graphql(query, variables, token)
        assert response.status_code == 200, response.text
        body = response.json()
        assert "errors" not in body, body
        return body["data"]


def make_mock(config: MockConfig | None = None) -> Mock:
    state = create_state(config, apis=[PbmApi])
    app = create_app(state)
    return Mock(state, app, pbm_client(app))
