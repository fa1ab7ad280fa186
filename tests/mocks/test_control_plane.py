"""The control plane of the core, exercised through a toy API and the admin API, in-process."""

from __future__ import annotations

import json

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from specmock.mocks.app import create_app, create_state
from specmock.mocks.config import MockConfig
from specmock.mocks.transport import sync_transport
from tests.mocks.toy_api import ToyApi


def make_client(config: MockConfig | None = None, admin: bool = True) -> httpx.Client:
    app = create_app(create_state(config, apis=[ToyApi]), admin=admin)
    return httpx.Client(transport=sync_transport(app), base_url="http://mock.test")


@pytest.fixture
def client() -> httpx.Client:
    return make_client(MockConfig(max_body_bytes=2048))


def test_requests_reach_the_api_and_land_in_the_journal(client: httpx.Client) -> None:
    assert client.get("/toy/items?a=1").json()["ok"] is True
    journal = client.get("/__mock__/requests").json()
    assert journal["total"] == 1
    (entry,) = journal["requests"]
    assert (entry["api"], entry["method"], entry["path"], entry["query"], entry["status"]) == (
        "toy", "GET", "/items", "a=1", 200)


@given(times=st.integers(1, 6), extra=st.integers(0, 4), status=st.sampled_from([429, 500, 502, 503, 401]))
def test_a_fault_fires_exactly_times_then_the_api_answers(times: int, extra: int, status: int) -> None:
    client = make_client()
    fault = {"api": "toy", "path": "/items", "status": status, "times": times}
    created = client.post("/__mock__/faults", json=fault)
    assert created.status_code == 201
    statuses = [client.get("/toy/items").status_code for _ in range(times + extra + 1)]
    assert statuses == [status] * times + [200] * (extra + 1)
    assert client.get("/__mock__/faults").json()["faults"] == []


def test_fault_defaults_to_the_api_error_shape_and_429_has_retry_after(client: httpx.Client) -> None:
    client.post("/__mock__/faults", json={"api": "toy", "status": 429})
    response = client.get("/toy/items")
    assert response.status_code == 429
    assert response.json()["toyError"] == 429
    assert response.headers["retry-after"] == "1"


@pytest.mark.parametrize("body", [None, {"custom": True}, "plain text"])
@pytest.mark.parametrize("name", ["Retry-After", "retry-after"])
def test_a_429_fault_can_leave_retry_after_out(client: httpx.Client, body: object, name: str) -> None:
    # null drops the header the API would add itself, so a client's "no Retry-After" path can be tested
    client.post("/__mock__/faults", json={"api": "toy", "status": 429, "body": body, "headers": {name: None}})
    response = client.get("/toy/items")
    assert response.status_code == 429
    assert "retry-after" not in response.headers
    assert client.get("/__mock__/faults").json()["faults"] == []


def test_a_429_fault_without_retry_after_on_an_api_that_adds_it() -> None:
    from specmock.mocks.control_plane import MockControl

    state = create_state()
    app = create_app(state)
    http = httpx.Client(transport=sync_transport(app), base_url="http://mock.test")
    MockControl(state).fail("banqer", 429, path="/v1/fichas", headers={"Retry-After": None})
    response = http.get("/banqer/demo/v1/fichas")
    assert response.status_code == 429
    assert "retry-after" not in response.headers
    assert response.json()["details"][0]["reason"] == "RATE_LIMITED"
    assert http.get("/banqer/demo/v1/fichas").status_code == 401  # the fault fired once


def test_fault_matching_by_method_glob_and_custom_body(client: httpx.Client) -> None:
    client.post("/__mock__/faults", json={"api": "toy", "method": "post", "path": "/items/*", "status": 503,
                                          "body": {"custom": True}, "headers": {"X-Why": "test"}})
    assert client.get("/toy/items/1").status_code == 200
    assert client.post("/toy/items").status_code == 200
    response = client.post("/toy/items/abc")
    answer = (response.status_code, response.json(), response.headers["x-why"])
    assert answer == (503, {"custom": True}, "test")


