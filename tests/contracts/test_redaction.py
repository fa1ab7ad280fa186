"""Secrets never show in repr(), str() of errors, or log records."""

from __future__ import annotations

import datetime as dt
import json
import logging

import httpx
import pytest

from specmock.contracts.clients import (
    AssineAuthError,
    AssineClient,
    AssineProblem,
    BanqerAuthError,
    BanqerClient,
    BanqerError,
    PbmAuthError,
    PbmClient,
    PbmGraphQLError,
)

SECRET = "client-secret-Zq81xP"
PASSWORD = "pa55word-Hk29Lm"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjQxMDI0NDQ4MDB9.c2lnbmF0dXJl"
REFRESH = "refresh-9f8e7d6c5b4a"
APP_TOKEN = "5499d5cac5d19926adcbcda7987c01854065554f"
ALL = (SECRET, PASSWORD, TOKEN, REFRESH, APP_TOKEN)


def assert_clean(*texts: str) -> None:
    for text in texts:
        for secret in ALL:
            assert secret not in text, f"{secret!r} leaked in {text!r}"


def echo(status: int, extra: dict | None = None):
    """A server that echoes every request body back inside its error answer (a careless proxy)."""

    def handle(request: httpx.Request) -> httpx.Response:
        body = {
            "message": request.content.decode(),
            "detail": request.content.decode(),
            "title": "invalid_client",
            "details": [{"reason": "INVALID"}],
            **(extra or {}),
        }
        return httpx.Response(status, json=body)

    return httpx.MockTransport(handle)


@pytest.fixture(autouse=True)
def everything_logged(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def test_banqer(caplog: pytest.LogCaptureFixture) -> None:
    client = BanqerClient("acme", "client-id", SECRET, transport=echo(401))
    with pytest.raises(BanqerAuthError) as auth:
        client.get("/v1/credores")

    def api(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": TOKEN, "expires_in": 300})
        echoed = f"{request.headers['Authorization']} {SECRET}"
        return httpx.Response(403, json={"message": echoed, "details": [{"reason": TOKEN}]})

    client2 = BanqerClient("acme", "client-id", SECRET, transport=httpx.MockTransport(api))
    with pytest.raises(BanqerError) as err:
        client2.get("/v1/credores")
    assert err.value.status == 403 and "***" in err.value.message
    assert_clean(
        repr(client),
        str(client),
        str(auth.value),
        repr(auth.value),
        str(err.value),
        repr(err.value),
        err.value.reason,
        caplog.text,
    )


def test_pbm(caplog: pytest.LogCaptureFixture) -> None:
    client = PbmClient(
        "https://pbm.example/graphql",
        "login",
        PASSWORD,
        transport=echo(
            200,
            {"errors": [{"message": f"bad password {PASSWORD}", "extensions": {"code": "UNAUTHENTICATED"}}]},
        ),
    )
    with pytest.raises(PbmAuthError) as auth:
        client.execute("query { x }")

    def api(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if "createToken" in body["query"]:
            return httpx.Response(200, json={"data": {"createToken": {"token": TOKEN}}})
        message = f"token {request.headers['Authorization']} password {PASSWORD}"
        return httpx.Response(
            200, json={"errors": [{"message": message, "extensions": {"code": "FORBIDDEN"}}], "data": None}
        )

    client2 = PbmClient("https://pbm.example/graphql", "login", PASSWORD, transport=httpx.MockTransport(api))
    with pytest.raises(PbmGraphQLError) as err:
        client2.execute("query { x }")
    assert err.value.code == "FORBIDDEN"
    assert_clean(
        repr(client),
        str(auth.value),
        repr(auth.value),
        str(err.value),
        repr(err.value),
        err.value.message,
        caplog.text,
    )


def test_assine(caplog: pytest.LogCaptureFixture) -> None:
    client = AssineClient("https://assine.example", "user@example.com", PASSWORD, transport=echo(401))
    with pytest.raises(AssineAuthError) as auth:
        client.get("/v1/user")

    def api(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth":
            return httpx.Response(
                200, json={"access_token": TOKEN, "refresh_token": REFRESH, "expires_in": "86400"}
            )
        if request.method == "POST":
            return httpx.Response(
                201,
                json={
                    "accessToken": APP_TOKEN,
                    "id": "5347",
                    "title": "Token created",
                    "status": 201,
                    "detail": "Access Token data",
                },
            )
        detail = f"{request.headers['Authorization']} {REFRESH} {APP_TOKEN} {PASSWORD}"
        return httpx.Response(422, json={"title": "Unprocessable Entity", "status": 422, "detail": detail})

    client2 = AssineClient(
        "https://assine.example", "user@example.com", PASSWORD, transport=httpx.MockTransport(api)
    )
    created = client2.create_access_token(PASSWORD, dt.datetime(2030, 1, 1, 23, 59))
    assert created["accessToken"] == APP_TOKEN  # shown to the caller once, as the API does
    with pytest.raises(AssineProblem) as err:
        client2.get("/v1/user")
    assert err.value.status == 422
    assert_clean(
        repr(client),
        repr(client2),
        str(auth.value),
        repr(auth.value),
        str(err.value),
        repr(err.value),
        err.value.detail,
        caplog.text,
    )


def test_connection_errors_do_not_carry_secrets() -> None:
    def boom(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot reach {request.url} with {request.content.decode()}")

    client = BanqerClient("acme", "client-id", SECRET, transport=httpx.MockTransport(boom))
    with pytest.raises(Exception) as info:
        client.get("/v1/credores")
    assert type(info.value).__name__ == "TransportError"
    assert_clean(str(info.value), repr(info.value))
