"""The Banqer realm: token endpoint, OIDC discovery and JWKS, every answer checked against the spec."""

from __future__ import annotations

import base64
import json
import warnings
from typing import Any
from urllib.parse import quote

import httpx
import jwt
import pytest
from starlette.applications import Starlette

from specmock.mocks.banqer.settings import BanqerClient
from specmock.mocks.config import MockConfig
from specmock.mocks.core.tokens import SigningKey
from specmock.mocks.transport import sync_transport
from tests.conformance import api_of, check_response
from tests.mocks.banqer.support import (
    API,
    BASE,
    REALM,
    TOKEN_PATH,
    bearer,
    client_for,
    documented,
    fetch_token,
    make_app,
    raw_client,
    two_tenant_config,
)

FORM = {"grant_type": "client_credentials", "client_id": "demo-client", "client_secret": "demo-secret"}


def _basic(client_id: str, secret: str) -> dict[str, str]:
    raw = f"{quote(client_id, safe='')}:{quote(secret, safe='')}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


# --- token endpoint -----------------------------------------------------------------------------


def test_client_secret_post_issues_a_keycloak_token_response(client: httpx.Client) -> None:
    response = client.post(TOKEN_PATH, data=FORM)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    body = response.json()
    assert list(body) == list(documented("token-response.json"))  # Keycloak's field set, in its order
    assert (
        body["expires_in"],
        body["refresh_expires_in"],
        body["token_type"],
        body["not-before-policy"],
    ) == (300, 0, "Bearer", 0)
    assert body["scope"] == "credores:read fichas:read"


def test_client_secret_basic_issues_a_token(client: httpx.Client) -> None:
    response = client.post(
        TOKEN_PATH, data={"grant_type": "client_credentials"}, headers=_basic("demo-client", "demo-secret")
    )
    assert response.status_code == 200
    assert response.json()["scope"] == "credores:read fichas:read"
    # httpx's own Basic auth (no URL-encoding of the halves) works too
    response = client.post(
        TOKEN_PATH,
        data={"grant_type": "client_credentials"},
        auth=httpx.BasicAuth("demo-credores", "demo-secret"),
    )
    assert response.status_code == 200
    assert response.json()["scope"] == "credores:read"


def test_basic_credentials_are_url_decoded_per_rfc_6749() -> None:
    odd = "s3cr:et+with %/and:colons"
    config = MockConfig(
        banqer_tenants={"demo": {"odd:client": BanqerClient("odd:client", odd, ("fichas:read",))}}
    )
    client = client_for(make_app(config))
    encoded = client.post(
        TOKEN_PATH, data={"grant_type": "client_credentials"}, headers=_basic("odd:client", odd)
    )
    assert encoded.status_code == 200, encoded.text
    assert encoded.json()["scope"] == "fichas:read"
    posted = client.post(TOKEN_PATH, data={**FORM, "client_id": "odd:client", "client_secret": odd})
    assert posted.status_code == 200


@pytest.mark.parametrize(
    ("form", "headers"),
    [
        ({**FORM, "client_secret": "wrong"}, {}),
        ({**FORM, "client_id": "nobody"}, {}),
        ({"grant_type": "client_credentials"}, _basic("demo-client", "wrong")),
        ({"grant_type": "client_credentials"}, _basic("nobody", "demo-secret")),
    ],
)
def test_wrong_credentials_are_401_invalid_client(
    client: httpx.Client, form: dict[str, str], headers: dict[str, str]
) -> None:
    response = client.post(TOKEN_PATH, data=form, headers=headers)
    assert response.status_code == 401
    assert response.json() == documented("token-error-invalid-client.json")
    assert response.headers["cache-control"] == "no-store"
    if headers:
        assert response.headers["www-authenticate"].startswith("Basic ")


