"""The seed's application-token flows (``$USER_ID``, create, list, revoke) on a real port, with curl too."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from specmock.mocks.server import ServerThread
from tests.conformance import check_response, conforming_client
from tests.mocks.assine.support import (
    API,
    PF,
    PJ,
    USER_ID_FILTER,
    bearer,
    documented,
    make_app,
    token,
)

PROBLEM_TYPE = "http://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html"


def future(days: int = 30) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S")


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    with ServerThread(make_app()) as running:
        yield running


@pytest.fixture
def live(server: ServerThread) -> Iterator[httpx.Client]:
    server.app.state.mock.reset()
    with conforming_client(httpx.HTTPTransport(), server.url) as client:
        yield client


def create(client: httpx.Client, auth: dict[str, str], **body: Any) -> httpx.Response:
    return client.post(f"{API}/v1/access-token", json={"password": PJ[1], "expires": future(), **body},
                       headers=auth)


def listed(client: httpx.Client, auth: dict[str, str]) -> dict[str, Any]:
    response = client.get(f"{API}/v1/access-token", headers=auth)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_the_seed_flow_on_a_real_port(live: httpx.Client) -> None:
    login_token = token(live)
    auth = bearer(login_token)
    # 1. Is the account PJ? ($USER_ID resolves to the caller.)
    me = live.get(f"{API}/v1/user", params=USER_ID_FILTER, headers=auth).json()["_embedded"]["user"][0]
    assert me["username"] == PJ[0] and "businessUnit" in me["_embedded"]

    # 2. Create an application token: 201, API-Problem shaped, as documented.
    expires = future(400)
    response = create(live, auth, expires=expires)
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/problem+json"
    created, doc = response.json(), documented("access_token_created.json")
    assert list(created) == list(doc)
    assert {k: created[k] for k in ("type", "title", "status", "detail")} == {
        "type": PROBLEM_TYPE, "title": "Token created", "status": 201, "detail": "Access Token data"}
    assert created["expires"] == {"date": f"{expires}.000000", "timezone_type": 3, "timezone": "UTC"}
    assert created["id"].isdigit()
    app_token = created["accessToken"]

    # 3. List: masked values, the login token included, collection "access_token".
    body, doc = listed(live, auth), documented("access_token_list.json")
    assert list(body) == list(doc) and list(body["_embedded"]) == ["access_token"]
    items = body["_embedded"]["access_token"]
    assert len(items) == 2 and created["id"] in [item["id"] for item in items]
    for item, doc_item in zip(items, doc["_embedded"]["access_token"], strict=True):
        assert list(item) == list(doc_item)
        assert item["accessToken"] == "***** HIDDEN *****" and item["scope"] == {}
        assert isinstance(item["id"], str)
        assert list(item["_embedded"]["user"]) == list(doc_item["_embedded"]["user"])
        assert item["_embedded"]["user"]["id"] == me["id"]
    assert app_token not in str(body) and login_token not in str(body)

    # 4. The application token works like a login token.
    as_app = live.get(f"{API}/v1/user", params=USER_ID_FILTER, headers=bearer(app_token))
    assert as_app.json()["_embedded"]["user"][0]["id"] == me["id"]

    # 5. Revoke it: 204, gone from the listing, refused afterwards.
    response = live.delete(f"{API}/v1/access-token/{created['id']}", headers=auth)
    assert (response.status_code, response.content) == (204, b"")
    assert created["id"] not in [item["id"] for item in listed(live, auth)["_embedded"]["access_token"]]
    refused = live.get(f"{API}/v1/access-token", headers=bearer(app_token))
    assert refused.status_code == 401
    assert refused.json() == {"type": PROBLEM_TYPE, "title": "invalid_token", "status": 401,
                              "detail": "The access token provided is invalid"}
    assert refused.headers["www-authenticate"].startswith('Bearer realm="Service", error="invalid_token"')


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_g_with_the_user_id_filter(live: httpx.Client, server: ServerThread) -> None:
    login_token = token(live)
    url = f"{server.url}{API}/v1/user?filter[0][field]=id&filter[0][type]=eq&filter[0][value]=\\$USER_ID"
    write_out = '-w "\\n%{http_code} %{content_type}"'
    command = f'curl -g -s {write_out} -H "Authorization: Bearer {login_token}" "{url}"'
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=30, check=True)
    text, _, tail = result.stdout.rpartition("\n")
    status, content_type = tail.split(" ", 1)
    request = httpx.Request("GET", url.replace("\\$", "$"))
    response = httpx.Response(int(status), headers={"content-type": content_type}, content=text.encode(),
                              request=request)
    response.elapsed = dt.timedelta(0)
    check_response("assine", response)
    body = response.json()
    assert body["total_items"] == 1 and body["_embedded"]["user"][0]["username"] == PJ[0]
    assert body["_links"]["self"]["href"].endswith("%5Bvalue%5D=$USER_ID&page=1")


def test_validation_failures(client: httpx.Client) -> None:
    auth = bearer(token(client))
    cases: list[tuple[dict[str, Any], dict[str, Any]]] = [
        ({"password": "wrong"}, {"password": {"invalidPassword": "Senha incorreta"}}),
        ({"expires": "2001-01-01 00:00:00"},
         {"expires": {"dateInPast": "A data de expiração deve estar no futuro"}}),
        ({"expires": "2030-02-30 10:00:00"}, {"expires": {"dateInvalidDate": "Data inválida"}}),
        ({"expires": "amanhã"}, {"expires": {"dateInvalidDate": "Data inválida"}}),
        ({"expires": 20300101}, {"expires": {"dateInvalidDate": "Data inválida"}}),
    ]
    for body, messages in cases:
        response = create(client, auth, **body)
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["validation_messages"] == messages
        assert (problem["title"], problem["detail"]) == ("Unprocessable Entity", "Failed Validation")
    response = client.post(f"{API}/v1/access-token", json={}, headers=auth)
    assert set(response.json()["validation_messages"]) == {"password", "expires"}
    assert all("isEmpty" in v for v in response.json()["validation_messages"].values())
    assert "wrong" not in create(client, auth, password="wrong").text


def test_bodies_that_are_not_json(client: httpx.Client) -> None:
    auth = bearer(token(client))
    response = client.post(f"{API}/v1/access-token", content=b"password=x", headers={
        **auth, "Content-Type": "application/x-www-form-urlencoded"})
    assert response.status_code == 415
    response = client.post(f"{API}/v1/access-token", content=b"{nope", headers={
        **auth, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON decoding error")


def test_personal_accounts_cannot_create_tokens(client: httpx.Client) -> None:
    response = create(client, bearer(token(client, PF)), password=PF[1])
    assert response.status_code == 403
    assert response.json()["detail"] == "Only business (PJ) accounts may use this resource"
    assert listed(client, bearer(token(client, PF)))["total_items"] >= 1


@pytest.mark.parametrize("header", [None, "", "Basic YXBwOmFwcA==", "Bearer", "Token abc"])
def test_without_a_bearer_token_the_answer_is_403(client: httpx.Client, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    response = client.get(f"{API}/v1/access-token", headers=headers)
    assert response.status_code == 403
    assert response.json() == {"type": PROBLEM_TYPE, "title": "Forbidden", "status": 403,
                               "detail": "Forbidden"}


def test_unknown_and_expired_tokens_are_401(client: httpx.Client) -> None:
    response = client.get(f"{API}/v1/user", headers=bearer("0" * 40))
    assert (response.status_code, response.json()["detail"]) == (401, "The access token provided is invalid")
    auth = bearer(token(client))
    app_token = create(client, auth, expires=future(2)).json()["accessToken"]
    client.post("/__mock__/clock/advance", json={"seconds": 3 * 86400})
    response = client.get(f"{API}/v1/user", headers=bearer(app_token))
    assert (response.status_code, response.json()["detail"]) == (401, "The access token provided has expired")
    assert "has expired" in response.headers["www-authenticate"]


def test_deleting_what_is_not_yours(client: httpx.Client) -> None:
    auth, other = bearer(token(client)), bearer(token(client, PF))
    created = create(client, auth).json()
    for token_id, headers in (("99999", auth), (created["id"], other)):
        assert client.delete(f"{API}/v1/access-token/{token_id}", headers=headers).status_code == 404
    assert client.delete(f"{API}/access-token/{created['id']}", headers=auth).status_code == 204


def test_a_login_token_can_revoke_itself(client: httpx.Client) -> None:
    auth = bearer(token(client))
    (item,) = listed(client, auth)["_embedded"]["access_token"]
    assert client.delete(f"{API}/v1/access-token/{item['id']}", headers=auth).status_code == 204
    assert client.get(f"{API}/v1/access-token", headers=auth).status_code == 401
