"""Bad input on every Assine Online endpoint never breaks the mock.

Requests come from schemathesis's negative mode on every operation, and from the suite's own
strategies: absurd filter trees and ``order-by`` lists, any page and page size, any JSON (or not
JSON) body on every operation that takes one, broken multipart uploads, hostile ids, any
``Authorization`` header, other methods. Every answer is a bounded non-5xx; an error is an API
Problem served as ``application/problem+json``; see :func:`support.check`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from specmock import specs
from specmock.mocks.assine import AssineApi
from tests.robustness import support
from tests.robustness.support import Served, checked

API = "/assine"
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
SPEC = specs.load("assine")
OPERATIONS = support.openapi_operations("assine")

#: Collections (``GET``, paginated, filterable) and the fields their filters know.
LISTINGS = {
    "/v1/access-token": ["id", "expires", "user"],
    "/v1/user": ["id", "name", "email", "businessUnit", "status"],
    "/v1/file": ["id", "name", "mimeType", "size", "idFolder"],
    "/v1/folder": ["id", "name", "idParent", "dateCreated"],
    "/v1/workflow": ["id", "status", "message", "priority", "sla", "dateCreated"],
    "/v1/workflow-step": ["id", "idWorkflow", "workflow", "idFile", "order"],
    "/v1/workflow-step-link-to-sign": ["id", "workflowStep", "link", "expires"],
    "/v1/workflow-template": ["id", "type", "name", "dateCreated"],
    "/webhook-business-unit": ["id", "url", "user"],
}
FILTER_TYPES = [
    "eq",
    "neq",
    "lt",
    "lte",
    "gt",
    "gte",
    "like",
    "notlike",
    "isnull",
    "isnotnull",
    "in",
    "notin",
    "between",
    "andx",
    "orx",
    "EQ",
    "Like",
    "",
    "innerjoin",
    "eq ",
    "0",
]
DATE_FORMATS = ["Y-m-d", "Y-m-d H:i:s", "d/m/Y", "U", "", "%", "Y" * 200, "\\", "Y-m-d\\TH:i:sP", "zzz"]


# -- the server and a caller that stays logged in ----------------------------------------------------


class Caller:
    """The demo PJ account's login; logs in again when a test revoked or expired its token."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.token = support.assine_token(client)

    def headers(self) -> dict[str, str]:
        response = self.client.get(
            f"{API}/v1/user", params={"page_size": 1}, headers=support.bearer(self.token)
        )
        if response.status_code == 401:
            self.token = support.assine_token(self.client)
        return support.bearer(self.token)


@pytest.fixture(scope="module")
def mock() -> Iterator[Served]:
    with support.serve(support.long_lived(), apis=[AssineApi]) as served:
        yield served


@pytest.fixture(scope="module")
def caller(client: httpx.Client) -> Caller:
    return Caller(client)


@pytest.fixture
def auth(caller: Caller) -> dict[str, str]:
    return caller.headers()


@pytest.fixture
def owned(client: httpx.Client, auth: dict[str, str]) -> dict[str, int]:
    """One of each resource the caller owns (re-made per test: a test may delete them)."""
    made: dict[str, int] = {}
    response = client.post(f"{API}/v1/file", files={"file": ("c.pdf", PDF, "application/pdf")}, headers=auth)
    assert response.status_code == 201, response.text
    made["file"] = response.json()["id"]
    response = client.post(f"{API}/v1/folder", json={"name": "Pasta"}, headers=auth)
    assert response.status_code == 201, response.text
    made["folder"] = response.json()["id"]
    body = {
        "files": [
            {
                "idFile": made["file"],
                "name": "Contrato",
                "workflowSteps": [{"user": {"name": "Ana", "email": "ana@exemplo.example"}, "action": 1}],
            }
        ]
    }
    response = client.post(f"{API}/v1/workflow", json=body, headers=auth)
    assert response.status_code == 201, response.text
    made["workflow"] = response.json()["id"]
    response = client.post(f"{API}/v1/workflow-template", json={"name": "Modelo", "type": 1}, headers=auth)
    made["workflow-template"] = response.json().get("id", 1) if response.status_code == 201 else 1
    response = client.post(
        f"{API}/webhook-business-unit", json={"url": "https://exemplo.example/hook"}, headers=auth
    )
    made["webhook-business-unit"] = response.json().get("id", 1) if response.status_code == 201 else 1
    return made


