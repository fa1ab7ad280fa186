"""The realm's sessions as Keycloak keeps them: the openid scope and userinfo, refresh tokens, logout.

A client-credentials client gets no refresh token by default, so logout has nothing to end and
refuses an access token; a client configured with ``use_refresh_token`` gets one, which refreshes
until logout (or revocation) ends its session. Every answer is checked against the realm spec.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from specmock.mocks.config import ConfigError, parse_config
from tests.mocks.banqer.support import API, REALM, TOKEN_PATH, bearer, client_for, make_app

OIDC = f"{REALM}/protocol/openid-connect"
DEMO = {"client_id": "demo-client", "client_secret": "demo-secret"}
SESSION = {"client_id": "demo-session", "client_secret": "session-secret"}
REFRESH_TTL = 600


@pytest.fixture(scope="module")
def app() -> Starlette:
    return make_app(parse_config({"banqer": {
        "token_ttl": 60,
        "refresh_token_ttl": REFRESH_TTL,
        "tenants": {"demo": {"clients": {
            "demo-session": {"secret": "session-secret", "use_refresh_token": True},
            "other-session": {"secret": "session-secret", "use_refresh_token": True},
        }}},
    }}))


@pytest.fixture
def http(app: Starlette) -> httpx.Client:
    return client_for(app)


def _token(http: httpx.Client, credentials: dict[str, str] = DEMO, **form: str) -> dict[str, Any]:
    response = http.post(TOKEN_PATH, data={"grant_type": "client_credentials", **credentials, **form})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _refresh(http: httpx.Client, credentials: dict[str, str], token: str) -> httpx.Response:
    return http.post(TOKEN_PATH, data={**credentials, "grant_type": "refresh_token", "refresh_token": token})


def _refused(response: httpx.Response, status: int, error: str, description: str) -> None:
    assert response.status_code == status, response.text
    assert response.json() == {"error": error, "error_description": description}


def _active(http: httpx.Client, token: str) -> bool:
    answer = http.post(f"{OIDC}/token/introspect", data={**DEMO, "token": token}).json()
    return bool(answer["active"])


def _introspect(http: httpx.Client, credentials: dict[str, str], token: str, **form: str) -> dict[str, Any]:
    response = http.post(f"{OIDC}/token/introspect", data={**credentials, "token": token, **form})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _userinfo_form(http: httpx.Client, form: dict[str, str], **headers: str) -> httpx.Response:
    return http.post(f"{OIDC}/userinfo", data=form, headers=headers)


# --- the openid scope and userinfo --------------------------------------------------------------


def test_openid_is_named_in_the_scope_only_when_asked_for(http: httpx.Client) -> None:
    assert _token(http, scope="openid")["scope"] == "openid credores:read fichas:read"
    assert _token(http, scope="fichas:read openid")["scope"] == "openid fichas:read"
    assert _token(http)["scope"] == "credores:read fichas:read"  # Banqer's clients send no scope


def test_userinfo_without_the_openid_scope_is_403_insufficient_scope(http: httpx.Client) -> None:
    for scope in (None, "fichas:read"):
        token = _token(http, **({"scope": scope} if scope else {}))["access_token"]
        for method in ("GET", "POST"):
            response = http.request(method, f"{OIDC}/userinfo", headers=bearer(token))
            assert response.status_code == 403, response.text
            assert response.headers["www-authenticate"] == (
                'Bearer realm="demo", error="insufficient_scope", error_description="Missing openid scope"')
            assert response.content == b""
    token = _token(http, scope="openid")["access_token"]
    assert http.get(f"{OIDC}/userinfo", headers=bearer(token)).json()["preferred_username"] == (
        "service-account-demo-client")


def test_userinfo_refusals_are_keycloaks_challenges_with_an_empty_body(http: httpx.Client) -> None:
    cases = {
        None: 'Bearer realm="demo"',  # no token: no error code (RFC 6750 §3.1)
        "not-a-token": 'Bearer realm="demo", error="invalid_token", '
                       'error_description="Token verification failed"',
    }
    for token, challenge in cases.items():
        response = http.get(f"{OIDC}/userinfo", headers=bearer(token) if token else {})
        assert (response.status_code, response.headers["www-authenticate"], response.content) == (
            401, challenge, b"")


# --- default clients: no refresh token, nothing to log out --------------------------------------


def test_a_default_client_gets_no_refresh_token(http: httpx.Client) -> None:
    body = _token(http)
    assert "refresh_token" not in body and "session_state" not in body
    assert body["refresh_expires_in"] == 0


def test_logout_refuses_an_access_token_as_keycloak_does_and_ends_nothing(http: httpx.Client) -> None:
    access = _token(http)["access_token"]
    _refused(http.post(f"{OIDC}/logout", data={**DEMO, "refresh_token": access}),
             400, "invalid_grant", "Invalid refresh token")
    assert _active(http, access)
    assert http.get(f"{API}/v1/credores", headers=bearer(access)).status_code == 200
    _refused(http.post(f"{OIDC}/logout", data=DEMO), 400, "invalid_request", "No refresh token")


@settings(max_examples=25, deadline=None)
@given(garbage=st.text(st.characters(codec="utf-8"), min_size=1, max_size=80))
def test_logout_or_refresh_with_anything_but_a_refresh_token_is_invalid_grant(
    app: Starlette, garbage: str
) -> None:
    with client_for(app) as http:
        _refused(http.post(f"{OIDC}/logout", data={**SESSION, "refresh_token": garbage}),
                 400, "invalid_grant", "Invalid refresh token")
        _refused(_refresh(http, DEMO, garbage), 400, "invalid_grant", "Invalid refresh token")


def test_the_refresh_grant_needs_its_token(http: httpx.Client) -> None:
    _refused(http.post(TOKEN_PATH, data={**DEMO, "grant_type": "refresh_token"}),
             400, "invalid_request", "Missing parameter: refresh_token")
    discovery = http.get(f"{REALM}/.well-known/openid-configuration").json()
    assert discovery["grant_types_supported"] == ["client_credentials", "refresh_token"]


# --- a client with refresh tokens for client credentials ----------------------------------------


def test_a_configured_client_gets_a_refresh_token_of_a_session(http: httpx.Client) -> None:
    body = _token(http, SESSION)
    assert body["refresh_expires_in"] == REFRESH_TTL and body["expires_in"] == 60
    assert body["refresh_token"] and body["session_state"]
    # a refresh token is no bearer token: the API does not take it, nor userinfo
    assert http.get(f"{API}/v1/credores", headers=bearer(body["refresh_token"])).status_code == 401
    # to another client of the realm it is inactive (Keycloak checks the caller against its azp)
    assert not _active(http, body["refresh_token"])


def test_refresh_then_logout_ends_the_whole_session(http: httpx.Client) -> None:
    first = _token(http, SESSION, scope="openid fichas:read")
    refreshed = http.post(TOKEN_PATH, data={**SESSION, "grant_type": "refresh_token",
                                            "refresh_token": first["refresh_token"]})
    assert refreshed.status_code == 200, refreshed.text
    second = refreshed.json()
    assert second["session_state"] == first["session_state"]
    assert second["scope"] == "openid fichas:read"  # the session's scopes, openid kept
    assert second["access_token"] != first["access_token"]
    assert _active(http, first["access_token"]) and _active(http, second["access_token"])
    other = _token(http, SESSION)  # another session of the same client

    logout = http.post(f"{OIDC}/logout", data={**SESSION, "refresh_token": first["refresh_token"]})
    assert logout.status_code == 204

    for ended in (first, second):
        assert not _active(http, ended["access_token"])
        assert http.get(f"{API}/v1/fichas", headers=bearer(ended["access_token"])).status_code == 401
        _refused(_refresh(http, SESSION, ended["refresh_token"]), 400, "invalid_grant", "Session not active")
    _refused(http.post(f"{OIDC}/logout", data={**SESSION, "refresh_token": first["refresh_token"]}),
             400, "invalid_grant", "Session not active")
    assert _active(http, other["access_token"])  # only that session ended


def test_a_refresh_token_serves_only_its_own_client(http: httpx.Client) -> None:
    mine = _token(http, SESSION)
    theirs = {"client_id": "other-session", "client_secret": "session-secret"}
    _refused(http.post(f"{OIDC}/logout", data={**theirs, "refresh_token": mine["refresh_token"]}),
             400, "invalid_grant", "Invalid refresh token")
    _refused(http.post(TOKEN_PATH, data={**theirs, "grant_type": "refresh_token",
                                         "refresh_token": mine["refresh_token"]}),
             400, "invalid_grant", "Invalid refresh token")
    assert _active(http, mine["access_token"])


def test_revoking_the_refresh_token_ends_its_session(http: httpx.Client) -> None:
    body = _token(http, SESSION)
    assert http.post(f"{OIDC}/revoke", data={**SESSION, "token": body["refresh_token"]}).status_code == 200
    assert not _active(http, body["access_token"])
    _refused(http.post(TOKEN_PATH, data={**SESSION, "grant_type": "refresh_token",
                                         "refresh_token": body["refresh_token"]}),
             400, "invalid_grant", "Session not active")


def test_an_expired_refresh_token_no_longer_refreshes(app: Starlette) -> None:
    with client_for(app) as http:
        body = _token(http, SESSION)
        http.post("/__mock__/clock/advance", json={"seconds": REFRESH_TTL + 1}).raise_for_status()
        _refused(http.post(TOKEN_PATH, data={**SESSION, "grant_type": "refresh_token",
                                             "refresh_token": body["refresh_token"]}),
                 400, "invalid_grant", "Token is not active")


def test_use_refresh_token_must_be_a_boolean() -> None:
    clients = {"c": {"secret": "s", "use_refresh_token": "yes"}}
    with pytest.raises(ConfigError, match=r"use_refresh_token: 'yes' is not of type 'boolean'"):
        parse_config({"banqer": {"tenants": {"t": {"clients": clients}}}})
    with pytest.raises(ConfigError, match="refresh_token_ttl"):
        parse_config({"banqer": {"refresh_token_ttl": 0}})


# --- introspection of a refresh token -----------------------------------------------------------


def test_a_live_refresh_token_introspects_active_with_its_claims(http: httpx.Client) -> None:
    body = _token(http, SESSION, scope="openid fichas:read")
    refresh = body["refresh_token"]
    for hint in ({}, {"token_type_hint": "refresh_token"}, {"token_type_hint": "access_token"}):
        answer = _introspect(http, SESSION, refresh, **hint)
        assert answer["active"] is True, hint
        assert (answer["typ"], answer["token_type"]) == ("Refresh", "Refresh")
        assert answer["sid"] == body["session_state"]
        assert answer["client_id"] == answer["azp"] == "demo-session"
        assert answer["username"] == "service-account-demo-session"
        assert answer["exp"] - answer["iat"] == REFRESH_TTL
        assert answer["scope"] == "openid fichas:read"
    access = _introspect(http, SESSION, body["access_token"])
    assert access["token_type"] == "Bearer" and access["sid"] == body["session_state"]
    assert access["sub"] == _introspect(http, SESSION, refresh)["sub"]


def test_a_refresh_token_is_inactive_to_another_client_and_after_its_session_ends(app: Starlette) -> None:
    with client_for(app) as http:
        theirs = {"client_id": "other-session", "client_secret": "session-secret"}
        logged_out, revoked, expired = (_token(http, SESSION)["refresh_token"] for _ in range(3))
        assert _introspect(http, theirs, logged_out) == {"active": False}
        assert _introspect(http, DEMO, logged_out) == {"active": False}

        assert http.post(f"{OIDC}/logout", data={**SESSION, "refresh_token": logged_out}).status_code == 204
        assert http.post(f"{OIDC}/revoke", data={**SESSION, "token": revoked}).status_code == 200
        assert _introspect(http, SESSION, expired)["active"] is True
        http.post("/__mock__/clock/advance", json={"seconds": REFRESH_TTL + 1}).raise_for_status()
        for token in (logged_out, revoked, expired):
            assert _introspect(http, SESSION, token) == {"active": False}


# --- userinfo with the token in a form body -----------------------------------------------------


def test_post_userinfo_takes_the_access_token_from_the_form_body(http: httpx.Client) -> None:
    token = _token(http, scope="openid")["access_token"]
    by_header = http.post(f"{OIDC}/userinfo", headers=bearer(token))
    by_form = _userinfo_form(http, {"access_token": token})
    assert by_form.status_code == 200, by_form.text
    assert by_form.json() == by_header.json()
    assert by_form.json()["preferred_username"] == "service-account-demo-client"
    # the header comes first, as in Keycloak; the field is only its fallback
    assert _userinfo_form(http, {"access_token": "not-a-token"}, **bearer(token)).status_code == 200
    # a GET does not read a body
    get = http.request("GET", f"{OIDC}/userinfo", data={"access_token": token})
    assert (get.status_code, get.headers["www-authenticate"]) == (401, 'Bearer realm="demo"')


def test_post_userinfo_form_refusals_are_the_header_ones(http: httpx.Client) -> None:
    plain = _token(http)["access_token"]
    revoked = _token(http, scope="openid")["access_token"]
    assert http.post(f"{OIDC}/revoke", data={**DEMO, "token": revoked}).status_code == 200
    invalid = 'Bearer realm="demo", error="invalid_token", error_description="Token verification failed"'
    cases: list[tuple[dict[str, str], int, str]] = [
        ({}, 401, 'Bearer realm="demo"'),
        ({"token": plain}, 401, 'Bearer realm="demo"'),  # not the field userinfo reads
        ({"access_token": "not-a-token"}, 401, invalid),
        ({"access_token": ""}, 401, invalid),
        ({"access_token": revoked}, 401, invalid),
        ({"access_token": plain}, 403,
         'Bearer realm="demo", error="insufficient_scope", error_description="Missing openid scope"'),
    ]
    for form, status, challenge in cases:
        response = _userinfo_form(http, form)
        assert (response.status_code, response.headers["www-authenticate"], response.content) == (
            status, challenge, b""), form


@settings(max_examples=40, deadline=None)
@given(body=st.binary(max_size=200), form=st.booleans())
def test_post_userinfo_with_any_body_and_no_token_is_401_never_200_or_500(
    app: Starlette, body: bytes, form: bool
) -> None:
    headers = {"Content-Type": "application/x-www-form-urlencoded" if form else "application/json"}
    with client_for(app) as http:
        response = http.post(f"{OIDC}/userinfo", content=body, headers=headers)
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith('Bearer realm="demo"')
