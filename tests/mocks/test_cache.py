"""The one bounded cache against a plain model: a list in least-recently-used order."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from specmock.mocks.core.cache import BoundedCache

OPS = st.lists(st.one_of(
    st.tuples(st.just("put"), st.integers(0, 6), st.integers(0, 40)),
    st.tuples(st.just("get"), st.integers(0, 6), st.just(0)),
    st.tuples(st.just("clear"), st.just(0), st.just(0)),
), max_size=60)


class _Model:
    """What the cache must hold: ``[key, value, size]`` rows, least recently used first."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self.rows: list[tuple[int, str, int]] = []

    def get(self, key: int) -> str | None:
        for index, row in enumerate(self.rows):
            if row[0] == key:
                self.rows.append(self.rows.pop(index))
                return row[1]
        return None

    def put(self, key: int, value: str, size: int) -> None:
        self.rows = [row for row in self.rows if row[0] != key]
        if self.max_entries == 0 or size > self.max_bytes:
            return
        self.rows.append((key, value, size))
        while len(self.rows) > self.max_entries or self.bytes > self.max_bytes:
            self.rows.pop(0)

    @property
    def bytes(self) -> int:
        return sum(size for _, _, size in self.rows)


@given(max_entries=st.integers(0, 5), max_bytes=st.integers(0, 80), ops=OPS)
def test_the_cache_holds_what_the_model_holds(max_entries: int, max_bytes: int,
                                              ops: list[tuple[str, int, int]]) -> None:
    cache: BoundedCache[int, str] = BoundedCache(max_entries, max_bytes)
    model = _Model(max_entries, max_bytes)
    for step, (op, key, size) in enumerate(ops):
        if op == "clear":
            cache.clear()
            model.rows.clear()
        elif op == "get":
            assert cache.get(key) == model.get(key)
        else:
            cache.put(key, f"v{step}", size)
            model.put(key, f"v{step}", size)
        assert len(cache) == len(model.rows) <= max_entries
        assert cache.bytes == model.bytes <= max_bytes
        assert all(key in cache for key, _, _ in model.rows)


@given(st.lists(st.tuples(st.integers(0, 9), st.binary(max_size=40)), max_size=60), st.integers(0, 120))
def test_bytes_stored_are_bounded_by_their_length(puts: list[tuple[int, bytes]], budget: int) -> None:
    cache: BoundedCache[int, bytes] = BoundedCache(1000, budget)
    for key, value in puts:
        cache.put(key, value, len(value))
        assert cache.bytes <= budget
        if len(value) <= budget:
            assert cache.get(key) == value
        else:
            assert key not in cache


def test_bounds_and_sizes_must_not_be_negative() -> None:
    with pytest.raises(ValueError, match="negative"):
        BoundedCache(-1, 10)
    with pytest.raises(ValueError, match="negative"):
        BoundedCache(1, -1)
    with pytest.raises(ValueError, match="negative"):
        BoundedCache(1, 10).put("k", "v", -1)


def test_threads_sharing_a_cache_keep_it_in_bounds() -> None:
    cache: BoundedCache[int, bytes] = BoundedCache(50, 2000)
    errors: list[BaseException] = []

    def work(offset: int) -> None:
        try:
            for n in range(3000):
                key = (n * 7 + offset) % 200
                cache.put(key, bytes(key % 60), key % 60)
                value = cache.get((n + offset) % 200)
                assert value is None or len(value) == ((n + offset) % 200) % 60
        except BaseException as exc:  # reported below: a thread's assertion does not fail the test
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(offset,)) for offset in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(cache) <= 50 and cache.bytes <= 2000
    assert cache.bytes == sum(len(cache.get(key) or b"") for key in range(200) if key in cache)
