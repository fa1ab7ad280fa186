"""The proxy's upstream client against raw loopback servers that write HTTP byte by byte.

The servers parse requests with h11 (another parser than the client's) and write their answers as
raw bytes, split where a test says, so framing, chunk boundaries, keep-alive and connection loss
are exactly what each test asks for.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import h11
import pytest
from hypothesis import given
from hypothesis import strategies as st

from specmock.mocks.proxy.upstream_client import (
    Answer,
    UpstreamClient,
    UpstreamFailure,
    UpstreamTimeout,
    split_url,
)

TIMEOUT = 5.0


@dataclass
class Seen:
    """One request as the server parsed it."""

    method: bytes
    target: bytes
    headers: list[tuple[bytes, bytes]]
    body: bytes
    connection: int  # which accepted connection it came on (0, 1, ...)
    index: int  # its place on that connection (0, 1, ...)


#: Writes the answer to a request; returns False to close the connection after it.
Handler = Callable[[Seen, asyncio.StreamWriter], Awaitable[bool]]


@dataclass
class RawServer:
    handler: Handler
    tls: ssl.SSLContext | None = None
    seen: list[Seen] = field(default_factory=list)
    accepted: int = 0
    server: asyncio.Server | None = None
    serving: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def port(self) -> int:
        assert self.server is not None
        return int(self.server.sockets[0].getsockname()[1])

    def url(self, path: str = "/") -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}{path}"

    async def __aenter__(self) -> RawServer:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.tls)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        for task in self.serving:
            task.cancel()
        await asyncio.gather(*self.serving, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        number, self.accepted = self.accepted, self.accepted + 1
        task = asyncio.current_task()
        assert task is not None
        self.serving.add(task)
        leftover = b""
        try:
            for index in range(1000):
                parser = h11.Connection(h11.SERVER)
                if leftover:  # b"" would tell h11 the connection closed
                    parser.receive_data(leftover)
                request: h11.Request | None = None
                body = b""
                while True:
                    event = parser.next_event()
                    if event is h11.NEED_DATA:
                        data = await reader.read(65536)
                        if not data:
                            return
                        parser.receive_data(data)
                    elif isinstance(event, h11.Request):
                        request = event
                    elif isinstance(event, h11.Data):
                        body += bytes(event.data)
                    elif isinstance(event, h11.EndOfMessage):
                        break
                leftover = bytes(parser.trailing_data[0])
                assert request is not None
                headers = list(request.headers.raw_items())
                seen = Seen(request.method, request.target, headers, body, number, index)
                self.seen.append(seen)
                if not await self.handler(seen, writer):
                    break
                await writer.drain()
        except (ConnectionError, h11.RemoteProtocolError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
            self.serving.discard(task)


def answer_bytes(status: int = 200, headers: list[tuple[str, str]] | None = None, body: bytes = b"") -> bytes:
    head = [f"HTTP/1.1 {status} X"] + [f"{n}: {v}" for n, v in (headers or [])]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def fixed(data: bytes, keep: bool = True) -> Handler:
    async def handler(seen: Seen, writer: asyncio.StreamWriter) -> bool:
        writer.write(data)
        return keep

    return handler


async def fetch(
    client: UpstreamClient,
    url: str,
    method: bytes = b"GET",
    headers: list[tuple[bytes, bytes]] | None = None,
    body: AsyncIterator[bytes] | None = None,
    chunked: bool = False,
) -> tuple[Answer, bytes]:
    origin, target = split_url(url)
    answer = await client.send(method, origin, target, headers or [], body, chunked=chunked)
    got = b"".join([chunk async for chunk in answer.chunks()])
    answer.release()
    return answer, got


def run(scenario: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(scenario(), 30))


async def pieces(parts: list[bytes]) -> AsyncIterator[bytes]:
    for part in parts:
        await asyncio.sleep(0)
        yield part


# -- framing and chunk boundaries -----------------------------------------------------------------


def _chunked(parts: list[bytes]) -> bytes:
    return b"".join(b"%x\r\n%b\r\n" % (len(p), p) for p in parts if p) + b"0\r\n\r\n"


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


@given(
    parts=st.lists(st.binary(max_size=300), max_size=8),
    cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=6),
    framing=st.sampled_from(["chunked", "length", "close"]),
)
def test_a_body_arrives_whole_whatever_its_framing_and_where_the_writes_split_it(
    parts: list[bytes], cuts: list[int], framing: str
) -> None:
    body = b"".join(parts)
    if framing == "chunked":
        raw = answer_bytes(200, [("Transfer-Encoding", "chunked")], _chunked(parts))
    elif framing == "length":
        raw = answer_bytes(200, [("Content-Length", str(len(body)))], body)
    else:  # no length: the body ends with the connection
        raw = answer_bytes(200, [], body)

    async def handler(seen: Seen, writer: asyncio.StreamWriter) -> bool:
        for piece in _split(raw, cuts):
            writer.write(piece)
            await writer.drain()
            await asyncio.sleep(0)
        return framing != "close"

    async def scenario() -> None:
        async with RawServer(handler) as server:
            client = UpstreamClient(timeout=TIMEOUT)
            for _ in range(2):  # the second one reuses the connection unless the body ended with it
                answer, got = await fetch(client, server.url("/x"))
                assert (answer.status, got) == (200, body)
            assert server.accepted == (2 if framing == "close" else 1)
            await client.aclose()

    run(scenario)


_TOKEN = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12).filter(
    lambda n: n not in ("host", "content-length", "transfer-encoding", "connection")
)
_VALUE = st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40)


@given(headers=st.lists(st.tuples(_TOKEN, _VALUE), max_size=10))
def test_header_sets_pass_unchanged_both_ways(headers: list[tuple[str, str]]) -> None:
    raw = [(n.encode(), v.encode()) for n, v in headers]

    async def handler(seen: Seen, writer: asyncio.StreamWriter) -> bool:
        writer.write(answer_bytes(200, [*headers, ("Content-Length", "2")], b"ok"))
        return True

    async def scenario() -> None:
        async with RawServer(handler) as server:
            client = UpstreamClient(timeout=TIMEOUT)
            answer, got = await fetch(client, server.url("/h?q=1"), headers=raw)
            assert got == b"ok"
            assert answer.headers[: len(raw)] == raw
            seen = server.seen[0]
            assert seen.target == b"/h?q=1"
            assert seen.headers == [(b"host", f"127.0.0.1:{server.port}".encode()), *[
                (n.lower(), v) for n, v in raw]]
            await client.aclose()

    run(scenario)


@given(parts=st.lists(st.binary(min_size=1, max_size=200), max_size=6), chunked=st.booleans())
def test_a_streamed_request_body_reaches_the_upstream_whole(parts: list[bytes], chunked: bool) -> None:
    body = b"".join(parts)
    headers = [] if chunked else [(b"content-length", str(len(body)).encode())]

    async def scenario() -> None:
        async with RawServer(fixed(answer_bytes(201, [("Content-Length", "0")]))) as server:
            client = UpstreamClient(timeout=TIMEOUT)
            answer, _ = await fetch(client, server.url(), b"POST", headers, pieces(parts), chunked=chunked)
            assert answer.status == 201
            assert server.seen[0].body == body
            framing = dict(server.seen[0].headers)
            assert (b"transfer-encoding" in framing) == chunked
            await client.aclose()

    run(scenario)


# -- answers without a body, keep-alive, connection loss ------------------------------------------


@pytest.mark.parametrize(
    ("method", "status", "headers"),
    [
        (b"HEAD", 200, [("Content-Length", "1234")]),
        (b"HEAD", 200, [("Transfer-Encoding", "chunked")]),
        (b"GET", 204, []),
        (b"GET", 304, [("ETag", '"v1"')]),
    ],
)
def test_answers_without_a_body_end_at_their_head_and_keep_the_connection(
    method: bytes, status: int, headers: list[tuple[str, str]]
) -> None:
    async def scenario() -> None:
        async with RawServer(fixed(answer_bytes(status, headers))) as server:
            client = UpstreamClient(timeout=TIMEOUT)
            for _ in range(3):
                answer, got = await fetch(client, server.url(), method)
                assert (answer.status, got) == (status, b"")
                assert [(n.decode(), v.decode()) for n, v in answer.headers] == headers
            assert server.accepted == 1
            await client.aclose()

    run(scenario)


def test_an_informational_answer_is_skipped_for_the_one_that_follows() -> None:
    raw = b"HTTP/1.1 100 Continue\r\n\r\n" + answer_bytes(200, [("Content-Length", "3")], b"yes")

    async def scenario() -> None:
        async with RawServer(fixed(raw)) as server:
            client = UpstreamClient(timeout=TIMEOUT)
            answer, got = await fetch(client, server.url())
            assert (answer.status, got, answer.headers) == (200, b"yes", [(b"Content-Length", b"3")])
            await client.aclose()

    run(scenario)


def test_connection_close_is_honoured_and_the_next_request_opens_a_new_one() -> None:
    raw = answer_bytes(200, [("Content-Length", "2"), ("Connection", "close")], b"ok")

    async def scenario() -> None:
        async with RawServer(fixed(raw, keep=False)) as server:
            client = UpstreamClient(timeout=TIMEOUT)
            for _ in range(3):
                assert (await fetch(client, server.url()))[1] == b"ok"
            assert server.accepted == 3
            await client.aclose()

    run(scenario)


def _dies_on_second_request(answer: bytes) -> Handler:
    """Answers the first request of each connection; drops the connection on the second one, after
    reading it and without a byte of answer (a keep-alive connection the server had just timed out)."""

    async def handler(seen: Seen, writer: asyncio.StreamWriter) -> bool:
        if seen.index > 0:
            return False
        writer.write(answer)
        return True

    return handler


@pytest.mark.parametrize("method", [b"GET", b"PUT", b"DELETE"])
def test_a_dead_pooled_connection_is_retried_for_idempotent_methods(method: bytes) -> None:
    async def scenario() -> None:
        handler = _dies_on_second_request(answer_bytes(200, [("Content-Length", "2")], b"ok"))
        async with RawServer(handler) as server:
            client = UpstreamClient(timeout=TIMEOUT)
            assert (await fetch(client, server.url(), method))[1] == b"ok"
            assert (await fetch(client, server.url(), method))[1] == b"ok"  # retried on a fresh one
            assert server.accepted == 2
            assert [(s.connection, s.index) for s in server.seen] == [(0, 0), (0, 1), (1, 0)]
            await client.aclose()

    run(scenario)


def test_a_dead_pooled_connection_is_not_retried_for_a_post_that_went_out() -> None:
    async def scenario() -> None:
        handler = _dies_on_second_request(answer_bytes(200, [("Content-Length", "2")], b"ok"))
        async with RawServer(handler) as server:
            client = UpstreamClient(timeout=TIMEOUT)
            length = [(b"content-length", b"2")]
            assert (await fetch(client, server.url(), b"POST", length, pieces([b"{}"])))[1] == b"ok"
            with pytest.raises(UpstreamFailure) as failed:
                await fetch(client, server.url(), b"POST", length, pieces([b"{}"]))
            assert failed.value.kind == "upstream protocol error"
            assert len(server.seen) == 2  # sent once, never twice
            await client.aclose()

    run(scenario)


def test_a_connection_the_upstream_closed_while_idle_is_not_used_for_any_method() -> None:
    async def scenario() -> None:
        closed = answer_bytes(200, [("Content-Length", "2")], b"ok")  # no Connection: close, yet closed
        async with RawServer(fixed(closed, keep=False)) as server:
            client = UpstreamClient(timeout=TIMEOUT)
            assert (await fetch(client, server.url()))[1] == b"ok"
            await asyncio.sleep(0.05)  # the close reaches the client while the connection is idle
            length = [(b"content-length", b"2")]
            assert (await fetch(client, server.url(), b"POST", length, pieces([b"{}"])))[1] == b"ok"
            assert server.accepted == 2 and len(server.seen) == 2
            await client.aclose()

    run(scenario)


@pytest.mark.parametrize(
    "raw",
    [
        answer_bytes(200, [("Content-Length", "10")], b"short"),
        answer_bytes(200, [("Transfer-Encoding", "chunked")], b"5\r\nhello\r\n"),
    ],
    ids=["length", "chunked"],
)
def test_an_answer_cut_off_fails_and_is_not_taken_for_complete(raw: bytes) -> None:
    async def scenario() -> None:
        async with RawServer(fixed(raw, keep=False)) as server:
            client = UpstreamClient(timeout=TIMEOUT)
            origin, target = split_url(server.url())
            answer = await client.send(b"GET", origin, target, [])
            with pytest.raises(UpstreamFailure) as failed:
                async for _ in answer.chunks():
                    pass
            assert failed.value.kind == "answer cut off"
            answer.close()
            await client.aclose()

    run(scenario)


def test_garbage_from_the_upstream_is_a_protocol_error() -> None:
    async def scenario() -> None:
        async with RawServer(fixed(b"SSH-2.0-OpenSSH_9.6\r\n\r\n", keep=False)) as server:
            client = UpstreamClient(timeout=TIMEOUT)
            with pytest.raises(UpstreamFailure) as failed:
                await fetch(client, server.url())
            assert failed.value.kind == "upstream protocol error"
            await client.aclose()

    run(scenario)


def test_a_silent_upstream_times_out_and_frees_its_slot() -> None:
    async def silent(seen: Seen, writer: asyncio.StreamWriter) -> bool:
        await asyncio.sleep(5)
        return False

    async def scenario() -> None:
        async with RawServer(silent) as server:
            client = UpstreamClient(timeout=0.2, max_connections=1)
            for _ in range(2):  # the second one gets the only slot back
                with pytest.raises(UpstreamTimeout):
                    await fetch(client, server.url())
            await client.aclose()

    run(scenario)


def test_the_body_streams_before_the_upstream_has_finished() -> None:
    go_on = asyncio.Event()

    async def slow(seen: Seen, writer: asyncio.StreamWriter) -> bool:
        writer.write(answer_bytes(200, [("Transfer-Encoding", "chunked")], b"5\r\nfirst\r\n"))
        await writer.drain()
        await go_on.wait()
        writer.write(b"4\r\nlast\r\n0\r\n\r\n")
        return True

    async def scenario() -> None:
        async with RawServer(slow) as server:
            client = UpstreamClient(timeout=TIMEOUT)
            origin, target = split_url(server.url())
            answer = await client.send(b"GET", origin, target, [])
            chunks = answer.chunks()
            assert await anext(chunks) == b"first"  # while the upstream still holds the rest
            go_on.set()
            assert [c async for c in chunks] == [b"last"]
            answer.release()
            await client.aclose()

    run(scenario)


def test_a_large_body_read_slowly_arrives_whole() -> None:
    body = bytes(range(256)) * 40_000  # about 10 MiB: the socket is paused and resumed on the way

    async def scenario() -> None:
        raw = answer_bytes(200, [("Content-Length", str(len(body)))], body)
        async with RawServer(fixed(raw)) as server:
            client = UpstreamClient(timeout=TIMEOUT)
            origin, target = split_url(server.url())
            answer = await client.send(b"GET", origin, target, [])
            got = bytearray()
            async for chunk in answer.chunks():
                got += chunk
                if len(got) < 4 * 1024 * 1024:
                    await asyncio.sleep(0.001)
            answer.release()
            assert bytes(got) == body
            await client.aclose()

    run(scenario)


# -- TLS -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A server context for 127.0.0.1 and a client context trusting only its CA."""
    trustme = pytest.importorskip("trustme", reason="the TLS tests need trustme (pip install trustme)")
    authority = trustme.CA()
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(served)
    trusting = ssl.create_default_context()
    authority.configure_trust(trusting)
    return served, trusting