@pytest.mark.parametrize(
    ("form", "error"),
    [
        ({"grant_type": "client_credentials"}, "invalid_client"),
        ({"grant_type": "client_credentials", "client_id": "demo-client"}, "invalid_client"),
        ({"client_id": "demo-client", "client_secret": "demo-secret"}, "invalid_request"),
        ({**FORM, "grant_type": ""}, "invalid_request"),
        ({**FORM, "grant_type": "password"}, "unsupported_grant_type"),
        ({**FORM, "grant_type": "authorization_code"}, "unsupported_grant_type"),
        ({**FORM, "scope": "fichas:read admin:write"}, "invalid_scope"),
    ],
)
def test_incomplete_or_unsupported_requests(client: httpx.Client, form: dict[str, str], error: str) -> None:
    response = client.post(TOKEN_PATH, data=form)
    assert response.status_code == (401 if error == "invalid_client" else 400)
    assert response.json()["error"] == error
    assert response.json()["error_description"]


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"json": FORM}, "x-www-form-urlencoded"),
        ({"content": b"grant_type=client_credentials", "headers": {"Content-Type": "text/plain"}}, "form"),
        (
            {
                "content": b"grant_type=client_credentials&grant_type=password",
                "headers": {"Content-Type": "application/x-www-form-urlencoded"},
            },
            "Duplicated",
        ),
        (
            {
                "content": b"grant_type=%ff%fe",
                "headers": {"Content-Type": "application/x-www-form-urlencoded"},
            },
            "decoded",
        ),
        ({"content": b"\xff\xfe", "headers": {"Content-Type": "application/x-www-form-urlencoded"}}, "UTF-8"),
    ],
)
def test_a_body_that_is_not_a_usable_form_is_400_invalid_request(
    client: httpx.Client, kwargs: dict[str, Any], needle: str
) -> None:
    response = client.post(TOKEN_PATH, **kwargs)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert needle in response.json()["error_description"]


def test_malformed_basic_header_is_401(client: httpx.Client) -> None:
    for value in ("Basic !!!", "Basic " + base64.b64encode(b"no-colon").decode()):
        response = client.post(
            TOKEN_PATH, data={"grant_type": "client_credentials"}, headers={"Authorization": value}
        )
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"


def test_two_client_authentication_methods_at_once_are_400(client: httpx.Client) -> None:
    response = client.post(TOKEN_PATH, data=FORM, headers=_basic("demo-client", "demo-secret"))
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_requested_scopes_narrow_the_grant(client: httpx.Client) -> None:
    response = client.post(TOKEN_PATH, data={**FORM, "scope": "openid fichas:read"})
    assert response.status_code == 200
    assert response.json()["scope"] == "openid fichas:read"  # openid named when asked for (Keycloak 20+)


@pytest.mark.parametrize("tenant", ["nope", "Demo", "demo_x"])
def test_unknown_realm_is_404_with_an_oauth_body(client: httpx.Client, tenant: str) -> None:
    for method, suffix in (
        ("POST", "/protocol/openid-connect/token"),
        ("GET", "/.well-known/openid-configuration"),
        ("GET", "/protocol/openid-connect/certs"),
    ):
        response = client.request(
            method, f"/banqer-auth/realms/{tenant}{suffix}", data=FORM if method == "POST" else None
        )
        assert response.status_code == 404
        assert response.json()["error"] == "Realm does not exist"
        assert "demo" in response.json()["error_description"]


def test_token_ttl_comes_from_the_config() -> None:
    client = client_for(make_app(MockConfig(banqer_token_ttl=42)))
    body = client.post(TOKEN_PATH, data=FORM).json()
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert body["expires_in"] == 42
    assert claims["exp"] - claims["iat"] == 42


# --- tokens -------------------------------------------------------------------------------------


