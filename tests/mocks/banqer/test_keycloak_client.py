"""The realm as a real Keycloak client library sees it: python-keycloak, end to end on a port."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import jwt
import pytest
from keycloak import KeycloakOpenID
from keycloak.exceptions import KeycloakAuthenticationError, KeycloakGetError, KeycloakPostError

from specmock.mocks.config import parse_config
from specmock.mocks.server import ServerThread
from tests.mocks.banqer.support import make_app


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    config = parse_config(
        {
            "banqer": {
                "token_ttl": 60,
                "tenants": {
                    "acme": {"clients": {"acme-client": {"secret": "demo-secret"}}},
                    # Keycloak's "Use refresh tokens for client credentials grant"
                    "demo": {"clients": {
                        "demo-session": {"secret": "demo-secret", "use_refresh_token": True},
                    }},
                },
            }
        }
    )
    with ServerThread(make_app(config)) as running:
        yield running


def _keycloak(server: ServerThread, realm: str = "demo", client_id: str = "demo-client") -> KeycloakOpenID:
    return KeycloakOpenID(
        server_url=f"{server.url}/banqer-auth/",
        realm_name=realm,
        client_id=client_id,
        client_secret_key="demo-secret",
    )


def test_token_introspect_userinfo_public_key_decode_and_logout(server: ServerThread) -> None:
    keycloak = _keycloak(server, client_id="demo-session")
    token = keycloak.token(grant_type="client_credentials")
    access = token["access_token"]
    # python-keycloak asks for scope=openid: the client's own scopes are granted with openid, as Keycloak does
    assert token["scope"].split() == ["openid", "credores:read", "fichas:read"]
    assert token["refresh_expires_in"] == 1800 and token["refresh_token"]

    introspected = keycloak.introspect(access)
    assert introspected["active"] is True
    assert introspected["client_id"] == "demo-session"
    assert introspected["token_type"] == "Bearer"
    assert introspected["username"] == "service-account-demo-session"

    info = keycloak.userinfo(access)
    assert info["preferred_username"] == "service-account-demo-session"
    assert info["sub"] == introspected["sub"]

    public_key = keycloak.public_key()
    pem = f"-----BEGIN PUBLIC KEY-----\n{public_key}\n-----END PUBLIC KEY-----"
    claims = jwt.decode(access, pem, algorithms=["RS256"], options={"verify_aud": False})
    assert claims["azp"] == "demo-session"
    assert keycloak.decode_token(access)["jti"] == claims["jti"]

    refreshed = keycloak.refresh_token(token["refresh_token"])
    assert keycloak.introspect(refreshed["access_token"])["active"] is True
    live = keycloak.introspect(refreshed["refresh_token"], token_type_hint="refresh_token")
    assert (live["active"], live["token_type"], live["sid"]) == (True, "Refresh", token["session_state"])

    # the access token is not a refresh token: Keycloak refuses it, and nothing is logged out
    with pytest.raises(KeycloakPostError) as refused:
        keycloak.logout(access)
    assert (refused.value.response_code, json.loads(refused.value.response_body)) == (
        400, {"error": "invalid_grant", "error_description": "Invalid refresh token"})
    assert keycloak.introspect(access)["active"] is True

    keycloak.logout(token["refresh_token"])
    for ended in (access, refreshed["access_token"], refreshed["refresh_token"]):  # the whole session
        assert keycloak.introspect(ended) == {"active": False}
    with pytest.raises(KeycloakAuthenticationError):
        keycloak.userinfo(access)
    with pytest.raises(KeycloakPostError) as after:
        keycloak.refresh_token(token["refresh_token"])
    assert json.loads(after.value.response_body)["error"] == "invalid_grant"
    api = httpx.get(
        f"{server.url}/banqer/demo/v1/credores", headers={"Authorization": f"Bearer {access}"}
    )
    assert api.status_code == 401


def test_a_default_client_gets_no_refresh_token_and_its_access_token_does_not_log_out(
    server: ServerThread,
) -> None:
    """Keycloak's default for client credentials: no refresh token, so logout has nothing to take."""
    keycloak = _keycloak(server)
    token = keycloak.token(grant_type="client_credentials")
    assert "refresh_token" not in token and token["refresh_expires_in"] == 0
    with pytest.raises(KeycloakPostError) as refused:
        keycloak.logout(token["access_token"])
    assert (refused.value.response_code, json.loads(refused.value.response_body)) == (
        400, {"error": "invalid_grant", "error_description": "Invalid refresh token"})
    assert keycloak.introspect(token["access_token"])["active"] is True


