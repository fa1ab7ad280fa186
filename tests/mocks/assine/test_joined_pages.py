"""A listing page joined from each record's encoded bytes is the page encoded whole."""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import urlencode

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from starlette.requests import Request

from specmock.mocks.assine.errors import ApiProblem, dump, dump_utf8
from specmock.mocks.assine.hal import Ctx, collection, encoded_collection

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
