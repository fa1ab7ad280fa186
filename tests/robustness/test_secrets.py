"""No secret leaks: not into logs, the journal, error answers, nor exception messages and reprs.

A realistic workload runs against a mock on a loopback port, through the reference clients and by
hand, across the three APIs, with unusual secret values (``s3cr3t-Ω-`` and random hex): client
credentials in the body and as HTTP Basic, failed logins, wrong secrets, GraphQL with the password
inline, in variables under any name and as GET parameters, refresh and revocation, application
tokens. Then everything the mock and the clients emitted is searched for every secret and every
token issued, in the spellings they travel in (plain, JSON-escaped, percent-encoded, Basic).
"""

from __future__ import annotations

import base64
import json
import logging
import secrets
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import pytest

from specmock.contracts.clients import (
    AssineAuthError,
    AssineClient,
    BanqerAuthError,
    BanqerClient,
    PbmAuthError,
    PbmClient,
)
from specmock.mocks.config import parse_config
from tests.robustness import support
from tests.robustness.support import Served, bearer


def unusual(label: str) -> str:
    return f"s3cr3t-Ω-{label}-{secrets.token_hex(8)}"


BANQER_SECRET, PBM_PASSWORD, ASSINE_PASSWORD = unusual("banqer"), unusual("pbm"), unusual("assine")
WRONG = [unusual("wrong-banqer"), unusual("wrong-pbm"), unusual("wrong-assine")]
TENANT, CLIENT_ID, PBM_LOGIN, ASSINE_USER = (
    "robusta",
    "cliente-robusto",
    "login_robusto",
    "ana@robusta.example",
)
#: A Banqer client with refresh tokens: its refresh tokens and logouts are secrets too.
SESSION_CLIENT_ID = "cliente-com-sessao"
CONFIG = parse_config(
    {
        "banqer": {"tenants": {TENANT: {"clients": {
            CLIENT_ID: {"secret": BANQER_SECRET},
            SESSION_CLIENT_ID: {"secret": BANQER_SECRET, "use_refresh_token": True},
        }}}},
        "pbm": {"accounts": {PBM_LOGIN: {"password": PBM_PASSWORD}}},
        "assine": {
            "users": {ASSINE_USER: {"password": ASSINE_PASSWORD, "name": "Ana", "business_unit": True}}
        },
    }
)
#: The test's own HTTP client logs request URLs at INFO; what it logs is not the mock's doing.
OWN_LOGGERS = ("httpx", "httpcore", "hpack")


