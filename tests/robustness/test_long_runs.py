"""Long runs stay flat: thousands of tokens, requests and callers leave every structure bounded.

A bounded version of the soak (the 100,000-request one is ``python -m bench soak``), in-process:
5,000 token issues across the three APIs under clock moves keep the token registry to the tokens
of the last hour (expired ones are purged and stay refused), the journal at its ``maxlen`` with an
exact ``total``, the rate-limit window map under its cap however many callers there are, and a
long stream of bad requests allocates nothing that lasts.
"""

from __future__ import annotations

import gc
import itertools
import tracemalloc
from collections.abc import Iterator

import httpx
import pytest

from specmock.mocks.app import create_app, create_state
from specmock.mocks.config import parse_config
from specmock.mocks.core.ratelimit import RateLimiter, RateLimitRule
from specmock.mocks.core.state import MockState
from specmock.mocks.transport import sync_transport
from tests.robustness import support

TTL = 300
#: Expired records are kept this long (so a client hears "expired", not "unknown"), then purged.
KEPT_AFTER_EXPIRY = 3600
PURGE_EVERY = 256
PBM_QUERY = "{ WsAcesso_consultProgramForm(args: {programCode: 126, originCode: 37}) { code } }"


@pytest.fixture
def mock() -> Iterator[tuple[MockState, httpx.Client]]:
    state = create_state(parse_config({"journal_size": 1000}).with_token_ttl(TTL))
    with httpx.Client(
        transport=sync_transport(create_app(state)), base_url="http://mock.test", timeout=support.TIMEOUT
    ) as client:
        yield state, client


def test_token_registry_stays_bounded_over_5000_issues_and_expiries(
    mock: tuple[MockState, httpx.Client],
) -> None:
    state, client = mock
    issued, largest, sent = 0, 0, 0
    step, move = 100, TTL + 1  # every 100 issues, the clock passes every lifetime issued so far
    old: list[tuple[str, str]] = []
    for round_number in itertools.count():
        for i in range(step):
            kind = ("banqer", "pbm", "assine")[(round_number + i) % 3]
            if kind == "banqer":
                token = support.banqer_token(client)
                issued += 1
            elif kind == "pbm":
                token = support.pbm_token(client)
                issued += 1
            else:
                token = support.assine_token(client)
                issued += 2  # a login token and a refresh token
            sent += 1
            if i == 0:
                old.append((kind, token))
        largest = max(largest, len(state.tokens))
        # Assine's refresh tokens live 14 days: move far enough now and then for them to end too.
        seconds = 15 * 86_400 if round_number % 10 == 9 else move
        assert client.post("/__mock__/clock/advance", json={"seconds": seconds}).status_code == 200
        if issued >= 5000:
            break
    live_window = (KEPT_AFTER_EXPIRY // move + 2) * step * 2 + PURGE_EVERY
    assert largest <= live_window, (largest, issued)
    assert len(state.tokens) <= live_window
    assert state.journal.total == sent and len(state.journal) == state.journal.maxlen == 1000

    for kind, token in old[:-1]:  # every expired token is still refused, purged or not
        if kind == "banqer":
            response = client.get("/banqer/demo/v1/credores", headers=support.bearer(token))
            assert response.status_code == 401, response.text
        elif kind == "pbm":
            response = client.post(
                "/pbm/graphql",
                headers=support.bearer(token),
                json={"query": PBM_QUERY},
            )
            assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        else:
            assert client.get("/assine/v1/user", headers=support.bearer(token)).status_code == 401


def test_rate_limit_windows_stay_bounded_however_many_callers() -> None:
    limiter = RateLimiter(max_windows=5_000)
    limiter.set_rule("banqer", RateLimitRule(2, 86_400))
    for n in range(30_000):
        assert limiter.hit("banqer", f"Bearer caller-{n}-" + "x" * 200, 1_000.0) is None
    assert len(limiter) <= 5_000
    # a caller still tracked keeps its honest count and Retry-After
    caller = "Bearer caller-29999-" + "x" * 200
    assert limiter.hit("banqer", caller, 1_000.0) is None
    assert limiter.hit("banqer", caller, 1_000.0) == 86_400 - 1_000
    # ended windows make room first
    assert limiter.hit("banqer", "Bearer next-day", 90_000.0) is None
    assert len(limiter) <= 5_000


def test_rate_limited_api_under_many_distinct_tokens_keeps_its_map_bounded(
    mock: tuple[MockState, httpx.Client],
) -> None:
    state, client = mock
    state.rate_limits.max_windows = 300
    assert (
        client.post(
            "/__mock__/rate-limit", json={"api": "banqer", "limit": 1, "per_seconds": 3600}
        ).status_code
        == 200
    )
    for n in range(1_500):
        response = client.get("/banqer/demo/v1/credores", headers={"Authorization": f"Bearer junk-{n}"})
        assert response.status_code == 401
        assert len(state.rate_limits) <= 300
    again = client.get("/banqer/demo/v1/credores", headers={"Authorization": "Bearer junk-1499"})
    assert again.status_code == 429 and int(again.headers["retry-after"]) >= 1


BAD_REQUESTS = [
    ("POST", "/pbm/graphql", b"[" * 3000, "application/json"),
    ("POST", "/pbm/graphql", b'{"query": "{ a { b { c } } }", "variables": {"x": NaN}}', "application/json"),
    ("POST", "/assine/oauth", b'{"grant_type": "password", "password": "\\ud800"}', "application/json"),
    (
        "POST",
        "/assine/v1/file",
        b"--B\r\nContent-Disposition: form-data; name=file\r\n\r\n%PDF",
        "multipart/form-data",
    ),
    (
        "POST",
        "/banqer-auth/realms/demo/protocol/openid-connect/token",
        b"grant_type=%ff&client_id=" + b"a" * 2000,
        "application/x-www-form-urlencoded",
    ),
    ("GET", "/banqer/demo/v1/fichas/..%2F..%2F__mock__%2Freset", b"", None),
    ("GET", "/banqer/%00/v1/fichas?pageSize=-1", b"", None),
    ("GET", "/assine/v1/user?filter[0][conditions][0][conditions][0][type]=andx&page=0", b"", None),
    ("POST", "/__mock__/faults", b'{"api": "banqer", "status": 100}', "application/json"),
    ("POST", "/__mock__/clock/advance", b'{"seconds": NaN}', "application/json"),
]


def test_a_stream_of_bad_requests_allocates_nothing_that_lasts(mock: tuple[MockState, httpx.Client]) -> None:
    state, client = mock

    def send(count: int) -> None:
        for method, path, body, kind in itertools.islice(itertools.cycle(BAD_REQUESTS), count):
            response = client.request(
                method,
                httpx.URL("http://mock.test" + path),
                content=body,
                headers={"Content-Type": kind} if kind else {},
            )
            support.check(response)

    send(1_500)  # fills the journal and every cache
    gc.collect()
    tracemalloc.start()
    try:
        # A whole journal's worth first: its entries (each with its answer) are then all traced ones, and
        # the next thousand replace them, so only what outlives the bounded journal counts as grown.
        send(1_000)
        gc.collect()
        baseline, _ = tracemalloc.get_traced_memory()
        send(1_000)
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - baseline
    finally:
        tracemalloc.stop()
    assert grown < 1_000_000, f"{grown} bytes still allocated after 1,000 more bad requests"
    assert len(state.journal) == state.journal.maxlen
