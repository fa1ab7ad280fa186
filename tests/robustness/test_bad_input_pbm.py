"""Bad input on the PBM GraphQL endpoint never breaks the mock, and its depth and size limits hold.

Documents come from hypothesis-graphql, valid (any argument values, run with a real token) and
invalid (its negative mode), per root field; variables of every type for every argument; any HTTP
envelope (body, content type, method, GET parameters, ``Authorization``); token soup; and
documents built to be deep, wide or expensive. Every answer is a bounded non-5xx; an error is in
the GraphQL shape ``{errors: [{message, extensions.code}]}``; see :func:`support.check`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import graphql
import httpx
import hypothesis_graphql
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specmock import specs
from specmock.mocks.pbm.api import PbmApi, build_pbm_schema
from specmock.mocks.pbm.limits import MAX_DEPTH, MAX_FIELDS
from tests.robustness import support
from tests.robustness.support import Served, bearer, checked

URL = "/pbm/graphql"
SDL = specs.read_text("pbm.graphql")
SCHEMA = build_pbm_schema()
QUERIES = list(SCHEMA.query_type.fields) if SCHEMA.query_type else []
MUTATIONS = list(SCHEMA.mutation_type.fields) if SCHEMA.mutation_type else []
FIELDS = [*QUERIES, *MUTATIONS]
SAMPLE = "{ WsAcesso_consultProgramForm(args: {programCode: 126, originCode: 37}) { code message } }"


def _kind(field: str) -> str:
    return "query" if field in QUERIES else "mutation"


def _root(field: str) -> graphql.GraphQLField:
    root = SCHEMA.query_type if field in QUERIES else SCHEMA.mutation_type
    assert root is not None
    return root.fields[field]


def _names(kind: graphql.GraphQLInputType, seen: frozenset[str] = frozenset()) -> list[str]:
    """Every input field name reachable from ``kind`` (to build objects that look almost right)."""
    named = graphql.get_named_type(kind)
    if not isinstance(named, graphql.GraphQLInputObjectType) or named.name in seen:
        return []
    found: list[str] = []
    for name, input_field in named.fields.items():
        found += [name, *_names(input_field.type, seen | {named.name})]
    return found


def _document(field: str) -> str:
    """The root field with every argument taken from a variable of its declared type."""
    args = _root(field).args
    definitions = ", ".join(f"${name}: {arg.type}" for name, arg in args.items())
    uses = ", ".join(f"{name}: ${name}" for name in args)
    return f"{_kind(field)} Op({definitions}) {{ {field}({uses}) {{ __typename }} }}"


#: Built at import (the strategies import parts of their libraries lazily, not inside a test).
POSITIVE = {
    f: (hypothesis_graphql.queries if f in QUERIES else hypothesis_graphql.mutations)(SDL, fields=[f])
    for f in FIELDS
}
NEGATIVE = {
    f: (hypothesis_graphql.queries if f in QUERIES else hypothesis_graphql.mutations)(
        SDL, fields=[f], mode=hypothesis_graphql.Mode.NEGATIVE
    )
    for f in FIELDS
}
VARIABLES = {
    f: st.fixed_dictionaries(
        {},
        optional={
            name: support.json_values() | support.objects_with(_names(arg.type))
            for name, arg in _root(f).args.items()
        },
    )
    | support.json_values()
    for f in FIELDS
}


@pytest.fixture(scope="module")
def mock() -> Iterator[Served]:
    with support.serve(support.long_lived(), apis=[PbmApi]) as served:
        yield served


@pytest.fixture(scope="module")
def token(client: httpx.Client) -> str:
    return support.pbm_token(client)


def graphql_post(client: httpx.Client, payload: Any, token: str | None = None) -> httpx.Response:
    """POST to the GraphQL endpoint: ``payload`` JSON-encoded, or raw bytes sent as they are."""
    return support.post_json(client, URL, payload, bearer(token) if token else None)


# -- generated documents ------------------------------------------------------------------------------


@pytest.mark.parametrize("field", FIELDS)
@settings(max_examples=support.examples(), suppress_health_check=support.SUPPRESS)
@given(data=st.data())
def test_valid_documents_with_any_argument_values(
    mock: Served, client: httpx.Client, token: str, field: str, data: st.DataObject
) -> None:
    query = data.draw(POSITIVE[field])
    response = checked(mock, graphql_post(client, {"query": query}, token))
    assert response.status_code in (200, 400), response.text


@pytest.mark.parametrize("field", FIELDS)
@settings(max_examples=support.examples(), suppress_health_check=support.SUPPRESS)
@given(data=st.data())
def test_invalid_documents(
    mock: Served, client: httpx.Client, token: str, field: str, data: st.DataObject
) -> None:
    query = data.draw(NEGATIVE[field])
    response = checked(mock, graphql_post(client, {"query": query}, token))
    assert response.status_code in (200, 400), response.text


@pytest.mark.parametrize("field", FIELDS)
@settings(max_examples=support.examples(), suppress_health_check=support.SUPPRESS)
@given(data=st.data())
def test_variables_of_any_type(
    mock: Served, client: httpx.Client, token: str, field: str, data: st.DataObject
) -> None:
    variables = data.draw(VARIABLES[field])
    response = checked(
        mock,
        graphql_post(
            client, {"query": _document(field), "variables": variables, "operationName": "Op"}, token
        ),
    )
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        assert response.json()["errors"][0]["extensions"]["code"] in ("BAD_USER_INPUT", "BAD_REQUEST")


# -- the HTTP envelope --------------------------------------------------------------------------------


@settings(max_examples=support.examples(), suppress_health_check=support.SUPPRESS)
@given(
    body=support.json_bodies(["query", "variables", "operationName", "extensions"])
    | st.fixed_dictionaries(
        {},
        optional={
            "query": support.json_values() | st.just(SAMPLE),
            "variables": support.json_values(),
            "operationName": support.json_values(),
            "extensions": support.json_values(),
        },
    ).map(lambda value: json.dumps(value, allow_nan=True).encode()),
    content_type=support.content_types(),
)
def test_any_body_and_content_type(
    mock: Served, client: httpx.Client, token: str, body: bytes, content_type: str | None
) -> None:
    headers = {**bearer(token), **({"Content-Type": content_type} if content_type is not None else {})}
    response = checked(mock, client.post(URL, content=body, headers=headers))
    assert response.status_code in (200, 400), response.text


@settings(max_examples=support.examples(), suppress_health_check=support.SUPPRESS)
@given(
    params=st.lists(
        st.tuples(
            st.sampled_from(["query", "variables", "operationName", "extensions"]) | support.text_values(10),
            st.sampled_from(
                [
                    SAMPLE,
                    'mutation { createToken(login: "a", password: "b") { token } }',
                    "{}",
                    "null",
                    "[" * 5000,
                    "{__typename}",
                ]
            )
            | support.text_values(),
        ),
        max_size=5,
    ),
    authenticated=st.booleans(),
)
def test_any_get_parameters(
    mock: Served, client: httpx.Client, token: str, params: list[tuple[str, str]], authenticated: bool
) -> None:
    response = checked(mock, client.get(URL, params=params, headers=bearer(token) if authenticated else {}))
    assert response.status_code in (200, 400, 405), response.text


@settings(max_examples=support.examples(), suppress_health_check=support.SUPPRESS)
@given(
    method=st.sampled_from(["PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "TRACE", "PROPFIND"]),
    path=st.sampled_from([URL, "/pbm", "/pbm/", "/pbm/graphql/x", "/pbm/GRAPHQL", "/pbm/graphql%00"]),
    body=support.json_bodies(["query"]),
)
def test_any_method_and_path(mock: Served, client: httpx.Client, method: str, path: str, body: bytes) -> None:
    response = checked(
        mock,
        client.request(
            method, httpx.URL(mock.url + path), content=body, headers={"Content-Type": "application/json"}
        ),
    )
    # /pbm itself is not redirected: like any other unknown path it is a 404 in PBM's shape.
    assert response.status_code in (400, 404, 405), response.text


@settings(max_examples=support.examples(), suppress_health_check=support.SUPPRESS)
@given(value=support.header_values())
def test_any_authorization_is_unauthenticated(mock: Served, client: httpx.Client, value: bytes) -> None:
    response = checked(mock, client.post(URL, json={"query": SAMPLE}, headers={"Authorization": value}))
    assert response.status_code == 200, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


TOKENS = [
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ":",
    "$",
    "@",
    "!",
    "=",
    "|",
    "&",
    "...",
    "query",
    "mutation",
    "fragment",
    "on",
    "subscription",
    "__typename",
    "__schema",
    "WsAcesso_consultProgramForm",
    "createToken",
    "args",
    "programCode",
    "originCode",
    "code",
    '"x"',
    '"""block"""',
    "1",
    "-0",
    "1.5e9",
    "true",
    "null",
    "#c\n",
    "\u0000",
    "\ufeff",
    '"\\u0000"',
    '"\\uD800"',
    "99999999999999999999",
    "Op",
    ",",
    " ",
    "\n",
]


@settings(max_examples=support.examples(), suppress_health_check=support.SUPPRESS)
@given(soup=st.lists(st.sampled_from(TOKENS) | st.text(max_size=5), max_size=60).map(" ".join))
def test_token_soup(mock: Served, client: httpx.Client, token: str, soup: str) -> None:
    response = checked(mock, graphql_post(client, {"query": soup}, token))
    assert response.status_code in (200, 400), response.text


# -- depth, width and cost ------------------------------------------------------------------------


def deep_selection(depth: int) -> str:
    return "{" + "a{" * depth + "b" + "}" * (depth + 1)


def introspection(depth: int) -> str:
    inner = "name"
    for _ in range(depth):
        inner = f"ofType {{ {inner} }}"
    return f"{{ __schema {{ types {{ fields {{ type {{ {inner} }} }} }} }} }}"


def aliases(count: int, same: bool = False) -> str:
    return "{" + " ".join(f"{'a' if same else f'a{i}'}: __typename" for i in range(count)) + "}"


def fragment_chain(count: int, fan_out: int = 2) -> str:
    spreads = lambda i: " ".join([f"...f{i + 1}"] * fan_out)  # noqa: E731
    chain = " ".join(f"fragment f{i} on Query {{ {spreads(i)} }}" for i in range(count))
    return f"query {{ ...f0 }} {chain} fragment f{count} on Query {{ __typename }}"


def nested_argument(depth: int, kind: str) -> str:
    value = "[" * depth + "]" * depth if kind == "list" else "{a:" * depth + "1" + "}" * depth
    return f"{{ WsAcesso_consultProgramForm(args: {value}) {{ code }} }}"


BUILDERS = {
    "selection": deep_selection,
    "introspection": introspection,
    "aliases": aliases,
    "same_alias": lambda n: aliases(n, same=True),
    "fragments": fragment_chain,
    "list_argument": lambda n: nested_argument(n, "list"),
    "object_argument": lambda n: nested_argument(n, "object"),
    "operations": lambda n: " ".join(f"query q{i} {{ __typename }}" for i in range(n)),
    "directives": lambda n: "{ __typename " + "@skip(if: false) " * n + "}",
    "variables": lambda n: "query(" + " ".join(f"$v{i}: Int" for i in range(n)) + ") { __typename }",
    "inline_fragments": lambda n: "{" + "... on Query {" * n + "__typename" + "}" * (n + 1),
}


@settings(max_examples=support.examples(0.3), suppress_health_check=support.SUPPRESS)
@given(
    kind=st.sampled_from(sorted(BUILDERS)),
    size=st.sampled_from([1, 2, 14, 15, 16, 40, 300, 1999, 2001, 5000, 20_000, 100_000]),
    via_get=st.booleans(),
)
def test_deep_wide_and_costly_documents_are_bounded(
    mock: Served, client: httpx.Client, token: str, kind: str, size: int, via_get: bool
) -> None:
    if kind == "fragments":
        size = min(size, 60)  # 2**60 spreads: the bomb is in the fan-out, not the text
    query = BUILDERS[kind](size)
    if via_get and len(query) < 30_000:
        response = client.get(URL, params={"query": query}, headers=bearer(token))
    else:
        response = graphql_post(client, {"query": query}, token)
    checked(mock, response)
    assert response.status_code in (200, 400, 413), response.text  # 413: over the body limit


@pytest.mark.parametrize(
    ("query", "needle"),
    [
        (deep_selection(MAX_DEPTH + 5), "maximum allowed depth"),
        (introspection(MAX_DEPTH), "maximum allowed depth"),
        (aliases(MAX_FIELDS + 1), "the maximum allowed is"),
        (fragment_chain(40), "the maximum allowed is"),
        (deep_selection(100_000), "nested too deeply"),
        (nested_argument(100_000, "list"), "nested too deeply"),
        (nested_argument(100_000, "object"), "nested too deeply"),
        (aliases(20_000), "more than"),
    ],
)
def test_documented_limits_refuse_with_a_graphql_400(
    mock: Served, client: httpx.Client, token: str, query: str, needle: str
) -> None:
    response = checked(mock, graphql_post(client, {"query": query}, token))
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert errors[0]["extensions"]["code"] in ("GRAPHQL_VALIDATION_FAILED", "GRAPHQL_PARSE_FAILED")
    assert any(needle in error["message"] for error in errors), errors


def test_limits_leave_room_for_real_documents(mock: Served, client: httpx.Client, token: str) -> None:
    response = checked(mock, graphql_post(client, {"query": introspection(MAX_DEPTH - 5)}, token))
    assert response.status_code == 200 and "errors" not in response.json(), response.text
    response = checked(mock, graphql_post(client, {"query": aliases(MAX_FIELDS // 2)}, token))
    assert response.status_code == 200 and "errors" not in response.json(), response.text


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 100_000,
        b'{"query": "{__typename}", "variables": ' + b"[" * 100_000 + b"}",
        b'{"query": "query($v: Int) { __typename }", "variables": {"v": ' + b"[" * 990 + b"]" * 990 + b"}}",
        b'{"query": ' + b"{" * 50_000,
        b'{"query": "' + b"{" * 900_000 + b'"}',
    ],
)
def test_deeply_nested_json_is_a_400(mock: Served, client: httpx.Client, token: str, raw: bytes) -> None:
    response = checked(mock, graphql_post(client, raw, token))
    assert response.status_code == 400, response.text
