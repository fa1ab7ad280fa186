"""``POST /oauth`` and ``POST /oauth/revoke``: the documented bodies, bshaffer's error table and its order."""

from __future__ import annotations

import base64
import re

import httpx
import pytest
from starlette.applications import Starlette

from tests.mocks.assine.support import (
    API,
    CLIENT,
    PJ,
    USER_ID_FILTER,
    bearer,
    client_for,
    documented,
    login,
    make_app,
    raw_client,
)

HEX40 = re.compile(r"[0-9a-f]{40}")
PASSWORD = {"grant_type": "password", **CLIENT, "username": PJ[0], "password": PJ[1]}


def whoami(client: httpx.Client, access: str) -> httpx.Response:
    return client.get(f"{API}/v1/user", params=USER_ID_FILTER, headers=bearer(access))


def test_password_grant_answers_the_documented_shape(client: httpx.Client) -> None:
    response = client.post(f"{API}/oauth", json=PASSWORD)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store" and response.headers["pragma"] == "no-cache"
    body = response.json()
    assert list(body) == list(documented("oauth_token_sessao.json"))
    assert HEX40.fullmatch(body["access_token"]) and HEX40.fullmatch(body["refresh_token"])
    # about 24 h by default, as the vendor's own access-token listing shows ("expires_in": "86400")
    assert (body["expires_in"], body["token_type"], body["scope"]) == (86400, "Bearer", "")
    assert whoami(client, body["access_token"]).status_code == 200


def test_form_encoded_login_and_http_basic_client(client: httpx.Client) -> None:
    form = {k: v for k, v in PASSWORD.items() if k not in CLIENT}
    basic = base64.b64encode(b"app:app").decode()
    response = client.post(f"{API}/oauth", data=form, headers={"Authorization": f"Basic {basic}"})
    assert response.status_code == 200, response.text


