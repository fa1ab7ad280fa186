"""Load generators: ``wrk`` (preferred), or a Python one of several processes when wrk is missing.

Both take a :class:`Request` (method, path, headers, body) and give a :class:`LoadResult`:
requests per second, p50 and p99 latency in milliseconds, and how many answers were not 2xx/3xx
(a run with any is reported as invalid: it measured error answers, not the scenario).
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.procs import HOST

WRK_THREADS = 1
CONNECTIONS = 16


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class LoadResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int = 0  # non-2xx/3xx answers plus socket errors
    generator: str = "wrk"
    #: CPU time the server used per answered request (user + system, µs): unlike req/s, hardly
    #: moved by other work on the machine, since time spent waiting for a core is not counted.
    cpu_us: float | None = None

    @property
    def valid(self) -> bool:
        return self.requests > 0 and self.errors == 0


# -- wrk ---------------------------------------------------------------------------------------------


def _lua_string(value: str | bytes) -> str:
    """A double-quoted Lua string literal holding exactly ``value``'s bytes."""
    data = value.encode("utf-8") if isinstance(value, str) else value
    out = []
    for byte in data:
        char = chr(byte)
        if char in '"\\':
            out.append("\\" + char)
        elif 32 <= byte < 127:
            out.append(char)
        else:
            out.append(f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


def lua_script(request: Request) -> str:
    """The wrk script sending ``request`` on every call (method, headers and body)."""
    lines = [f"wrk.method = {_lua_string(request.method)}"]
    for name, value in request.headers.items():
        lines.append(f"wrk.headers[{_lua_string(name)}] = {_lua_string(value)}")
    if request.body:
        lines.append(f"wrk.body = {_lua_string(request.body)}")
    return "\n".join(lines) + "\n"


_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_PCT = re.compile(r"^\s*(50|75|90|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.MULTILINE)
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_TOTAL = re.compile(r"^\s*(\d+) requests in", re.MULTILINE)
_NON2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


def parse_wrk(output: str) -> LoadResult:
    """Requests/sec, the 50 % and 99 % latencies (``--latency``) and the error count of wrk's report."""
    rps = _RPS.search(output)
    total = _TOTAL.search(output)
    if rps is None or total is None:
        raise ValueError(f"not a wrk report:\n{output.strip()[:500]}")
    pct = {int(p): float(v) * _UNIT_MS[u] for p, v, u in _PCT.findall(output)}
    if 50 not in pct or 99 not in pct:
        raise ValueError("wrk report has no latency distribution (run wrk with --latency)")
    errors = sum(int(n) for n in _NON2XX.findall(output))
    # Read errors are how wrk counts a server closing a keep-alive connection; they all count.
    for match in _SOCKET.findall(output):
        errors += sum(int(n) for n in match)
    return LoadResult(float(rps.group(1)), pct[50], pct[99], int(total.group(1)), errors, "wrk")


def wrk_command(
    url: str, script: str, duration: float, connections: int = CONNECTIONS, threads: int = WRK_THREADS
) -> list[str]:
    return [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--latency",
        "--timeout",
        "5s",
        "-s",
        script,
        url,
    ]


def run_wrk(port: int, request: Request, duration: float, connections: int = CONNECTIONS) -> LoadResult:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(lua_script(request))
        script = handle.name
    try:
        command = wrk_command(f"http://{HOST}:{port}{request.path}", script, duration, connections)
        done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 30, check=False)
    finally:
        os.unlink(script)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    return parse_wrk(done.stdout)


def ensure_wrk(say: Callable[[str], None] = print) -> bool:
    """True when wrk is on PATH, installing the Debian package first when running as root."""
    if shutil.which("wrk"):
        return True
    if os.geteuid() == 0 and shutil.which("apt-get"):
        say("wrk is missing: installing it (apt-get install -y wrk) ...")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for attempt in ("install", "update-then-install"):
            if attempt == "update-then-install":
                subprocess.run(["apt-get", "update"], capture_output=True, env=env, check=False, timeout=300)
            done = subprocess.run(
                ["apt-get", "install", "-y", "wrk"], capture_output=True, env=env, check=False, timeout=300
            )
            if done.returncode == 0 and shutil.which("wrk"):
                return True
    say(
        "wrk is not installed, and the bench cannot install it here. Install it with\n"
        "    sudo apt-get install -y wrk        (Debian, Ubuntu)\n"
        "    brew install wrk                   (macOS)\n"
        "Falling back to the bench's Python load generator: its figures are lower than wrk's, because on "
        "a small machine the generator takes CPU the server would otherwise have; compare them only with "
        "each other."
    )
    return False


# -- the Python load generator ------------------------------------------------------------------------


def encode_request(request: Request, port: int) -> bytes:
    lines = [f"{request.method} {request.path} HTTP/1.1", f"Host: {HOST}:{port}"]
    headers = {k.lower(): v for k, v in request.headers.items()}
    lines += [f"{name}: {value}" for name, value in request.headers.items()]
    if (request.body or request.method not in ("GET", "HEAD")) and "content-length" not in headers:
        lines.append(f"Content-Length: {len(request.body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + request.body


_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.IGNORECASE)
_CHUNKED = re.compile(rb"\r\ntransfer-encoding:\s*chunked", re.IGNORECASE)


def response_length(buffer: bytes | bytearray) -> int | None:
    """Total length of the first complete HTTP response in ``buffer``, or ``None`` if not complete yet."""
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = bytes(buffer[:end])
    match = _CONTENT_LENGTH.search(head)
    if match is not None:
        total = end + 4 + int(match.group(1))
        return total if len(buffer) >= total else None
    if _CHUNKED.search(head):
        tail = buffer.find(b"\r\n0\r\n\r\n", end)
        if tail < 0:
            return None
        return tail + 7
    return end + 4


def _status_ok(buffer: bytes | bytearray) -> bool:
    # "HTTP/1.1 200 OK": the status digits sit at bytes 9-11
    return buffer[9:10] in (b"2", b"3")


def _pyload_worker(port: int, payload: bytes, connections: int, duration: float, queue: Any) -> None:
    import selectors
    import socket

    selector = selectors.DefaultSelector()
    latencies: list[float] = []
    errors = 0
    socks: dict[int, socket.socket] = {}
    buffers: dict[int, bytearray] = {}
    sent_at: dict[int, float] = {}
    for _ in range(connections):
        sock = socket.create_connection((HOST, port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.setblocking(False)
        fd = sock.fileno()
        socks[fd], buffers[fd], sent_at[fd] = sock, bytearray(), time.perf_counter()
        sock.send(payload)
        selector.register(fd, selectors.EVENT_READ)
    stop_at = time.perf_counter() + duration
    now = time.perf_counter()
    while now < stop_at:
        for key, _ in selector.select(timeout=0.5):
            fd = key.fd
            chunk = socks[fd].recv(262_144)
            if not chunk:
                raise RuntimeError("the server closed a keep-alive connection")
            buffer = buffers[fd]
            buffer += chunk
            length = response_length(buffer)
            if length is None:
                continue
            now = time.perf_counter()
            latencies.append(now - sent_at[fd])
            if not _status_ok(buffer):
                errors += 1
            del buffer[:length]
            sent_at[fd] = now
            socks[fd].send(payload)
        now = time.perf_counter()
    for sock in socks.values():
        sock.close()
    queue.put((latencies, errors))


def run_pyload(
    port: int, request: Request, duration: float, connections: int = CONNECTIONS, processes: int | None = None
) -> LoadResult:
    """``connections`` keep-alive connections spread over ``processes`` processes, each request sent as
    soon as the previous answer on its connection is complete (like wrk), for ``duration`` seconds."""
    import multiprocessing

    processes = processes or max(1, min(2, (os.cpu_count() or 2) // 2, connections))
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    payload = encode_request(request, port)
    shares = [connections // processes + (1 if i < connections % processes else 0) for i in range(processes)]
    workers = [
        context.Process(target=_pyload_worker, args=(port, payload, share, duration, queue), daemon=True)
        for share in shares
        if share
    ]
    for worker in workers:
        worker.start()
    latencies: list[float] = []
    errors = 0
    for _ in workers:
        got, bad = queue.get(timeout=duration + 60)
        latencies += got
        errors += bad
    for worker in workers:
        worker.join(timeout=10)
    if not latencies:
        return LoadResult(0.0, 0.0, 0.0, 0, errors, "python")
    latencies.sort()
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
    return LoadResult(len(latencies) / duration, p50, p99, len(latencies), errors, "python")


class LoadGenerator:
    """wrk when available, else the Python generator; ``name`` says which one measured."""

    def __init__(self, use_wrk: bool, connections: int = CONNECTIONS) -> None:
        self.use_wrk = use_wrk
        self.connections = connections
        self.name = (
            f"wrk -t{WRK_THREADS} -c{connections} --latency"
            if use_wrk
            else f"Python load generator, {connections} keep-alive connections"
        )

    def run(self, port: int, request: Request, duration: float) -> LoadResult:
        if self.use_wrk:
            return run_wrk(port, request, duration, self.connections)
        return run_pyload(port, request, duration, self.connections)


def python_version() -> str:
    return sys.version.split()[0]


def repo_root() -> Path:
    return Path(__file__).resolve().parents[1]
