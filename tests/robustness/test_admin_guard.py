"""The admin API is safe from web pages: foreign ``Origin`` and foreign ``Host`` are refused (403, one
line), requests without ``Origin`` work as before; the mocked APIs themselves are not restricted.
``--no-admin`` switches off every mock-only control; Banqer accepts only tokens issued under a host
the server answers to."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from specmock.mocks.core.hosts import host_port
from tests.mocks.assine.support import new_file, workflow_body
from tests.robustness import support
from tests.robustness.support import Served

EVIL = "http://evil.example"

#: Every admin call that changes the mock, with a body a page could send as text/plain.
WRITES = [
    ("POST", "/__mock__/faults", '{"api": "pbm", "status": 503}'),
    ("POST", "/__mock__/reset", ""),
    ("POST", "/__mock__/clock/advance", '{"seconds": 3600}'),
    ("POST", "/__mock__/tokens/expire", "{}"),
    ("POST", "/__mock__/rate-limit", '{"api": "pbm", "limit": 1}'),
    ("DELETE", "/__mock__/faults", ""),
    ("DELETE", "/__mock__/requests", ""),
]


@pytest.fixture(scope="module")
def mock() -> Iterator[Served]:
    with support.serve(support.long_lived(), allowed_hosts=("mock.internal",)) as served:
        yield served


@pytest.fixture
def client(mock: Served) -> httpx.Client:
    mock.state.reset()
    return mock.client()


def text_plain(origin: str | None = None, host: str | None = None) -> dict[str, str]:
    headers = {"Content-Type": "text/plain"}
    if origin is not None:
        headers["Origin"] = origin
    if host is not None:
        headers["Host"] = host
    return headers


def one_line_refusal(response: httpx.Response, word: str) -> None:
    assert response.status_code == 403, response.text
    message = response.json()["error"]
    assert "\n" not in message and word in message and len(message) < 400


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
@pytest.mark.parametrize("origin", [EVIL, "null", "http://127.0.0.1.evil.example", "https://localhost"])
def test_a_cross_origin_write_is_refused_and_changes_nothing(
    mock: Served, client: httpx.Client, method: str, path: str, body: str, origin: str
) -> None:
    client.get("/pbm/graphql?query=%7B__typename%7D")
    before = client.get("/__mock__/requests").json()["total"]
    response = client.request(method, path, content=body, headers=text_plain(origin))
    one_line_refusal(response, "origin")
    assert client.get("/__mock__/faults").json()["faults"] == []
    assert client.get("/__mock__/clock").json()["offset"] == 0
    assert client.get("/__mock__/rate-limit").json() == {}
    assert client.get("/__mock__/requests").json()["total"] == before


def test_the_refused_fault_does_not_fire(client: httpx.Client) -> None:
    refused = client.post(
        "/__mock__/faults", content='{"api": "pbm", "status": 503}', headers=text_plain(EVIL)
    )
    assert refused.status_code == 403
    assert client.get("/pbm/graphql?query=%7B__typename%7D").status_code != 503


def test_requests_without_origin_work_as_before(client: httpx.Client) -> None:
    created = client.post("/__mock__/faults", content='{"api": "pbm", "status": 503}', headers=text_plain())
    assert created.status_code == 201
    assert client.get("/pbm/graphql?query=%7B__typename%7D").status_code == 503


def test_the_servers_own_origin_is_accepted(mock: Served, client: httpx.Client) -> None:
    own = f"http://127.0.0.1:{mock.port}"
    response = client.post("/__mock__/faults", json={"api": "pbm", "status": 502}, headers={"Origin": own})
    assert response.status_code == 201
    other_port = f"http://127.0.0.1:{mock.port + 1 if mock.port < 65535 else 1}"
    assert client.post("/__mock__/reset", headers={"Origin": other_port}).status_code == 403


@pytest.mark.parametrize("host", ["evil.example", "evil.example:80", "127.0.0.1.nip.example", "[::2]", "a/b"])
def test_a_foreign_host_is_refused_even_for_reads(client: httpx.Client, host: str) -> None:
    for path in ("/__mock__/requests", "/__mock__/", "/__mock__/clock"):
        one_line_refusal(client.get(path, headers={"Host": host}), "Host")


@pytest.mark.parametrize(
    "host",
    [
        "localhost",
        "LOCALHOST:1234",
        "127.0.0.1",
        "[::1]:8080",
        "localhost.",
        "mock.internal",
        "mock.internal:9000",
    ],
)
def test_loopback_bound_and_allowed_hosts_are_served(mock: Served, client: httpx.Client, host: str) -> None:
    assert client.get("/__mock__/requests", headers={"Host": host}).status_code == 200


def test_a_dns_rebinding_page_is_refused_both_ways(client: httpx.Client) -> None:
    # The page's origin and Host are the attacker's name, pointed at 127.0.0.1.
    response = client.post(
        "/__mock__/reset", headers={"Host": "evil.example:8080", "Origin": "http://evil.example:8080"}
    )
    one_line_refusal(response, "Host")


def test_the_mocked_apis_are_not_restricted(mock: Served, client: httpx.Client) -> None:
    foreign = {"Origin": EVIL, "Host": "evil.example"}
    assert (
        client.get("/banqer-auth/realms/demo/protocol/openid-connect/certs", headers=foreign).status_code
        == 200
    )
    token = support.pbm_token(client)
    answer = client.post(
        "/pbm/graphql", json={"query": "{ __typename }"}, headers={**foreign, **support.bearer(token)}
    )
    assert answer.status_code == 200


@given(
    st.sampled_from(["localhost", "127.0.0.1", "mock.internal", "a-b.example", "::1"]),
    st.one_of(st.none(), st.integers(0, 65535)),
)
def test_host_values_parse_to_name_and_port(name: str, port: int | None) -> None:
    shown = f"[{name}]" if ":" in name else name
    value = shown if port is None else f"{shown}:{port}"
    assert host_port(value, 80) == (name, 80 if port is None else port)
    assert host_port(value.upper(), 80) == (name.lower(), 80 if port is None else port)


# -- --no-admin ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def closed() -> Iterator[Served]:
    with support.serve(support.long_lived(), admin=False) as served:
        yield served


PREFER_PROBES = [
    ("/banqer/demo/v1/fichas", "banqer"),
    ("/banqer-auth/realms/demo/.well-known/openid-configuration", "banqer-auth"),
    ("/pbm/graphql?query=%7B__typename%7D", "pbm"),
    ("/assine/v1/user", "assine"),
]


@pytest.mark.parametrize(("path", "api"), PREFER_PROBES)
def test_prefer_code_is_honoured_with_the_admin_api_and_ignored_without(
    mock: Served, closed: Served, path: str, api: str
) -> None:
    assert mock.client().get(path, headers={"Prefer": "code=503"}).status_code == 503
    assert closed.client().get(path, headers={"Prefer": "code=503"}).status_code != 503


def _pending_step(client: httpx.Client) -> int:
    auth = support.bearer(support.assine_token(client))
    ids = [new_file(client, auth)]
    response = client.post("/assine/v1/workflow", json=workflow_body(ids, 2, autoInitiate=1), headers=auth)
    assert response.status_code == 201, response.text
    return int(response.json()["_embedded"]["workflowSteps"][0]["id"])


@pytest.mark.parametrize("hook", ["sign", "reject"])
def test_assine_signing_hooks_work_with_the_admin_api_and_are_gone_without(
    mock: Served, closed: Served, hook: str
) -> None:
    open_client = mock.client()
    assert (
        open_client.post(f"/assine/__mock__/workflow-step/{_pending_step(open_client)}/{hook}").status_code
        == 200
    )
    closed_client = closed.client()
    step = _pending_step(closed_client)
    gone = closed_client.post(f"/assine/__mock__/workflow-step/{step}/{hook}")
    assert gone.status_code == 404 and gone.headers["content-type"] == "application/problem+json"
    assert closed.state.apis["assine"].store.steps[step].status == 1  # type: ignore[attr-defined]  # pending


def test_no_admin_serves_no_admin_api(closed: Served) -> None:
    client = closed.client()
    for method, path, body in WRITES:
        assert client.request(method, path, content=body).status_code == 404
    assert client.get("/__mock__/requests").status_code == 404


# -- the issuer of Banqer tokens --------------------------------------------------------------------


def _banqer_token_via(client: httpx.Client, host: str) -> str:
    response = client.post(
        support.REALM_TOKEN,
        headers={"Host": host},
        data={"grant_type": "client_credentials", "client_id": "demo-client", "client_secret": "demo-secret"},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@pytest.mark.parametrize(
    ("host", "accepted"),
    [
        ("evil.example", False),
        ("evil.example:8080", False),
        ("localhost:1", True),
        ("mock.internal", True),
    ],
)
def test_banqer_accepts_only_tokens_issued_under_a_host_the_server_answers_to(
    client: httpx.Client, host: str, accepted: bool
) -> None:
    token = _banqer_token_via(client, host)
    response = client.get("/banqer/demo/v1/credores", headers=support.bearer(token))
    if accepted:
        assert response.status_code == 200, response.text
    else:
        assert response.status_code == 401
        assert "unknown issuer" in response.headers["www-authenticate"]


def test_a_token_issued_under_the_bound_address_is_accepted(client: httpx.Client) -> None:
    token = support.banqer_token(client)  # Host: 127.0.0.1:port, the address bound
    assert client.get("/banqer/demo/v1/credores", headers=support.bearer(token)).status_code == 200