# -- schemathesis negative mode, every operation ------------------------------------------------------

#: Built at import: schemathesis imports parts of itself lazily, which must not happen inside a test.
NEGATIVE = {
    op: operation.as_strategy(generation_mode=GenerationMode.NEGATIVE) for op, operation in OPERATIONS.items()
}


@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
@settings(max_examples=support.examples(0.06, minimum=2), suppress_health_check=support.SUPPRESS)
@given(data=st.data())
def test_negative_cases(
    mock: Served, client: httpx.Client, auth: dict[str, str], operation_id: str, data: st.DataObject
) -> None:
    case = data.draw(NEGATIVE[operation_id])
    response = support.send_case(client, case, mock.url + API, auth)
    checked(mock, response, "assine")


# -- listings: filters, order-by, pages -----------------------------------------------------------


def filter_items(fields: list[str], depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    leaf = st.fixed_dictionaries(
        {},
        optional={
            "field": st.sampled_from(fields) | support.text_values(12),
            "type": st.sampled_from(FILTER_TYPES),
            "value": st.sampled_from(["$USER_ID", "%", "_", "\\", "2024-01-01 00:00:00", "1", "-1"])
            | support.text_values(),
            "values": st.lists(support.text_values(), max_size=4)
            | st.integers(190, 210).map(lambda n: ["1"] * n),
            "from": support.text_values(),
            "to": support.text_values(),
            "where": st.sampled_from(["and", "or", "OR", "xor", ""]),
            "alias": st.sampled_from(["row", "x", ""]),
            "format": st.sampled_from(DATE_FORMATS),
        },
    )
    strangers = st.dictionaries(
        support.text_values(8).filter(lambda k: "[" not in k and "]" not in k),
        support.text_values(),
        max_size=1,
    )
    leaf = st.tuples(leaf, strangers).map(lambda t: {**t[1], **t[0]})
    if depth >= 6:
        return leaf
    group = st.fixed_dictionaries(
        {
            "type": st.sampled_from(["andx", "orx", "eq"]),
            "conditions": st.lists(st.deferred(lambda: filter_items(fields, depth + 1)), max_size=3),
        },
        optional={"where": st.sampled_from(["and", "or"])},
    )
    return st.one_of(leaf, leaf, group)


def brackets(prefix: str, value: Any) -> list[tuple[str, str]]:
    """PHP array syntax: ``{"a": {"b": ["x"]}}`` under ``filter[0]`` is ``filter[0][a][b][]=x``."""
    if isinstance(value, dict):
        return [pair for key, item in value.items() for pair in brackets(f"{prefix}[{key}]", item)]
    if isinstance(value, list):
        if value and all(isinstance(item, str) for item in value):
            return [(f"{prefix}[]", item) for item in value]
        return [pair for index, item in enumerate(value) for pair in brackets(f"{prefix}[{index}]", item)]
    return [(prefix, str(value))]


def listing_queries(fields: list[str]) -> st.SearchStrategy[list[tuple[str, str]]]:
    order = st.fixed_dictionaries(
        {},
        optional={
            "type": st.sampled_from(["field", "FIELD", "x"]),
            "field": st.sampled_from(fields) | support.text_values(8),
            "direction": st.sampled_from(["asc", "DESC", "up", ""]),
            "alias": st.sampled_from(["row", "y"]),
        },
    )
    pages = st.lists(
        st.tuples(
            st.sampled_from(["page", "page_size"]),
            st.sampled_from(
                [
                    "1",
                    "2",
                    "0",
                    "-1",
                    "100",
                    "101",
                    "999999999",
                    "99999999999999999999",
                    "1e3",
                    "1.0",
                    " 1",
                    "",
                    "abc",
                    "１",
                ]
            ),
        ),
        max_size=2,
    )
    soup = st.lists(
        st.tuples(
            st.sampled_from(
                [
                    "filter",
                    "order-by",
                    "filter[",
                    "filter]",
                    "filter[0",
                    "filter[][]",
                    "filter[0][conditions]",
                    "filter[x][field]",
                    "filter[0][]",
                    "filter[0][field][x]",
                    "filter[-1][type]",
                    "filter[99999999999][type]",
                    "order-by[0][]",
                    "filter" + "[0][conditions]" * 12 + "[0][type]",
                ]
            ),
            support.text_values(),
        ),
        max_size=3,
    )
    trees = st.tuples(st.lists(filter_items(fields), max_size=4), st.lists(order, max_size=3)).map(
        lambda t: (
            [pair for i, item in enumerate(t[0]) for pair in brackets(f"filter[{i}]", item)]
            + [pair for i, item in enumerate(t[1]) for pair in brackets(f"order-by[{i}]", item)]
        )
    )
    return st.tuples(trees, pages, soup).map(lambda t: t[0] + t[1] + t[2])


@pytest.mark.parametrize("path", sorted(LISTINGS))
@settings(max_examples=support.examples(0.5), suppress_health_check=support.SUPPRESS)
@given(data=st.data())
def test_any_filter_order_and_page(
    mock: Served, client: httpx.Client, auth: dict[str, str], path: str, data: st.DataObject
) -> None:
    params = data.draw(listing_queries(LISTINGS[path]))
    while len(urlencode(params)) > 60_000:  # what httpx (and most servers) take in one URL
        params = params[: len(params) // 2]
    response = checked(mock, client.get(API + path, params=params, headers=auth))
    assert response.status_code in (200, 400, 403, 409), response.text


@pytest.mark.parametrize("path", ["/v1/user", "/v1/workflow"])
def test_filter_bounds_are_a_400(mock: Served, client: httpx.Client, auth: dict[str, str], path: str) -> None:
    wide = [(f"filter[{i}][field]", "id") for i in range(60)] + [
        (f"filter[{i}][type]", "isnull") for i in range(60)
    ]
    deep = [("filter[0]" + "[conditions][0]" * 7 + "[type]", "isnull")]
    many = [("filter[0][type]", "in"), ("filter[0][field]", "id")] + [("filter[0][values][]", "1")] * 500
    flood = [(f"filter[{i}][x]", "1") for i in range(1500)]
    orders = [(f"order-by[{i}][type]", "field") for i in range(20)]
    for params in (wide, deep, many, flood, orders):
        response = checked(mock, client.get(API + path, params=params, headers=auth))
        assert response.status_code == 400, response.text
    for page in ("0", "-1", "99999999999999999999", "abc"):
        response = checked(mock, client.get(API + path, params={"page": page}, headers=auth))
        assert response.status_code == 400, response.text
    response = checked(mock, client.get(API + path, params={"page": "999999999"}, headers=auth))
    assert response.status_code in (200, 409), response.text


# -- bodies --------------------------------------------------------------------------------------------


def _properties(schema: Any, seen: frozenset[str] = frozenset()) -> list[str]:
    """Every property name in a request schema, ``$ref`` followed (to build objects that look right)."""
    if isinstance(schema, list):
        return [name for item in schema for name in _properties(item, seen)]
    if not isinstance(schema, dict):
        return []
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/") and ref not in seen:
        node: Any = SPEC
        for part in ref[2:].split("/"):
            node = node[part]
        return _properties(node, seen | {ref})
    found = list(schema.get("properties", {}))
    for value in schema.values():
        found += _properties(value, seen)
    return found


def _body_keys(operation_id: str) -> list[str]:
    body = OPERATIONS[operation_id].definition.raw.get("requestBody", {})
    return sorted(set(_properties(body)))


#: Operations taking a JSON (or form) body: path template, method.
BODY_OPERATIONS = {
    "createToken": ("/oauth", "POST"),
    "revokeToken": ("/oauth/revoke", "POST"),
    "createAccessToken": ("/v1/access-token", "POST"),
    "createFolder": ("/v1/folder", "POST"),
    "updateFolder": ("/v1/folder/{folder}", "PATCH"),
    "createWorkflow": ("/v1/workflow", "POST"),
    "updateWorkflow": ("/v1/workflow/{workflow}", "PATCH"),
    "createWorkflowTemplate": ("/v1/workflow-template", "POST"),
    "updateWorkflowTemplate": ("/v1/workflow-template/{workflow-template}", "PATCH"),
    "createWebhook": ("/webhook-business-unit", "POST"),
}
BODY_KEYS = {op: _body_keys(op) for op in BODY_OPERATIONS}


def _resolve(template: str, owned: dict[str, int]) -> str:
    for name, value in owned.items():
        template = template.replace("{" + name + "}", str(value))
    return template


def _nested(keys: list[str]) -> st.SearchStrategy[Any]:
    """Objects shaped like the operation's body: its own keys, nested, holding values of any type."""
    return st.recursive(
        support.json_values(4),
        lambda inner: st.dictionaries(st.sampled_from(keys), inner | st.lists(inner, max_size=3), max_size=6),
        max_leaves=15,
    )


@pytest.mark.parametrize("operation_id", sorted(BODY_OPERATIONS))
@settings(max_examples=support.examples(), suppress_health_check=support.SUPPRESS)
@given(
    body=st.one_of(support.json_bodies(), st.data()),
    content_type=support.content_types(),
    authenticated=st.sampled_from([True, True, True, False]),
)
def test_any_body(
    mock: Served,
    client: httpx.Client,
    auth: dict[str, str],
    owned: dict[str, int],
    operation_id: str,
    body: Any,
    content_type: str | None,
    authenticated: bool,
) -> None:
    if not isinstance(body, bytes):  # half the time: an object shaped like this operation's body
        keys = BODY_KEYS[operation_id] or ["name"]
        body = json.dumps(body.draw(_nested(keys)), allow_nan=True).encode()
        content_type = "application/json"
    template, method = BODY_OPERATIONS[operation_id]
    headers = {**(auth if authenticated else {}), **({"Content-Type": content_type} if content_type else {})}
    response = checked(
        mock, client.request(method, API + _resolve(template, owned), content=body, headers=headers)
    )
    assert response.status_code < 500


MULTIPART_TYPES = [
    "multipart/form-data; boundary=B",
    "multipart/form-data",
    "multipart/form-data; boundary=",
    "multipart/form-data; boundary=" + "x" * 200,
    "multipart/mixed; boundary=B",
    'multipart/form-data; boundary="B"; charset=utf-8',
]


def multipart(parts: list[tuple[str, str | None, str | None, bytes]], boundary: str = "B") -> bytes:
    out = b""
    for name, filename, kind, content in parts:
        disposition = f'form-data; name="{name}"' + (
            f'; filename="{filename}"' if filename is not None else ""
        )
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode("utf-8", "surrogatepass")
        if kind is not None:
            out += f"Content-Type: {kind}\r\n".encode()
        out += b"\r\n" + content + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


@settings(max_examples=support.examples(), suppress_health_check=support.SUPPRESS)
@given(
    parts=st.lists(
        st.tuples(
            st.sampled_from(["file", "name", "description", "idFolder", "file[]", ""])
            | support.text_values(10),
            st.none() | st.sampled_from(["c.pdf", "../../etc/passwd", "a\\b.pdf", ""]) | st.text(max_size=30),
            st.none() | st.sampled_from(["application/pdf", "text/plain", "x"]),
            st.sampled_from([PDF, b"", b"%PDF-", b"not a pdf", PDF * 50]) | st.binary(max_size=80),
        ),
        max_size=5,
    ),
    mangle=st.sampled_from(["none", "truncate", "no-final", "garbage", "crlf"]),
    content_type=st.sampled_from(MULTIPART_TYPES),
)
def test_any_multipart_upload(
    mock: Served,
    client: httpx.Client,
    auth: dict[str, str],
    parts: list[tuple[str, str | None, str | None, bytes]],
    mangle: str,
    content_type: str,
) -> None:
    body = multipart(parts)
    if mangle == "truncate":
        body = body[: len(body) // 2]
    elif mangle == "no-final":
        body = body.replace(b"--B--\r\n", b"")
    elif mangle == "garbage":
        body = b"\x00\xff" + body
    elif mangle == "crlf":
        body = body.replace(b"\r\n", b"\n")
    response = checked(
        mock, client.post(f"{API}/v1/file", content=body, headers={**auth, "Content-Type": content_type})
    )
    assert response.status_code in (201, 400, 413, 415, 422), response.text


# -- ids, methods, tokens --------------------------------------------------------------------------

ID_PATHS = sorted(
    {path.replace("/v1", "", 1) if path.startswith("/v1") else path for path in SPEC["paths"] if "{" in path}
)
HOSTILE_IDS = [
    "0",
    "-1",
    "1.0",
    "1e3",
    "99999999999999999999",
    "%00",
    "..%2F..%2F__mock__%2Freset",
    "%2e%2e",
    "a" * 5000,
    "%ff",
    "１",
    "1%0d%0aX-Injected:%201",
    "$USER_ID",
    "%20",
    "1;2",
    "0x1",
]


@settings(max_examples=support.examples(), suppress_health_check=support.SUPPRESS)
@given(
    template=st.sampled_from(ID_PATHS),
    prefixed=st.booleans(),
    method=st.sampled_from(["GET", "DELETE", "PATCH", "POST", "PUT", "HEAD", "OPTIONS"]),
    entity=st.sampled_from(HOSTILE_IDS) | st.text(min_size=1, max_size=40).map(lambda t: quote(t, safe="")),
)
def test_any_id_and_method(
    mock: Served,
    client: httpx.Client,
    auth: dict[str, str],
    template: str,
    prefixed: bool,
    method: str,
    entity: str,
) -> None:
    path = ("/v1" if prefixed and not template.startswith("/webhook") else "") + template
    path = path.split("{")[0] + entity + path.split("}")[1]
    response = checked(
        mock,
        client.request(
            method,
            httpx.URL(mock.url + API + path),
            headers=auth,
            json={"name": "x"} if method in ("PATCH", "POST", "PUT") else None,
        ),
    )
    assert response.status_code in (200, 204, 400, 404, 405, 409, 415, 422), response.text


@settings(max_examples=support.examples(), suppress_health_check=support.SUPPRESS)
@given(
    path=st.sampled_from([*LISTINGS, "/v1/user/1", "/oauth", "/v1/access-token/1"]),
    value=support.header_values(),
)
def test_any_authorization(mock: Served, client: httpx.Client, path: str, value: bytes) -> None:
    response = checked(mock, client.get(API + path, headers={"Authorization": value}))
    assert response.status_code in (401, 403, 405), response.text


@settings(max_examples=support.examples(), suppress_health_check=support.SUPPRESS)
@given(
    path=st.sampled_from(
        [
            "",
            "/",
            "/v1",
            "/v2/user",
            "/v1/v1/user",
            "/V1/USER",
            "/user/",
            "/v1/user/1/x",
            "/oauth/",
            "/oauth/x",
            "/__mock__/workflow-step/1/sign",
            "/__mock__/x",
            "/%00",
        ]
    )
    | st.text(max_size=30).map(lambda t: "/" + quote(t, safe="/")),
    method=st.sampled_from(["GET", "POST", "DELETE", "PATCH", "OPTIONS", "TRACE"]),
)
def test_any_path(mock: Served, client: httpx.Client, auth: dict[str, str], path: str, method: str) -> None:
    response = checked(mock, client.request(method, httpx.URL(mock.url + API + path), headers=auth))
    assert response.status_code < 500
