"""The validating proxy in front of a served mock (loopback only): clean traffic, drift, failures."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from specmock.contracts.clients import AssineClient, BanqerClient, PbmClient
from specmock.mocks.config import parse_config
from specmock.mocks.proxy import create_proxy_app, parse_targets
from specmock.mocks.server import ServerThread
from tests.mocks.proxy.support import TIMEOUT, Chain, ProxyThread, chain

FICHA = "8aa4b425-5fed-4cea-b970-044b36ea9d73"
PROGRAM_FORM = (
    "query { WsAcesso_consultProgramForm(args: {programCode: 126, originCode: 37}) { code message status } }"
)


@pytest.fixture(scope="module")
def served() -> Iterator[Chain]:
    with chain(parse_config({}).with_token_ttl(86_400)) as made:
        yield made


@pytest.fixture
def proxied(served: Chain) -> Chain:
    served.reset()
    return served


def banqer_token(proxied: Chain) -> dict[str, str]:
    answer = proxied.http.post(
        "/banqer-auth/realms/demo/protocol/openid-connect/token",
        data={"grant_type": "client_credentials", "client_id": "demo-client", "client_secret": "demo-secret"},
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def pbm_token(proxied: Chain) -> dict[str, str]:
    with PbmClient(
        f"{proxied.url}/pbm/graphql", "usuario_exemplo", "senha_exemplo", timeout=TIMEOUT
    ) as client:
        return {"Authorization": f"Bearer {client.create_token()}"}


def reference_traffic(url: str) -> int:
    """Every reference client's everyday calls through ``url``; the number of fichas read."""
    with BanqerClient(
        "demo",
        "demo-client",
        "demo-secret",
        api_base=f"{url}/banqer/demo",
        auth_base=f"{url}/banqer-auth",
        timeout=TIMEOUT,
    ) as banqer:
        assert banqer.list_credores()
        fichas = list(banqer.paginate("/v1/fichas", page_size=100))
        assert fichas
        assert banqer.get_ficha(fichas[0]["idFichaCobranca"])["saldoDevedor"] == fichas[0]["saldoDevedor"]
    with PbmClient(f"{url}/pbm/graphql", "usuario_exemplo", "senha_exemplo", timeout=TIMEOUT) as pbm:
        pbm.consult_program_form(126, 37)
        pbm.list_dynamics_fields_origin(126, 37)
        pbm.get_medicines_for_treatment_start(126, 37)
    with AssineClient(f"{url}/assine", "demo@empresa.example", "demo-password", timeout=TIMEOUT) as assine:
        assert assine.current_user()
        created = assine.create_access_token("demo-password", dt.datetime(2031, 1, 1, tzinfo=dt.UTC))
        assert assine.list_access_tokens()
        assine.revoke_access_token(created["id"])
    return len(fichas)


def test_clean_reference_traffic_gives_an_empty_report(proxied: Chain) -> None:
    fichas = reference_traffic(proxied.url)
    report = proxied.drift()
    assert report["drift"] == 0, proxied.findings()
    assert report["upstream_failures"] == []
    assert report["exchanges"] >= 12
    seen = {op["operation"] for op in report["operations"]}
    assert {
        "listCredores",
        "listFichas",
        "getFicha",
        "createToken",
        "WsAcesso_consultProgramForm",
        "createAccessToken",
    } <= seen, seen
    held = {item["assumption"]: item for item in report["assumptions"]}
    # Money (saldoDevedor's JSON type) is exercised by every page of fichas and the detail.
    money = held["banqer.openapi.yaml#/components/schemas/Money"]
    assert money["verdict"] == "held" and money["contradicted"] == 0
    assert money["held"] >= fichas // 100 + 1
    assert all(item["verdict"] == "held" for item in report["assumptions"])
    assert any(name.startswith("pbm.graphql#") for name in held)


