"""Every ``example``/``examples`` value of the specs' requests is accepted by the mock.

The requests are built by schemathesis from the spec's examples (its ``examples`` phase), so each
documented value of a parameter or a request body is sent at least once, with a valid token. The
mock may refuse one only for a reason no example can avoid: authentication (401/403, the
documented auth answers, e.g. an example client secret) and, on the Banqer realm, an OAuth
refusal of an example credential the mock never issued (an example refresh token). A 400 — the
value itself refused — a 404, a 422, or a 5xx fails the test.

Assine runs on the mock's defaults: the spec's ``/oauth`` example logs in as the account of the
vendor's examples, which owns a record for every example id (folder 12, file 5577, workflow 3101
…) and the refresh token of the refresh-grant example. Each request is sent to the mock as it
starts (reset before it, logged in afresh), so that a ``DELETE`` example does not take away what a
later example names.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from specmock.mocks.app import create_app, create_state
from specmock.mocks.config import parse_config
from specmock.mocks.transport import sync_transport
from specmock.specs import OPENAPI_SPECS, load

BASE = "http://mock.test"
MOUNTS = {"banqer": "/banqer/demo", "banqer-auth": "/banqer-auth", "assine": "/assine"}
#: OAuth refusals of example credentials (an example refresh token was never issued by this mock).
OAUTH_CREDENTIALS = frozenset({"invalid_grant", "invalid_client"})


#: The realm the spec's examples name (Banqer's docs), with the example client, beside the demo one.
EXAMPLE_ACCOUNTS = {
    "banqer": {
        "tenants": {
            "sua-empresa": {"clients": {"integracao-erp": {"secret": "9vQm2kR7tX4pL8wZ1cN6bH3jF5dS0aGe"}}}
        }
    },
}
#: What varies between two otherwise equal cases (schemathesis numbers each one).
CASE_ID_HEADER = "X-Schemathesis-TestCaseId"


@pytest.fixture(scope="module")
def http() -> httpx.Client:
    state = create_state(parse_config(EXAMPLE_ACCOUNTS))
    return httpx.Client(transport=sync_transport(create_app(state)), base_url=BASE)


def _token(http: httpx.Client, spec: str) -> str:
    if spec == "assine":
        oauth = load("assine")["paths"]["/oauth"]["post"]["requestBody"]["content"]["application/json"]
        login = oauth["examples"]["passwordGrant"]["value"]
        return str(http.post("/assine/oauth", json=login).json()["access_token"])
    form = {"grant_type": "client_credentials", "client_id": "demo-client", "client_secret": "demo-secret"}
    return str(
        http.post("/banqer-auth/realms/demo/protocol/openid-connect/token", data=form).json()["access_token"]
    )


def _example_cases(spec: str) -> list[Any]:
    schema = schemathesis.openapi.from_dict(load(spec))
    cases: list[Any] = []
    for result in schema.get_all_operations():
        for strategy in result.ok().get_strategies_from_examples():

            @settings(
                max_examples=5,
                database=None,
                deadline=None,
                phases=[Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(strategy)
            def collect(case: Any) -> None:
                cases.append(case)

            collect()
    return cases


@pytest.mark.parametrize("spec", sorted(OPENAPI_SPECS))
def test_every_documented_request_value_is_accepted(http: httpx.Client, spec: str) -> None:
    refused: list[str] = []
    sent: set[str] = set()
    for case in _example_cases(spec):
        request = case.as_transport_kwargs(base_url=BASE + MOUNTS[spec])
        request["headers"] = {k: v for k, v in (request.get("headers") or {}).items() if k != CASE_ID_HEADER}
        key = json.dumps(request, sort_keys=True, default=str)
        if key in sent:
            continue
        sent.add(key)
        assert http.post("/__mock__/reset").status_code == 200
        headers = {**request["headers"], "Authorization": f"Bearer {_token(http, spec)}"}
        if spec == "banqer-auth" and "userinfo" not in case.operation.path:
            headers.pop("Authorization")  # the realm's client authentication is in the example itself
        data = request.get("data")
        response = http.request(
            request["method"],
            request["url"],
            params=request.get("params"),
            headers=headers,
            json=request.get("json"),
            files=request.get("files"),
            **({"content": data} if isinstance(data, bytes | str) else {"data": data}),
        )
        status = response.status_code
        if status < 400 or status in (401, 403):
            continue
        body = response.json() if "json" in response.headers.get("content-type", "") else None
        if (
            spec != "assine"
            and status == 400
            and isinstance(body, dict)
            and OAUTH_CREDENTIALS & {body.get("title"), body.get("error")}
        ):
            continue
        refused.append(f"{case.operation.label} -> {status} {response.text[:200]} (sent {key[:300]})")
    assert sent, f"{spec}: no example found"
    assert not refused, "\n".join(refused)
