"""The token registry: bounded by count (oldest issued dropped first), expired records purged an hour
after expiry without a pass over the whole registry, every state answered as before."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from specmock.mocks.core.tokens import EXPIRED_KEPT_SECONDS, TokenRecord, TokenRegistry


def record(token_id: str, expires_at: float, api: str = "pbm") -> TokenRecord:
    return TokenRecord(api, token_id, expires_at, 0.0)


def test_the_count_bound_drops_the_oldest_issued_first() -> None:
    registry = TokenRegistry(max_records=100)
    for i in range(250):
        registry.issue(record(f"t{i}", 1e12), now=0)
    assert len(registry) == 100
    assert registry.get("pbm", "t149") is None and registry.get("pbm", "t150") is not None
    assert registry.active("pbm", "t249", now=0) is not None


def test_issuing_the_same_id_again_makes_it_the_newest() -> None:
    registry = TokenRegistry(max_records=3)
    for name in ("a", "b", "c", "a", "d"):
        registry.issue(record(name, 1e12), now=0)
    assert {r.token_id for r in registry.records()} == {"c", "a", "d"}


def test_expired_records_are_kept_an_hour_then_purged() -> None:
    registry = TokenRegistry()
    registry.issue(record("old", 100.0), now=0)
    for i in range(300):  # a purge runs every 256 issues
        registry.issue(record(f"n{i}", 1e12), now=100 + EXPIRED_KEPT_SECONDS - 1)
    assert registry.get("pbm", "old") is not None  # expired, still known as such
    assert registry.active("pbm", "old", now=200) is None
    for i in range(300):
        registry.issue(record(f"m{i}", 1e12), now=100 + EXPIRED_KEPT_SECONDS + 1)
    assert registry.get("pbm", "old") is None
    assert len(registry) == 600


def test_tokens_expired_all_at_once_are_purged_too() -> None:
    registry = TokenRegistry()
    for i in range(10):
        registry.issue(record(f"t{i}", 1e12), now=0)
    assert registry.expire_all(now=50) == 10
    for i in range(300):
        registry.issue(record(f"later{i}", 1e12), now=50 + EXPIRED_KEPT_SECONDS + 1)
    assert all(registry.get("pbm", f"t{i}") is None for i in range(10))


def test_the_expiry_heap_stays_bounded_when_records_are_dropped_unexpired() -> None:
    registry = TokenRegistry(max_records=50)
    for i in range(10_000):
        registry.issue(record(f"t{i}", 1e12), now=0)
    assert len(registry) == 50
    assert len(registry._expiry) <= 2 * 50 + 1024 + 1


@settings(max_examples=80)
@given(
    st.lists(
        st.tuples(st.sampled_from(["issue", "expire", "revoke"]), st.integers(0, 30), st.integers(0, 20_000)),
        max_size=400,
    ),
    st.integers(1, 40),
)
def test_the_registry_answers_like_a_plain_dict_within_its_bounds(
    steps: list[tuple[str, int, int]], bound: int
) -> None:
    """Whatever is still kept answers exactly as an unbounded, never-purged registry would."""
    registry = TokenRegistry(max_records=bound)
    model: dict[str, TokenRecord] = {}
    now = 0.0
    for action, key, ttl in steps:
        now += 7.0
        name = f"k{key}"
        if action == "issue":
            made = record(name, now + ttl)
            registry.issue(made, now)
            model[name] = record(name, now + ttl)
        elif action == "expire":
            registry.expire_all(now)
            for kept in model.values():
                kept.expires_at = min(kept.expires_at, now)
        elif registry.revoke("pbm", name):
            model[name].revoked = True
        assert len(registry) <= bound
        for kept in registry.records():
            expected = model[kept.token_id]
            assert (kept.expires_at, kept.revoked) == (expected.expires_at, expected.revoked)
            assert kept.expires_at > now - EXPIRED_KEPT_SECONDS - 7 * 256 - 20_000