def test_an_https_upstream_with_a_trusted_certificate_answers(
    certificate: tuple[ssl.SSLContext, ssl.SSLContext],
) -> None:
    served, trusting = certificate

    async def scenario() -> None:
        raw = answer_bytes(200, [("Transfer-Encoding", "chunked")], _chunked([b"over ", b"tls"]))
        async with RawServer(fixed(raw), tls=served) as server:
            client = UpstreamClient(timeout=TIMEOUT, tls=trusting)
            for _ in range(2):
                assert (await fetch(client, server.url()))[1] == b"over tls"
            assert server.accepted == 1
            await client.aclose()

    run(scenario)


@pytest.mark.parametrize("verify", [True, False])
def test_an_untrusted_certificate_is_a_tls_error_unless_checks_are_off(
    certificate: tuple[ssl.SSLContext, ssl.SSLContext], verify: bool
) -> None:
    served, _ = certificate

    async def scenario() -> None:
        ok = answer_bytes(200, [("Content-Length", "2")], b"ok")
        async with RawServer(fixed(ok), tls=served) as server:
            client = UpstreamClient(timeout=TIMEOUT, verify_tls=verify)  # the system CAs only
            if verify:
                with pytest.raises(UpstreamFailure) as failed:
                    await fetch(client, server.url())
                assert failed.value.kind == "TLS error"
            else:
                assert (await fetch(client, server.url()))[1] == b"ok"
            await client.aclose()

    run(scenario)


def test_a_refused_connection_is_named_so() -> None:
    async def scenario() -> None:
        async with RawServer(fixed(b"")) as server:
            url = server.url()
        client = UpstreamClient(timeout=TIMEOUT)
        with pytest.raises(UpstreamFailure) as failed:
            await fetch(client, url)
        assert failed.value.kind == "connection refused"

    run(scenario)


@pytest.mark.parametrize(
    ("url", "host", "target"),
    [
        ("http://127.0.0.1:8080/a/b?c=1", b"127.0.0.1:8080", b"/a/b?c=1"),
        ("https://api.example.com/v1", b"api.example.com", b"/v1"),
        ("http://[::1]:81", b"[::1]:81", b"/"),
        ("https://api.example.com:443/", b"api.example.com", b"/"),
    ],
)
def test_an_upstream_url_gives_its_host_header_and_target(url: str, host: bytes, target: bytes) -> None:
    origin, path = split_url(url)
    assert (origin.host_header, path) == (host, target)
