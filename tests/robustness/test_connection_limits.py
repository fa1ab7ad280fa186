"""Connection limits of the served mock, on loopback: header size (431), requests that never complete
(closed, 408 when partly sent), concurrent connections (503 with a JSON reason), and warnings
rate-limited to one line with a count."""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from specmock.mocks.connections import ConnectionLimits, default_max_connections
from specmock.mocks.log_throttle import RepeatThrottle
from tests.robustness import support
from tests.robustness.support import Served

LIMITS = ConnectionLimits(
    max_header_bytes=8192, request_timeout=1.0, keep_alive=1.0, max_connections=4, grace=1
)


@pytest.fixture(scope="module")
def mock() -> Iterator[Served]:
    with support.serve(support.long_lived(), limits=LIMITS) as served:
        yield served


def connect(mock: Served) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", mock.port), timeout=10)
    return sock


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (the socket timeout fails a hang)."""
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def status_and_body(raw: bytes) -> tuple[int, dict[str, object]]:
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body)


@pytest.mark.parametrize("size", [8192, 100_000, 4 << 20])
def test_headers_past_the_bound_get_431_and_a_closed_connection(mock: Served, size: int) -> None:
    with connect(mock) as sock:
        sock.sendall(b"GET /__mock__/ HTTP/1.1\r\nHost: localhost\r\nX-Big: ")
        with pytest.raises(OSError):  # the server stops reading: the send fails or ends with the answer
            for _ in range(0, size, 65536):
                sock.sendall(b"a" * min(65536, size))
            sock.sendall(b"\r\n\r\n")
            raise OSError("sent all")
        raw = read_all(sock)
    status, body = status_and_body(raw)
    assert status == 431 and "8192 bytes" in str(body["error"])


def test_headers_under_the_bound_are_served(mock: Served) -> None:
    response = httpx.get(f"{mock.url}/__mock__/", headers={"X-Fill": "a" * 7000}, timeout=10)
    assert response.status_code == 200


def test_a_request_with_headers_and_a_body_beyond_the_header_bound_is_served(mock: Served) -> None:
    client = mock.client()
    token = support.pbm_token(client)
    body = {"query": "{ __typename }", "padding": "x" * 50_000}
    response = client.post("/pbm/graphql", json=body, headers=support.bearer(token))
    assert response.status_code == 200


def test_a_connection_that_never_sends_a_byte_is_closed(mock: Served) -> None:
    with connect(mock) as sock:
        assert read_all(sock) == b""  # closed silently; a hang would hit the socket timeout


@pytest.mark.parametrize(
    "partial",
    [
        b"GET /__mock__/ HTTP/1.1\r\nHost: local",
        b"POST /pbm/graphql HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{",
    ],
)
def test_a_request_never_completed_gets_408_and_is_closed(mock: Served, partial: bytes) -> None:
    with connect(mock) as sock:
        sock.sendall(partial)
        status, body = status_and_body(read_all(sock))
    assert status == 408 and "not received" in str(body["error"])


def test_headers_trickled_slowly_still_meet_the_deadline(mock: Served) -> None:
    with connect(mock) as sock:
        sock.sendall(b"GET /__mock__/ HTTP/1.1\r\n")
        closed = False
        for _ in range(40):  # 8 s of a byte every 0.2 s would keep an idle timer alive forever
            try:
                sock.sendall(b"X")
            except OSError:
                closed = True
                break
            time.sleep(0.2)
        assert closed, "the server still took header bytes 8 s after a 1 s request deadline"


def test_a_kept_alive_connection_is_served_again_then_closed_when_idle(mock: Served) -> None:
    with connect(mock) as sock:
        for _ in range(2):
            sock.sendall(b"GET /__mock__/clock HTTP/1.1\r\nHost: localhost\r\n\r\n")
            assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        assert read_all(sock) == b""


def test_past_the_connection_bound_a_request_gets_a_clear_503(
    mock: Served, caplog: pytest.LogCaptureFixture
) -> None:
    held = [connect(mock) for _ in range(LIMITS.max_connections)]
    try:
        time.sleep(0.2)
        with caplog.at_level(logging.WARNING, logger="specmock.server"):
            response = httpx.get(f"{mock.url}/__mock__/clock", timeout=10)
        assert response.status_code == 503
        assert response.headers["retry-after"] == "1"
        assert "too many connections" in response.json()["error"]
        assert any("the limit is 4" in record.getMessage() for record in caplog.records)
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.3)
    assert httpx.get(f"{mock.url}/__mock__/clock", timeout=10).status_code == 200


def test_the_default_connection_bound_fits_the_open_file_limit() -> None:
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    bound = default_max_connections()
    assert 8 <= bound <= 1000
    if soft != resource.RLIM_INFINITY:
        assert bound <= max(8, soft - 64)


# -- repeated warnings --------------------------------------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _record(
    message: str, *args: object, level: int = logging.WARNING, name: str = "uvicorn.error"
) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, message, args, None)


def test_a_flood_of_one_warning_is_one_line_then_one_line_with_a_count() -> None:
    clock = _Clock()
    throttle = RepeatThrottle(window=10, clock=clock)
    passed = [
        r for r in (_record("Invalid HTTP request received.") for _ in range(1000)) if throttle.filter(r)
    ]
    assert len(passed) == 1
    clock.now = 11
    later = _record("Invalid HTTP request received.")
    assert throttle.filter(later)
    assert later.getMessage() == "Invalid HTTP request received. (999 more like it in the 10 s before)"


def test_different_warnings_and_errors_are_not_merged() -> None:
    throttle = RepeatThrottle(window=10, clock=_Clock())
    assert throttle.filter(_record("first %s", 1)) and throttle.filter(_record("second"))
    assert not throttle.filter(_record("first %s", 2))
    assert all(throttle.filter(_record("boom", level=logging.ERROR)) for _ in range(3))


def test_flush_logs_the_counts_still_pending(caplog: pytest.LogCaptureFixture) -> None:
    throttle = RepeatThrottle(window=10, clock=_Clock())
    for i in range(5):
        throttle.filter(_record("refused %d", i, name="specmock.test-throttle"))
    with caplog.at_level(logging.WARNING, logger="specmock.test-throttle"):
        throttle.flush()
    assert [r.getMessage() for r in caplog.records] == ["refused 4 (4 more like it)"]