def test_prefer_code_answers_that_status_once(client: httpx.Client) -> None:
    response = client.get("/toy/items", headers={"Prefer": "code=503"})
    assert response.status_code == 503 and response.json()["toyError"] == 503
    assert client.get("/toy/items").status_code == 200


def test_rate_limit_retry_after_is_honest_under_the_clock(client: httpx.Client) -> None:
    client.post("/__mock__/rate-limit", json={"api": "toy", "limit": 2, "per_seconds": 10})
    headers = {"Authorization": "Bearer one"}
    assert [client.get("/toy/items", headers=headers).status_code for _ in range(2)] == [200, 200]
    limited = client.get("/toy/items", headers=headers)
    assert limited.status_code == 429
    wait = int(limited.headers["retry-after"])
    assert 1 <= wait <= 10
    # another token has its own quota
    assert client.get("/toy/items", headers={"Authorization": "Bearer two"}).status_code == 200
    client.post("/__mock__/clock/advance", json={"seconds": wait})
    assert client.get("/toy/items", headers=headers).status_code == 200


def test_oversized_body_gets_413_in_the_api_shape(client: httpx.Client) -> None:
    response = client.post("/toy/items", content=b"x" * 5000)
    assert response.status_code == 413 and response.json()["toyError"] == 413
    assert client.post("/toy/items", content=b"x" * 100).json()["size"] == 100


def test_journal_redacts_secrets() -> None:
    client = make_client()
    client.post("/toy/items?client_secret=s3cr3t-q", data={"client_id": "c", "client_secret": "s3cr3t-f"},
                headers={"Authorization": "Bearer tok-123"})
    client.post("/toy/items", json={"username": "u", "password": "p4ss", "nested": {"refresh_token": "r"}})
    mutation = 'mutation { createToken(login: "l", password: "p4ssgql") { token } }'
    client.post("/toy/items", json={"query": mutation})
    dump = json.dumps(client.get("/__mock__/requests").json())
    for secret in ("s3cr3t-q", "s3cr3t-f", "tok-123", "p4ss", "p4ssgql", '"r"'):
        assert secret not in dump
    assert "Bearer ***" in dump


def test_reset_clears_faults_journal_clock_and_limits(client: httpx.Client) -> None:
    client.post("/__mock__/faults", json={"api": "toy", "status": 500, "times": 5})
    client.post("/__mock__/clock/advance", json={"seconds": 100})
    client.get("/toy/items")
    assert client.post("/__mock__/reset").json() == {"reset": True}
    assert client.get("/__mock__/faults").json()["faults"] == []
    assert client.get("/__mock__/clock").json()["offset"] == 0
    assert client.get("/__mock__/requests").json()["total"] == 0
    assert client.get("/toy/items").status_code == 200


@pytest.mark.parametrize(
    ("path", "body", "needle"),
    [
        ("/__mock__/faults", "not json", "not valid JSON"),
        ("/__mock__/faults", {"api": "toy"}, "'status' is a required property"),
        ("/__mock__/faults", {"api": "nope", "status": 500}, "unknown api 'nope'"),
        ("/__mock__/faults", {"api": "toy", "status": 1000}, "status"),
        (
            "/__mock__/faults",
            {"api": "toy", "status": 500, "headers": {"X": "a\r\nInjected: 1"}},
            "headers.X",
        ),
        ("/__mock__/clock/advance", {"seconds": -1}, "seconds"),
        ("/__mock__/clock/advance", [], "is not of type 'object'"),
        ("/__mock__/rate-limit", {"api": "toy", "limit": 0}, "limit"),
    ],
)
def test_malformed_admin_requests_get_a_400_saying_what_is_wrong(
    client: httpx.Client, path: str, body: object, needle: str
) -> None:
    kwargs = {"content": body} if isinstance(body, str) else {"json": body}
    response = client.post(path, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 400
    assert needle in response.json()["error"]


def test_unknown_paths_say_what_is_served(client: httpx.Client) -> None:
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert "/toy" in response.json()["served"]
    assert "/__mock__/faults" in client.get("/__mock__/nope").json()["error"]


def test_admin_can_be_turned_off() -> None:
    client = make_client(admin=False)
    assert client.post("/__mock__/reset").status_code == 404
