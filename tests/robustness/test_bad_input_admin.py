"""Bad input on the admin API (``/__mock__``) is a 400 ``{error}``, and nothing it accepts breaks the mock.

Every control call gets arbitrary JSON (right keys with values of any type, wrong keys, not JSON
at all). Whatever the admin API accepts is then put to work: a queued fault must fire as a
well-formed HTTP answer (no header injection, no body on a 204, no 1xx final status), a rate
limit or a clock move must leave every API answering. The journal listing must survive any body
the APIs were sent.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.robustness import support
from tests.robustness.support import Served, checked

APIS = ["banqer", "banqer-auth", "pbm", "assine"]
#: A request to each API (path relative to its base, as faults name it) and the full URL path.
PROBES = {
    "banqer": ("GET", "/v1/fichas", "/banqer/demo/v1/fichas"),
    "banqer-auth": (
        "GET",
        "/realms/demo/.well-known/openid-configuration",
        "/banqer-auth/realms/demo/.well-known/openid-configuration",
    ),
    "pbm": ("GET", "/graphql", "/pbm/graphql?query=%7B__typename%7D"),
    "assine": ("GET", "/v1/user", "/assine/v1/user"),
}
HEADER_NAMES = [
    "Retry-After",
    "X-Why",
    "Content-Type",
    "content-length",
    "Transfer-Encoding",
    "Connection",
    "X\r\nInjected",
    "X-A:B",
    "",
    " X",
    "X Y",
    "Set-Cookie",
    "Ω",
    "X\x00",
    "x" * 300,
]
HEADER_VALUES = [
    "1",
    "text/plain",
    "a\r\nInjected: 1",
    "a\nb",
    "\x00",
    "Ω",
    "é",
    " padded ",
    "\t",
    "",
    "x" * 9000,
    "1\r\n\r\n<html>",
]


def admin_post(client: httpx.Client, path: str, body: Any) -> httpx.Response:
    return support.post_json(client, f"/__mock__{path}", body)


def probe(mock: Served, client: httpx.Client, api: str, allowed_5xx: int | None = None) -> httpx.Response:
    """One request to ``api``: an answer always arrives; 5xx only when a fault asked for exactly it."""
    _, _, url = PROBES[api]
    response = client.get(url)
    if allowed_5xx is not None and response.status_code == allowed_5xx:
        mock.assert_no_server_errors()
    else:
        checked(mock, response)
    return response


def accepted_or_400(mock: Served, response: httpx.Response, ok: tuple[int, ...]) -> bool:
    checked(mock, response, "admin")
    assert response.status_code in (*ok, 400), response.text
    return response.status_code in ok


def nested_list(depth: int) -> list[Any]:
    outer: list[Any] = []
    inner = outer
    for _ in range(depth - 1):
        inner.append([])
        inner = inner[0]
    return outer


def values(*specials: Any) -> st.SearchStrategy[Any]:
    return st.sampled_from(specials) | support.json_values(4)


FAULTS = st.fixed_dictionaries(
    {"api": values(*APIS, "BANQER", "", "nope")},
    optional={
        "status": values(
            200, 204, 304, 404, 418, 429, 503, 599, 100, 101, 199, 600, 503.0, 503.5, -1, True, "503"
        ),
        "method": values("*", "GET", "get", "POST", "G E T", "", "GET\r\n"),
        "path": values(
            "*", "/v1/fichas", "/v1/*", "/graphql", "/realms/*", "/v1/user", "[", "**", "x" * 2001
        ),
        "times": values(1, 2, 0, -1, 1_000_000, 1_000_001, 1.0, 1.5),
        "headers": st.dictionaries(
            st.sampled_from(HEADER_NAMES) | st.text(max_size=10),
            st.sampled_from(HEADER_VALUES) | st.text(max_size=10),
            max_size=3,
        )
        | support.json_values(3),
        "body": values(None, "texto", "\ud800", {"custom": True}, [[[[[[]]]]]], float("nan"), 1e308)
        | st.sampled_from([1, 10, 63, 64, 65, 100, 500]).map(nested_list),
        "delay_ms": values(0, 1, 10, -1, 60_001, 1.0, 0.5),
    },
)


@settings(max_examples=support.examples(), suppress_health_check=support.SUPPRESS)
@given(fault=FAULTS | st.dictionaries(support.text_values(8), support.json_values(4), max_size=4))
def test_any_fault_is_refused_or_fires_cleanly(
    mock: Served, client: httpx.Client, fault: dict[str, Any]
) -> None:
    if isinstance(fault.get("delay_ms"), int | float) and fault["delay_ms"] > 50:
        fault["delay_ms"] = 60_001  # keep accepted delays short, refused ones refused
    try:
        response = admin_post(client, "/faults", fault)
        if accepted_or_400(mock, response, (201,)):
            api, status = fault["api"], int(fault["status"])
            answer = probe(mock, client, api, allowed_5xx=status)
            for name in fault.get("headers", {}):
                assert name.lower() not in ("injected", "x-injected")
            if answer.status_code == status and status in (204, 304):
                assert answer.content == b""
            listed = client.get("/__mock__/faults")
            assert listed.status_code == 200
    finally:
        client.delete("/__mock__/faults")


@settings(max_examples=support.examples(), suppress_health_check=support.SUPPRESS)
@given(
    body=st.fixed_dictionaries(
        {}, optional={"seconds": values(0, 1, 301, 3.2e9, 3.2e9 + 1, -1, -0.0, 1e-300, "1", True, None)}
    )
    | support.json_values(3),
    repeat=st.integers(1, 3),
)
def test_any_clock_move_leaves_every_api_answering(
    mock: Served, client: httpx.Client, body: Any, repeat: int
) -> None:
    try:
        for _ in range(repeat):
            accepted_or_400(mock, admin_post(client, "/clock/advance", body), (200,))
        clock = client.get("/__mock__/clock")
        assert clock.status_code == 200 and isinstance(clock.json()["now"], float | int), clock.text
        support.banqer_token(client)
        support.pbm_token(client)
        token = support.assine_token(client)
        listed = checked(mock, client.get("/assine/v1/access-token", headers=support.bearer(token)))
        assert listed.status_code == 200, listed.text
    finally:
        client.post("/__mock__/reset")


def test_the_clock_stops_short_of_unrepresentable_dates(mock: Served, client: httpx.Client) -> None:
    try:
        moves = [admin_post(client, "/clock/advance", {"seconds": 3.2e9}) for _ in range(80)]
        assert moves[0].status_code == 200
        refused = [m for m in moves if m.status_code != 200]
        assert refused and all(m.status_code == 400 and "9000" in m.json()["error"] for m in refused)
        token = support.assine_token(client)
        checked(mock, client.get("/assine/v1/access-token", headers=support.bearer(token)))
        body = {"password": support.DEMO_ASSINE[1], "expires": "9999-12-31 23:59:59"}
        checked(mock, client.post("/assine/v1/access-token", json=body, headers=support.bearer(token)))
    finally:
        client.post("/__mock__/reset")


@settings(max_examples=support.examples(), suppress_health_check=support.SUPPRESS)
@given(
    body=st.fixed_dictionaries(
        {"api": values(*APIS, "nope")},
        optional={
            "limit": values(1, 2, 0, None, 10**30, 1.0, 1.5, "1", True),
            "per_seconds": values(1, 0.001, 0.0009, 1e-300, 5e-324, 86_400, 86_401, 0, -1, "1", None),
        },
    )
    | support.json_values(3)
)
def test_any_rate_limit_leaves_the_api_answering(mock: Served, client: httpx.Client, body: Any) -> None:
    try:
        if accepted_or_400(mock, admin_post(client, "/rate-limit", body), (200,)):
            for _ in range(3):
                response = probe(mock, client, body["api"])
                assert response.status_code != 429 or response.headers["retry-after"].isdigit()
            assert client.get("/__mock__/rate-limit").status_code == 200
    finally:
        client.post("/__mock__/reset")


@settings(max_examples=support.examples(), suppress_health_check=support.SUPPRESS)
@given(body=st.fixed_dictionaries({}, optional={"api": values(*APIS, "nope", None)}) | support.json_values(3))
def test_any_expire_call(mock: Served, client: httpx.Client, body: Any) -> None:
    accepted_or_400(mock, admin_post(client, "/tokens/expire", body), (200,))


@pytest.mark.parametrize("path", ["/faults", "/clock/advance", "/rate-limit", "/tokens/expire", "/reset"])
@settings(max_examples=support.examples(), suppress_health_check=support.SUPPRESS)
@given(
    body=support.json_bodies(["api", "status", "seconds", "limit", "per_seconds", "headers", "body"]),
    content_type=support.content_types(),
)
def test_any_raw_body(
    mock: Served, client: httpx.Client, path: str, body: bytes, content_type: str | None
) -> None:
    try:
        headers = {"Content-Type": content_type} if content_type is not None else {}
        response = checked(mock, client.post(f"/__mock__{path}", content=body, headers=headers), "admin")
        assert response.status_code in (200, 201, 400), response.text
        if response.status_code == 201:
            probe(mock, client, response.json()["api"], allowed_5xx=response.json()["status"])
    finally:
        client.post("/__mock__/reset")


@settings(max_examples=support.examples(), suppress_health_check=support.SUPPRESS)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]),
    path=st.sampled_from(
        [
            "",
            "/",
            "/faults",
            "/faults/1",
            "/clock",
            "/clock/advance",
            "/reset",
            "/requests",
            "/rate-limit",
            "/tokens/expire",
            "/tokens",
            "/%00",
            "/..%2Freset",
            "/FAULTS",
        ]
    )
    | st.text(max_size=20).map(lambda t: "/" + quote(t, safe="/")),
    query=st.lists(
        st.tuples(
            st.sampled_from(["api", "limit"]) | support.text_values(8),
            st.sampled_from(APIS) | support.text_values(),
        ),
        max_size=3,
    ),
)
def test_any_admin_method_and_path(
    mock: Served, client: httpx.Client, method: str, path: str, query: list[tuple[str, str]]
) -> None:
    safe_to_call = method in ("GET", "HEAD", "OPTIONS") or (
        path in ("/faults", "/requests") and method == "DELETE"
    )
    if not safe_to_call:
        method = "OPTIONS"
    url = httpx.URL(mock.url + "/__mock__" + path)
    checked(
        mock, client.request(method, url, params=query), "admin" if url.path.startswith("/__mock__") else None
    )


# -- explicit cases ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Why": "a\r\nInjected: 1"},
        {"X-Why": "a\nInjected: 1"},
        {"X\r\nInjected": "1"},
        {"X-Why": "\x00"},
        {"X-Why": "Ω"},
        {"": "1"},
        {"Content-Length": "5"},
        {"Transfer-Encoding": "chunked"},
        {"X Y": "1"},
    ],
)
def test_fault_headers_that_would_inject_or_break_the_answer_are_refused(
    mock: Served, client: httpx.Client, headers: dict[str, str]
) -> None:
    response = admin_post(client, "/faults", {"api": "banqer", "status": 503, "headers": headers})
    checked(mock, response, "admin")
    assert response.status_code == 400, response.text
    assert client.get("/__mock__/faults").json()["faults"] == []


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        ({"status": 503.0}, 503),
        ({"status": 204, "body": {"a": 1}}, 204),
        ({"status": 304}, 304),
        ({"status": 503, "headers": {"Retry-After": " 7 "}}, 503),
        ({"status": 200, "body": "ok"}, 200),
        ({"status": 429, "times": 2.0}, 429),
    ],
)
def test_accepted_faults_answer_well_formed(
    mock: Served, client: httpx.Client, fault: dict[str, Any], status: int
) -> None:
    try:
        for api in APIS:
            response = admin_post(client, "/faults", {"api": api, **fault})
            assert response.status_code == 201, response.text
            answer = probe(mock, client, api, allowed_5xx=status)
            assert answer.status_code == status
            if status in (204, 304):
                assert answer.content == b""
            elif status >= 400 and "body" not in fault:
                support.ERROR_SHAPES[api](answer)
    finally:
        client.delete("/__mock__/faults")


@pytest.mark.parametrize(
    "fault",
    [
        {"status": 100},
        {"status": 101},
        {"status": 199},
        {"status": 503.5},
        {"status": 503, "times": 0.5},
        {"status": 503, "body": "\ud800"},
        {"status": 503, "body": nested_list(100)},
    ],
)
def test_faults_that_cannot_be_answered_are_refused(
    mock: Served, client: httpx.Client, fault: dict[str, Any]
) -> None:
    response = admin_post(client, "/faults", {"api": "banqer", **fault})
    checked(mock, response, "admin")
    assert response.status_code == 400, response.text


@pytest.mark.parametrize(
    "raw",
    [
        b"[" * 100_000,
        b'{"api": "banqer", "status": 503, "body": ' + b"[" * 100_000 + b"}",
        b'{"seconds": NaN}',
        b'{"seconds": Infinity}',
        b'{"seconds": 1e999}',
        b'{"api": "banqer", "limit": 1, "per_seconds": NaN}',
        b'{"api": "banqer", "limit": 1, "per_seconds": 1e-300}',
        b"\xff\xfe",
    ],
)
def test_admin_json_that_cannot_be_used_is_a_400(mock: Served, client: httpx.Client, raw: bytes) -> None:
    for path in ("/faults", "/clock/advance", "/rate-limit"):
        response = checked(mock, admin_post(client, path, raw), "admin")
        assert response.status_code == 400, response.text
    assert client.get("/__mock__/clock").json()["offset"] == 0
    assert client.get("/__mock__/rate-limit").json() == {}


@pytest.mark.parametrize(
    "raw",
    [
        b'{"password": "x", "a": NaN}',
        b'{"a": "\\ud800"}',
        b'{"a": 1e999}',
        b"[" * 3000,
        b"[" * 600 + b"]" * 600,
        b'{"query": "{ __typename }", "variables": ' + b"[" * 700 + b"]" * 700 + b"}",
        b"{" * 4000,
    ],
)
def test_the_journal_lists_whatever_the_apis_were_sent(
    mock: Served, client: httpx.Client, raw: bytes
) -> None:
    client.delete("/__mock__/requests")
    for _, _, path in PROBES.values():
        checked(mock, support.post_json(client, path.split("?")[0], raw))
    listing = client.get("/__mock__/requests")
    assert listing.status_code == 200, listing.text
    body = listing.json()
    assert body["total"] == len(PROBES) and len(body["requests"]) == len(PROBES)
    assert all(entry["status"] for entry in body["requests"])
    assert b'"x"' not in listing.content  # the password member is still masked when kept as text
