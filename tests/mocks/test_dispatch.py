"""The app's short paths give what Starlette's own would: the mount split, the direct answer, no body read.

Requests to a hosted API skip Starlette's router (the mount dispatcher splits the path), the
Banqer app hands its whole answer to the control layer (no ASGI call), and a GET with no framing
header is not read from the connection. Each is held here against the long path it replaces.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.routing import Match, Mount

from specmock.mocks.app import create_app, create_state
from specmock.mocks.core.cache import BoundedCache
from specmock.mocks.core.middleware import ControlLayer
from specmock.mocks.dispatch import PATH_CHARS_REMEMBERED, MountPath
from tests.mocks.banqer.support import API, DOCUMENTED_FICHA_ID, bearer, fetch_token, make_app, raw_client
from tests.mocks.toy_api import ToyApi

_MOUNT_PATHS = ["/banqer/{tenant}", "/banqer-auth", "/pbm", "/assine", "/__mock__", "/a/{x}/b/{y}"]
_SEGMENT = st.one_of(
    st.sampled_from(["", "banqer", "banqer-auth", "pbm", "demo", "a", "b", "v1", "fichas", "%0A", " ", "\n"]),
    st.text(alphabet="ab/\n.%", max_size=4),
)
_PATHS = st.lists(_SEGMENT, max_size=6).map(lambda parts: "/" + "/".join(parts))


def _noop(scope: Any, receive: Any, send: Any) -> None:
    raise AssertionError("never called")


@settings(max_examples=400)
@given(mount_path=st.sampled_from(_MOUNT_PATHS), path=_PATHS)
def test_splitting_matches_exactly_what_the_mount_regex_matches(mount_path: str, path: str) -> None:
    mount = Mount(mount_path, app=_noop)
    prefix = MountPath.parse(mount_path)
    assert prefix is not None
    match, child = mount.matches({"type": "http", "path": path, "root_path": ""})
    found = prefix.match(path)
    if "\n" in path:  # the app leaves these to Starlette: a newline is where the regex differs
        return
    assert (found is not None) == (match is Match.FULL), path
    if found is not None:
        params, matched = found
        assert params == child["path_params"]
        assert matched == child["root_path"]


def test_mounts_the_split_cannot_mirror_are_left_to_the_router() -> None:
    assert MountPath.parse("/{tenant}/x") is None  # the first segment picks the mount
    assert MountPath.parse("/x/{n:int}") is None  # a converter other than str
    assert MountPath.parse("/x/pre{n}") is None


_BANQER_PATHS = st.sampled_from([
    "/v1/fichas", "/v1/credores", f"/v1/fichas/{DOCUMENTED_FICHA_ID}", "/v1/fichas/nope", "/v1/fichas/",
    "/v1/fichas/a/b", "/v1/", "/", "", "/v1/fichas%0A", "/v1%0A/fichas",
])
_PREFIXES = st.sampled_from([API, "/banqer/acme", "/banqer/", "/banqer", "/banqer//v1", "/banqer-auth/x",
                             "/pbm", "/assine/v1/nada", "/nothing"])
_QUERIES = st.sampled_from(["", "pageSize=2", "pageSize=x", "atrasoMin=-1&pageSize=3", "pageToken=bogus"])


@pytest.fixture(scope="module")
def banqer() -> tuple[Starlette, httpx.Client, str]:
    app = make_app()
    client = raw_client(app)
    return app, client, fetch_token(client)


def _exchange(client: httpx.Client, method: str, url: str, headers: dict[str, str], body: bytes | None
              ) -> tuple[int, list[tuple[str, str]], bytes]:
    response = client.request(method, url, headers=headers, content=body)
    return response.status_code, sorted(response.headers.multi_items()), response.content


def _long_way(app: Starlette) -> Any:
    """Every short path of ``app`` turned off: Starlette's router, and the Banqer app called over ASGI."""
    saved = app.dispatcher  # type: ignore[attr-defined]
    layers = [route.app for route in app.router.routes if isinstance(route.app, ControlLayer)]
    answers = [layer._answer for layer in layers]

    class Restore:
        def __enter__(self) -> None:
            app.dispatcher = None  # type: ignore[attr-defined]
            for layer in layers:
                layer._answer = None

        def __exit__(self, *exc: object) -> None:
            app.dispatcher = saved  # type: ignore[attr-defined]
            for layer, answer in zip(layers, answers, strict=True):
                layer._answer = answer

    return Restore()


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(prefix=_PREFIXES, path=_BANQER_PATHS, query=_QUERIES,
       method=st.sampled_from(["GET", "HEAD", "POST", "DELETE"]),
       auth=st.sampled_from(["valid", "none", "garbage", "basic"]), body=st.sampled_from([None, b"", b"x=1"]))
