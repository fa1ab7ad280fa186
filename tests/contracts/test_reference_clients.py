"""Example-based checks of the reference clients' own API (the properties live in the contracts)."""

from __future__ import annotations

import datetime as dt
import inspect
import json
import random
import time
from typing import Any, get_type_hints

import graphql
import httpx
import jwt
import pytest

from specmock import specs
from specmock.contracts.clients import (
    AssineClient,
    AssineProblem,
    BanqerClient,
    BanqerError,
    PaginationLoopError,
    PbmClient,
    PbmError,
    PbmGraphQLError,
    RetryPolicy,
)
from specmock.contracts.clients._core import ClientOptions


class Recorder:
    """An in-memory transport (any ``httpx.BaseTransport`` can be injected) that records requests."""

    def __init__(self, handler: Any) -> None:
        self.requests: list[httpx.Request] = []
        self.handler = handler
        self.transport = httpx.MockTransport(self._handle)

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)


# -- environment --------------------------------------------------------------------------------


def test_from_env() -> None:
    banqer = BanqerClient.from_env(
        {"BANQER_TENANT": "acme", "BANQER_CLIENT_ID": "id", "BANQER_CLIENT_SECRET": "s3cret"}
    )
    assert banqer.api_base == "https://api-acme.banqer.com.br"
    assert banqer.token_url == "https://auth.banqer.com.br/realms/acme/protocol/openid-connect/token"
    banqer = BanqerClient.from_env(
        {
            "BANQER_TENANT": "acme",
            "BANQER_CLIENT_ID": "id",
            "BANQER_CLIENT_SECRET": "s",
            "BANQER_API_BASE_URL": "http://127.0.0.1:9/",
            "BANQER_AUTH_BASE_URL": "http://a",
        }
    )
    assert (banqer.api_base, banqer.token_url) == (
        "http://127.0.0.1:9",
        "http://a/realms/acme/protocol/openid-connect/token",
    )
    pbm = PbmClient.from_env(
        {"PBM_GRAPHQL_URL": "http://127.0.0.1:9/graphql", "PBM_LOGIN": "l", "PBM_PASSWORD": "p"}
    )
    assert pbm.url == "http://127.0.0.1:9/graphql"
    assine = AssineClient.from_env({"ASSINE_USERNAME": "u@example.com", "ASSINE_PASSWORD": "p"})
    assert (assine.base_url, assine.client_id) == ("https://api-v1.assine.online", "app")
    assine = AssineClient.from_env(
        {
            "ASSINE_BASE_URL": "https://api-v1-hom.assine.online",
            "ASSINE_ACCESS_TOKEN": "t" * 40,
            "ASSINE_CLIENT_ID": "mine",
            "ASSINE_CLIENT_SECRET": "other",
        }
    )
    assert (assine.base_url, assine.client_id) == ("https://api-v1-hom.assine.online", "mine")


@pytest.mark.parametrize("client", [BanqerClient, PbmClient, AssineClient])
def test_from_env_names_what_is_missing(client: Any) -> None:
    with pytest.raises(ValueError, match="missing environment variables"):
        client.from_env({})


#: The keywords every client takes after its own, with their defaults, in this order.
OPTIONS = [
    ("max_attempts", 3),
    ("timeout", 30.0),
    ("http_client", None),
    ("transport", None),
    ("sleep", time.sleep),
    ("now", time.time),
    ("random", random.random),
    ("retry_policy", RetryPolicy),
]


@pytest.mark.parametrize(
    ("client", "own"),
    [
        (BanqerClient, "tenant client_id client_secret *api_base *auth_base"),
        (PbmClient, "url login password"),
        (AssineClient, "base_url username password *client_id *client_secret *access_token"),
    ],
)
def test_constructor_signatures_spell_out_every_keyword(client: Any, own: str) -> None:
    """``inspect.signature`` (what ``help()`` shows) lists the shared keywords with their defaults."""
    params = list(inspect.signature(client).parameters.values())
    shown = [("*" if p.kind is p.KEYWORD_ONLY else "") + p.name for p in params]
    assert shown == [*own.split(), *(f"*{name}" for name, _ in OPTIONS)]
    assert [(p.name, p.default) for p in params[-len(OPTIONS) :]] == OPTIONS
    assert list(get_type_hints(ClientOptions)) == [name for name, _ in OPTIONS]
    assert str(inspect.signature(client)).endswith(
        "timeout: 'float' = 30.0, http_client: 'httpx.Client | None' = None, "
        "transport: 'httpx.BaseTransport | None' = None, sleep: 'Callable[[float], None]' = "
        "<built-in function sleep>, now: 'Callable[[], float]' = <built-in function time>, "
        f"random: 'Callable[[], float]' = {random.random!r}, "
        "retry_policy: 'type[RetryPolicy]' = "
        "<class 'specmock.contracts.clients._core.RetryPolicy'>) -> 'None'"
    )


# -- Banqer -------------------------------------------------------------------------------------


