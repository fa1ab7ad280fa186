"""Bodies served again for a query already answered: byte-identical, and never past a failed check.

The Banqer data is immutable, so the mock keeps the encoded body of each query it answered. These
tests hold that against a mock that has never seen the query (a fresh app, empty cache), and check
that authentication, scope and validation still decide every request.
"""

from __future__ import annotations

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from specmock.mocks.core.cache import BoundedCache
from tests.mocks.banqer.support import API, DOCUMENTED_FICHA_ID, bearer, fetch_token, make_app, raw_client

_QUERY = st.fixed_dictionaries(
    {},
    optional={
        "pageSize": st.one_of(st.integers(-3, 260).map(str), st.sampled_from(["", "x", "1.5", "٣"])),
        "atrasoMin": st.one_of(st.integers(-2, 400).map(str), st.just("abc")),
        "pageToken": st.sampled_from(["", "bogus", "eyJvIjoyMCwicSI6IjAwMDAwMDAwMDAwMDAwMDAifQ"]),
    },
)
_PATH = st.sampled_from(["/v1/fichas", "/v1/credores", f"/v1/fichas/{DOCUMENTED_FICHA_ID}",
                         f"/v1/fichas/{DOCUMENTED_FICHA_ID.upper()}", "/v1/fichas/nao-existe"])


@pytest.fixture(scope="module")
def warm() -> tuple[Starlette, httpx.Client, str]:
    app = make_app()
    client = raw_client(app)
    return app, client, fetch_token(client)


def _answer(client: httpx.Client, token: str, path: str, query: dict[str, str]) -> tuple[int, bytes, str]:
    response = client.get(f"{API}{path}", params=query, headers=bearer(token))
    return response.status_code, response.content, response.headers["content-type"]


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(requests=st.lists(st.tuples(_PATH, _QUERY), min_size=1, max_size=6))
def test_a_warm_mock_answers_what_a_fresh_one_answers(
    warm: tuple[Starlette, httpx.Client, str], requests: list[tuple[str, dict[str, str]]]
) -> None:
    _, client, token = warm
    fresh = raw_client(make_app())
    fresh_token = fetch_token(fresh)
    for path, query in requests:
        first = _answer(client, token, path, query)
        again = _answer(client, token, path, query)
        assert again == first
        assert _answer(fresh, fresh_token, path, query) == first


@pytest.fixture
def own() -> tuple[Starlette, httpx.Client, str]:
    """A mock of the test's own, for tests that move its clock or reset it."""
    app = make_app()
    client = raw_client(app)
    return app, client, fetch_token(client)


def test_an_answered_query_still_needs_a_live_token(own: tuple[Starlette, httpx.Client, str]) -> None:
    app, client, _ = own
    token = fetch_token(client)
    url = f"{API}/v1/fichas?pageSize=7"
    assert client.get(url, headers=bearer(token)).status_code == 200

    assert client.get(url).status_code == 401
    assert client.get(url, headers=bearer(token[:-4] + "AAAA")).status_code == 401
    app.state.control.advance(3 * 3600)
    expired = client.get(url, headers=bearer(token))
    assert expired.status_code == 401
    assert "expirado" in expired.json()["message"]

    token = fetch_token(client)
    assert client.get(url, headers=bearer(token)).status_code == 200
    app.state.control.reset()
    assert client.get(url, headers=bearer(token)).status_code == 401


def test_a_token_judged_once_is_still_checked_against_the_registry_and_tenant(
    own: tuple[Starlette, httpx.Client, str],
) -> None:
    app, client, token = own
    url = f"{API}/v1/credores"
    assert client.get(url, headers=bearer(token)).status_code == 200
    assert client.get("/banqer/acme/v1/credores", headers=bearer(token)).status_code == 401  # not configured
    app.state.control.expire_tokens("banqer")
    refused = client.get(url, headers=bearer(token))
    assert refused.status_code == 401
    assert "revogado" in refused.json()["message"]


def test_tokens_judged_are_remembered_within_a_bound(
    own: tuple[Starlette, httpx.Client, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, client, _ = own
    api = app.state.mock.apis["banqer"]
    monkeypatch.setattr(api, "_granted", BoundedCache(3, 1 << 20))
    for _ in range(7):
        token = fetch_token(client)
        assert client.get(f"{API}/v1/credores", headers=bearer(token)).status_code == 200
        assert 1 <= len(api._granted) <= 3
    assert client.get(f"{API}/v1/credores", headers=bearer(token)).status_code == 200


def test_an_answered_query_still_needs_the_scope(warm: tuple[Starlette, httpx.Client, str]) -> None:
    _, client, token = warm
    url = f"{API}/v1/fichas?pageSize=3"
    assert client.get(url, headers=bearer(token)).status_code == 200
    narrow = fetch_token(client, client_id="demo-credores")
    refused = client.get(url, headers=bearer(narrow))
    assert refused.status_code == 403
    assert refused.json()["details"][0]["reason"] == "MISSING_SCOPE"


def test_an_answered_query_is_journaled_and_counted_every_time(
    own: tuple[Starlette, httpx.Client, str],
) -> None:
    app, client, token = own
    state = app.state.mock
    before = state.journal.total
    for _ in range(5):
        assert client.get(f"{API}/v1/fichas?pageSize=2", headers=bearer(token)).status_code == 200
    assert state.journal.total == before + 5
    app.state.control.rate_limit("banqer", 3, 60)
    try:
        statuses = [client.get(f"{API}/v1/fichas?pageSize=2", headers=bearer(token)).status_code
                    for _ in range(4)]
    finally:
        app.state.control.rate_limit("banqer", None)
    assert statuses == [200, 200, 200, 429]