class Everything(logging.Handler):
    """Keeps every record of every logger, formatted with its traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith(OWN_LOGGERS):
            self.lines.append(self.format(record))


@pytest.fixture
def captured_logs() -> Iterator[Everything]:
    handler = Everything()
    names = [
        "",
        "uvicorn",
        "uvicorn.error",
        "uvicorn.access",
        "uvicorn.asgi",
        *logging.root.manager.loggerDict,
    ]
    loggers = [logging.getLogger(name) for name in dict.fromkeys(names)]
    levels = [(logger, logger.level, logger.disabled) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
    for name in ("", "uvicorn", "uvicorn.access"):  # the ones that do not propagate to the root
        logging.getLogger(name).addHandler(handler)
    yield handler
    for name in ("", "uvicorn", "uvicorn.access"):
        logging.getLogger(name).removeHandler(handler)
    for logger, level, disabled in levels:
        logger.setLevel(level)
        logger.disabled = disabled


@pytest.fixture
def mock(captured_logs: Everything) -> Iterator[Served]:
    with support.serve(CONFIG) as served:
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):  # uvicorn set its own levels at start
            logging.getLogger(name).setLevel(logging.DEBUG)
        logging.getLogger("uvicorn").addHandler(captured_logs)
        yield served


def spellings(value: str) -> set[str]:
    """How a secret may appear in text: as is, JSON-escaped, percent-encoded, its ASCII tail."""
    return {
        value,
        json.dumps(value)[1:-1],
        quote(value, safe=""),
        quote_plus(value),
        value.split("Ω-", 1)[-1],
    }


def leaks(places: dict[str, str], values: Iterable[str]) -> list[tuple[str, str]]:
    """Where any spelling (of 8 characters or more) of any secret shows up: (place, secret's head)."""
    return [
        (place, secret[:12] + "…")
        for place, text in places.items()
        for secret in values
        for spelling in spellings(secret)
        if len(spelling) >= 8 and spelling in text
    ]


class Workload:
    """Runs the workload and keeps every secret it meets and everything it is told."""

    def __init__(self, mock: Served) -> None:
        self.mock = mock
        self.url = mock.url
        self.http = mock.client()
        self.secrets: set[str] = {BANQER_SECRET, PBM_PASSWORD, ASSINE_PASSWORD, *WRONG}
        self.texts: list[str] = []  # error answers, exception messages and reprs, client reprs

    def answer(self, response: httpx.Response) -> httpx.Response:
        if response.status_code >= 400:
            self.texts.append(f"{response.status_code} {response.headers} {response.text}")
        return response

    def failure(self, exc: BaseException) -> None:
        self.texts += [str(exc), repr(exc), repr(exc.args)]

    def token(self, value: Any) -> str:
        assert isinstance(value, str) and value, value
        self.secrets.add(value)
        return value

    # -- Banqer ---------------------------------------------------------------------------------------

    def banqer(self) -> None:
        realm = f"{self.url}/banqer-auth/realms/{TENANT}/protocol/openid-connect/token"
        with BanqerClient(
            TENANT,
            CLIENT_ID,
            BANQER_SECRET,
            api_base=f"{self.url}/banqer/{TENANT}",
            auth_base=f"{self.url}/banqer-auth",
            timeout=support.TIMEOUT,
        ) as client:
            assert len(list(client.paginate("/v1/fichas", page_size=100))) > 0
            self.token(client._token)
            self.texts.append(repr(client))
        with BanqerClient(
            TENANT,
            CLIENT_ID,
            WRONG[0],
            api_base=f"{self.url}/banqer/{TENANT}",
            auth_base=f"{self.url}/banqer-auth",
            timeout=support.TIMEOUT,
        ) as wrong:
            with pytest.raises(BanqerAuthError) as refused:
                wrong.list_credores()
            self.failure(refused.value)
            self.texts.append(repr(wrong))
        for secret in (BANQER_SECRET, WRONG[0]):
            basic = base64.b64encode(f"{CLIENT_ID}:{secret}".encode()).decode()
            self.secrets.add(basic)
            response = self.answer(
                self.http.post(
                    realm,
                    data={"grant_type": "client_credentials"},
                    headers={"Authorization": f"Basic {basic}"},
                )
            )
            if secret == BANQER_SECRET:
                token = self.token(response.json()["access_token"])
                ok = self.http.get(
                    f"/banqer/{TENANT}/v1/fichas", params={"pageSize": 1}, headers=bearer(token)
                )
                assert ok.status_code == 200
                self.answer(self.http.get(f"/banqer/{TENANT}/v1/fichas", headers=bearer(token[:-3] + "abc")))
                self.answer(self.http.get("/banqer/demo/v1/fichas", headers=bearer(token)))  # another tenant
            else:
                assert response.status_code == 401
        self.answer(
            self.http.post(
                realm,
                data={
                    "grant_type": "client_credentials",
                    "client_id": CLIENT_ID,
                    "client_secret": WRONG[0],
                    "scope": "fichas:read",
                },
            )
        )
        self.answer(
            self.http.post(
                realm,
                content=f"client_id={CLIENT_ID}&client_secret={WRONG[0]}".encode(),
                headers={"Content-Type": "text/plain"},
            )
        )
        self.answer(self.http.get(realm, params={"client_secret": BANQER_SECRET}))
        self.banqer_session(realm)

    def banqer_session(self, realm: str) -> None:
        """A client with refresh tokens: refresh, a refused and a real logout, a refused refresh."""
        credentials = {"client_id": SESSION_CLIENT_ID, "client_secret": BANQER_SECRET}
        issued = self.http.post(realm, data={"grant_type": "client_credentials", "scope": "openid",
                                             **credentials}).json()
        access, refresh = self.token(issued["access_token"]), self.token(issued["refresh_token"])
        again = self.http.post(realm, data={"grant_type": "refresh_token", "refresh_token": refresh,
                                            **credentials}).json()
        self.token(again["access_token"])
        self.token(again["refresh_token"])
        logout = realm.replace("/token", "/logout")
        self.answer(self.http.post(logout, data={"refresh_token": access, **credentials}))
        assert self.http.post(logout, data={"refresh_token": refresh, **credentials}).status_code == 204
        self.answer(self.http.post(realm, data={"grant_type": "refresh_token", "refresh_token": refresh,
                                                **credentials}))
        userinfo = realm.replace("/token", "/userinfo")
        self.answer(self.http.get(userinfo, headers=bearer(access)))

    # -- PBM -------------------------------------------------------------------------------------------

    def pbm(self) -> None:
        url = f"{self.url}/pbm/graphql"
        with PbmClient(url, PBM_LOGIN, PBM_PASSWORD, timeout=support.TIMEOUT) as client:
            client.consult_program_form(126, 37)
            self.token(client._token)
            self.texts.append(repr(client))
        with PbmClient(url, PBM_LOGIN, WRONG[1], timeout=support.TIMEOUT) as wrong:
            with pytest.raises(PbmAuthError) as refused:
                wrong.consult_program_form(126, 37)
            self.failure(refused.value)
        inline = f'mutation {{ createToken(login: "{PBM_LOGIN}", password: "{PBM_PASSWORD}") {{ token }} }}'
        renamed = (
            "mutation Entrar($l: String!, $senha: String!) { createToken(login: $l, password: $senha) "
            "{ token } }"
        )
        for payload in (
            {"query": inline},
            {"query": renamed, "variables": {"l": PBM_LOGIN, "senha": PBM_PASSWORD}},
            {"query": renamed, "variables": {"l": PBM_LOGIN, "senha": WRONG[1]}},
            {"query": renamed, "variables": {"l": PBM_LOGIN, "senha": 12}, "extensions": {}},
        ):
            response = self.answer(self.http.post(url, json=payload))
            data = response.json().get("data") if response.status_code == 200 else None
            if data and data.get("createToken"):
                self.token(data["createToken"]["token"])
        # GET: a mutation is refused with 405, but the query string still reaches the journal.
        self.answer(self.http.get(url, params={"query": inline}))
        self.answer(
            self.http.get(
                url,
                params={
                    "query": renamed,
                    "operationName": "Entrar",
                    "variables": json.dumps({"l": PBM_LOGIN, "senha": PBM_PASSWORD}),
                },
            )
        )
        token = sorted(self.secrets)[0]
        self.answer(self.http.get(url, params={"query": "{ __typename }", "access_token": token}))

    # -- Assine ----------------------------------------------------------------------------------------

    def assine(self) -> None:
        base = f"{self.url}/assine"
        with AssineClient(base, ASSINE_USER, ASSINE_PASSWORD, timeout=support.TIMEOUT) as client:
            client.current_user()
            self.token(client._token)
            self.token(client._refresh)
            created = client.create_access_token(ASSINE_PASSWORD, _far_future())
            app_token = self.token(created.get("accessToken"))
            client.list_access_tokens()
            with pytest.raises(Exception) as refused:
                client.create_access_token(WRONG[2], _far_future())
            self.failure(refused.value)
            self.texts.append(repr(client))
        with AssineClient(base, ASSINE_USER, WRONG[2], timeout=support.TIMEOUT) as wrong:
            with pytest.raises(AssineAuthError) as failed:
                wrong.login()
            self.failure(failed.value)
        login = self.http.post(
            f"{base}/oauth",
            data={
                "grant_type": "password",
                "client_id": "app",
                "client_secret": "app",
                "username": ASSINE_USER,
                "password": ASSINE_PASSWORD,
            },
        )
        assert login.status_code == 200, login.text
        refresh = self.token(login.json()["refresh_token"])
        self.token(login.json()["access_token"])
        refreshed = self.http.post(
            f"{base}/oauth",
            json={"grant_type": "refresh_token", "refresh_token": refresh},
            headers={"Authorization": "Basic " + base64.b64encode(b"app:app").decode()},
        )
        assert refreshed.status_code == 200, refreshed.text
        renewed = self.token(refreshed.json()["access_token"])
        assert self.http.get(f"{base}/v1/user", headers=bearer(app_token)).status_code == 200
        self.answer(
            self.http.post(
                f"{base}/oauth", json={"grant_type": "refresh_token", "refresh_token": refresh[::-1]}
            )
        )
        self.answer(
            self.http.post(
                f"{base}/oauth",
                json={
                    "grant_type": "password",
                    "client_id": "app",
                    "client_secret": "app",
                    "username": ASSINE_USER,
                    "password": WRONG[2],
                },
            )
        )
        assert self.http.post(f"{base}/oauth/revoke", data={"token": refresh}).status_code == 200
        assert self.http.post(f"{base}/oauth/revoke", json={"token": renewed}).status_code == 200
        self.answer(self.http.get(f"{base}/v1/user", headers=bearer(renewed)))
        self.answer(
            self.http.post(
                f"{base}/v1/access-token",
                json={"password": WRONG[2], "expires": "x"},
                headers=bearer(app_token),
            )
        )


def _far_future() -> Any:
    import datetime as dt

    return dt.datetime(2099, 1, 1, tzinfo=dt.UTC)


def test_no_secret_or_token_leaks_anywhere(
    mock: Served, captured_logs: Everything, capfd: pytest.CaptureFixture[str]
) -> None:
    workload = Workload(mock)
    workload.banqer()
    workload.pbm()
    workload.assine()
    journal = workload.http.get("/__mock__/requests")
    assert journal.status_code == 200
    entries = journal.json()["requests"]
    assert len(entries) > 30  # the workload was journaled...
    out, err = capfd.readouterr()
    places = {
        "logs": "\n".join(captured_logs.lines),
        "stdout and stderr": out + err,
        "journal": journal.text,
        "error answers, exception messages and reprs": "\n".join(workload.texts),
    }
    assert captured_logs.lines, "nothing was logged: the capture is not working"
    assert len(workload.secrets) >= 14
    found = leaks(places, workload.secrets)
    assert not found, found
    # ...with its secrets masked, not dropped.
    assert "***" in journal.text
