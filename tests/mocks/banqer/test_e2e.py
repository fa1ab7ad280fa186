"""End to end on a real port: a client that follows Banqer's Node.js example step by step.

:class:`VendorFlow` is a line-by-line port of the vendor's ``banqer-client.mjs`` (token cache renewed
at 80 % of ``expires_in`` on the caller's wall clock; 401 -> new token, retried once; 429 -> wait
``Retry-After`` or 5 s; 5xx -> exponential backoff; at most 3 attempts; ``paginar`` with
``pageSize=200`` and ``pageToken=`` first). Instead of sleeping, it advances the mock's clock by
the time it would have waited, so the suite stays fast while the mock sees the time pass.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from specmock.mocks.config import MockConfig
from specmock.mocks.server import ServerThread
from tests.conformance import api_of, check_response
from tests.mocks.banqer.support import DOCUMENTED_FICHA_ID, make_app


class BanqerError(Exception):
    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(f"[{status} {reason}] {message}")
        self.status, self.reason = status, reason


class VendorFlow:
    def __init__(self, base: str, tenant: str, client_id: str, client_secret: str) -> None:
        self.api_base = f"{base}/banqer/{tenant}"
        self.auth_url = f"{base}/banqer-auth/realms/{tenant}/protocol/openid-connect/token"
        self.admin = f"{base}/__mock__"
        self.client_id, self.client_secret = client_id, client_secret
        self.token_cache: dict[str, Any] = {"access_token": None, "exp": 0.0}
        self.http = httpx.Client(timeout=30, event_hooks={"response": [self._conforms]})
        self.statuses: list[int] = []
        self.waited: list[float] = []
        self.token_requests = 0

    @staticmethod
    def _conforms(response: httpx.Response) -> None:
        api = api_of(response.request.url.path)
        if api is not None:
            response.read()
            check_response(api, response)

    def sleep(self, seconds: float) -> None:
        """The mock's clock moves instead of the test sleeping."""
        self.waited.append(seconds)
        self.http.post(f"{self.admin}/clock/advance", json={"seconds": seconds}).raise_for_status()

    def fetch_token(self) -> str:
        self.token_requests += 1
        response = self.http.post(
            self.auth_url,
            data={
                "grant_type": "client_credentials",
                "client_id": self.client_id,
                "client_secret": self.client_secret,
            },
        )
        if not response.is_success:
            raise RuntimeError(f"Token request failed: {response.status_code} {response.text}")
        body = response.json()
        self.token_cache["access_token"] = body["access_token"]
        self.token_cache["exp"] = time.time() + body["expires_in"] * 0.8  # Date.now(), as the vendor does
        return str(body["access_token"])

    def get_token(self) -> str:
        if self.token_cache["access_token"] and time.time() < self.token_cache["exp"]:
            return str(self.token_cache["access_token"])
        return self.fetch_token()

    def call(
        self, method: str, path: str, params: dict[str, Any] | None = None, max_attempts: int = 3
    ) -> Any:
        query = {k: v for k, v in (params or {}).items() if v is not None}
        attempt = 0
        refreshed = False
        while True:
            attempt += 1
            token = self.get_token()
            res = self.http.request(
                method, self.api_base + path, params=query, headers={"Authorization": f"Bearer {token}"}
            )
            self.statuses.append(res.status_code)
            if res.status_code == 401 and not refreshed:
                self.token_cache["access_token"] = None
                refreshed = True
                continue
            if res.status_code == 429 and attempt < max_attempts:
                self.sleep(float(res.headers.get("Retry-After") or 5))
                continue
            if 500 <= res.status_code < 600 and attempt < max_attempts:
                self.sleep(min(2**attempt * 1000 + random.random() * 1000, 30000) / 1000)
                continue
            if not res.is_success:
                try:
                    body = res.json()
                except ValueError:
                    body = {}
                details = body.get("details") or [{}]
                raise BanqerError(
                    res.status_code,
                    details[0].get("reason", "UNKNOWN"),
                    body.get("message", res.reason_phrase),
                )
            return res.json()

    def paginar(self, path: str, params: dict[str, Any] | None = None, page_size: int = 200) -> Iterator[Any]:
        token = ""
        while True:
            body = self.call("GET", path, {**(params or {}), "pageSize": page_size, "pageToken": token})
            array_key = next(k for k, v in body.items() if isinstance(v, list))
            yield from body[array_key]
            token = body.get("nextPageToken") or ""
            if not token:
                return


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    with ServerThread(make_app(MockConfig(banqer_token_ttl=60))) as running:
        yield running


@pytest.fixture
def flow(server: ServerThread) -> Iterator[VendorFlow]:
    httpx.post(f"{server.url}/__mock__/reset").raise_for_status()
    vendor = VendorFlow(server.url, "demo", "demo-client", "demo-secret")
    yield vendor
    vendor.http.close()


