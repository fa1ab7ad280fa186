"""The fixtures in a project that only installed the kit: real ports, faults, clock, isolation, markers."""

from __future__ import annotations

from tests.plugin.project import Project

pytest_plugins = ["pytester"]

HELPERS = '''
import httpx


def banqer_token(banqer_mock, tenant=None, client_id=None, secret=None):
    credentials = banqer_mock.credentials
    token_url = banqer_mock.token_url if tenant is None else (
        banqer_mock.realm_url(tenant) + "/protocol/openid-connect/token")
    answer = httpx.post(token_url, data={"grant_type": "client_credentials",
                                         "client_id": client_id or credentials.client_id,
                                         "client_secret": secret or credentials.client_secret})
    assert answer.status_code == 200, answer.text
    return answer.json()


def banqer_api(banqer_mock, tenant=None, **token_args):
    token = banqer_token(banqer_mock, tenant, **token_args)["access_token"]
    return banqer_mock.client(base_url=banqer_mock.api_url(tenant),
                              headers={"Authorization": f"Bearer {token}"})
'''

USES = '''
import asyncio

import httpx
import pytest

from helpers import banqer_api, banqer_token


def test_token_then_list_on_the_real_port(banqer_mock):
    assert banqer_mock.url.startswith("http://127.0.0.1:") and banqer_mock.url.endswith("/banqer/demo")
    answer = banqer_api(banqer_mock).get("/v1/fichas", params={"pageSize": 3})
    assert answer.status_code == 200, answer.text
    assert len(answer.json()["fichas"]) == 3


def test_a_fault_answers_then_the_api_again(banqer_mock):
    api = banqer_api(banqer_mock)
    banqer_mock.fail(503, path="/v1/fichas", times=2, headers={"Retry-After": "7"})
    answers = [api.get("/v1/fichas") for _ in range(3)]
    assert [a.status_code for a in answers] == [503, 503, 200]
    assert answers[0].headers["retry-after"] == "7"
    assert answers[0].json()["details"][0]["reason"]  # Banqer's own error shape
    assert [r["fault"] for r in banqer_mock.requests] == [False, True, True, False]
    banqer_mock.fail(500, api="banqer-auth")
    assert httpx.post(banqer_mock.token_url, data={}).status_code == 500
    with pytest.raises(ValueError, match="banqer, banqer-auth"):
        banqer_mock.fail(500, api="pbm")


def test_the_clock_expires_tokens(banqer_mock):
    api = banqer_api(banqer_mock)
    assert api.get("/v1/credores").status_code == 200
    banqer_mock.advance(301)
    assert api.get("/v1/credores").status_code == 401


def test_expire_tokens_and_rate_limit(banqer_mock):
    api = banqer_api(banqer_mock)
    assert banqer_mock.expire_tokens() == 1
    assert api.get("/v1/credores").status_code == 401
    api = banqer_api(banqer_mock)
    banqer_mock.rate_limit(2, per_seconds=60)
    statuses = [api.get("/v1/credores").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


LEFT_BEHIND = {}


def test_isolation_1_leaves_a_mess(specmock, banqer_mock):
    LEFT_BEHIND["token"] = banqer_token(banqer_mock)["access_token"]
    banqer_mock.fail(500, times=5)
    banqer_mock.rate_limit(1, per_seconds=3600)
    LEFT_BEHIND["now"] = specmock.now()
    specmock.advance(1000)
    assert banqer_mock.requests and banqer_mock.faults


def test_isolation_2_starts_clean(specmock, banqer_mock):
    assert specmock.requests == [] and specmock.faults == []
    assert specmock.now() < LEFT_BEHIND["now"] + 500  # the clock is back
    stale = banqer_mock.client(headers={"Authorization": f"Bearer {LEFT_BEHIND['token']}"})
    assert stale.get("/v1/credores").status_code == 401  # tokens were forgotten
    fresh = banqer_api(banqer_mock)
    assert [fresh.get("/v1/credores").status_code for _ in range(3)] == [200, 200, 200]  # no fault, no quota


def test_one_server_for_the_session(specmock, banqer_mock, pbm_mock, assine_mock, specmock_server):
    assert specmock.server is specmock_server() is banqer_mock.server is pbm_mock.server is assine_mock.server


def test_urls_and_credentials(specmock, banqer_mock, pbm_mock, assine_mock):
    root = specmock.url
    assert banqer_mock.root_url == root
    assert banqer_mock.base_url == banqer_mock.api_url("demo") == f"{root}/banqer/demo"
    assert banqer_mock.auth_url == f"{root}/banqer-auth"
    assert banqer_mock.token_url == f"{root}/banqer-auth/realms/demo/protocol/openid-connect/token"
    assert pbm_mock.url == pbm_mock.graphql_url == f"{root}/pbm/graphql"
    assert assine_mock.url == f"{root}/assine" and assine_mock.token_url == f"{root}/assine/oauth"
    assert banqer_mock.credentials.as_dict() == {"tenant": "demo", "client_id": "demo-client",
                                                 "client_secret": "demo-secret",
                                                 "scopes": ("credores:read", "fichas:read")}
    assert pbm_mock.credentials.as_dict() == {"login": "usuario_exemplo", "password": "senha_exemplo"}
    assert assine_mock.credentials.as_dict() == {"username": "demo@empresa.example",
                                                 "password": "demo-password",
                                                 "client_id": "app", "client_secret": "app"}
    assert "demo-secret" not in repr(banqer_mock.credentials)
    assert "senha_exemplo" not in repr(pbm_mock.credentials)


def test_pbm_on_its_graphql_endpoint(pbm_mock):
    mutation = "mutation ($l: String!, $p: String!) { createToken(login: $l, password: $p) { token } }"
    credentials = pbm_mock.credentials
    variables = {"l": credentials.login, "p": credentials.password}
    answer = pbm_mock.client().post("", json={"query": mutation, "variables": variables})
    assert answer.json()["data"]["createToken"]["token"]
    pbm_mock.fail(503)
    assert pbm_mock.client().post("", json={"query": mutation, "variables": variables}).status_code == 503
    assert [r["api"] for r in pbm_mock.requests] == ["pbm", "pbm"]


def test_assine_login_then_a_fault(assine_mock):
    credentials = assine_mock.credentials
    login = httpx.post(assine_mock.token_url, json={"grant_type": "password", **credentials.as_dict()})
    assert login.status_code == 200, login.text
    assine = assine_mock.client(headers={"Authorization": f"Bearer {login.json()['access_token']}"})
    assert assine.get("/v1/user").status_code == 200
    assine_mock.fail(503, path="/v1/user")
    assert assine.get("/v1/user").status_code == 503
    assert [r["status"] for r in assine_mock.requests] == [200, 200, 503]


def test_in_process_transports_share_the_state(banqer_mock):
    credentials = banqer_mock.credentials
    form = {"grant_type": "client_credentials", "client_id": credentials.client_id,
            "client_secret": credentials.client_secret}
    with httpx.Client(transport=banqer_mock.transport, base_url=banqer_mock.url) as client:
        token = client.post(banqer_mock.token_url, data=form).json()["access_token"]

    async def list_credores():
        transport = banqer_mock.async_transport
        async with httpx.AsyncClient(transport=transport, base_url=banqer_mock.url) as client:
            return await client.get("/v1/credores", headers={"Authorization": f"Bearer {token}"})

    assert asyncio.run(list_credores()).status_code == 200
    over_the_port = banqer_mock.client(headers={"Authorization": f"Bearer {token}"})
    assert over_the_port.get("/v1/credores").status_code == 200  # same tokens, same mock
    assert len(banqer_mock.requests) == 3


FIRST_FICHA = {}


def _first_ficha(banqer_mock):
    return banqer_api(banqer_mock).get("/v1/fichas", params={"pageSize": 1}).json()["fichas"][0]


def test_marker_default_data(banqer_mock):
    FIRST_FICHA["default"] = _first_ficha(banqer_mock)
    assert _first_ficha(banqer_mock) == FIRST_FICHA["default"]  # same seed, same data


@pytest.mark.specmock(seed=7)
def test_marker_seed_gets_its_own_server(banqer_mock, specmock_server):
    assert banqer_mock.config.seed == 7
    assert banqer_mock.server is not specmock_server()
    FIRST_FICHA["seed 7"] = (_first_ficha(banqer_mock), banqer_mock.server)
    assert FIRST_FICHA["seed 7"][0] != FIRST_FICHA["default"]


@pytest.mark.specmock(seed=7)
def test_marker_same_config_same_server(banqer_mock):
    assert banqer_mock.server is FIRST_FICHA["seed 7"][1]
    assert banqer_mock.requests == []  # reset like any other


@pytest.mark.specmock(token_ttl=5)
def test_marker_token_ttl(banqer_mock):
    assert banqer_token(banqer_mock)["expires_in"] == 5
    api = banqer_api(banqer_mock)
    banqer_mock.advance(6)
    assert api.get("/v1/credores").status_code == 401


@pytest.mark.specmock(config={"banqer": {"tenants": {"acme": {"clients": {"app-1": {"secret": "s3cret"}}}}}})
def test_marker_config_as_a_dict(banqer_mock):
    api = banqer_api(banqer_mock, "acme", client_id="app-1", secret="s3cret")
    assert api.get("/v1/credores").status_code == 200


@pytest.mark.specmock(sede=1)
def test_marker_with_a_typo(banqer_mock):
    pass
'''