def banqer_with(pages: dict[str, dict[str, Any]]) -> tuple[BanqerClient, Recorder]:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "tok", "expires_in": 300})
        if request.url.path.startswith("/v1/fichas/"):
            return httpx.Response(200, json={"idFichaCobrancaExibicao": "7", "saldoDevedor": 1.5})
        if request.url.path == "/v1/credores":
            return httpx.Response(200, json={"credores": [{"nome": "A"}]})
        return httpx.Response(200, content=json.dumps(pages[request.url.params["pageToken"]]))

    recorder = Recorder(handle)
    return BanqerClient("acme", "id", "secret", transport=recorder.transport), recorder


def test_banqer_methods_and_pagination() -> None:
    client, rec = banqer_with(
        {
            "": {"total": 3, "fichas": [{"id": 1}, {"id": 2}], "avisos": ["x"], "nextPageToken": "b"},
            "b": {"fichas": [{"id": 3}], "nextPageToken": None},
        }
    )
    assert client.list_credores() == [{"nome": "A"}]
    assert client.get_ficha("8aa4b425-5fed-4cea-b970-044b36ea9d73")["saldoDevedor"] == 1.5
    assert [f["id"] for f in client.paginate("/v1/fichas", {"atrasoMin": 90, "skip": None})] == [1, 2, 3]
    pages = [r for r in rec.requests if r.url.path == "/v1/fichas"]
    assert [dict(r.url.params) for r in pages] == [
        {"atrasoMin": "90", "pageSize": "200", "pageToken": ""},
        {"atrasoMin": "90", "pageSize": "200", "pageToken": "b"},
    ]
    assert sum(r.url.path.endswith("/token") for r in rec.requests) == 1  # cached


def test_banqer_pagination_refuses_a_repeated_token() -> None:
    client, _ = banqer_with(
        {"": {"fichas": [1], "nextPageToken": "b"}, "b": {"fichas": [2], "nextPageToken": "b"}}
    )
    seen = []
    with pytest.raises(PaginationLoopError):
        seen.extend(client.paginate("/v1/fichas"))
    assert seen == [1, 2]


def test_banqer_pagination_with_an_explicit_key_and_a_page_without_items() -> None:
    client, _ = banqer_with({"": {"avisos": [], "fichas": [1], "nextPageToken": ""}})
    assert list(client.paginate("/v1/fichas", key="fichas")) == [1]
    client, _ = banqer_with({"": {"nextPageToken": ""}})
    with pytest.raises(BanqerError, match="no item array"):
        list(client.paginate("/v1/fichas"))


def test_banqer_non_json_success_is_a_typed_error() -> None:
    client = BanqerClient(
        "acme",
        "id",
        "secret",
        transport=httpx.MockTransport(
            lambda r: (
                httpx.Response(200, json={"access_token": "t", "expires_in": 60})
                if r.url.path.endswith("/token")
                else httpx.Response(200, content=b"<html>")
            )
        ),
    )
    with pytest.raises(BanqerError) as info:
        client.get("/v1/credores")
    assert (info.value.status, info.value.reason) == (200, "UNKNOWN")


# -- PBM ----------------------------------------------------------------------------------------


