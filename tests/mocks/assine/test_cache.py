"""The listing caches' building blocks on their own: the bounded LRU map and the page joined from bytes."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, cast
from urllib.parse import urlencode

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from starlette.requests import Request

from specmock.mocks.assine.cache import LruCache
from specmock.mocks.assine.errors import ApiProblem, dump, dump_utf8
from specmock.mocks.assine.hal import Ctx, collection, encoded_collection

# -- LruCache against a plain model ---------------------------------------------------------------------

OPS = st.lists(st.one_of(
    st.tuples(st.just("put"), st.integers(0, 6), st.integers(0, 40)),
    st.tuples(st.just("get"), st.integers(0, 6), st.just(0)),
    st.tuples(st.just("clear"), st.just(0), st.just(0)),
), max_size=60)


@given(max_entries=st.integers(0, 5), max_cost=st.none() | st.integers(0, 80), ops=OPS)
def test_the_lru_cache_behaves_like_a_bounded_ordered_dict(max_entries: int, max_cost: int | None,
                                                         ops: list[tuple[str, int, int]]) -> None:
    cache: LruCache[int, str] = LruCache(max_entries, max_cost)
    model: OrderedDict[int, tuple[str, int]] = OrderedDict()
    for step, (op, key, cost) in enumerate(ops):
        if op == "clear":
            cache.clear()
            model.clear()
        elif op == "get":
            found = model.get(key)
            if found is not None:
                model.move_to_end(key)
            assert cache.get(key) == (found[0] if found else None)
        else:
            value = f"v{step}"
            model.pop(key, None)
            if max_entries and (max_cost is None or cost <= max_cost):
                model[key] = (value, cost)
                while len(model) > max_entries or (max_cost is not None
                                                   and sum(c for _, c in model.values()) > max_cost):
                    model.popitem(last=False)
            cache.put(key, value, cost)
        assert len(cache) == len(model) <= max_entries
        assert cache.cost == sum(c for _, c in model.values())
        assert max_cost is None or cache.cost <= max_cost


def test_negative_bounds_are_refused() -> None:
    with pytest.raises(ValueError):
        LruCache(-1)
    with pytest.raises(ValueError):
        LruCache(1, -1)


# -- a page joined from pre-encoded records is the page encoded whole ---------------------------------------

#: Text with what JSON encoding treats specially: quotes, escapes, control and non-ASCII characters,
#: U+2028, and lone surrogates (which force dump()'s ASCII fallback).
TEXT = st.text(st.sampled_from('aZ"\\/\n\t\x00\x7féçã€😀\u2028\ud800\udfff'), max_size=8)
JSON = st.recursive(st.none() | st.booleans() | st.integers(-10**12, 10**12) | TEXT,
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
                    max_leaves=8)
RECORDS = st.lists(st.dictionaries(TEXT, JSON, max_size=4), max_size=12)
QUERY = st.lists(st.tuples(st.sampled_from(["page_size", "filter[0][value]", "x", "page"]), TEXT),
                 max_size=3)


def _ctx(base: str, path: str, root: str, query: list[tuple[str, str]]) -> Ctx:
    query_string = urlencode(query, encoding="utf-8", errors="surrogatepass").encode("ascii")
    scope = {"type": "http", "method": "GET", "path": root + path, "root_path": root,
             "query_string": query_string, "headers": []}
    return Ctx(cast(Any, None), Request(scope), base, 0.0)


@given(records=RECORDS, name=TEXT, base=TEXT, path=TEXT, root=st.sampled_from(["", "/assine"]),
       query=QUERY, size=st.integers(1, 5), page=st.integers(1, 4))
def test_a_joined_page_is_byte_identical_to_the_page_encoded_whole(
    records: list[dict[str, Any]], name: str, base: str, path: str, root: str,
    query: list[tuple[str, str]], size: int, page: int,
) -> None:
    ctx = _ctx(base, path, root, query)
    try:
        whole = dump(collection(ctx, name, records, page, size, lambda r: r))
    except ApiProblem as error:  # a page past the last one: both refuse it alike
        assert error.status == 409
        with pytest.raises(ApiProblem, match="Invalid page provided"):
            encoded_collection(ctx, name, records, page, size, dump_utf8)
        return
    joined = encoded_collection(ctx, name, records, page, size, dump_utf8)
    event("ascii fallback" if joined is None else "joined")
    if joined is None:  # some text needs the ASCII fallback, which applies to the whole body
        assert whole.isascii() and dump_utf8(collection(ctx, name, records, page, size, lambda r: r)) is None
    else:
        assert joined == whole