def test_token_is_an_rs256_jwt_with_keycloak_claims_verified_by_the_jwks(client: httpx.Client) -> None:
    token = fetch_token(client)
    jwks = client.get(f"{REALM}/protocol/openid-connect/certs").json()
    (jwk,) = jwks["keys"]
    header = jwt.get_unverified_header(token)
    assert (header["alg"], header["kid"]) == ("RS256", jwk["kid"])
    claims = jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=["RS256"])
    assert claims["iss"] == f"{BASE}{REALM}"
    assert (claims["azp"], claims["typ"], claims["scope"]) == (
        "demo-client",
        "Bearer",
        "credores:read fichas:read",
    )
    assert claims["sub"] and claims["jti"]
    assert claims["exp"] - claims["iat"] == 300
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, jwt.PyJWK(SigningKey().jwk()).key, algorithms=["RS256"])


def test_issued_tokens_are_registered_for_reset_and_expiry(app: Starlette, client: httpx.Client) -> None:
    token = fetch_token(client)
    claims = jwt.decode(token, options={"verify_signature": False})
    record = app.state.mock.tokens.get("banqer", claims["jti"])
    assert record is not None
    assert (record.expires_at, record.subject, record.data["tenant"]) == (
        claims["exp"],
        "demo-client",
        "demo",
    )


def test_each_token_is_distinct(client: httpx.Client) -> None:
    assert fetch_token(client) != fetch_token(client)


# --- discovery ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "base_url", ["http://mock.test", "https://auth.example.com.br:8443", "http://127.0.0.1:9"]
)
def test_discovery_issuer_is_the_realm_url_as_requested(app: Starlette, base_url: str) -> None:
    client = client_for(app, base_url)
    realm_url = f"{base_url}{REALM}"
    doc = client.get(f"{REALM}/.well-known/openid-configuration").json()
    assert doc["issuer"] == realm_url
    assert doc["token_endpoint"] == f"{realm_url}/protocol/openid-connect/token"
    assert doc["jwks_uri"] == f"{realm_url}/protocol/openid-connect/certs"
    assert doc["grant_types_supported"] == ["client_credentials", "refresh_token"]
    assert doc["token_endpoint_auth_methods_supported"] == ["client_secret_post", "client_secret_basic"]
    # the token's iss is the same URL, so an OIDC library's issuer check passes
    token = client.post(doc["token_endpoint"], data=FORM).json()["access_token"]
    assert jwt.decode(token, options={"verify_signature": False})["iss"] == realm_url


def test_each_realm_has_its_own_issuer() -> None:
    client = client_for(make_app(two_tenant_config()))
    demo = client.get("/banqer-auth/realms/demo/.well-known/openid-configuration").json()
    acme = client.get("/banqer-auth/realms/acme/.well-known/openid-configuration").json()
    assert demo["issuer"].endswith("/realms/demo") and acme["issuer"].endswith("/realms/acme")
    assert "credores:read" in acme["scopes_supported"]


def test_paths_the_realm_does_not_serve_are_404_and_methods_405(app: Starlette) -> None:
    client = raw_client(app)
    for path in (f"{REALM}/protocol/openid-connect/auth", f"{REALM}/protocol/saml", "/banqer-auth/realms"):
        response = client.get(path)
        assert response.status_code == 404
        assert set(response.json()) == {"error", "error_description"}
    for method, path, allow in (
        ("GET", TOKEN_PATH, {"POST"}),
        ("DELETE", f"{REALM}/protocol/openid-connect/userinfo", {"GET", "HEAD", "POST"}),
        ("POST", f"{REALM}/protocol/openid-connect/certs", {"GET", "HEAD"}),
    ):
        response = client.request(method, path)
        assert response.status_code == 405
        assert set(response.headers["allow"].replace(" ", "").split(",")) == allow
        assert set(response.json()) == {"error", "error_description"}


def test_realm_error_response_is_the_oauth_shape(app: Starlette) -> None:
    realm = app.state.mock.apis["banqer-auth"]
    for status, error in (
        (400, "invalid_request"),
        (401, "invalid_client"),
        (429, "temporarily_unavailable"),
        (500, "unknown_error"),
        (503, "temporarily_unavailable"),
        (413, "invalid_request"),
    ):
        response = realm.error_response(status)
        assert response.status_code == status
        assert response.headers["content-type"] == "application/json; charset=utf-8"
        assert response.headers["cache-control"] == "no-store"
        assert json.loads(response.body)["error"] == error
    assert realm.error_response(429).headers["retry-after"] == "1"


