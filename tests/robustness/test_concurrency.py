"""Many concurrent clients on one mock: no lost or duplicated records, faults fire exactly ``times``,
revoked and expired tokens stay refused, and the journal counts every request.

Each test runs :data:`WORKERS` threads, each with its own keep-alive ``httpx.Client`` (bounded by
a timeout), against a mock served on 127.0.0.1, while another thread queues faults and moves the
clock; each finishes well within :data:`BUDGET` seconds.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import httpx
import pytest

from tests.robustness import support
from tests.robustness.support import Served, bearer

WORKERS = 24
T = TypeVar("T")
ASSINE_PASSWORD = support.DEMO_ASSINE[1]
FAR_EXPIRY = "2099-12-31 23:59:59"


@pytest.fixture
def mock() -> Iterator[Served]:
    with support.serve(support.long_lived()) as served:
        yield served
        served.assert_no_server_errors()


def run_workers(mock: Served, work: Callable[[httpx.Client, int], T], workers: int = WORKERS) -> list[T]:
    """``work(client, index)`` on ``workers`` threads at once, each with its own client; the results."""
    barrier = threading.Barrier(workers)

    def one(index: int) -> T:
        with httpx.Client(base_url=mock.url, timeout=support.TIMEOUT) as client:
            barrier.wait(timeout=support.TIMEOUT)
            return work(client, index)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(one, range(workers)))


class Chaos(threading.Thread):
    """Moves the clock (by less than any token's lifetime) and queues faults until stopped."""

    def __init__(self, mock: Served, faults: list[dict[str, Any]]) -> None:
        super().__init__(name="chaos", daemon=True)
        self.url = mock.url
        self.faults = faults
        self.stopped = threading.Event()
        self.queued = threading.Event()
        self.error: BaseException | None = None
        self.moves = 0

    def run(self) -> None:
        try:
            with httpx.Client(base_url=self.url, timeout=support.TIMEOUT) as client:
                for fault in self.faults:
                    assert client.post("/__mock__/faults", json=fault).status_code == 201
                self.queued.set()
                while not self.stopped.wait(0.005):
                    assert client.post("/__mock__/clock/advance", json={"seconds": 1}).status_code == 200
                    self.moves += 1
        except BaseException as exc:  # re-raised in the test's thread
            self.error = exc
            self.queued.set()

    def __enter__(self) -> Chaos:
        self.start()
        self.queued.wait(support.TIMEOUT)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.join(timeout=support.TIMEOUT)
        if self.error is not None:
            raise self.error


def all_pages(client: httpx.Client, path: str, key: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        response = client.get(path, params={"page": page, "page_size": 100}, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        items += body["_embedded"][key]
        if page >= body["page_count"]:
            return items
        page += 1


# -- Assine application tokens ------------------------------------------------------------------------


def test_application_tokens_created_listed_and_revoked_concurrently(mock: Served) -> None:
    per_worker = 5
    faulted_creates = 7
    client = mock.client()
    login = support.assine_token(client)
    auth = bearer(login)

    def work(worker: httpx.Client, index: int) -> dict[str, Any]:
        created: list[dict[str, Any]] = []
        statuses: Counter[int] = Counter()
        while len(created) < per_worker:
            response = worker.post(
                "/assine/v1/access-token",
                json={"password": ASSINE_PASSWORD, "expires": FAR_EXPIRY},
                headers=auth,
            )
            statuses[response.status_code] += 1
            if response.status_code == 201:
                created.append(response.json())
            else:
                assert response.status_code == 503, response.text
            assert worker.get("/assine/v1/access-token", headers=auth).status_code == 200
        revoked = created[: per_worker // 2 + index % 2]
        for item in revoked:
            response = worker.delete(f"/assine/v1/access-token/{item['id']}", headers=auth)
            assert response.status_code == 204, response.text
        return {"created": created, "revoked": {item["id"] for item in revoked}, "statuses": statuses}

    fault = {
        "api": "assine",
        "method": "POST",
        "path": "/v1/access-token",
        "status": 503,
        "times": faulted_creates,
    }
    with Chaos(mock, [fault]):
        results = run_workers(mock, work)

    created = [item for result in results for item in result["created"]]
    revoked = set().union(*(result["revoked"] for result in results))
    statuses = sum((result["statuses"] for result in results), Counter())
    assert statuses[503] == faulted_creates  # the fault fired exactly its times
    assert statuses[201] == len(created) == WORKERS * per_worker
    ids = [item["id"] for item in created]
    assert len(set(ids)) == len(ids), "duplicated ids"
    assert len({item["accessToken"] for item in created}) == len(created), "duplicated tokens"

    listed = {item["id"] for item in all_pages(client, "/assine/v1/access-token", "access_token", auth)}
    assert {i for i in ids if i not in revoked} <= listed, "lost records"
    assert not listed & revoked, "revoked tokens still listed"
    assert len(listed) == len(ids) - len(revoked) + 1  # and the login token itself

    def check_tokens(worker: httpx.Client, index: int) -> None:
        for item in created[index::WORKERS]:
            response = worker.get(
                "/assine/v1/user", params={"page_size": 1}, headers=bearer(item["accessToken"])
            )
            assert response.status_code == (401 if item["id"] in revoked else 200), response.text

    run_workers(mock, check_tokens)


# -- faults ---------------------------------------------------------------------------------------------

TARGETS = {
    "banqer": ("/v1/fichas", "/banqer/demo/v1/fichas"),
    "banqer-auth": (
        "/realms/demo/protocol/openid-connect/certs",
        "/banqer-auth/realms/demo/protocol/openid-connect/certs",
    ),
    "pbm": ("/graphql", "/pbm/graphql?query=%7B__typename%7D"),
    "assine": ("/v1/user", "/assine/v1/user"),
}


@pytest.mark.parametrize("api", sorted(TARGETS))
def test_a_fault_fires_exactly_its_times_among_concurrent_requests(mock: Served, api: str) -> None:
    times, per_worker = 37, 4
    pattern, url = TARGETS[api]
    admin = mock.client()
    response = admin.post(
        "/__mock__/faults",
        json={"api": api, "path": pattern, "status": 418, "times": times, "headers": {"X-Fault": "yes"}},
    )
    assert response.status_code == 201, response.text

    def work(worker: httpx.Client, index: int) -> list[int]:
        answers = []
        for _ in range(per_worker):
            answer = worker.get(url)
            assert (answer.status_code == 418) == (answer.headers.get("x-fault") == "yes")
            answers.append(answer.status_code)
        return answers

    statuses = Counter(status for answers in run_workers(mock, work) for status in answers)
    assert statuses[418] == times, statuses
    assert sum(statuses.values()) == WORKERS * per_worker
    assert admin.get("/__mock__/faults").json()["faults"] == []


def test_prefer_and_several_faults_interleave_without_losing_count(mock: Served) -> None:
    admin = mock.client()
    for status, times in ((503, 11), (429, 13)):
        assert (
            admin.post(
                "/__mock__/faults",
                json={"api": "banqer", "path": "/v1/credores", "status": status, "times": times},
            ).status_code
            == 201
        )

    def work(worker: httpx.Client, index: int) -> list[int]:
        headers = {"Prefer": "code=500"} if index % 4 == 0 else {}
        return [worker.get("/banqer/demo/v1/credores", headers=headers).status_code for _ in range(3)]

    statuses = Counter(status for answers in run_workers(mock, work) for status in answers)
    preferred = 3 * len(range(0, WORKERS, 4))
    assert statuses[500] == preferred  # Prefer answers first and does not consume a fault
    assert (statuses[503], statuses[429]) == (11, 13)
    assert statuses[401] == WORKERS * 3 - preferred - 24


# -- Banqer and PBM: tokens, paging, expiry -------------------------------------------------------------


def test_tokens_and_paging_under_clock_moves_and_faults(mock: Served) -> None:
    client = mock.client()
    expected = [
        f["idFichaCobranca"]
        for f in client.get(
            "/banqer/demo/v1/fichas", params={"pageSize": 1000}, headers=bearer(support.banqer_token(client))
        ).json()["fichas"]
    ]
    total = mock.state.config.banqer_fichas_per_tenant
    assert len(expected) == min(total, 200)

    def work(worker: httpx.Client, index: int) -> dict[str, Any]:
        banqer = support.banqer_token(worker)
        pbm = support.pbm_token(worker)
        seen: list[str] = []
        token, pages = "", 0
        while True:
            response = worker.get(
                "/banqer/demo/v1/fichas",
                params={"pageSize": 7 + index, "pageToken": token},
                headers=bearer(banqer),
            )
            if response.status_code == 503:  # a queued fault: ask again for the same page
                continue
            assert response.status_code == 200, response.text
            body = response.json()
            seen += [f["idFichaCobranca"] for f in body["fichas"]]
            token, pages = body.get("nextPageToken", ""), pages + 1
            if not token:
                break
        answer = worker.post("/pbm/graphql", json={"query": "{ __typename }"}, headers=bearer(pbm))
        assert answer.status_code == 200, answer.text
        return {"seen": seen, "banqer": banqer, "pbm": pbm}

    faults = [
        {"api": "banqer", "path": "/v1/fichas", "status": 503, "times": 20},
        {
            "api": "banqer-auth",
            "path": "/realms/demo/protocol/openid-connect/certs",
            "status": 500,
            "times": 5,
        },
    ]
    with Chaos(mock, faults) as chaos:
        results = run_workers(mock, work)
    assert chaos.moves > 0
    for result in results:
        assert len(result["seen"]) == total and len(set(result["seen"])) == total, "lost or repeated fichas"
        assert result["seen"][: len(expected)] == expected
    banqer_tokens = {r["banqer"] for r in results}
    pbm_tokens = {r["pbm"] for r in results}
    assert len(banqer_tokens) == len(pbm_tokens) == WORKERS

    assert client.post("/__mock__/tokens/expire").status_code == 200

    def refused(worker: httpx.Client, index: int) -> None:
        result = results[index]
        response = worker.get("/banqer/demo/v1/credores", headers=bearer(result["banqer"]))
        assert response.status_code == 401, response.text
        answer = worker.post(
            "/pbm/graphql",
            headers=bearer(result["pbm"]),
            json={
                "query": "{ WsAcesso_consultProgramForm(args: {programCode: 126, originCode: 37}) { code } }"
            },
        )
        assert answer.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", answer.text

    run_workers(mock, refused)


def test_tokens_expire_when_a_concurrent_clock_move_passes_their_lifetime(mock: Served) -> None:
    client = mock.client()
    tokens = run_workers(mock, lambda worker, index: support.banqer_token(worker))
    moved = threading.Event()

    def work(worker: httpx.Client, index: int) -> list[int]:
        statuses = []
        token = tokens[index]
        for _ in range(20):
            statuses.append(worker.get("/banqer/demo/v1/credores", headers=bearer(token)).status_code)
            if index == 0 and len(statuses) == 5:
                assert worker.post("/__mock__/clock/advance", json={"seconds": 86_401}).status_code == 200
                moved.set()
            if moved.is_set() and statuses[-1] == 401:
                break
        return statuses

    results = run_workers(mock, work)
    assert moved.is_set()
    for statuses in results:
        assert set(statuses) <= {200, 401}
        if 401 in statuses:  # once refused, never accepted again
            assert 200 not in statuses[statuses.index(401) :]
    for token in tokens:
        assert client.get("/banqer/demo/v1/credores", headers=bearer(token)).status_code == 401


# -- the journal ------------------------------------------------------------------------------------


def test_the_journal_counts_every_concurrent_request(mock: Served) -> None:
    admin = mock.client()
    assert admin.post("/__mock__/faults", json={"api": "pbm", "status": 502, "times": 9}).status_code == 201
    assert admin.delete("/__mock__/requests").status_code == 204
    paths = [
        "/banqer/demo/v1/fichas",
        "/banqer-auth/realms/demo/protocol/openid-connect/certs",
        "/pbm/graphql?query=%7B__typename%7D",
        "/assine/v1/user",
        "/banqer/nope/v1/x",
        "/assine/v1/nope",
    ]
    per_worker = 10

    def work(worker: httpx.Client, index: int) -> int:
        for i in range(per_worker):
            worker.get(paths[(index + i) % len(paths)])
        return per_worker

    sent = sum(run_workers(mock, work))
    listing = admin.get("/__mock__/requests")
    assert listing.status_code == 200
    body = listing.json()
    assert body["total"] == sent == mock.state.journal.total
    assert len(body["requests"]) == min(sent, mock.state.journal.maxlen)
    assert len({entry["id"] for entry in body["requests"]}) == len(body["requests"])
    assert all(entry["status"] for entry in body["requests"])
    assert sum(1 for entry in body["requests"] if entry["fault"]) == 9