def test_token_list_detail_and_the_documented_iteration(flow: VendorFlow) -> None:
    credores = flow.call("GET", "/v1/credores")["credores"]
    assert len(credores) >= 6
    ficha = flow.call("GET", f"/v1/fichas/{DOCUMENTED_FICHA_ID}")
    assert isinstance(ficha["saldoDevedor"], float)
    overdue = list(flow.paginar("/v1/fichas", {"atrasoMin": 90}))
    assert overdue and all(f["diasAtraso"] >= 90 for f in overdue)
    assert len({f["idFichaCobrancaExibicao"] for f in overdue}) == len(overdue)
    first = overdue[0]
    assert flow.call("GET", f"/v1/fichas/{first['idFichaCobranca']}") == first
    every = list(flow.paginar("/v1/fichas", page_size=50))
    assert len(every) == 360
    assert flow.token_requests == 1 and set(flow.statuses) == {200}


def test_a_token_expired_on_the_mock_clock_is_refreshed_once(flow: VendorFlow, server: ServerThread) -> None:
    flow.call("GET", "/v1/credores")
    token = flow.token_cache["access_token"]
    httpx.post(f"{server.url}/__mock__/clock/advance", json={"seconds": 61}).raise_for_status()
    raw = httpx.get(f"{flow.api_base}/v1/credores", headers={"Authorization": f"Bearer {token}"})
    assert raw.status_code == 401 and 'error="invalid_token"' in raw.headers["www-authenticate"]
    assert flow.call("GET", "/v1/credores")["credores"]
    assert flow.statuses[-2:] == [401, 200]
    assert flow.token_requests == 2


def test_rate_limit_then_success_after_retry_after(flow: VendorFlow, server: ServerThread) -> None:
    httpx.post(
        f"{server.url}/__mock__/rate-limit", json={"api": "banqer", "limit": 2, "per_seconds": 30}
    ).raise_for_status()
    try:
        for _ in range(3):
            flow.call("GET", "/v1/credores")
    finally:
        httpx.post(
            f"{server.url}/__mock__/rate-limit", json={"api": "banqer", "limit": None}
        ).raise_for_status()
    assert flow.statuses == [200, 200, 429, 200]
    assert 1 <= flow.waited[0] <= 30


def test_a_queued_429_fault_then_success(flow: VendorFlow, server: ServerThread) -> None:
    httpx.post(
        f"{server.url}/__mock__/faults",
        json={"api": "banqer", "path": "/v1/fichas", "status": 429, "headers": {"Retry-After": "7"}},
    ).raise_for_status()
    assert flow.call("GET", "/v1/fichas", {"pageSize": 1})["fichas"]
    assert flow.statuses == [429, 200] and flow.waited == [7.0]


def test_two_503s_then_success(flow: VendorFlow, server: ServerThread) -> None:
    httpx.post(
        f"{server.url}/__mock__/faults",
        json={"api": "banqer", "path": "/v1/fichas/*", "status": 503, "times": 2},
    ).raise_for_status()
    ficha = flow.call("GET", f"/v1/fichas/{DOCUMENTED_FICHA_ID}")
    assert ficha["idFichaCobranca"] == DOCUMENTED_FICHA_ID
    assert flow.statuses == [503, 503, 200]
    assert len(flow.waited) == 2 and 2 <= flow.waited[0] <= 3 and 4 <= flow.waited[1] <= 5


def test_three_503s_exhaust_the_attempts(flow: VendorFlow, server: ServerThread) -> None:
    httpx.post(
        f"{server.url}/__mock__/faults",
        json={"api": "banqer", "path": "/v1/credores", "status": 503, "times": 3},
    ).raise_for_status()
    with pytest.raises(BanqerError) as raised:
        flow.call("GET", "/v1/credores")
    assert (raised.value.status, raised.value.reason) == (503, "UNAVAILABLE")


def test_missing_scope_is_reported_with_the_reason(server: ServerThread) -> None:
    httpx.post(f"{server.url}/__mock__/reset").raise_for_status()
    vendor = VendorFlow(server.url, "demo", "demo-credores", "demo-secret")
    with pytest.raises(BanqerError) as raised:
        vendor.call("GET", "/v1/fichas")
    assert (raised.value.status, raised.value.reason) == (403, "MISSING_SCOPE")
    assert vendor.call("GET", "/v1/credores")["credores"]


def test_wrong_credentials_fail_at_the_token_endpoint(server: ServerThread) -> None:
    vendor = VendorFlow(server.url, "demo", "demo-client", "wrong")
    with pytest.raises(RuntimeError, match=r"Token request failed: 401 .*invalid_client"):
        vendor.call("GET", "/v1/credores")


def test_non_ascii_authorization_on_the_wire_is_401(server: ServerThread) -> None:
    url = f"{server.url}/banqer/demo/v1/fichas"
    response = httpx.get(url, headers=[(b"Authorization", "Bearer ção".encode("latin-1"))])
    check_response("banqer", response)
    assert response.status_code == 401


def test_discovery_on_the_real_port(server: ServerThread) -> None:
    realm = f"{server.url}/banqer-auth/realms/demo"
    doc = httpx.get(f"{realm}/.well-known/openid-configuration").json()
    assert doc["issuer"] == realm
    # another spelling of the same host is echoed back as requested
    other = f"http://localhost:{server.port}/banqer-auth/realms/demo"
    assert httpx.get(f"{other}/.well-known/openid-configuration").json()["issuer"] == other