def test_a_queued_fault_on_the_token_endpoint_uses_the_oauth_shape(
    app: Starlette, client: httpx.Client
) -> None:
    app.state.control.fail("banqer-auth", 503, path="/realms/demo/protocol/openid-connect/token")
    response = client.post(TOKEN_PATH, data=FORM)
    assert response.status_code == 503
    assert response.json()["error"] == "temporarily_unavailable"
    assert client.post(TOKEN_PATH, data=FORM).status_code == 200


# --- a standard OAuth2 client library ------------------------------------------------------------


def _authlib_client(app: Starlette, method: str, base_url: str) -> Any:
    pytest.importorskip("authlib")
    with warnings.catch_warnings():  # authlib warns about its httpx integration at import time
        import authlib.deprecate  # noqa: F401 - installs an "always" filter of its own first

        warnings.simplefilter("ignore", DeprecationWarning)
        from authlib.integrations.httpx_client import OAuth2Client

    def conforms(response: httpx.Response) -> None:
        api = api_of(response.request.url.path)
        if api is not None:
            response.read()
            check_response(api, response)

    return OAuth2Client(
        "demo-client",
        "demo-secret",
        token_endpoint_auth_method=method,
        transport=sync_transport(app),
        base_url=base_url,
        event_hooks={"response": [conforms]},
    )


@pytest.mark.parametrize("method", ["client_secret_post", "client_secret_basic"])
def test_authlib_gets_a_token_through_discovery_and_calls_the_api(app: Starlette, method: str) -> None:
    base_url = "https://auth.example.com.br"
    realm_url = f"{base_url}{REALM}"
    oauth = _authlib_client(app, method, base_url)
    with oauth:
        metadata = oauth.request(
            "GET", f"{realm_url}/.well-known/openid-configuration", withhold_token=True
        ).json()
        assert metadata["issuer"] == realm_url  # what OIDC discovery requires, character for character
        assert method in metadata["token_endpoint_auth_methods_supported"]
        token = oauth.fetch_token(metadata["token_endpoint"], grant_type="client_credentials")
        assert token["token_type"] == "Bearer" and token["expires_in"] == 300
        sent = oauth.get(f"{base_url}/banqer/demo/v1/credores")
        assert sent.status_code == 200
        assert sent.json()["credores"]
        jwks = oauth.request("GET", metadata["jwks_uri"], withhold_token=True).json()
    claims = jwt.decode(
        token["access_token"], jwt.PyJWK(jwks["keys"][0]).key, algorithms=["RS256"], issuer=realm_url
    )
    assert claims["azp"] == "demo-client"
    request = app.state.mock.journal.entries("banqer-auth")[-2]  # the token request
    assert request.path.endswith("/token")
    uses_basic = request.headers.get("authorization", "").startswith("Basic")
    assert uses_basic is (method == "client_secret_basic")


def test_httpx_basic_auth_client_with_discovery(app: Starlette) -> None:
    client = client_for(app)
    doc = client.get(f"{REALM}/.well-known/openid-configuration").json()
    with httpx.Client(
        transport=sync_transport(app), auth=httpx.BasicAuth("demo-client", "demo-secret")
    ) as basic:
        response = basic.post(doc["token_endpoint"], data={"grant_type": "client_credentials"})
    check_response("banqer-auth", response)
    token = response.json()["access_token"]
    assert client.get(f"{API}/v1/fichas", headers=bearer(token)).status_code == 200


def test_an_unrecognized_parameter_sent_twice_is_ignored(app: Starlette) -> None:
    # RFC 6749 3.1: unrecognized parameters are ignored; only a recognized one sent twice is refused.
    body = "grant_type=client_credentials&client_id=demo-client&client_secret=demo-secret&x=1&x=2"
    response = raw_client(app).post(
        TOKEN_PATH, content=body.encode(), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 200, response.text
