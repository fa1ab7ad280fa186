"""What the bench sends: one request per scenario, prepared against a running mock.

:func:`prepare` logs in to every API of a running ``specmock serve`` (Banqer client credentials,
Assine password grant, PBM ``createToken``), turns every rate-limit quota on (so the bookkeeping
runs on every request, with a limit no run reaches) and checks that each scenario's request is
answered 200 before any load is sent. It also captures each answer's bytes: the bare baseline
serves exactly those.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx

from bench.load import Request

BANQER_TENANT = "demo"
BANQER_CLIENT = ("demo-client", "demo-secret")
ASSINE_LOGIN = {
    "grant_type": "password",
    "client_id": "app",
    "client_secret": "app",
    "username": "demo@empresa.example",
    "password": "demo-password",
}
PBM_LOGIN = ("usuario_exemplo", "senha_exemplo")
PBM_PROGRAM, PBM_ORIGIN = 126, 37
PBM_MEDICINES = (
    f"query {{\n  WsAcesso_getMedicinesForTreatmentStart(args: {{programCode: {PBM_PROGRAM}, "
    f"originCode: {PBM_ORIGIN}}}) {{ code message status medicines {{ lineCode description lineDescription "
    "ean EAN displayMessage typeCouncilAllowed productCode tarred } }\n}"
)
PBM_CREATE_TOKEN = (
    f'mutation {{\n  createToken(login: "{PBM_LOGIN[0]}", password: "{PBM_LOGIN[1]}") {{ token }}\n}}'
)
#: Two clauses, as the Assine docs write them (Doctrine query-builder dialect).
ASSINE_FILTER = [
    ("filter[0][field]", "status"),
    ("filter[0][type]", "eq"),
    ("filter[0][value]", "1"),
    ("filter[1][field]", "email"),
    ("filter[1][type]", "like"),
    ("filter[1][value]", "%example%"),
]
#: A quota so high no run reaches it: the rate-limit bookkeeping runs, the 429 never comes.
UNREACHABLE_LIMIT = 1_000_000_000


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    api: str  # the hosted API it needs (name in ``GET /__mock__/``)
    #: whether Prism (which mocks ``banqer.openapi.yaml`` only) has the same operation
    prism: bool = False


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("banqer-list", "Banqer GET /v1/fichas?pageSize=20", "banqer", prism=True),
    Scenario("banqer-get", "Banqer GET /v1/fichas/{id}", "banqer", prism=True),
    Scenario("banqer-token", "Banqer POST token (client credentials)", "banqer-auth"),
    Scenario("assine-users", "Assine GET /v1/user, 2-clause filter", "assine"),
    Scenario("assine-login", "Assine POST /oauth (password grant)", "assine"),
    Scenario("pbm-medicines", "PBM getMedicinesForTreatmentStart", "pbm"),
    Scenario("pbm-token", "PBM createToken", "pbm"),
)
SCENARIO_KEYS = tuple(s.key for s in SCENARIOS)


@dataclass
class Prepared:
    """The requests to send to each server, per scenario, and why the others are skipped."""

    mock: dict[str, Request] = field(default_factory=dict)
    prism: dict[str, Request] = field(default_factory=dict)
    captured: dict[str, dict[str, Any]] = field(default_factory=dict)  # path -> bare-app body spec
    skipped: dict[str, str] = field(default_factory=dict)
    mounts: dict[str, str] = field(default_factory=dict)
    banqer_token: str = ""
    ficha_id: str = ""

    def bare_request(self, key: str) -> Request:
        """The same request for the bare app, which answers by path: ``/<scenario>`` + the same query."""
        mock = self.mock[key]
        _, mark, query = mock.path.partition("?")
        return Request(mock.method, bare_path(key) + mark + query, mock.headers, mock.body)


def bare_path(key: str) -> str:
    return f"/{key}"


class SetupError(Exception):
    pass


def _json_body(data: Mapping[str, Any]) -> bytes:
    return json.dumps(data, separators=(",", ":")).encode()


def _capture(prepared: Prepared, key: str, response: httpx.Response) -> None:
    prepared.captured[bare_path(key)] = {
        "status": response.status_code,
        "content_type": response.headers.get("content-type", "application/json"),
        "body": base64.b64encode(response.content).decode("ascii"),
    }


def _send(client: httpx.Client, request: Request) -> httpx.Response:
    return client.request(
        request.method, request.path, headers=dict(request.headers), content=request.body or None
    )


def _expect_200(client: httpx.Client, request: Request, what: str) -> httpx.Response:
    response = _send(client, request)
    if response.status_code != 200:
        raise SetupError(
            f"{what}: {request.method} {request.path} answered {response.status_code}: {response.text[:300]}"
        )
    return response


def mounts(client: httpx.Client) -> dict[str, str]:
    """Hosted API name -> mount path, from the admin index."""
    index = client.get("/__mock__/")
    index.raise_for_status()
    return {name: info.get("mount", "") for name, info in index.json()["apis"].items()}


def enable_rate_limits(client: httpx.Client, apis: list[str]) -> None:
    for api in apis:
        client.post(
            "/__mock__/rate-limit", json={"api": api, "limit": UNREACHABLE_LIMIT, "per_seconds": 60}
        ).raise_for_status()


def banqer_token_request() -> Request:
    client_id, secret = BANQER_CLIENT
    form = urlencode({"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret})
    return Request(
        "POST",
        f"/banqer-auth/realms/{BANQER_TENANT}/protocol/openid-connect/token",
        {"Content-Type": "application/x-www-form-urlencoded"},
        form.encode(),
    )


def assine_login_request(mount: str = "/assine") -> Request:
    return Request("POST", f"{mount}/oauth", {"Content-Type": "application/json"}, _json_body(ASSINE_LOGIN))


def pbm_graphql_path(mount: str) -> str:
    return f"{mount.rstrip('/')}/graphql"


def pbm_token_request(mount: str = "/pbm") -> Request:
    return Request(
        "POST",
        pbm_graphql_path(mount),
        {"Content-Type": "application/json"},
        _json_body({"query": PBM_CREATE_TOKEN}),
    )


def banqer_list_path(page_size: int = 20) -> str:
    return f"/v1/fichas?pageSize={page_size}"


def prepare(
    base_url: str, wanted: tuple[str, ...] = SCENARIO_KEYS, transport: httpx.BaseTransport | None = None
) -> Prepared:
    """Log in, switch the quotas on and check every wanted scenario against the mock at ``base_url``
    (reached through ``transport`` when given: an in-process mock)."""
    prepared = Prepared()
    with httpx.Client(base_url=base_url, timeout=30, transport=transport) as client:
        prepared.mounts = mounts(client)
        enable_rate_limits(client, list(prepared.mounts))
        for scenario in SCENARIOS:
            if scenario.key not in wanted:
                continue
            if scenario.api not in prepared.mounts:
                prepared.skipped[scenario.key] = f"the mock hosts no {scenario.api!r} API"
                continue
            try:
                request = _PREPARERS[scenario.key](client, prepared)
                response = _expect_200(client, request, scenario.title)
            except (SetupError, httpx.HTTPError, KeyError, ValueError, TypeError) as exc:
                prepared.skipped[scenario.key] = f"setup failed: {exc}"
                continue
            prepared.mock[scenario.key] = request
            _capture(prepared, scenario.key, response)
            if scenario.prism:
                prepared.prism[scenario.key] = _prism_request(scenario.key, prepared)
    return prepared


def _banqer_auth(client: httpx.Client, prepared: Prepared) -> dict[str, str]:
    if not prepared.banqer_token:
        response = _expect_200(client, banqer_token_request(), "Banqer token")
        prepared.banqer_token = response.json()["access_token"]
    return {"Authorization": f"Bearer {prepared.banqer_token}"}


def _banqer_list(client: httpx.Client, prepared: Prepared) -> Request:
    request = Request("GET", f"/banqer/{BANQER_TENANT}{banqer_list_path()}", _banqer_auth(client, prepared))
    if not prepared.ficha_id:
        fichas = _expect_200(client, request, "Banqer list").json()["fichas"]
        prepared.ficha_id = fichas[0]["idFichaCobranca"]
    return request


def _banqer_get(client: httpx.Client, prepared: Prepared) -> Request:
    if not prepared.ficha_id:
        _banqer_list(client, prepared)
    return Request(
        "GET", f"/banqer/{BANQER_TENANT}/v1/fichas/{prepared.ficha_id}", _banqer_auth(client, prepared)
    )


def _banqer_token(client: httpx.Client, prepared: Prepared) -> Request:
    return banqer_token_request()


def _assine_token(client: httpx.Client, prepared: Prepared) -> str:
    request = assine_login_request(prepared.mounts["assine"])
    token = _expect_200(client, request, "Assine login").json()["access_token"]
    if not isinstance(token, str) or not token:
        raise SetupError("Assine login gave no access_token")
    return token


def _assine_users(client: httpx.Client, prepared: Prepared) -> Request:
    token = _assine_token(client, prepared)
    path = f"{prepared.mounts['assine']}/v1/user?{urlencode(ASSINE_FILTER)}"
    return Request("GET", path, {"Authorization": f"Bearer {token}"})


def _assine_login(client: httpx.Client, prepared: Prepared) -> Request:
    return assine_login_request(prepared.mounts["assine"])


def _pbm_token(client: httpx.Client, prepared: Prepared) -> Request:
    return pbm_token_request(prepared.mounts["pbm"])


def _pbm_medicines(client: httpx.Client, prepared: Prepared) -> Request:
    login = _expect_200(client, pbm_token_request(prepared.mounts["pbm"]), "PBM createToken").json()
    token = login["data"]["createToken"]["token"]
    request = Request(
        "POST",
        pbm_graphql_path(prepared.mounts["pbm"]),
        {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        _json_body({"query": PBM_MEDICINES}),
    )
    body = _expect_200(client, request, "PBM query").json()
    if body.get("errors"):
        raise SetupError(f"PBM query answered errors: {json.dumps(body['errors'])[:300]}")
    return request


_PREPARERS = {
    "banqer-list": _banqer_list,
    "banqer-get": _banqer_get,
    "banqer-token": _banqer_token,
    "assine-users": _assine_users,
    "assine-login": _assine_login,
    "pbm-medicines": _pbm_medicines,
    "pbm-token": _pbm_token,
}


def _prism_request(key: str, prepared: Prepared) -> Request:
    """Prism mocks ``banqer.openapi.yaml`` at its root: the same operation, the same headers."""
    mock = prepared.mock[key]
    prefix = f"/banqer/{BANQER_TENANT}"
    return Request(mock.method, mock.path[len(prefix) :], mock.headers, mock.body)
