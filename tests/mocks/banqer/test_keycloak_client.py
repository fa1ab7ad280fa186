"""The realm as a real Keycloak client library sees it: python-keycloak, end to end on a port."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import jwt
import pytest
from keycloak import KeycloakOpenID
from keycloak.exceptions import KeycloakAuthenticationError, KeycloakPostError

from specmock.mocks.config import parse_config
from specmock.mocks.server import ServerThread
from tests.mocks.banqer.support import make_app


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    config = parse_config(
        {
            "banqer": {
                "token_ttl": 60,
                "tenants": {"acme": {"clients": {"acme-client": {"secret": "demo-secret"}}}},
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
    keycloak = _keycloak(server)
    token = keycloak.token(grant_type="client_credentials")
    access = token["access_token"]
    # python-keycloak asks for scope=openid: the client's own scopes are granted, as Keycloak does
    assert set(token["scope"].split()) == {"credores:read", "fichas:read"}

    introspected = keycloak.introspect(access)
    assert introspected["active"] is True
    assert introspected["client_id"] == "demo-client"
    assert introspected["token_type"] == "Bearer"
    assert introspected["username"] == "service-account-demo-client"

    info = keycloak.userinfo(access)
    assert info["preferred_username"] == "service-account-demo-client"
    assert info["sub"] == introspected["sub"]

    public_key = keycloak.public_key()
    pem = f"-----BEGIN PUBLIC KEY-----\n{public_key}\n-----END PUBLIC KEY-----"
    claims = jwt.decode(access, pem, algorithms=["RS256"], options={"verify_aud": False})
    assert claims["azp"] == "demo-client"
    assert keycloak.decode_token(access)["jti"] == claims["jti"]

    keycloak.logout(access)
    assert keycloak.introspect(access) == {"active": False}
    with pytest.raises(KeycloakAuthenticationError):
        keycloak.userinfo(access)
    api = httpx.get(
        f"{server.url}/banqer/demo/v1/credores", headers={"Authorization": f"Bearer {access}"}
    )
    assert api.status_code == 401


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