def test_wrong_password_is_the_documented_401_body_exactly(client: httpx.Client) -> None:
    response = client.post(f"{API}/oauth", json={**PASSWORD, "password": "wrong"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == documented("oauth_invalid_grant.json")
    unknown = client.post(f"{API}/oauth", json={**PASSWORD, "username": "nobody@example.com"})
    assert unknown.json() == documented("oauth_invalid_grant.json")
    assert "wrong" not in response.text


@pytest.mark.parametrize(("body", "status", "title", "detail"), [
    ({}, 400, "invalid_request", "The grant type was not specified in the request"),
    ({"grant_type": "client_credentials"}, 400, "unsupported_grant_type",
     'Grant type "client_credentials" not supported'),
    ({"grant_type": "password"}, 400, "invalid_client",
     "Client credentials were not found in the headers or body"),
    ({"grant_type": "password", "client_id": "app", "client_secret": "nope"}, 401, "invalid_client",
     "The client credentials are invalid"),
    ({"grant_type": "password", **CLIENT}, 400, "invalid_request",
     'Missing parameters: "username" and "password" required'),
    ({"grant_type": "password", **CLIENT, "username": PJ[0]}, 400, "invalid_request",
     'Missing parameters: "username" and "password" required'),
    ({"grant_type": "refresh_token", **CLIENT}, 400, "invalid_request",
     'Missing parameter: "refresh_token" is required'),
    ({"grant_type": "refresh_token", **CLIENT, "refresh_token": "0" * 40}, 400, "invalid_grant",
     "Invalid refresh token"),
])
def test_error_table(client: httpx.Client, body: dict[str, str], status: int, title: str,
                     detail: str) -> None:
    response = client.post(f"{API}/oauth", json=body)
    got = (response.status_code, response.json()["title"], response.json()["detail"])
    assert got == (status, title, detail)


def test_checks_run_in_the_documented_order(app: Starlette, client: httpx.Client) -> None:
    """Method, then grant type, then client, then user: each answer names the first failing check."""
    everything_wrong = {"grant_type": "magic", "client_id": "app", "client_secret": "nope", "password": "x"}
    assert raw_client(app).put(f"{API}/oauth", json=everything_wrong).status_code == 405
    assert client.post(f"{API}/oauth", json=everything_wrong).json()["title"] == "unsupported_grant_type"
    client_and_user_wrong = {**everything_wrong, "grant_type": "password"}
    assert client.post(f"{API}/oauth", json=client_and_user_wrong).json()["title"] == "invalid_client"
    no_password = {"grant_type": "password", **CLIENT, "username": PJ[0]}
    assert client.post(f"{API}/oauth", json=no_password).json()["title"] == "invalid_request"


def test_wrong_method_is_405_with_allow_even_with_a_bad_body(app: Starlette) -> None:
    raw = raw_client(app)
    for path, action in (("/oauth", "requesting"), ("/oauth/revoke", "revoking")):
        response = raw.put(f"{API}{path}", json={"grant_type": "magic"})
        assert response.status_code == 405
        assert response.headers["allow"] == "POST"
        body = response.json()
        assert body["title"] == "invalid_request"
        assert body["detail"] == f"The request method must be POST when {action} an access token"


def test_other_content_types_and_bad_json(client: httpx.Client) -> None:
    response = client.post(f"{API}/oauth", content=b"grant_type=password",
                           headers={"Content-Type": "text/plain"})
    assert response.status_code == 415
    response = client.post(f"{API}/oauth", content=b"{", headers={"Content-Type": "application/json"})
    assert (response.status_code, response.json()["title"]) == (400, "invalid_request")
    response = client.post(f"{API}/oauth", content=b"[1]", headers={"Content-Type": "application/json"})
    assert (response.status_code, response.json()["title"]) == (400, "invalid_request")


def test_refresh_token_grant(client: httpx.Client) -> None:
    first = login(client)
    response = client.post(f"{API}/oauth", json={"grant_type": "refresh_token", **CLIENT,
                                                 "refresh_token": first["refresh_token"]})
    assert response.status_code == 200
    renewed = response.json()
    assert renewed["access_token"] != first["access_token"] and "refresh_token" not in renewed
    assert whoami(client, renewed["access_token"]).status_code == 200
    # A refresh token is not a bearer token.
    assert whoami(client, first["refresh_token"]).status_code == 401


def test_revoke_logs_out(client: httpx.Client) -> None:
    pair = login(client)
    response = client.post(f"{API}/oauth/revoke", json={"token": pair["access_token"]})
    assert (response.status_code, response.json()) == (200, {"revoked": True})
    refused = whoami(client, pair["access_token"])
    assert refused.status_code == 401
    assert refused.json()["detail"] == "The access token provided is invalid"
    assert client.post(f"{API}/oauth/revoke", json={"token": "f" * 40}).json() == {"revoked": True}
    response = client.post(f"{API}/oauth/revoke", data={"token": pair["refresh_token"],
                                                        "token_type_hint": "refresh_token"})
    assert response.status_code == 200
    response = client.post(f"{API}/oauth", json={"grant_type": "refresh_token", **CLIENT,
                                                 "refresh_token": pair["refresh_token"]})
    assert (response.status_code, response.json()["title"]) == (400, "invalid_grant")


@pytest.mark.parametrize(("body", "detail"), [
    ({}, "Missing token parameter to revoke"),
    ({"token": "abc", "token_type_hint": "id_token"},
     "Token type hint must be either 'access_token' or 'refresh_token'"),
])
def test_revoke_errors(client: httpx.Client, body: dict[str, str], detail: str) -> None:
    response = client.post(f"{API}/oauth/revoke", json=body)
    assert (response.status_code, response.json()["title"], response.json()["detail"]) == (
        400, "invalid_request", detail)


def test_tokens_expire_on_the_mock_clock(client: httpx.Client) -> None:
    pair = login(client)
    assert whoami(client, pair["access_token"]).status_code == 200
    advanced = client.post("/__mock__/clock/advance", json={"seconds": 86401})
    assert advanced.status_code == 200
    response = whoami(client, pair["access_token"])
    assert response.status_code == 401
    assert response.json() == {"type": "http://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html",
                               "title": "invalid_token", "status": 401,
                               "detail": "The access token provided has expired"}
    assert 'error="invalid_token"' in response.headers["www-authenticate"]
    # The refresh token outlives the login token.
    renewed = client.post(f"{API}/oauth", json={"grant_type": "refresh_token", **CLIENT,
                                                "refresh_token": pair["refresh_token"]})
    assert renewed.status_code == 200


def test_expire_all_and_reset_end_every_login(client: httpx.Client) -> None:
    access = login(client)["access_token"]
    assert client.post("/__mock__/tokens/expire", json={"api": "assine"}).json()["expired"] >= 1
    assert whoami(client, access).status_code == 401
    access = login(client)["access_token"]
    client.post("/__mock__/reset")
    assert whoami(client, access).json()["detail"] == "The access token provided is invalid"


def test_ttl_comes_from_the_config(app: Starlette) -> None:
    from specmock.mocks.config import MockConfig

    short = client_for(make_app(MockConfig().with_token_ttl(60)))
    assert login(short)["expires_in"] == 60


def test_secrets_stay_out_of_the_journal(client: httpx.Client) -> None:
    pair = login(client)
    client.post(f"{API}/oauth", json={**PASSWORD, "password": "typo-password"})
    whoami(client, pair["access_token"])
    journal = client.get("/__mock__/requests", params={"api": "assine"}).text
    for secret in (PJ[1], "typo-password", pair["access_token"]):
        assert secret not in journal


def test_a_login_valid_against_the_spec_is_complete(client: httpx.Client) -> None:
    # Every request schemathesis generates as valid for /oauth carries the fields its grant needs:
    # with the documented client, the answer is a token or invalid_grant, never a missing field.
    import schemathesis
    from hypothesis import HealthCheck, given, settings

    from specmock.specs import load

    operation = schemathesis.openapi.from_dict(load("assine"))["/oauth"]["POST"]

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def check(case: schemathesis.Case) -> None:
        body = {**case.body, "client_id": "app", "client_secret": "app"}  # the documented client
        if case.media_type == "application/json":
            response = client.post(f"{API}/oauth", json=body)
        else:
            response = client.post(f"{API}/oauth", data=body)
        if response.status_code == 200:
            return
        assert response.status_code in (400, 401), response.text
        assert response.json()["title"] == "invalid_grant", (body, response.text)

    check()
