"""Each journal entry says why the mock answered so: the spec rule a request broke, the token check
that failed, the fault, ``Prefer`` or rate limit that answered instead of the API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from specmock.mocks.app import create_app
from specmock.mocks.config import parse_config
from specmock.mocks.transport import sync_transport

CONFIG = parse_config(
    {"banqer": {"tenants": {"acme": {"clients": {"acme-client": {"secret": "acme-secret"}}}}}})
LOGIN = "mutation { createToken(login: \"usuario_exemplo\", password: \"senha_exemplo\") { token } }"
PBM_READ = "{ WsAcesso_consultProgramForm(args: {programCode: 126, originCode: 37}) { code } }"
ASSINE_LOGIN = {"grant_type": "password", "client_id": "app", "client_secret": "app",
                "username": "demo@empresa.example", "password": "demo-password"}


@pytest.fixture(scope="module")
def app() -> Starlette:
    return create_app(create_state_with_config())


def create_state_with_config() -> Any:
    from specmock.mocks.app import create_state

    return create_state(CONFIG)


@pytest.fixture
def http(app: Starlette) -> Iterator[httpx.Client]:
    app.state.mock.reset()
    with httpx.Client(transport=sync_transport(app), base_url="http://mock.test") as client:
        yield client


def banqer_token(http: httpx.Client, client_id: str = "demo-client", secret: str = "demo-secret",
                 tenant: str = "demo") -> str:
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    token: str = http.post(f"/banqer-auth/realms/{tenant}/protocol/openid-connect/token", data=form).json()[
        "access_token"]
    return token


def last_why(http: httpx.Client) -> Any:
    return http.get("/__mock__/requests").json()["requests"][-1]["why"]


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_request_that_passes_has_no_why(http: httpx.Client) -> None:
    assert http.get("/banqer/demo/v1/fichas", headers=bearer(banqer_token(http))).status_code == 200
    assert last_why(http) is None


@given(value=st.integers(min_value=-(10**17), max_value=-1))
@settings(max_examples=10)
def test_a_parameter_below_its_minimum_names_the_field_the_rule_and_the_operation(
        app: Starlette, value: int) -> None:
    with httpx.Client(transport=sync_transport(app), base_url="http://mock.test") as http:
        token = banqer_token(http)
        assert http.get(f"/banqer/demo/v1/fichas?atrasoMin={value}", headers=bearer(token)).status_code == 400
        why = last_why(http)
    assert (why["by"], why["check"], why["operation"], why["spec_path"]) == (
        "api", "validation", "listFichas", "GET /v1/fichas")
    assert why["problems"][0] == {"location": "query", "field": "atrasoMin", "rule": "minimum: 0",
                                  "message": f"{value} is less than the minimum of 0"}
    assert "atrasoMin" in why["summary"]


def test_a_parameter_of_the_wrong_type_names_the_type_rule(http: httpx.Client) -> None:
    http.get("/banqer/demo/v1/credores?pageSize=abc", headers=bearer(banqer_token(http)))
    problem = last_why(http)["problems"][0]
    assert (problem["field"], problem["rule"]) == ("pageSize", "type: integer")


@pytest.mark.parametrize(("headers", "check"), [
    ({}, "missing"),
    ({"Authorization": "Basic abc"}, "malformed"),
    ({"Authorization": "Bearer not.a.jwt"}, "bad_signature"),
])
def test_banqer_names_the_token_check_that_failed(http: httpx.Client, headers: dict[str, str],
                                                  check: str) -> None:
    assert http.get("/banqer/demo/v1/fichas", headers=headers).status_code == 401
    why = last_why(http)
    assert (why["check"], why["token"]) == ("token", check)


def test_banqer_token_expired_on_the_mock_clock(http: httpx.Client) -> None:
    token = banqer_token(http)
    http.post("/__mock__/clock/advance", json={"seconds": 100_000})
    assert http.get("/banqer/demo/v1/fichas", headers=bearer(token)).status_code == 401
    why = last_why(http)
    assert why["token"] == "expired" and why["now"] > why["expired_at"]


def test_banqer_tokens_expired_from_the_admin_api_and_forgotten_at_a_reset(http: httpx.Client) -> None:
    token = banqer_token(http)
    http.post("/__mock__/tokens/expire")
    http.get("/banqer/demo/v1/fichas", headers=bearer(token))
    assert last_why(http)["token"] == "expired"
    token = banqer_token(http)
    http.post("/__mock__/reset")
    http.get("/banqer/demo/v1/fichas", headers=bearer(token))
    assert last_why(http)["token"] == "unknown"


def test_banqer_token_of_another_tenant_and_missing_scope(http: httpx.Client) -> None:
    acme = banqer_token(http, "acme-client", "acme-secret", "acme")
    assert http.get("/banqer/demo/v1/fichas", headers=bearer(acme)).status_code == 401
    assert last_why(http)["token"] == "other_tenant"
    credores_only = banqer_token(http, "demo-credores")
    assert http.get("/banqer/demo/v1/fichas", headers=bearer(credores_only)).status_code == 403
    why = last_why(http)
    assert (why["check"], why["token"], why["required"], why["granted"]) == (
        "scope", "missing_scope", "fichas:read", ["credores:read"])


def test_banqer_route_the_spec_does_not_describe(http: httpx.Client) -> None:
    assert http.get("/banqer/demo/v1/nada", headers=bearer(banqer_token(http))).status_code == 404
    assert last_why(http)["check"] == "route"


def test_pbm_names_the_token_check_behind_its_unauthenticated_answer(http: httpx.Client) -> None:
    assert http.post("/pbm/graphql", json={"query": PBM_READ}).status_code == 200
    assert last_why(http)["token"] == "missing"
    token = http.post("/pbm/graphql", json={"query": LOGIN}).json()["data"]["createToken"]["token"]
    assert http.post("/pbm/graphql", json={"query": PBM_READ}, headers=bearer(token)).status_code == 200
    assert last_why(http) is None
    http.post("/__mock__/clock/advance", json={"seconds": 10 * 86400})
    http.post("/pbm/graphql", json={"query": PBM_READ}, headers=bearer(token))  # replayed from the cache
    assert last_why(http)["token"] == "expired"
    http.post("/pbm/graphql", json={"query": LOGIN.replace("senha_exemplo", "errada")})
    assert last_why(http)["token"] == "bad_credentials"


def test_pbm_document_errors_name_the_graphql_code(http: httpx.Client) -> None:
    assert http.post("/pbm/graphql", json={"query": "{ nope }"}).status_code == 400
    why = last_why(http)
    assert (why["check"], why["code"]) == ("graphql", "GRAPHQL_VALIDATION_FAILED")
    assert "nope" in why["summary"]


def test_assine_token_checks_and_body_validation(http: httpx.Client) -> None:
    assert http.get("/assine/v1/user").status_code == 403
    assert last_why(http)["token"] == "missing"
    assert http.get("/assine/v1/user", headers=bearer("f" * 40)).status_code == 401
    assert last_why(http)["token"] == "unknown"
    token = http.post("/assine/oauth", json=ASSINE_LOGIN).json()["access_token"]
    http.post("/__mock__/clock/advance", json={"seconds": 400 * 86400})
    assert http.get("/assine/v1/user", headers=bearer(token)).status_code == 401
    assert last_why(http)["token"] == "expired"
    http.post("/__mock__/reset")
    token = http.post("/assine/oauth", json=ASSINE_LOGIN).json()["access_token"]
    answer = http.post("/assine/v1/access-token", headers=bearer(token),
                       json={"expires": "2031-01-01 00:00:00"})
    assert answer.status_code == 422
    why = last_why(http)
    assert (why["check"], why["operation"]) == ("validation", "POST /access-token")
    wanted = {"location": "body", "field": "password", "rule": "isEmpty", "message": "Campo obrigatório"}
    assert wanted in why["problems"]


def test_answers_the_control_plane_gave_say_so(http: httpx.Client) -> None:
    fault = http.post("/__mock__/faults", json={"api": "banqer", "status": 503, "times": 2}).json()
    http.get("/banqer/demo/v1/fichas")
    why = last_why(http)
    assert (why["by"], why["fault"], why["remaining"]) == ("fault", fault["id"], 1)
    http.get("/banqer/demo/v1/fichas", headers={"Prefer": "code=429"})
    assert last_why(http)["by"] == "prefer"  # asked for by the request itself, before any queued fault
    http.get("/banqer/demo/v1/fichas")
    assert (last_why(http)["fault"], last_why(http)["remaining"]) == (fault["id"], 0)
    token = banqer_token(http)
    http.post("/__mock__/rate-limit", json={"api": "banqer", "limit": 1, "per_seconds": 60})
    http.get("/banqer/demo/v1/fichas", headers=bearer(token))
    assert http.get("/banqer/demo/v1/fichas", headers=bearer(token)).status_code == 429
    why = last_why(http)
    assert why["by"] == "rate_limit" and 1 <= why["retry_after"] <= 60


@pytest.mark.parametrize(("client_id", "secret", "summary"), [
    ("demo-client", "s3cr3t-not-this-one", "wrong client_secret for 'demo-client'"),
    ("nobody", "demo-secret", "the realm 'demo' has no client 'nobody'"),
])
def test_the_realm_says_which_client_credential_was_wrong(http: httpx.Client, client_id: str, secret: str,
                                                          summary: str) -> None:
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    assert http.post("/banqer-auth/realms/demo/protocol/openid-connect/token", data=form).status_code == 401
    why = last_why(http)
    assert (why["check"], why["summary"], why["error"]) == ("client", summary, "invalid_client")
    assert secret not in http.get("/__mock__/requests").text  # the reason names no secret


def test_other_realm_refusals_carry_the_oauth_description(http: httpx.Client) -> None:
    form = {"grant_type": "password", "client_id": "demo-client", "client_secret": "demo-secret"}
    assert http.post("/banqer-auth/realms/demo/protocol/openid-connect/token", data=form).status_code == 400
    why = last_why(http)
    assert why["check"] == "oauth" and why["error"] == "unsupported_grant_type"


@pytest.mark.parametrize(("query", "rule"), [("page_size=abc", "type: integer"),
                                             ("page_size=0", "minimum: 1")])
def test_assine_paging_parameters_name_the_rule_and_operation(http: httpx.Client, query: str,
                                                              rule: str) -> None:
    token = http.post("/assine/oauth", json=ASSINE_LOGIN).json()["access_token"]
    assert http.get(f"/assine/v1/user?{query}", headers=bearer(token)).status_code == 400
    why = last_why(http)
    assert (why["check"], why["problems"][0]["field"], why["problems"][0]["rule"]) == (
        "validation", "page_size", rule)
    assert why["operation"] == "listUsers"
