"""The API's error catalogue for any status, faults and limits in that shape, the banner and the info."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import Response

from specmock.mocks.config import MockConfig, parse_config
from specmock.specs import load as load_spec
from tests.mocks.banqer.support import API, bearer, client_for, error_validator, fetch_token, make_app


def _body(response: Response) -> Any:
    return json.loads(bytes(response.body))


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (400, "INVALID_ARGUMENT"),
        (401, "UNAUTHENTICATED"),
        (403, "MISSING_SCOPE"),
        (404, "NOT_FOUND"),
        (405, "METHOD_NOT_ALLOWED"),
        (409, "CONFLICT"),
        (413, "PAYLOAD_TOO_LARGE"),
        (418, "IM_A_TEAPOT"),
        (429, "RATE_LIMITED"),
        (499, "HTTP_499"),
        (500, "INTERNAL"),
        (501, "UNIMPLEMENTED"),
        (502, "UNAVAILABLE"),
        (503, "UNAVAILABLE"),
        (504, "UNAVAILABLE"),
        (507, "INTERNAL"),
    ],
)
def test_error_response_renders_the_banqer_body_for_any_status(
    app: Starlette, status: int, reason: str
) -> None:
    api = app.state.mock.apis["banqer"]
    response = api.error_response(status)
    body = _body(response)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert error_validator().is_valid(body)
    assert body["code"] == status and body["message"]
    assert body["details"] == [{"reason": reason}]


def test_reasons_of_declared_statuses_are_the_spec_catalogue(app: Starlette) -> None:
    api = app.state.mock.apis["banqer"]
    for reason, entry in load_spec("banqer")["x-specmock-reasons"].items():
        if reason == "INVALID_PAGE_TOKEN":
            continue  # a 400 the API names itself
        assert _body(api.error_response(entry["status"]))["details"][0]["reason"] == reason


def test_error_response_adds_the_headers_the_spec_requires(app: Starlette) -> None:
    api = app.state.mock.apis["banqer"]
    assert api.error_response(401).headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert api.error_response(429).headers["retry-after"] == "1"
    limited = api.error_response(429, None, {"Retry-After": "12"})
    assert limited.headers["retry-after"] == "12" and "12 segundos" in _body(limited)["message"]
    assert api.error_response(503, "fora do ar").headers.get("retry-after") is None
    assert _body(api.error_response(500, "Mensagem própria"))["message"] == "Mensagem própria"
    assert api.error_response(204).body == b""


def test_prefer_code_and_oversized_bodies_answer_in_the_banqer_shape() -> None:
    app = make_app(MockConfig(max_body_bytes=1024))
    client = client_for(app)
    token = fetch_token(client)
    response = client.get(f"{API}/v1/fichas", headers={**bearer(token), "Prefer": "code=500"})
    assert response.status_code == 500 and response.json()["details"][0]["reason"] == "INTERNAL"
    raw = httpx.Client(transport=client._transport, base_url="http://mock.test")
    large = raw.request("GET", f"{API}/v1/fichas", content=b"x" * 5000, headers=bearer(token))
    assert large.status_code == 413
    assert large.json()["details"][0]["reason"] == "PAYLOAD_TOO_LARGE"
    assert error_validator().is_valid(large.json())


def test_a_rate_limit_answers_429_in_the_banqer_shape_with_integer_retry_after(app: Starlette) -> None:
    app.state.mock.reset()
    client = client_for(app)
    token = fetch_token(client)
    app.state.control.rate_limit("banqer", 1, 10)
    try:
        assert client.get(f"{API}/v1/credores", headers=bearer(token)).status_code == 200
        limited = client.get(f"{API}/v1/credores", headers=bearer(token))
    finally:
        app.state.control.rate_limit("banqer", None)
    assert limited.status_code == 429
    assert limited.json()["details"][0]["reason"] == "RATE_LIMITED"
    assert re.fullmatch(r"\d+", limited.headers["retry-after"])


def test_journal_masks_tokens_and_secrets(app: Starlette) -> None:
    app.state.mock.reset()
    client = client_for(app)
    token = fetch_token(client)
    client.get(f"{API}/v1/credores", headers=bearer(token))
    dump = json.dumps(client.get("/__mock__/requests").json())
    assert "demo-secret" not in dump and token not in dump


def test_banner_names_urls_clients_and_a_curl_line(app: Starlette) -> None:
    lines = app.state.mock.apis["banqer"].banner("http://127.0.0.1:8080")
    text = "\n".join(lines)
    assert "http://127.0.0.1:8080/banqer/demo" in text
    assert "http://127.0.0.1:8080/banqer-auth/realms/demo/protocol/openid-connect/token" in text
    assert "http://127.0.0.1:8080/banqer-auth/realms/demo/.well-known/openid-configuration" in text
    assert "demo-client / demo-secret" in text and "demo-credores / demo-secret" in text
    curl = next(line for line in lines if "curl" in line)
    assert "client_id=demo-client" in curl and "Authorization: Bearer $TOKEN" in curl
    assert app.state.mock.apis["banqer-auth"].banner("http://x") == []


def test_banner_lists_the_tenants_and_clients_a_config_adds() -> None:
    config = {"banqer": {"tenants": {"acme": {"clients": {"acme-erp": {"secret": "s3cret-value",
                                                                      "scopes": ["credores:read"]}}}}}}
    app = make_app(parse_config(config))
    text = "\n".join(app.state.mock.apis["banqer"].banner("http://127.0.0.1:8080"))
    assert "banqer tenant   acme: http://127.0.0.1:8080/banqer/acme  clients acme-erp (credores:read)" in text
    assert "s3cret-value" not in text  # the config's own secrets are not printed
    assert "demo-client / demo-secret" in text


def test_banner_says_which_clients_get_refresh_tokens() -> None:
    config = {"banqer": {"tenants": {
        "acme": {"clients": {"acme-erp": {"secret": "s", "scopes": ["fichas:read"],
                                          "use_refresh_token": True}}},
        "demo": {"clients": {"demo-session": {"secret": "t", "use_refresh_token": True}}},
    }}}
    text = "\n".join(make_app(parse_config(config)).state.mock.apis["banqer"].banner("http://h"))
    assert "clients acme-erp (fichas:read, refresh tokens)" in text
    assert "demo-session / t (credores:read fichas:read, refresh tokens)" in text
    assert "demo-client / demo-secret (credores:read fichas:read);" in text  # Keycloak's default: none


def test_admin_index_describes_both_apis(app: Starlette) -> None:
    info = client_for(app).get("/__mock__/").json()["apis"]
    assert info["banqer"]["tenants"] == {"demo": "http://mock.test/banqer/demo"}
    assert info["banqer-auth"]["realms"] == {"demo": "http://mock.test/banqer-auth/realms/demo"}
    assert info["banqer"]["reference_date"] == "2025-06-30"
