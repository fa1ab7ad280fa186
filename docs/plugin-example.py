"""tests/test_with_specmock.py: the specmock fixtures in a repository that ran `pip install specmock`.

No conftest.py and no configuration: the fixtures come with the install. Every test starts from a
freshly reset mock (data, tokens, faults, clock, journal), served on a real loopback port.
"""

import httpx
import pytest


def banqer_token(banqer_mock) -> str:
    credentials = banqer_mock.credentials  # demo tenant, demo-client / demo-secret
    response = httpx.post(banqer_mock.token_url, data={
        "grant_type": "client_credentials",
        "client_id": credentials.client_id,
        "client_secret": credentials.client_secret,
    })
    response.raise_for_status()
    return response.json()["access_token"]


def test_lists_overdue_fichas(banqer_mock):
    with banqer_mock.client(headers={"Authorization": f"Bearer {banqer_token(banqer_mock)}"}) as banqer:
        page = banqer.get("/v1/fichas", params={"atrasoMin": 90, "pageSize": 2}).json()
    assert len(page["fichas"]) == 2


def test_a_queued_fault_answers_once(banqer_mock):
    banqer_mock.fail(503, path="/v1/fichas", times=1)  # body: Banqer's own error shape
    banqer = banqer_mock.client(headers={"Authorization": f"Bearer {banqer_token(banqer_mock)}"})
    assert banqer.get("/v1/fichas").status_code == 503
    assert banqer.get("/v1/fichas").status_code == 200
    assert [r["status"] for r in banqer_mock.requests] == [200, 503, 200]  # token, fault, list


def test_tokens_expire_when_the_clock_moves(banqer_mock):
    banqer = banqer_mock.client(headers={"Authorization": f"Bearer {banqer_token(banqer_mock)}"})
    banqer_mock.advance(301)  # Banqer tokens live 300 s
    assert banqer.get("/v1/credores").status_code == 401


@pytest.mark.specmock(token_ttl=60)
def test_a_test_can_ask_for_its_own_config(banqer_mock):
    banqer = banqer_mock.client(headers={"Authorization": f"Bearer {banqer_token(banqer_mock)}"})
    banqer_mock.advance(61)
    assert banqer.get("/v1/credores").status_code == 401


def test_pbm_login_with_graphql(pbm_mock):
    login = """mutation ($login: String!, $password: String!) {
      createToken(login: $login, password: $password) { token }
    }"""
    credentials = pbm_mock.credentials  # usuario_exemplo / senha_exemplo
    answer = httpx.post(pbm_mock.graphql_url, json={
        "query": login, "variables": {"login": credentials.login, "password": credentials.password}})
    assert answer.json()["data"]["createToken"]["token"]


def test_your_client_in_process(banqer_mock):
    from specmock.contracts.clients import BanqerClient  # or your own client: anything on httpx

    credentials = banqer_mock.credentials
    client = BanqerClient(credentials.tenant, credentials.client_id, credentials.client_secret,
                          api_base=banqer_mock.url, auth_base=banqer_mock.auth_url,
                          transport=banqer_mock.transport)  # no socket; same mock, same state
    banqer_mock.fail(429, path="/v1/credores", headers={"Retry-After": "0"})
    assert "credores" in client.get("/v1/credores")  # the client waited and retried