def pbm_with(now: float = 1_700_000_000.0) -> tuple[PbmClient, Recorder]:
    def handle(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        if "createToken" in body["query"]:
            token = jwt.encode(
                {"exp": int(now) + 3600}, "test-signing-key-of-at-least-32-bytes", algorithm="HS256"
            )
            return httpx.Response(200, json={"data": {"createToken": {"token": token}}})
        field = graphql.parse(body["query"]).definitions[0].selection_set.selections[0].name.value
        return httpx.Response(200, json={"data": {field: {"code": 0, "message": None, "status": "00"}}})

    recorder = Recorder(handle)
    return PbmClient(
        "http://pbm/graphql", "login", "password", transport=recorder.transport, now=lambda: now
    ), recorder


def test_pbm_operations_send_queries_the_spec_accepts() -> None:
    schema = graphql.build_schema(specs.read_text("pbm.graphql"))
    client, rec = pbm_with()
    assert client.get_medicines_for_treatment_start(126, 37) == {"code": 0, "message": None, "status": "00"}
    client.consult_program_form(126, 37)
    client.list_dynamics_fields_origin(126, 37)
    client.list_nested_questions(126, 99)
    client.register_patient(
        {
            "programCode": 126,
            "originCode": 37,
            "cpf": "12345678909",
            "ean": "7896026304276",
            "fields": [{"fieldName": "Nome", "value": 'Ana "A" \\ Silva'}],
        }
    )
    client.update_patient({"programCode": 126, "originCode": 37, "cpf": "12345678909"})
    client.insert_optin_external(
        {"programCode": 126, "originCode": 37, "cpf": "12345678909", "channel": None}
    )
    for request in rec.requests:
        body = json.loads(request.content)
        errors = graphql.validate(schema, graphql.parse(body["query"]))
        assert not errors, (body["query"], errors)
    tokens = [r for r in rec.requests if "createToken" in json.loads(r.content)["query"]]
    assert len(tokens) == 1 and "Authorization" not in tokens[0].headers
    assert json.loads(tokens[0].content)["variables"] == {"login": "login", "password": "password"}


def test_pbm_errors() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if "createToken" in json.loads(request.content)["query"]:
            return httpx.Response(200, json={"data": {"createToken": {"token": "opaque"}}})
        return httpx.Response(
            400, json={"errors": [{"message": "Syntax Error", "locations": [{"line": 1, "column": 1}]}]}
        )

    client = PbmClient("http://pbm/graphql", "l", "p", transport=httpx.MockTransport(handle))
    with pytest.raises(PbmGraphQLError) as info:
        client.execute("query {")
    assert (info.value.status, info.value.code, info.value.message) == (
        400,
        "GRAPHQL_VALIDATION_FAILED",
        "Syntax Error",
    )
    client = PbmClient(
        "http://pbm/graphql",
        "l",
        "p",
        transport=httpx.MockTransport(
            lambda r: (
                httpx.Response(200, json={"data": {"createToken": {"token": "opaque"}}})
                if "createToken" in r.content.decode()
                else httpx.Response(404, text="Not Found")
            )
        ),
    )
    with pytest.raises(PbmError) as err:
        client.execute("query { x }")
    assert (err.value.status, err.value.code) == (404, "UNKNOWN")


# -- Assine -------------------------------------------------------------------------------------


def assine_with(handle: Any, **kwargs: Any) -> tuple[AssineClient, Recorder]:
    def route(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth":
            grant = json.loads(request.content)["grant_type"]
            return httpx.Response(
                200,
                json={
                    "access_token": f"{grant}-access",
                    "refresh_token": "r1",
                    "expires_in": "86400",
                    "token_type": "Bearer",
                    "scope": "",
                },
            )
        return handle(request)

    recorder = Recorder(route)
    return AssineClient(
        "https://assine.example", "u@example.com", "pw", transport=recorder.transport, **kwargs
    ), recorder


def test_assine_hal_iteration_uses_the_configured_host() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        links: dict[str, Any] = {"self": {"href": f"http://localhost/v1/user?page={page}"}}
        if page < 3:
            query = [(k, v) for k, v in request.url.params.multi_items() if k != "page"] + [
                ("page", str(page + 1))
            ]
            links["next"] = {"href": str(httpx.URL("http://localhost/v1/user", params=query))}
        return httpx.Response(
            200, json={"_links": links, "_embedded": {"user": [{"id": page}]}, "page": page}
        )

    client, rec = assine_with(handle)
    from specmock.contracts.clients import F

    users = client.find("/v1/user", [F.eq("id", "$USER_ID")])
    assert [u["id"] for u in users] == [1, 2, 3]
    api = [r for r in rec.requests if r.url.path != "/oauth"]
    assert {r.url.host for r in api} == {"assine.example"}
    assert all(r.url.params["filter[0][value]"] == "$USER_ID" for r in api)
    assert all(r.headers["Authorization"] == "Bearer password-access" for r in api)


def test_assine_application_tokens() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(
                201,
                json={
                    "accessToken": "a" * 40,
                    "id": "5347",
                    "title": "Token created",
                    "status": 201,
                    "detail": "Access Token data",
                },
            )
        if request.method == "DELETE":
            return httpx.Response(204)
        return httpx.Response(
            200, json={"_links": {}, "_embedded": {"access_token": [{"id": "5320"}, {"id": "5347"}]}}
        )

    client, rec = assine_with(handle)
    expires = dt.datetime(2030, 1, 1, 20, 59, tzinfo=dt.timezone(dt.timedelta(hours=-3)))
    assert client.create_access_token("pw", expires)["id"] == "5347"
    assert [t["id"] for t in client.list_access_tokens()] == ["5320", "5347"]
    assert client.revoke_access_token(5347) is None
    post, _, delete = [r for r in rec.requests if r.url.path != "/oauth"]
    assert json.loads(post.content) == {"password": "pw", "expires": "2030-01-01 23:59:00"}
    assert (delete.method, delete.url.path) == ("DELETE", "/v1/access-token/5347")


def test_assine_401_tries_the_refresh_grant_then_the_password() -> None:
    answers = iter([401, 200])

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            next(answers), json={"title": "invalid_token", "status": 401, "detail": "expired"}
        )

    client, rec = assine_with(handle)
    client.get("/v1/user/1")
    grants = [json.loads(r.content)["grant_type"] for r in rec.requests if r.url.path == "/oauth"]
    assert grants == ["password", "refresh_token"]


def test_assine_application_token_mode_raises_401_at_once() -> None:
    rec = Recorder(
        lambda r: httpx.Response(401, json={"title": "invalid_token", "status": 401, "detail": "x"})
    )
    client = AssineClient("https://assine.example", access_token="b" * 40, transport=rec.transport)
    with pytest.raises(AssineProblem) as info:
        client.get("/v1/user")
    assert (info.value.status, info.value.title, len(rec.requests)) == (401, "invalid_token", 1)
    assert rec.requests[0].headers["Authorization"] == "Bearer " + "b" * 40