def test_the_fixtures_work_in_a_project_that_configures_nothing(project: Project) -> None:
    project.write("helpers.py", HELPERS)
    project.write("test_uses.py", USES)
    result = project.run("-p", "no:cacheprovider", autoload=True)  # as installed: entry point, no -p
    result.assert_outcomes(passed=16, errors=1)
    result.stdout.fnmatch_lines(["*test_marker_with_a_typo*",
                                 "*specmock: @pytest.mark.specmock got unknown argument 'sede'; "
                                 "it takes seed, token_ttl, config*"])


XDIST = '''
import os
from pathlib import Path

import pytest

from helpers import banqer_api


@pytest.mark.parametrize("n", range(6))
def test_each_worker_has_its_own_server(banqer_mock, n):
    worker = os.environ["PYTEST_XDIST_WORKER"]
    assert banqer_mock.requests == []
    banqer_mock.fail(503, path="/v1/credores")
    api = banqer_api(banqer_mock)
    assert api.get("/v1/credores").status_code == 503
    assert api.get("/v1/credores").status_code == 200
    Path(f"seen-{worker}-{n}").write_text(banqer_mock.root_url)
'''


def test_under_xdist_each_worker_runs_its_own_server(project: Project) -> None:
    project.write("helpers.py", HELPERS)
    project.write("test_xdist.py", XDIST)
    result = project.run("-p", "xdist", "-n", "2")
    result.assert_outcomes(passed=6)
    seen: dict[str, set[str]] = {}
    for path in project.path.glob("seen-*"):
        seen.setdefault(path.name.split("-")[1], set()).add(path.read_text())
    assert sorted(seen) == ["gw0", "gw1"]
    assert all(len(urls) == 1 for urls in seen.values())  # one server per worker for the session
    assert seen["gw0"] != seen["gw1"]


