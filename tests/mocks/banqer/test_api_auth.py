"""Bearer tokens and scopes on the Banqer API: every way a token can be wrong is a 401 with a challenge."""

from __future__ import annotations

import asyncio

import httpx
import jwt
import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.applications import Starlette

from specmock.mocks.config import MockConfig
from specmock.mocks.core.tokens import SigningKey
from specmock.mocks.transport import async_transport
from tests.conformance import check_response
from tests.mocks.banqer.support import (
    API,
    BASE,
    DOCUMENTED_FICHA_ID,
    REALM,
    bearer,
    client_for,
    documented,
    fetch_token,
    make_app,
    two_tenant_config,
)

PATHS = ["/v1/credores", "/v1/fichas", f"/v1/fichas/{DOCUMENTED_FICHA_ID}"]


@pytest.fixture(scope="module")
def app() -> Starlette:
    return make_app(two_tenant_config())


def assert_unauthenticated(response: httpx.Response, error: bool = True) -> None:
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["details"][0]["reason"] == "UNAUTHENTICATED"
    assert body["message"]
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer ")
    assert ('error="invalid_token"' in challenge) is error


def forged(claims: dict[str, object], key: SigningKey | None = None) -> str:
    return (key or SigningKey()).sign(claims)


@pytest.mark.parametrize("path", PATHS)
def test_a_valid_token_is_accepted(client: httpx.Client, path: str) -> None:
    assert client.get(API + path, headers=bearer(fetch_token(client))).status_code == 200


@pytest.mark.parametrize("path", PATHS)
def test_missing_token_is_401_with_a_plain_bearer_challenge(client: httpx.Client, path: str) -> None:
    response = client.get(API + path)
    assert_unauthenticated(response, error=False)  # RFC 6750 §3.1: no error code without credentials
    assert response.headers["www-authenticate"] == 'Bearer realm="demo"'


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Basic ZGVtby1jbGllbnQ6ZGVtby1zZWNyZXQ=",
        "Token abc",
        "Bearer not-a-jwt",
        "Bearer a.b.c",
        "Bearer eyJhbGciOiJub25lIn0.eyJqdGkiOiJ4In0.",
    ],
)
def test_malformed_authorization_is_401(client: httpx.Client, header: str) -> None:
    response = client.get(API + "/v1/fichas", headers={"Authorization": header})
    assert_unauthenticated(response)
    assert "error_description=" in response.headers["www-authenticate"]


def test_non_ascii_authorization_bytes_are_401(app: Starlette) -> None:
    async def run() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=async_transport(app), base_url=BASE) as client:
            return [
                await client.get(API + "/v1/fichas", headers=[(b"Authorization", raw)])
                for raw in ("Bearer ção".encode("latin-1"), b"Bearer \xff\xfe.\x80.x")
            ]

    for response in asyncio.run(run()):
        check_response("banqer", response)
        assert_unauthenticated(response)


def test_a_token_signed_by_another_key_is_401(app: Starlette, client: httpx.Client) -> None:
    genuine = jwt.decode(fetch_token(client), options={"verify_signature": False})
    response = client.get(API + "/v1/fichas", headers=bearer(forged(genuine)))
    assert_unauthenticated(response)


def test_an_hs256_token_is_401(client: httpx.Client) -> None:
    genuine = jwt.decode(fetch_token(client), options={"verify_signature": False})
    token = jwt.encode(genuine, "secret-key-long-enough-for-hs256-tokens!", algorithm="HS256")
    assert_unauthenticated(client.get(API + "/v1/fichas", headers=bearer(token)))


def test_a_token_of_another_tenant_is_401(client: httpx.Client) -> None:
    acme = fetch_token(client, "acme-client", "acme-secret", tenant="acme")
    assert client.get("/banqer/acme/v1/fichas", headers=bearer(acme)).status_code == 200
    response = client.get(API + "/v1/fichas", headers=bearer(acme))
    assert_unauthenticated(response)
    assert "another tenant" in response.headers["www-authenticate"]


def test_an_unknown_tenant_is_401_for_any_token(client: httpx.Client) -> None:
    token = fetch_token(client)
    for path in PATHS:
        response = client.get("/banqer/nobody" + path, headers=bearer(token))
        assert_unauthenticated(response)
        assert "nobody" in response.json()["message"]


def test_a_token_with_a_well_signed_but_foreign_issuer_is_401(app: Starlette, client: httpx.Client) -> None:
    claims = jwt.decode(fetch_token(client), options={"verify_signature": False})
    token = app.state.mock.keys.sign({**claims, "iss": f"{BASE}/banqer-auth/realms/acme"})
    assert_unauthenticated(client.get(API + "/v1/fichas", headers=bearer(token)))


def test_a_token_unknown_to_the_registry_is_401(app: Starlette, client: httpx.Client) -> None:
    claims = jwt.decode(fetch_token(client), options={"verify_signature": False})
    token = app.state.mock.keys.sign({**claims, "jti": "never-issued"})
    response = client.get(API + "/v1/fichas", headers=bearer(token))
    assert_unauthenticated(response)
    assert "unknown token" in response.headers["www-authenticate"]


