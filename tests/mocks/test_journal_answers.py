"""The journal keeps each answer (headers and the start of the body, secrets masked), hands out the
entries after a cursor, one entry with its curl line, and the admin API counts tokens per API."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from specmock.mocks.app import create_app, create_state
from specmock.mocks.config import MockConfig
from specmock.mocks.core.journal import RESPONSE_PREVIEW
from specmock.mocks.core.tokens import TokenRecord
from specmock.mocks.transport import sync_transport
from tests.mocks.toy_api import ToyApi


def make_app() -> Starlette:
    return create_app(create_state(MockConfig(max_body_bytes=1 << 20), apis=[ToyApi]))


def make_client(app: Starlette | None = None) -> httpx.Client:
    return httpx.Client(transport=sync_transport(app or make_app()), base_url="http://mock.test")


@pytest.fixture
def app() -> Starlette:
    return make_app()


@pytest.fixture
def client(app: Starlette) -> httpx.Client:
    return make_client(app)


def test_the_answer_is_journaled_with_its_headers_and_body(client: httpx.Client) -> None:
    client.post("/toy/items/a", json={"x": 1})
    (entry,) = client.get("/__mock__/requests").json()["requests"]
    response = entry["response"]
    assert response["headers"]["content-type"] == "application/json"
    assert response["body"] == {"ok": True, "path": "/toy/items/a", "size": 7}
    size = int(response["headers"]["content-length"])
    assert (response["size"], response["truncated"], entry["base"]) == (size, False, "/toy")


def test_a_long_answer_keeps_its_start_and_a_secret_cut_there_stays_masked(client: httpx.Client) -> None:
    body = {"pad": "x" * (RESPONSE_PREVIEW - 40), "access_token": "s3cr3t-" + "t" * 200}
    client.post("/__mock__/faults", json={"api": "toy", "status": 500, "body": body})
    client.get("/toy/items")
    journal = client.get("/__mock__/requests").text
    entry = client.get("/__mock__/requests").json()["requests"][-1]
    assert entry["response"]["truncated"] is True
    assert entry["response"]["size"] > RESPONSE_PREVIEW
    assert entry["response"]["body"].startswith('{"pad":"xxx')
    assert "s3cr3t" not in journal and '"access_token":"***' in entry["response"]["body"]


@given(calls=st.integers(1, 12), seen=st.integers(0, 12))
@settings(max_examples=15)
def test_after_gives_exactly_the_entries_numbered_above_the_cursor(calls: int, seen: int) -> None:
    client = make_client()
    for _ in range(calls):
        client.get("/toy/items")
    everything = client.get("/__mock__/requests").json()["requests"]
    cursor = everything[min(seen, calls) - 1]["id"] if seen else 0
    after = client.get(f"/__mock__/requests?after={cursor}").json()["requests"]
    assert [e["id"] for e in after] == [e["id"] for e in everything if e["id"] > cursor]


@pytest.mark.parametrize("after", ["-1", "abc", "1.5", "٣", "9" * 40])
def test_a_cursor_that_is_not_an_entry_id_is_a_400(client: httpx.Client, after: str) -> None:
    response = client.get("/__mock__/requests", params={"after": after})
    assert response.status_code == 400 and "after" in response.json()["error"]


def test_cursor_ids_keep_counting_after_the_journal_is_cleared(client: httpx.Client) -> None:
    client.get("/toy/items")
    first = client.get("/__mock__/requests").json()["requests"][-1]["id"]
    client.delete("/__mock__/requests")
    client.get("/toy/items")
    after = client.get(f"/__mock__/requests?after={first}").json()["requests"]
    assert len(after) == 1 and after[0]["id"] > first


def test_one_entry_with_its_curl_line_and_a_404_for_one_not_kept(client: httpx.Client) -> None:
    client.post("/toy/items/x", json={"password": "hunter22", "n": 1},
                headers={"Authorization": "Bearer abc"})
    entry_id = client.get("/__mock__/requests").json()["requests"][-1]["id"]
    entry = client.get(f"/__mock__/requests/{entry_id}").json()
    assert entry["id"] == entry_id and entry["curl"].startswith("curl -X POST http://mock.test/toy/items/x ")
    assert "hunter22" not in entry["curl"] and "'Authorization: Bearer ***'" in entry["curl"]
    missing = client.get(f"/__mock__/requests/{entry_id + 1}")
    assert missing.status_code == 404 and "no journal entry" in missing.json()["error"]


def test_tokens_are_counted_per_api(app: Starlette, client: httpx.Client) -> None:
    state = app.state.mock
    now = state.clock.now()
    for index in range(3):
        state.tokens.issue(TokenRecord("toy", f"t{index}", now + 60, now), now)
    state.tokens.revoke("toy", "t0")
    counted = client.get("/__mock__/tokens").json()
    assert counted == {"tokens": {"toy": {"issued": 3, "active": 2, "revoked": 1}}}
    client.post("/__mock__/tokens/expire")
    assert client.get("/__mock__/tokens").json()["tokens"]["toy"]["active"] == 0
