"""The journal is bounded by bytes, not only entries: oversized fields are cut with a visible marker,
the oldest entries go past the budget, and ``GET /__mock__/requests`` pages with a stable cursor."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from specmock.mocks.app import create_app, create_state
from specmock.mocks.config import parse_config
from specmock.mocks.core.journal import FIELD_CHARS, RESPONSE_PREVIEW, Journal, JournalEntry
from specmock.mocks.transport import sync_transport

MIB = 1 << 20


def entry(user_agent: str = "ua", path: str = "/x", body: Any = None, api: str = "pbm") -> JournalEntry:
    return JournalEntry(0, 0.0, api, "GET", path, "", {"user-agent": user_agent}, body)


def test_an_oversized_header_is_cut_with_a_marker() -> None:
    journal = Journal()
    kept = journal.add(entry("u" * (4 * MIB)))
    value = kept.headers["user-agent"]
    assert value.startswith("u" * FIELD_CHARS) and value.endswith(
        f"[cut: {4 * MIB - FIELD_CHARS} more characters]"
    )
    assert kept.size < 2 * FIELD_CHARS + RESPONSE_PREVIEW + 1024  # the answer kept later counts too


def test_a_hundred_4_mib_user_agents_keep_the_journal_small() -> None:
    journal = Journal(maxlen=1000, max_bytes=MIB)
    big = "u" * (4 * MIB)
    for _ in range(100):
        journal.add(entry(big, path="/" + "p" * (4 * MIB)))
    assert journal.total == 100
    assert journal.bytes <= MIB
    assert sum(len(json.dumps(e.to_dict())) for e in journal.entries()) < 2 * MIB


@settings(max_examples=60)
@given(
    st.lists(st.tuples(st.integers(0, 20_000), st.integers(0, 20_000)), min_size=1, max_size=60),
    st.integers(65_536, 400_000),
    st.integers(1, 40),
)
def test_the_byte_and_entry_bounds_always_hold(
    sizes: list[tuple[int, int]], budget: int, maxlen: int
) -> None:
    journal = Journal(maxlen=maxlen, max_bytes=budget)
    for ua, path in sizes:
        journal.add(entry("u" * ua, "/" + "p" * path))
        assert len(journal) <= maxlen
        assert journal.bytes <= budget or len(journal) == 1
        assert journal.bytes == sum(e.size for e in journal.entries())
    ids = [e.id for e in journal.entries()]
    assert ids == sorted(ids) and ids[-1] == len(sizes)


def test_pages_follow_the_cursor_without_gaps_or_repeats() -> None:
    journal = Journal(maxlen=500)
    for i in range(250):
        journal.add(entry(path=f"/{i}", api="pbm" if i % 2 else "assine"))
    seen: list[int] = []
    after = 0
    while True:
        page = journal.page(after=after, limit=40)
        seen.extend(e.id for e in page.entries)
        after = page.next
        if not page.more:
            break
    assert seen == list(range(1, 251))
    assert journal.page(after=after).entries == [] and journal.page(after=after).next == after
    only_pbm = journal.page(limit=1000, api="pbm").entries
    assert [e.path for e in only_pbm] == [f"/{i}" for i in range(1, 250, 2)]


def test_a_page_stops_at_its_byte_budget_but_always_holds_one_entry() -> None:
    journal = Journal(maxlen=1000, max_bytes=64 * MIB)
    for _ in range(500):
        journal.add(entry("u" * FIELD_CHARS, "/" + "p" * FIELD_CHARS))
    page = journal.page(limit=1000, max_bytes=MIB)
    assert page.more and 0 < sum(e.size for e in page.entries) <= MIB
    rest = journal.page(after=page.next, limit=1000, max_bytes=MIB)
    assert rest.entries[0].id == page.next + 1
    assert len(journal.page(limit=1, max_bytes=1).entries) == 1


def test_the_cursor_survives_clearing_the_journal() -> None:
    journal = Journal()
    for _ in range(5):
        journal.add(entry())
    cursor = journal.page().next
    journal.clear()
    journal.add(entry(path="/after"))
    page = journal.page(after=cursor)
    assert [(e.id, e.path) for e in page.entries] == [(6, "/after")] and page.oldest == 6


# -- over HTTP -----------------------------------------------------------------------------------------


@pytest.fixture
def client() -> httpx.Client:
    state = create_state(parse_config({"journal_bytes": MIB}))
    app = create_app(state)
    return httpx.Client(transport=sync_transport(app), base_url="http://testserver")


def test_requests_with_huge_user_agents_answer_a_small_listing(client: httpx.Client) -> None:
    big = "u" * (4 * MIB)
    with client:
        for _ in range(20):
            client.get("/pbm/graphql?query=%7B__typename%7D", headers={"User-Agent": big})
        listing = client.get("/__mock__/requests")
    assert listing.status_code == 200
    assert len(listing.content) < 2 * MIB
    body = listing.json()
    assert body["total"] == 20 and body["requests"]
    assert all("[cut: " in e["headers"]["user-agent"] for e in body["requests"])


def test_the_listing_pages_over_http(client: httpx.Client) -> None:
    with client:
        for _ in range(7):
            client.get("/pbm/graphql?query=%7B__typename%7D")
        first = client.get("/__mock__/requests", params={"limit": 3}).json()
        second = client.get("/__mock__/requests", params={"limit": 3, "after": first["next"]}).json()
        last = client.get("/__mock__/requests", params={"limit": 3, "after": second["next"]}).json()
    assert [len(p["requests"]) for p in (first, second, last)] == [3, 3, 1]
    assert first["more"] and second["more"] and not last["more"]
    ids = [e["id"] for p in (first, second, last) for e in p["requests"]]
    assert ids == sorted(set(ids)) and len(ids) == 7 and first["oldest"] == ids[0]


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "0"},
        {"limit": "1001"},
        {"limit": "x"},
        {"after": "-1"},
        {"after": "9" * 5000},
        {"limit": "²"},
    ],
)
def test_bad_paging_parameters_get_a_400_naming_them(client: httpx.Client, params: dict[str, str]) -> None:
    with client:
        response = client.get("/__mock__/requests", params=params)
    assert response.status_code == 400
    assert next(iter(params)) in response.json()["error"] and len(response.text) < 300
