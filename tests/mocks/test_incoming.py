"""Reading what a client sends: the request parsed for its mount, bodies under a limit, strict JSON."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.datastructures import Headers

from specmock.mocks.core.incoming import HEADER_NAME, HEADER_VALUE, parse_request, read_body, strict_json

_NAMES = st.sampled_from([b"authorization", b"prefer", b"content-type", b"x-a"])  # ASGI: lower case
_VALUES = st.binary(max_size=12)


@given(headers=st.lists(st.tuples(_NAMES, _VALUES), max_size=8),
       root=st.sampled_from(["", "/banqer/demo", "/pbm"]),
       rest=st.sampled_from(["", "/", "/v1/fichas", "/x/y"]), query=st.binary(max_size=20))
def test_a_parsed_request_reads_headers_as_starlette_does(
    headers: list[tuple[bytes, bytes]], root: str, rest: str, query: bytes
) -> None:
    scope = {"type": "http", "method": "GET", "path": root + rest, "root_path": root, "query_string": query,
             "headers": headers, "path_params": {"tenant": "demo"}}
    request = parse_request(scope)
    model = Headers(scope=scope)
    assert request.headers == {name: model[name] for name in model}  # the first of a repeated header
    assert request.path == rest
    assert request.full_path == root + rest
    assert request.query.encode("latin-1") == query
    assert request.path_params == {"tenant": "demo"}


@given(method=st.sampled_from(["GET", "HEAD", "POST", "DELETE"]),
       framing=st.sampled_from([[], [(b"content-length", b"0")], [(b"transfer-encoding", b"chunked")]]))
def test_only_a_bodiless_method_without_framing_headers_has_no_body(
    method: str, framing: list[tuple[bytes, bytes]]
) -> None:
    request = parse_request({"method": method, "path": "/", "headers": framing})
    assert request.has_body == (method in ("POST", "DELETE") or bool(framing))


def _receiver(chunks: list[bytes], disconnect: bool) -> Any:
    pending = list(chunks)

    async def receive() -> dict[str, Any]:
        if not pending:
            return {"type": "http.disconnect"} if disconnect else {"type": "http.request", "body": b""}
        chunk = pending.pop(0)
        more = bool(pending) or disconnect
        return {"type": "http.request", "body": chunk, "more_body": more}

    return receive


@given(chunks=st.lists(st.binary(max_size=30), max_size=5), limit=st.integers(0, 100),
       declared=st.none() | st.integers(0, 200), disconnect=st.booleans())
def test_a_body_is_read_whole_up_to_its_limit(
    chunks: list[bytes], limit: int, declared: int | None, disconnect: bool
) -> None:
    headers = {} if declared is None else {"content-length": str(declared)}
    body = asyncio.run(read_body(_receiver(chunks, disconnect), headers, limit))
    sent = b"".join(chunks)
    if (declared is not None and declared > limit) or len(sent) > limit:
        assert body.too_large and body.data == b""
        return
    assert not body.too_large
    assert body.data == sent
    assert body.complete == (not disconnect)


_SCALARS = (st.none() | st.booleans() | st.integers() | st.text(max_size=5)
            | st.floats(allow_nan=False, allow_infinity=False))


@given(st.recursive(_SCALARS, lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=3), inner, max_size=3), max_leaves=10))
def test_strict_json_reads_what_json_writes(value: Any) -> None:
    assert strict_json(json.dumps(value)) == value
    assert strict_json(json.dumps(value).encode("utf-8")) == value


@pytest.mark.parametrize("text", ["NaN", "[Infinity]", '{"a": -Infinity}', "1e999", "[-1e400]", "{", b"\xff"])
def test_strict_json_refuses_what_json_cannot_carry(text: str | bytes) -> None:
    with pytest.raises(ValueError):
        strict_json(text)


def test_the_header_rules_refuse_injection_and_take_tokens() -> None:
    assert HEADER_NAME.fullmatch("X-Retry_Count.1")
    assert not any(HEADER_NAME.fullmatch(name) for name in ("X Bad", "", "a" * 257, "x:y"))
    assert HEADER_VALUE.fullmatch("text/plain; q=0.5\twith tab")
    assert not HEADER_VALUE.fullmatch("a\r\nSet-Cookie: x") and not HEADER_VALUE.fullmatch("é")