def test_userinfo_needs_the_openid_scope(server: ServerThread) -> None:
    """Keycloak 20+: a token requested without openid is refused with 403 insufficient_scope."""
    keycloak = _keycloak(server)
    token = keycloak.token(grant_type="client_credentials", scope="fichas:read")
    assert token["scope"] == "fichas:read"
    with pytest.raises(KeycloakGetError) as refused:
        keycloak.userinfo(token["access_token"])
    assert refused.value.response_code == 403
    response = httpx.get(keycloak.well_known()["userinfo_endpoint"],
                         headers={"Authorization": f"Bearer {token['access_token']}"})
    assert response.headers["www-authenticate"] == (
        'Bearer realm="demo", error="insufficient_scope", error_description="Missing openid scope"')
    assert response.content == b""


def test_introspection_of_expired_foreign_and_garbage_tokens_is_inactive(server: ServerThread) -> None:
    demo, acme = _keycloak(server), _keycloak(server, "acme", "acme-client")
    foreign = acme.token(grant_type="client_credentials")["access_token"]
    assert demo.introspect(foreign) == {"active": False}
    assert demo.introspect("not-a-token") == {"active": False}
    access = demo.token(grant_type="client_credentials")["access_token"]
    assert demo.introspect(access)["active"] is True
    httpx.post(f"{server.url}/__mock__/clock/advance", json={"seconds": 61}).raise_for_status()
    assert demo.introspect(access) == {"active": False}


def test_revocation_is_rfc_7009(server: ServerThread) -> None:
    keycloak = _keycloak(server)
    access = keycloak.token(grant_type="client_credentials")["access_token"]
    revoke = f"{server.url}/banqer-auth/realms/demo/protocol/openid-connect/revoke"
    form = {"client_id": "demo-client", "client_secret": "demo-secret", "token": access}
    assert httpx.post(revoke, data=form).status_code == 200
    assert keycloak.introspect(access) == {"active": False}
    # an unknown token is not an error (RFC 7009 2.2), a wrong client is
    assert httpx.post(revoke, data={**form, "token": "unknown"}).status_code == 200
    assert httpx.post(revoke, data={**form, "client_secret": "wrong"}).status_code == 401
    with pytest.raises(KeycloakPostError):
        keycloak.logout("never-issued")


def test_discovery_lists_exactly_what_is_served(server: ServerThread) -> None:
    document = _keycloak(server).well_known()
    assert "authorization_endpoint" not in document
    assert document["response_types_supported"] == []
    endpoints = {key: value for key, value in document.items() if key.endswith(("_endpoint", "_uri"))}
    assert set(endpoints) == {
        "token_endpoint",
        "introspection_endpoint",
        "revocation_endpoint",
        "end_session_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
    }
    for name, url in endpoints.items():
        # a served endpoint answers anything but 404 (GET on a POST-only endpoint is 405)
        assert httpx.get(url).status_code != 404, name


def test_realm_document_has_keycloaks_shape(server: ServerThread) -> None:
    body = httpx.get(f"{server.url}/banqer-auth/realms/demo").json()
    assert body["realm"] == "demo"
    assert body["token-service"] == f"{server.url}/banqer-auth/realms/demo/protocol/openid-connect"
    assert httpx.get(f"{server.url}/banqer-auth/realms/nope").status_code == 404


def test_methods_a_realm_path_does_not_take_are_405_with_allow(server: ServerThread) -> None:
    response = httpx.request("TRACE", f"{server.url}/banqer-auth/realms/demo/protocol/openid-connect/certs")
    assert response.status_code == 405
    assert set(response.headers["allow"].replace(" ", "").split(",")) == {"GET", "HEAD"}
    assert set(response.json()) == {"error", "error_description"}
