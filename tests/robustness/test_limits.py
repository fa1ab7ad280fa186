"""The body limit (``MockConfig.max_body_bytes``, 1 MiB by default) on every API and the admin API.

Past the limit the answer is 413 in the API's own shape, whether the body is sent with a
``Content-Length`` (one byte over), only declared (a ``Content-Length`` over the limit and no body:
the mock answers without waiting for it), or chunked without any length. A body at the limit is
not a 413. Deeply nested JSON (100,000 ``[``) is a 4xx in the API's shape on every JSON endpoint,
and a client that stops sending half-way does not disturb the server.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from specmock.mocks.config import parse_config
from tests.robustness import support
from tests.robustness.support import REALM_TOKEN, Served, checked, parse_raw, raw_exchange

LIMIT = 1_048_576
#: One endpoint taking a body per API (and the admin API), with the content type it expects.
ENDPOINTS = {
    "banqer-auth": (REALM_TOKEN, "application/x-www-form-urlencoded"),
    "banqer": ("/banqer/demo/v1/fichas", "application/json"),
    "pbm": ("/pbm/graphql", "application/json"),
    "assine": ("/assine/oauth", "application/json"),
    "assine-upload": ("/assine/v1/file", "multipart/form-data; boundary=B"),
    "admin": ("/__mock__/faults", "application/json"),
}
JSON_ENDPOINTS = [
    "/pbm/graphql",
    "/assine/oauth",
    "/assine/oauth/revoke",
    "/assine/v1/access-token",
    "/assine/v1/folder",
    "/assine/v1/workflow",
    "/assine/v1/workflow-template",
    "/assine/webhook-business-unit",
    "/banqer/demo/v1/fichas",
    REALM_TOKEN,
    "/__mock__/faults",
    "/__mock__/clock/advance",
    "/__mock__/rate-limit",
    "/__mock__/tokens/expire",
]


@pytest.fixture(scope="module")
def assine(client: httpx.Client) -> dict[str, str]:
    return support.bearer(support.assine_token(client))


def shape_of(path: str) -> str:
    return support.api_of(path)


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_one_byte_over_the_limit_is_a_413(
    mock: Served, client: httpx.Client, assine: dict[str, str], name: str
) -> None:
    path, kind = ENDPOINTS[name]
    response = client.post(path, content=b"x" * (LIMIT + 1), headers={**assine, "Content-Type": kind})
    checked(mock, response)
    assert response.status_code == 413, response.text


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_a_body_at_the_limit_is_read(
    mock: Served, client: httpx.Client, assine: dict[str, str], name: str
) -> None:
    path, kind = ENDPOINTS[name]
    response = client.post(path, content=b" " * LIMIT, headers={**assine, "Content-Type": kind})
    checked(mock, response)
    assert response.status_code != 413, response.text


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_a_declared_length_over_the_limit_is_answered_without_waiting_for_the_body(
    mock: Served, name: str
) -> None:
    path, kind = ENDPOINTS[name]
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {kind}\r\n"
        f"Content-Length: {50 * LIMIT}\r\n\r\n"
    ).encode()
    # Had the server waited for the body, this would end in a 408 or the socket timeout, not a 413.
    status, headers, body = parse_raw(raw_exchange(mock.port, head))
    assert status == 413, body
    response = httpx.Response(status, headers=headers, content=body, request=httpx.Request("POST", path))
    support.ERROR_SHAPES[shape_of(path)](response)
    mock.assert_no_server_errors()


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_a_chunked_body_without_length_is_cut_at_the_limit(
    mock: Served, client: httpx.Client, assine: dict[str, str], name: str
) -> None:
    path, kind = ENDPOINTS[name]

    def chunks() -> Iterator[bytes]:
        for _ in range(40):
            yield b"x" * 65_536  # 2.5 MiB in all

    response = client.post(path, content=chunks(), headers={**assine, "Content-Type": kind})
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    checked(mock, response)
    assert response.status_code == 413, response.text


def test_the_limit_follows_the_config() -> None:
    with support.serve(parse_config({"max_body_bytes": 2048})) as small:
        client = small.client()
        for name, (path, kind) in ENDPOINTS.items():
            over = checked(small, client.post(path, content=b"{" * 2049, headers={"Content-Type": kind}))
            assert over.status_code == 413, (name, over.text)
            under = checked(small, client.post(path, content=b"{" * 2048, headers={"Content-Type": kind}))
            assert under.status_code != 413, (name, under.text)


@pytest.mark.parametrize("path", JSON_ENDPOINTS)
@pytest.mark.parametrize("depth", [100_000, 3_000, 600])
def test_deeply_nested_json_is_a_4xx_in_the_apis_shape(
    mock: Served, client: httpx.Client, assine: dict[str, str], path: str, depth: int
) -> None:
    for body in (b"[" * depth, b"[" * depth + b"]" * depth, b'{"a":' * depth + b"1" + b"}" * depth):
        response = checked(
            mock,
            client.post(
                path,
                content=body,
                headers={
                    **assine,
                    "Content-Type": "application/x-www-form-urlencoded"
                    if "openid-connect" in path
                    else "application/json",
                },
            ),
        )
        assert 400 <= response.status_code < 500, response.text


def test_the_journal_lists_bodies_too_deep_to_keep(mock: Served, client: httpx.Client) -> None:
    client.post(
        "/pbm/graphql", content=b"[" * 1500 + b"]" * 1500, headers={"Content-Type": "application/json"}
    )
    listing = client.get("/__mock__/requests", params={"api": "pbm"})
    assert listing.status_code == 200
    assert "nested too deeply" in json.dumps(listing.json()["requests"][-1]["body"])


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
def test_a_client_that_stops_half_way_does_not_disturb_the_server(
    mock: Served, client: httpx.Client, name: str
) -> None:
    path, kind = ENDPOINTS[name]
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {kind}\r\nContent-Length: 1000\r\n\r\n"
    import socket

    with socket.create_connection(("127.0.0.1", mock.port), timeout=support.TIMEOUT) as sock:
        sock.sendall(head.encode() + b'{"query": ')
    time.sleep(0.05)
    response = client.get("/__mock__/")
    assert response.status_code == 200
    mock.assert_no_server_errors()