def test_tokens_die_with_a_reset(app: Starlette, client: httpx.Client) -> None:
    token = fetch_token(client)
    assert client.get(API + "/v1/fichas", headers=bearer(token)).status_code == 200
    assert client.post("/__mock__/reset").status_code == 200
    assert_unauthenticated(client.get(API + "/v1/fichas", headers=bearer(token)))
    assert client.get(API + "/v1/fichas", headers=bearer(fetch_token(client))).status_code == 200


def test_tokens_die_with_expire_all(client: httpx.Client) -> None:
    token = fetch_token(client)
    expired = client.post("/__mock__/tokens/expire", json={"api": "banqer"}).json()["expired"]
    assert expired >= 1
    response = client.get(API + "/v1/credores", headers=bearer(token))
    assert_unauthenticated(response)
    assert "expired" in response.headers["www-authenticate"]
    assert client.get(API + "/v1/credores", headers=bearer(fetch_token(client))).status_code == 200


def test_revoked_token_is_401(app: Starlette, client: httpx.Client) -> None:
    token = fetch_token(client)
    jti = jwt.decode(token, options={"verify_signature": False})["jti"]
    assert app.state.mock.tokens.revoke("banqer", jti)
    assert_unauthenticated(client.get(API + "/v1/credores", headers=bearer(token)))


_EXPIRY_APPS: dict[int, Starlette] = {}


@given(ttl=st.sampled_from([2, 7, 300, 3600]), before=st.floats(0, 100_000, allow_nan=False))
def test_a_token_expires_exactly_at_exp_on_the_mock_clock(ttl: int, before: float) -> None:
    app = _EXPIRY_APPS.get(ttl) or _EXPIRY_APPS.setdefault(ttl, make_app(MockConfig(banqer_token_ttl=ttl)))
    app.state.mock.reset()
    control = app.state.control
    client = client_for(app)
    control.advance(before)
    token = fetch_token(client)
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == ttl
    control.advance(max(0.0, claims["exp"] - 1 - control.now()))
    assert claims["exp"] - 1 <= control.now() < claims["exp"]
    assert client.get(API + "/v1/fichas", headers=bearer(token)).status_code == 200
    control.advance(claims["exp"] - control.now())
    assert control.now() >= claims["exp"]
    response = client.get(API + "/v1/fichas", headers=bearer(token))
    assert_unauthenticated(response)
    assert "expired" in response.headers["www-authenticate"]


def test_clock_advance_past_the_ttl_through_the_admin_api(client: httpx.Client) -> None:
    token = fetch_token(client)
    assert client.get(API + "/v1/fichas", headers=bearer(token)).status_code == 200
    client.post("/__mock__/clock/advance", json={"seconds": 301})
    assert_unauthenticated(client.get(API + "/v1/fichas", headers=bearer(token)))


# --- scopes -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/v1/fichas", f"/v1/fichas/{DOCUMENTED_FICHA_ID}", "/v1/fichas?atrasoMin=abc"]
)
def test_credores_only_credential_gets_403_missing_scope_on_fichas(client: httpx.Client, path: str) -> None:
    token = fetch_token(client, "demo-credores")
    response = client.get(API + path, headers=bearer(token))
    assert response.status_code == 403
    assert response.json() == documented("error-403-missing-scope.json")
    assert (
        response.headers["www-authenticate"]
        == 'Bearer realm="demo", error="insufficient_scope", scope="fichas:read"'
    )
    assert client.get(API + "/v1/credores", headers=bearer(token)).status_code == 200


def test_a_token_without_scopes_gets_403_on_credores(app: Starlette, client: httpx.Client) -> None:
    token = fetch_token(client)
    claims = jwt.decode(token, options={"verify_signature": False})
    narrowed = client.post(
        f"{REALM}/protocol/openid-connect/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "demo-client",
            "client_secret": "demo-secret",
            "scope": "fichas:read",
        },
    ).json()["access_token"]
    response = client.get(API + "/v1/credores", headers=bearer(narrowed))
    assert response.status_code == 403
    assert response.json()["details"][0]["metadata"] == {"requiredScope": "credores:read"}
    assert claims["scope"] == "credores:read fichas:read"


def test_auth_is_checked_before_parameters(client: httpx.Client) -> None:
    assert_unauthenticated(client.get(API + "/v1/fichas?pageSize=abc"), error=False)
    assert_unauthenticated(client.get(API + "/v1/fichas/not-a-uuid"), error=False)


def test_a_token_signature_is_checked_once_not_on_every_request(
    client: httpx.Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = fetch_token(client)
    decoded: list[str] = []
    real_decode = jwt.decode

    def counting_decode(jwt_text: str, *args: object, **kwargs: object) -> object:
        decoded.append(jwt_text)
        return real_decode(jwt_text, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(jwt, "decode", counting_decode)
    for _ in range(20):
        assert client.get(API + "/v1/fichas/" + DOCUMENTED_FICHA_ID, headers=bearer(token)).status_code == 200
    assert decoded.count(token) <= 1, f"the token's RSA signature was verified {decoded.count(token)} times"