def test_the_short_paths_answer_what_the_long_ones_answer(
    banqer: tuple[Starlette, httpx.Client, str], prefix: str, path: str, query: str, method: str,
    auth: str, body: bytes | None,
) -> None:
    app, client, token = banqer
    headers = {"valid": bearer(token), "none": {}, "garbage": {"Authorization": "Bearer x.y.z"},
               "basic": {"Authorization": "Basic ZGVtbzpkZW1v"}}[auth]
    url = prefix + path + (f"?{query}" if query else "")
    journal = app.state.mock.journal
    before = journal.total
    short = _exchange(client, method, url, headers, body)
    short_entry = journal.entries()[-1] if journal.total > before else None
    before = journal.total
    with _long_way(app):
        long = _exchange(client, method, url, headers, body)
    long_entry = journal.entries()[-1] if journal.total > before else None
    assert short == long
    if short_entry is None or long_entry is None:  # answered by the app's own 404: no API saw it
        assert short_entry is long_entry is None
        return
    assert (short_entry.api, short_entry.path, short_entry.query, short_entry.status) == (
        long_entry.api, long_entry.path, long_entry.query, long_entry.status)
    assert short_entry.status == short[0]


def test_the_direct_answer_is_the_banqer_app_in_use() -> None:
    app = make_app()
    layer = next(route.app for route in app.router.routes
                 if isinstance(route.app, ControlLayer) and route.app.api.name == "banqer")
    assert layer._answer is not None


@functools.cache
def _toy_layer() -> ControlLayer:
    state = create_state(apis=[ToyApi])
    app = create_app(state)
    return next(route.app for route in app.router.routes if isinstance(route.app, ControlLayer))


def _call(layer: ControlLayer, method: str, headers: list[tuple[bytes, bytes]], chunks: list[bytes]
          ) -> tuple[int, bytes, int]:
    """Status, body and how many times the request's ``receive`` was called."""
    calls = 0
    pending = list(chunks)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal calls
        calls += 1
        chunk = pending.pop(0) if pending else b""
        return {"type": "http.request", "body": chunk, "more_body": bool(pending)}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": method, "path": "/toy/items", "root_path": "/toy", "query_string": b"",
             "headers": headers, "path_params": {}, "http_version": "1.1", "scheme": "http",
             "server": ("127.0.0.1", 80), "client": ("127.0.0.1", 5000), "app_root_path": ""}
    asyncio.run(layer(scope, receive, send))
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], body, calls


def test_a_get_without_framing_headers_is_not_read_from_the_connection() -> None:
    status, body, calls = _call(_toy_layer(), "GET", [(b"host", b"mock.test")], [])
    assert (status, calls) == (200, 0)
    assert b'"size":0' in body


@given(method=st.sampled_from(["GET", "HEAD", "POST"]),
       chunks=st.lists(st.binary(min_size=1, max_size=40), min_size=1, max_size=4),
       framing=st.sampled_from(["content-length", "transfer-encoding"]))
def test_a_framed_body_reaches_the_api_whatever_the_method(
    method: str, chunks: list[bytes], framing: str
) -> None:
    size = sum(map(len, chunks))
    value = str(size).encode() if framing == "content-length" else b"chunked"
    status, body, calls = _call(_toy_layer(), method, [(framing.encode(), value)], chunks)
    assert status == 200
    assert calls >= len(chunks)
    if method != "HEAD":
        assert f'"size":{size}'.encode() in body


def test_the_paths_remembered_are_bounded_in_number_and_length() -> None:
    app = make_app()
    dispatcher = app.dispatcher  # type: ignore[attr-defined]
    dispatcher.paths = BoundedCache(5, 5 * PATH_CHARS_REMEMBERED)
    client = raw_client(app)
    token = fetch_token(client)
    for n in range(12):
        response = client.get(f"{API}/v1/fichas/00000000-0000-4000-8000-{n:012d}", headers=bearer(token))
        assert response.json()["details"][0]["reason"] == "NOT_FOUND"
        assert 1 <= len(dispatcher.paths) <= 5
    long_path = f"{API}/v1/nada/{'x' * 300}"
    assert client.get(long_path, headers=bearer(token)).status_code == 404
    assert long_path not in dispatcher.paths
    assert client.get(f"{API}/v1/credores", headers=bearer(token)).status_code == 200