SERVER_ERRORS = '''
import httpx
import pytest

from helpers import banqer_api


def test_an_exception_in_an_api_mock(banqer_mock, monkeypatch):
    from specmock.mocks.banqer.api import BanqerApi

    def broken(self, tenant):
        raise ZeroDivisionError("planted in the Banqer data")

    api = banqer_api(banqer_mock)
    monkeypatch.setattr(BanqerApi, "data", broken)
    assert api.get("/v1/fichas").status_code == 500  # the test itself passes ...


def test_an_exception_escaping_the_app(specmock, monkeypatch):
    from specmock.mocks.core.faults import FaultQueue

    def broken(self, api, method, path):
        raise KeyError("planted in the control layer")

    monkeypatch.setattr(FaultQueue, "take", broken)
    answer = httpx.get(specmock.banqer.url + "/v1/credores")
    assert answer.status_code == 500
    assert 1 / 0  # ... and a test that fails keeps its own error too


def test_the_next_test_is_clean(banqer_mock):
    assert banqer_api(banqer_mock).get("/v1/credores").status_code == 200


def test_the_server_thread_dies(banqer_mock):
    import time

    thread = banqer_mock.server._thread
    thread._server.should_exit = True  # what a crash of the server loop looks like from outside
    deadline = time.monotonic() + 10
    while banqer_mock.server.alive and time.monotonic() < deadline:
        time.sleep(0.01)


def test_after_the_server_died(banqer_mock):
    pass
'''


def test_server_side_errors_fail_the_test_that_caused_them(project: Project) -> None:
    project.write("helpers.py", HELPERS)
    project.write("test_server_errors.py", SERVER_ERRORS)
    result = project.run("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=3, errors=1)
    result.stdout.re_match_lines([
        r"_+ test_an_exception_in_an_api_mock _+",
        r"E\s+.*MockServerError: specmock: the mock server raised an unhandled exception while this test ran "
        r"\(the client got HTTP 500\):",
        r"\s+banqer: unexpected error on GET /banqer/demo/v1/fichas: "
        r"ZeroDivisionError: planted in the Banqer data",
        r"\s+Traceback \(most recent call last\):",
    ], consecutive=False)
    result.stdout.re_match_lines([
        r"_+ test_an_exception_escaping_the_app _+",
        r"E\s+ZeroDivisionError: division by zero",
        r".*During handling of the above exception, another exception occurred.*",
        r"E\s+.*MockServerError: specmock: the mock server raised an unhandled exception "
        r"while this test ran.*",
        r"\s+GET /banqer/demo/v1/credores raised KeyError: 'planted in the control layer'",
    ], consecutive=False)
    result.stdout.re_match_lines([
        r"_+ test_the_server_thread_dies _+",
        r"E\s+RuntimeError: specmock: the mock server stopped: its thread exited without an error; "
        r"http://127\.0\.0\.1:\d+ no longer answers",
    ], consecutive=False)
    result.stdout.re_match_lines([
        r"_+ ERROR at setup of test_after_the_server_died _+",
        r"E\s+RuntimeError: specmock: the mock server stopped: its thread exited without an error.*",
    ], consecutive=False)