def test_the_same_bytes_reach_the_client_as_from_the_mock(proxied: Chain) -> None:
    auth = banqer_token(proxied)
    direct = httpx.get(f"{proxied.mock.url}/banqer/demo/v1/fichas?atrasoMin=90&pageSize=7", headers=auth)
    through = proxied.http.get("/banqer/demo/v1/fichas?atrasoMin=90&pageSize=7", headers=auth)
    assert through.status_code == direct.status_code == 200
    assert through.content == direct.content
    assert through.headers["content-type"] == direct.headers["content-type"]


async def echo_headers(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """An upstream answering with the request's headers and body as JSON."""
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if scope["path"].endswith("/stream"):  # three chunks, no Content-Length: chunked on the wire
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]}
        )
        for part in (b"one,", b"two,", b"three"):
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return
    if scope["path"].endswith("/large"):
        big = b"x" * (9 * 1024 * 1024)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": big})
        return
    content = json.dumps(
        {
            "headers": [[k.decode(), v.decode()] for k, v in scope["headers"]],
            "path": scope["path"],
            "raw_path": scope.get("raw_path", b"").decode(),
            "query": scope["query_string"].decode(),
            "body": body.decode(),
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"x-upstream", b"yes"),
                (b"keep-alive", b"timeout=9"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": content})


def test_hop_by_hop_headers_are_dropped_and_the_rest_passes_unchanged() -> None:
    with ServerThread(echo_headers) as upstream:  # type: ignore[arg-type]
        app = create_proxy_app(parse_targets(["banqer"], [f"{upstream.url}/base/{{tenant}}"]))
        with ProxyThread(app) as proxy, httpx.Client(base_url=proxy.url, timeout=TIMEOUT) as http:
            answer = http.post(
                "/banqer/acme/v1/fichas%2Fx?a=1&b=%C3%A7",
                content=b'{"x": 1}',
                headers={
                    "Content-Type": "application/json",
                    "X-Trace": "abc-1",
                    "Keep-Alive": "timeout=5",
                    "Connection": "keep-alive, X-Drop-Me",
                    "X-Drop-Me": "1",
                    "TE": "trailers",
                },
            )
    assert answer.status_code == 200
    echoed = answer.json()
    headers = dict(echoed["headers"])
    assert headers["x-trace"] == "abc-1" and headers["content-type"] == "application/json"
    assert not {"keep-alive", "x-drop-me", "te"} & set(headers)
    assert headers["host"] == upstream.url.split("://", 1)[1]
    sent = {k.lower() for k in answer.request.headers} - {
        "keep-alive",
        "x-drop-me",
        "te",
        "connection",
        "host",
    }
    assert set(headers) - {"host", "connection"} == sent  # nothing added, nothing else dropped
    assert (echoed["raw_path"], echoed["query"], echoed["body"]) == (
        "/base/acme/v1/fichas%2Fx",
        "a=1&b=%C3%A7",
        '{"x": 1}',
    )
    assert answer.headers["x-upstream"] == "yes" and "keep-alive" not in answer.headers
    # the upstream's own Date and Server, each once: the proxy's server adds none beside them
    assert len(answer.headers.get_list("date")) == 1 and len(answer.headers.get_list("server")) == 1


def test_streamed_and_large_answers_pass_whole() -> None:
    with ServerThread(echo_headers) as upstream:  # type: ignore[arg-type]
        app = create_proxy_app(parse_targets(["banqer"], [f"{upstream.url}/{{tenant}}"]))
        with ProxyThread(app) as proxy, httpx.Client(base_url=proxy.url, timeout=TIMEOUT) as http:
            with http.stream("GET", "/banqer/acme/stream") as streamed:
                parts = list(streamed.iter_raw())
            large = http.get("/banqer/acme/large")
            report = http.get("/__mock__/drift").json()
    assert b"".join(parts) == b"one,two,three"
    assert large.status_code == 200 and len(large.content) == 9 * 1024 * 1024
    assert report["exchanges"] == 2 and report["upstream_failures"] == []


def test_a_streamed_request_body_reaches_the_upstream_whole() -> None:
    with ServerThread(echo_headers) as upstream:  # type: ignore[arg-type]
        app = create_proxy_app(parse_targets(["banqer"], [f"{upstream.url}/{{tenant}}"]))
        with ProxyThread(app) as proxy, httpx.Client(base_url=proxy.url, timeout=TIMEOUT) as http:
            answer = http.post(  # no Content-Length: chunked from the client, chunked to the upstream
                "/banqer/acme/v1/fichas",
                content=iter([b'{"valor": ', b"1", b"}"]),
                headers={"Content-Type": "application/json"},
            )
    assert answer.status_code == 200
    echoed = answer.json()
    headers = dict(echoed["headers"])
    assert echoed["body"] == '{"valor": 1}'
    assert headers["transfer-encoding"] == "chunked" and "content-length" not in headers
    assert headers["content-type"] == "application/json"


def _asgi_get(path: str) -> dict[str, Any]:
    return {
        "type": "http",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(b"host", b"localhost:8081")],
    }


async def _no_body() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _answer_held_back(app: Any, release: asyncio.Event) -> asyncio.Task[None]:
    """A request forwarded through ``app`` whose client takes the last chunk only on ``release``;
    returned once the proxy is sending that chunk."""
    last_sent = asyncio.Event()

    async def slow_client(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body" and not message.get("more_body"):
            last_sent.set()
            await release.wait()

    forwarded = asyncio.create_task(app(_asgi_get("/banqer/acme/v1/nada"), _no_body, slow_client))
    await asyncio.wait_for(last_sent.wait(), TIMEOUT)
    return forwarded


@pytest.mark.parametrize("reader", ["drift report", "shutdown"])
def test_an_answer_on_its_way_is_in_the_report_before_it_is_read(reader: str) -> None:
    # The answer came whole from the upstream; its client has not taken the last chunk yet. Its
    # check does not wait for that client: the report (or the shutdown) has it at once.
    async def scenario(upstream: str) -> tuple[bool, int]:
        app = create_proxy_app(parse_targets(["banqer"], [f"{upstream}/{{tenant}}"]))
        release = asyncio.Event()
        forwarded = await _answer_held_back(app, release)
        out: list[dict[str, Any]] = []

        async def collect(message: dict[str, Any]) -> None:
            out.append(message)

        if reader == "drift report":
            read = asyncio.create_task(app(_asgi_get("/__mock__/drift"), _no_body, collect))
        else:
            stages = iter([{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])

            async def lifespan() -> dict[str, Any]:
                return next(stages)

            read = asyncio.create_task(app({"type": "lifespan"}, lifespan, collect))
        await asyncio.wait({read}, timeout=TIMEOUT)
        answered_first = read.done() and not forwarded.done()
        release.set()
        await asyncio.wait_for(asyncio.gather(forwarded, read), TIMEOUT)
        await app.aclose()
        if reader == "drift report":
            return answered_first, json.loads(out[-1]["body"])["exchanges"]
        assert out[-1]["type"] == "lifespan.shutdown.complete"
        return answered_first, app.report.exchanges

    with ServerThread(echo_headers) as upstream:  # type: ignore[arg-type]
        answered_first, exchanges = asyncio.run(scenario(upstream.url))
    assert answered_first and exchanges == 1


def test_a_client_gone_while_sending_its_body_is_neither_answered_nor_reported() -> None:
    async def scenario(upstream: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        app = create_proxy_app(parse_targets(["banqer"], [f"{upstream}/{{tenant}}"]))
        sent: list[dict[str, Any]] = []
        messages = iter(
            [{"type": "http.request", "body": b'{"valor":', "more_body": True}, {"type": "http.disconnect"}]
        )

        async def receive() -> dict[str, Any]:
            return next(messages)

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = dict(_asgi_get("/banqer/acme/v1/fichas"), method="POST")
        scope["headers"] = [(b"host", b"proxy.test"), (b"content-length", b"100")]
        await asyncio.wait_for(app(scope, receive, send), TIMEOUT)
        await app.aclose()
        return sent, app.report.to_dict()

    with ServerThread(echo_headers) as upstream:  # type: ignore[arg-type]
        sent, report = asyncio.run(scenario(upstream.url))
    assert sent == []
    assert report["exchanges"] == 0 and report["upstream_failures"] == []


def test_a_request_body_the_spec_refuses_is_named(proxied: Chain) -> None:
    with AssineClient(f"{proxied.url}/assine", "demo@empresa.example", "demo-password", timeout=TIMEOUT) as c:
        token = c.login()
    proxied.http.delete("/__mock__/drift")
    proxied.http.post(
        "/assine/v1/access-token",
        json={"password": "demo-password"},
        headers={"Authorization": f"Bearer {token}"},
    )
    findings = [f for f in proxied.findings() if f["kind"] == "request"]
    assert [(f["operation"], f["pointer"], f["seen"], f["assumed"]) for f in findings] == [
        (
            "createAccessToken",
            "assine.openapi.yaml#/components/schemas/AccessTokenCreateRequest/required",
            "member 'expires' missing",
            False,
        )
    ]
    assert "demo-password" not in proxied.http.get("/__mock__/drift").text


def test_redirects_are_passed_to_the_client_not_followed(proxied: Chain) -> None:
    auth = banqer_token(proxied)
    proxied.fault(
        api="banqer", path="/v1/credores", status=302, headers={"Location": "/elsewhere"}, body="moved"
    )
    answer = proxied.http.get("/banqer/demo/v1/credores", headers=auth)
    assert answer.status_code == 302
    assert answer.headers["location"] == "/elsewhere"
    assert [f["kind"] for f in proxied.findings()] == ["status"]  # and 302 is not declared


# -- drift: one altered answer, one finding ------------------------------------------------------

BANQER = "banqer.openapi.yaml#"
PBM_SCHEMA = "pbm.responses.schema.json#"

CASES: dict[str, dict[str, Any]] = {
    "a body missing a required, assumed member": {
        "fault": {"api": "banqer", "path": "/v1/fichas", "status": 200, "body": {"nextPageToken": "x"}},
        "request": ("banqer", "/banqer/demo/v1/fichas"),
        "expect": {
            "operation": "listFichas",
            "kind": "body",
            "pointer": BANQER + "/components/schemas/FichaPage/required",
            "assumed": True,
            "assumption": BANQER + "/components/schemas/FichaPage/properties/fichas",
        },
    },
    "a body missing a required public member": {
        "fault": {"api": "banqer", "path": "/v1/credores", "status": 200, "body": {"nextPageToken": "x"}},
        "request": ("banqer", "/banqer/demo/v1/credores"),
        "expect": {
            "operation": "listCredores",
            "kind": "body",
            "pointer": BANQER + "/components/schemas/CredorPage/required",
            "assumed": False,
            "assumption": None,
        },
    },
    "a value of an assumed JSON type": {
        "fault": {
            "api": "banqer",
            "path": f"/v1/fichas/{FICHA}",
            "status": 200,
            "body": {"idFichaCobrancaExibicao": "123", "saldoDevedor": "1534.27"},
        },
        "request": ("banqer", f"/banqer/demo/v1/fichas/{FICHA}"),
        "expect": {
            "operation": "getFicha",
            "kind": "body",
            "pointer": BANQER + "/components/schemas/Money/type",
            "assumed": True,
            "assumption": BANQER + "/components/schemas/Money",
        },
    },
    "an undeclared status": {
        "fault": {"api": "banqer", "path": f"/v1/fichas/{FICHA}", "status": 418},
        "request": ("banqer", f"/banqer/demo/v1/fichas/{FICHA}"),
        "expect": {
            "operation": "getFicha",
            "kind": "status",
            "pointer": BANQER + "/paths/~1v1~1fichas~1{id}/get/responses",
            "assumed": False,
            "assumption": None,
        },
    },
    "a wrong content type": {
        "fault": {
            "api": "banqer",
            "path": "/v1/credores",
            "status": 200,
            "body": "<p>ok</p>",
            "headers": {"Content-Type": "text/html"},
        },
        "request": ("banqer", "/banqer/demo/v1/credores"),
        "expect": {
            "operation": "listCredores",
            "kind": "content-type",
            "pointer": BANQER + "/components/responses/CredorPage/content",
            "assumed": False,
            "assumption": None,
        },
    },
    "a 401 without its assumed challenge header": {
        "fault": {
            "api": "banqer",
            "path": "/v1/credores",
            "status": 401,
            "body": {"message": "Não autorizado.", "details": [{"reason": "UNAUTHENTICATED"}]},
        },
        "request": ("banqer", "/banqer/demo/v1/credores"),
        "expect": {
            "operation": "listCredores",
            "kind": "header",
            "pointer": BANQER + "/components/headers/WwwAuthenticateInvalidToken",
            "assumed": True,
            "assumption": BANQER + "/components/headers/WwwAuthenticateInvalidToken",
        },
    },
    "a PBM UNAUTHENTICATED error of another shape": {
        "fault": {
            "api": "pbm",
            "path": "*",
            "status": 200,
            "body": {
                "errors": [
                    {
                        "message": "Token expired",
                        "path": ["WsAcesso_consultProgramForm"],
                        "extensions": {
                            "code": "UNAUTHENTICATED",
                            "originalError": {"message": "Unauthorized", "statusCode": 401},
                        },
                    }
                ],
                "data": None,
            },
        },
        "request": ("pbm", PROGRAM_FORM),
        "expect": {
            "operation": "WsAcesso_consultProgramForm",
            "kind": "body",
            "pointer": PBM_SCHEMA + "/$defs/UnauthenticatedError/properties/message/const",
            "assumed": False,
            "assumption": None,
        },
    },
    "a PBM field of another type than the SDL's": {
        "fault": {
            "api": "pbm",
            "path": "*",
            "status": 200,
            "body": {
                "data": {"WsAcesso_consultProgramForm": {"code": "zero", "message": None, "status": "00"}}
            },
        },
        "request": ("pbm", PROGRAM_FORM),
        "expect": {
            "operation": "WsAcesso_consultProgramForm",
            "kind": "body",
            "pointer": "pbm.graphql#WsAcesso_ProgramFormResponse.code",
            "assumed": True,
            "assumption": "pbm.graphql#WsAcesso_ProgramFormResponse.code",
        },
    },
}


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_an_altered_answer_gives_exactly_its_finding(proxied: Chain, case: str) -> None:
    spec = CASES[case]
    api, target = spec["request"]
    headers = banqer_token(proxied) if api == "banqer" else pbm_token(proxied)
    proxied.http.delete("/__mock__/drift")
    proxied.fault(**spec["fault"])
    if api == "banqer":
        answer = proxied.http.get(target, headers=headers)
    else:
        answer = proxied.http.post("/pbm/graphql", json={"query": target}, headers=headers)
    assert answer.status_code == spec["fault"]["status"]
    findings = proxied.findings()
    assert len(findings) == 1, findings
    found = findings[0]
    assert {key: found[key] for key in spec["expect"]} == spec["expect"], found
    assert found["count"] == 1 and found["spec"] and found["seen"]
    verdicts = {item["assumption"]: item["verdict"] for item in proxied.drift()["assumptions"]}
    if found["assumed"]:
        assert verdicts[found["assumption"]] == "contradicted"
    # the journal shows the finding on its request
    entries = proxied.http.get("/__mock__/requests").json()["requests"]
    flagged = [e for e in entries if e["extra"].get("findings")]
    assert len(flagged) == 1 and flagged[0]["extra"]["findings"][0]["pointer"] == found["pointer"]
    # ...and says why, as the mock's journal does (the shape its page reads)
    one = proxied.http.get(f"/__mock__/requests/{flagged[0]['id']}").json()
    assert one["why"]["by"] == "proxy" and one["why"]["check"] == "drift"
    assert [p["field"] for p in one["why"]["problems"]] == [found["pointer"]]
    assert all(e["why"] is None for e in entries if e is not flagged[0] and not e["extra"].get("findings"))


def test_request_drift_names_the_parameter(proxied: Chain) -> None:
    auth = banqer_token(proxied)
    proxied.http.delete("/__mock__/drift")
    assert proxied.http.get("/banqer/demo/v1/fichas?pageSize=abc", headers=auth).status_code == 400
    [found] = proxied.findings()
    assert found["kind"] == "request"
    assert found["pointer"] == BANQER + "/components/parameters/PageSize"
    assert found["seen"] == "a string of 3 characters"


def test_seen_values_are_described_not_copied(proxied: Chain) -> None:
    auth = banqer_token(proxied)
    proxied.fault(
        api="banqer",
        path=f"/v1/fichas/{FICHA}",
        status=200,
        body={
            "idFichaCobrancaExibicao": "1",
            "saldoDevedor": 1.5,
            "devedor": {"nome": "Maria da Silva", "cpfCnpj": "529.982.247-25"},
        },
    )
    proxied.http.get(f"/banqer/demo/v1/fichas/{FICHA}", headers=auth)
    [found] = proxied.findings()
    assert found["pointer"] == BANQER + "/components/schemas/CpfCnpj/pattern"
    report = proxied.http.get("/__mock__/drift").text + proxied.http.get("/__mock__/drift?format=md").text
    assert "529" not in report and "Maria" not in report


# -- upstream failures ----------------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_upstream_is_a_502_in_each_apis_shape_and_not_drift() -> None:
    base = f"http://127.0.0.1:{_closed_port()}"
    apis = ["banqer", "banqer-auth", "pbm", "assine"]
    app = create_proxy_app(
        parse_targets(apis, [f"{base}/b/{{tenant}}", f"{base}/a", f"{base}/p", f"{base}/s"])
    )
    with ProxyThread(app) as proxy, httpx.Client(base_url=proxy.url, timeout=TIMEOUT) as http:
        banqer = http.get("/banqer/demo/v1/credores")
        assert banqer.status_code == 502 and banqer.json()["details"][0]["reason"] == "UNAVAILABLE"
        realm = http.post("/banqer-auth/realms/demo/protocol/openid-connect/token", data={"a": "b"})
        assert realm.status_code == 502 and realm.json()["error"]
        pbm = http.post("/pbm/graphql", json={"query": "{ __typename }"})
        assert pbm.status_code == 502 and pbm.json()["errors"][0]["extensions"]["code"]
        assine = http.get("/assine/v1/user")
        assert assine.status_code == 502
        assert assine.headers["content-type"].startswith("application/problem+json")
        assert assine.json()["status"] == 502
        report = http.get("/__mock__/drift").json()
    assert report["drift"] == 0
    failures = report["upstream_failures"]
    assert sum(f["count"] for f in failures) == 4
    assert {f["kind"] for f in failures} == {"connection refused"}
    assert {(f["api"], f["request"]) for f in failures} >= {("banqer", "GET /v1/credores")}


def test_a_mount_parameter_that_makes_no_valid_upstream_url_is_a_502_not_a_crash() -> None:
    app = create_proxy_app(parse_targets(["banqer"], ["http://127.0.0.1:{tenant}/api"]))
    with ProxyThread(app) as proxy, httpx.Client(base_url=proxy.url, timeout=TIMEOUT) as http:
        bad = http.get("/banqer/not-a-port/v1/credores")
        refused = http.get(f"/banqer/{_closed_port()}/v1/credores")
        report = http.get("/__mock__/drift").json()
    assert bad.status_code == 502 and bad.json()["details"][0]["reason"] == "UNAVAILABLE"
    assert "invalid upstream URL" in bad.json()["message"]
    assert refused.status_code == 502 and "connection refused" in refused.json()["message"]
    assert report["drift"] == 0
    kinds = sorted(f["kind"] for f in report["upstream_failures"])
    assert kinds == ["connection refused", "invalid upstream URL"]


def test_a_tls_failure_is_a_502_named_so() -> None:
    with ServerThread(echo_headers) as plain:  # type: ignore[arg-type]
        https = plain.url.replace("http://", "https://")  # a TLS handshake with a plain-HTTP server
        app = create_proxy_app(parse_targets(["banqer"], [https + "/{tenant}"]))
        with ProxyThread(app) as proxy, httpx.Client(base_url=proxy.url, timeout=TIMEOUT) as http:
            answer = http.get("/banqer/demo/v1/credores")
            report = http.get("/__mock__/drift").json()
    assert answer.status_code == 502 and answer.json()["details"][0]["reason"] == "UNAVAILABLE"
    assert "TLS error" in answer.json()["message"]
    assert report["drift"] == 0
    assert [(f["kind"], f["answered"]) for f in report["upstream_failures"]] == [("TLS error", 502)]


def test_an_upstream_too_slow_is_a_504(served: Chain) -> None:
    served.reset()
    app = create_proxy_app(parse_targets(["assine"], [f"{served.mock.url}/assine"]), timeout=0.3)
    served.fault(api="assine", path="/v1/user", status=200, delay_ms=2000)
    with ProxyThread(app) as proxy:
        answer = httpx.get(f"{proxy.url}/assine/v1/user", timeout=TIMEOUT)
        report = httpx.get(f"{proxy.url}/__mock__/drift", timeout=TIMEOUT).json()
    assert answer.status_code == 504
    assert answer.json()["status"] == 504
    assert report["drift"] == 0
    assert [(f["kind"], f["answered"]) for f in report["upstream_failures"]] == [("timeout", 504)]


# -- the proxy's own endpoints ------------------------------------------------------------------


def test_paths_outside_the_mounts_and_admin_errors_are_clear(proxied: Chain) -> None:
    outside = proxied.http.get("/elsewhere")
    assert outside.status_code == 404 and "/banqer/{tenant}" in outside.json()["error"]
    assert proxied.http.post("/__mock__/drift").status_code == 405
    assert proxied.http.get("/__mock__/nothing").status_code == 404
    markdown = proxied.http.get("/__mock__/drift?format=markdown")
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert markdown.text.startswith("# Drift report")


def test_unknown_operations_are_one_finding_and_the_report_stays_bounded(proxied: Chain) -> None:
    auth = banqer_token(proxied)
    proxied.http.delete("/__mock__/drift")
    for n in range(30):
        proxied.http.get(f"/banqer/demo/v1/nada-{n}", headers=auth)
        proxied.http.post("/pbm/graphql", json={"query": f"{{ campo{n} }}"})
    report = proxied.drift()
    assert report["exchanges"] == 60
    by_operation = {(op["api"], op["operation"]): op for op in report["operations"]}
    assert set(by_operation) == {("banqer", "(none)"), ("pbm", "(none)")}
    [unknown] = by_operation[("banqer", "(none)")]["findings"]
    assert unknown["kind"] == "unknown-operation" and unknown["count"] == 30
    assert unknown["pointer"] == BANQER + "/paths"
    [invalid] = by_operation[("pbm", "(none)")]["findings"]
    assert invalid["kind"] == "graphql" and invalid["count"] == 30
