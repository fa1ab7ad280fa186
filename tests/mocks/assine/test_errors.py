"""The API's own error shape everywhere: faults, ``Prefer: code=``, limits, 404/405/415, the 500 guard."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.applications import Starlette

from specmock.mocks.assine import routes
from specmock.mocks.config import MockConfig
from tests.mocks.assine.support import (
    API,
    CLIENT,
    PJ,
    api_of,
    bearer,
    client_for,
    make_app,
    new_file,
    raw_client,
    token,
    workflow_body,
)

PROBLEM_TYPE = "http://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html"
TITLES = {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 409: "Conflict", 413: "Payload Too Large",
          429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}


@pytest.fixture(scope="module")
def app() -> Starlette:
    return make_app(MockConfig(max_body_bytes=4096))


@pytest.mark.parametrize(("status", "title"), sorted(TITLES.items()))
def test_error_response_titles(app: Starlette, status: int, title: str) -> None:
    headers = {"Retry-After": "3"} if status in (429, 503) else None
    response = api_of(app).error_response(status, None, headers)
    body = json.loads(bytes(response.body))
    assert response.media_type == "application/problem+json"
    assert body == {"type": PROBLEM_TYPE, "title": title, "status": status, "detail": body["detail"]}
    assert body["detail"]


@pytest.mark.parametrize(("path", "status"), [*(("/v1/user", s) for s in (400, 401, 403, 409, 429, 500, 503)),
                                              ("/v1/user/474", 404)])
def test_prefer_code_on_resources_conforms(client: httpx.Client, path: str, status: int) -> None:
    auth = bearer(token(client))
    response = client.get(f"{API}{path}", headers={**auth, "Prefer": f"code={status}"})
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    if status == 401:
        assert response.json()["title"] == "invalid_token" and "www-authenticate" in response.headers


@pytest.mark.parametrize(("status", "title"), [(400, "invalid_request"), (401, "invalid_client"),
                                               (405, "invalid_request"), (429, "Too Many Requests")])
def test_prefer_code_on_oauth_uses_oauth_titles(client: httpx.Client, status: int, title: str) -> None:
    response = client.post(f"{API}/oauth", json={}, headers={"Prefer": f"code={status}"})
    assert (response.status_code, response.json()["title"]) == (status, title)
    if status == 405:
        assert response.headers["allow"] == "POST"


def test_queued_faults_keep_their_headers(client: httpx.Client) -> None:
    fault = {"api": "assine", "path": "/v1/user", "status": 503, "headers": {"Retry-After": "7"}}
    assert client.post("/__mock__/faults", json=fault).status_code == 201
    response = client.get(f"{API}/v1/user", headers=bearer(token(client)))
    assert (response.status_code, response.headers["retry-after"]) == (503, "7")
    assert response.json()["title"] == "Service Unavailable"


def test_rate_limit_is_a_429_with_retry_after(client: httpx.Client) -> None:
    auth = bearer(token(client))
    client.post("/__mock__/rate-limit", json={"api": "assine", "limit": 1, "per_seconds": 60})
    try:
        assert client.get(f"{API}/v1/user", headers=auth).status_code == 200
        response = client.get(f"{API}/v1/user", headers=auth)
        assert response.status_code == 429 and int(response.headers["retry-after"]) >= 1
    finally:
        client.post("/__mock__/rate-limit", json={"api": "assine", "limit": None})


def test_a_body_over_the_limit_is_413(client: httpx.Client) -> None:
    response = client.post(f"{API}/oauth", json={"grant_type": "password", "password": "x" * 5000})
    assert (response.status_code, response.json()["title"]) == (413, "Payload Too Large")


def test_unknown_paths_and_methods(app: Starlette) -> None:
    raw = raw_client(app)
    auth = bearer(token(client_for(app)))
    response = raw.get(f"{API}/v2/user", headers=auth)
    assert (response.status_code, response.headers["content-type"]) == (404, "application/problem+json")
    response = raw.delete(f"{API}/v1/user", headers=auth)
    assert response.status_code == 405 and response.headers["allow"] == "GET, HEAD, OPTIONS"
    assert response.json()["title"] == "Method Not Allowed"
    response = raw.put(f"{API}/folder/1", headers=auth)
    assert response.headers["allow"] == "GET, PATCH, DELETE, HEAD, OPTIONS"
    response = raw.options(f"{API}/v1/workflow")
    assert (response.status_code, response.headers["allow"]) == (200, "GET, POST, HEAD, OPTIONS")
    assert raw.head(f"{API}/v1/user", headers=auth).status_code == 200
    assert raw.get(f"{API}/v1/user/", headers=auth).status_code == 200


def test_json_bodies_need_a_json_content_type(client: httpx.Client) -> None:
    auth = bearer(token(client))
    response = client.post(f"{API}/v1/folder", content=b"name=x",
                           headers={**auth, "Content-Type": "text/plain"})
    assert response.status_code == 415
    response = client.post(f"{API}/v1/folder", content=b'{"name": NaN}', headers={
        **auth, "Content-Type": "application/json"})
    assert response.status_code == 400
    response = client.post(f"{API}/v1/folder", content=b'{"name": "\\ud800"}', headers={
        **auth, "Content-Type": "application/json; charset=utf-8"})
    assert response.status_code == 201 and response.json()["name"] == "\ud800"


def test_a_genuine_bug_is_a_logged_500_in_the_api_shape(app: Starlette, monkeypatch: pytest.MonkeyPatch,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    async def broken(ctx: object) -> None:
        raise RuntimeError("boom")

    mount: Any = next(r for r in app.routes if getattr(r, "path", "") == API)
    router = mount.app.app  # Mount -> ControlLayer -> Router
    assert isinstance(router, routes.Router)
    monkeypatch.setitem(router.plain.fixed["/user"].handlers, "GET", broken)
    client = client_for(app)
    response = client.get(f"{API}/user", headers=bearer(token(client)))
    assert response.status_code == 500
    assert response.json()["title"] == "Internal Server Error" and "boom" not in response.text
    assert "assine: unexpected error" in caplog.text


def test_secrets_never_reach_error_messages(client: httpx.Client) -> None:
    response = client.post(f"{API}/oauth", json={"grant_type": "password", "client_id": "app",
                                                 "client_secret": "s3cr3t-client", "username": PJ[0],
                                                 "password": "s3cr3t-pass"})
    assert "s3cr3t" not in response.text
    response = client.post(f"{API}/oauth", json={"grant_type": "password", **CLIENT, "username": PJ[0],
                                                 "password": "s3cr3t-pass"})
    assert "s3cr3t" not in response.text


KEYS = ["files", "idFile", "workflowSteps", "user", "name", "email", "status", "type", "template", "settings",
        "idParent", "url", "password", "expires", "dueDate", "sla", "idWorkflowTemplate", "autoInitiate", "x"]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 10_000) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(KEYS), inner, max_size=4),
    max_leaves=12,
)
BODY_ROUTES = [("POST", "/v1/workflow"), ("POST", "/v1/workflow-template"), ("POST", "/v1/folder"),
               ("POST", "/v1/access-token"), ("POST", "/webhook-business-unit"),
               ("PATCH", "/v1/folder/{folder}"), ("PATCH", "/v1/workflow/{workflow}"),
               ("PATCH", "/v1/workflow-template/{template}")]
Populated = tuple[httpx.Client, dict[str, str], dict[str, int]]


@pytest.fixture(scope="module")
def populated() -> Populated:
    client = client_for(make_app())
    auth = bearer(token(client))
    file_id = new_file(client, auth)
    ids = {
        "folder": client.post(f"{API}/v1/folder", json={"name": "Pasta"}, headers=auth).json()["id"],
        "workflow": client.post(f"{API}/v1/workflow", json=workflow_body([file_id]),
                                headers=auth).json()["id"],
        "template": client.post(f"{API}/v1/workflow-template", json={
            "type": 1, "name": "T", "template": {"files": [{"idFile": file_id}]}}, headers=auth).json()["id"],
    }
    return client, auth, ids


@given(route=st.sampled_from(BODY_ROUTES), body=JSON)
def test_arbitrary_json_bodies_never_fail_the_server(populated: Populated, route: tuple[str, str],
                                                     body: Any) -> None:
    client, auth, ids = populated
    method, path = route
    response = client.request(method, f"{API}{path.format(**ids)}", json=body, headers=auth)
    assert response.status_code < 500, response.text
