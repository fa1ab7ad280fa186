"""Servers under test as subprocesses: free ports, spawn → first 200, RSS of the process tree, stop."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

HOST = "127.0.0.1"  # every server and every load generator of the bench stays on loopback


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


# -- memory ----------------------------------------------------------------------------------------


def parse_vmrss_kib(status_text: str) -> int:
    """``VmRSS`` of a ``/proc/<pid>/status`` text, in KiB (0 when absent, e.g. a zombie)."""
    for line in status_text.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _ppid(stat_text: str) -> int:
    # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so split after the last ')'.
    return int(stat_text[stat_text.rindex(")") + 2 :].split()[1])


def process_tree(pid: int, proc_root: str | Path = "/proc") -> list[int]:
    """``pid`` and every descendant of it."""
    root = Path(proc_root)
    children: dict[int, list[int]] = {}
    for entry in root.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = _ppid((entry / "stat").read_text())
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(parent, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def rss_kib(pid: int, proc_root: str | Path = "/proc") -> int:
    """Resident memory of ``pid`` and its children, in KiB."""
    total = 0
    for member in process_tree(pid, proc_root):
        with contextlib.suppress(OSError):
            total += parse_vmrss_kib((Path(proc_root) / str(member) / "status").read_text())
    return total


def parse_cpu_ticks(stat_text: str) -> int:
    """``utime + stime`` of a ``/proc/<pid>/stat`` text, in clock ticks."""
    fields = stat_text[stat_text.rindex(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])  # fields 14 and 15 of proc(5), counted after "(comm)"


def cpu_seconds(pid: int, proc_root: str | Path = "/proc") -> float:
    """CPU time (user + system) used so far by ``pid`` and its children, in seconds."""
    ticks = 0
    for member in process_tree(pid, proc_root):
        with contextlib.suppress(OSError, ValueError, IndexError):
            ticks += parse_cpu_ticks((Path(proc_root) / str(member) / "stat").read_text())
    return ticks / os.sysconf("SC_CLK_TCK")


# -- HTTP probe ------------------------------------------------------------------------------------


def http_exchange(port: int, method: str, path: str, headers: Mapping[str, str] | None = None,
                  body: bytes = b"", timeout: float = 2.0) -> tuple[int, bytes]:
    """Status and body of one request on loopback; ``(0, b"")`` when nothing answers (refused,
    reset, timed out)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body or None, headers=dict(headers or {}))
        response = conn.getresponse()
        return response.status, response.read()
    except (OSError, http.client.HTTPException):
        return 0, b""
    finally:
        conn.close()


def http_status(port: int, path: str, headers: Mapping[str, str] | None = None, timeout: float = 2.0) -> int:
    """Status of one GET on loopback; 0 when nothing answers."""
    return http_exchange(port, "GET", path, headers, timeout=timeout)[0]


# -- a server under test ---------------------------------------------------------------------------


@dataclass
class Server:
    """One server under test: ``argv`` is run with ``{port}`` replaced by a free port."""

    name: str
    argv: Sequence[str]
    health_path: str = "/"
    health_headers: Mapping[str, str] = field(default_factory=dict)
    env: Mapping[str, str] | None = None
    cwd: str | Path | None = None
    log_dir: str | Path | None = None
    port: int = 0
    startup_s: float = 0.0
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, timeout: float = 60.0) -> float:
        """Spawn it and wait for the first 200 on the health path; returns spawn → first 200 in seconds."""
        self.port = free_port()
        argv = [part.replace("{port}", str(self.port)) for part in self.argv]
        log: IO[bytes] | int = subprocess.DEVNULL
        if self.log_dir is not None:
            Path(self.log_dir).mkdir(parents=True, exist_ok=True)
            log = open(Path(self.log_dir) / f"{self.name}.log", "ab")  # noqa: SIM115 - closed below
        env = {**os.environ, **(self.env or {})}
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            cwd=self.cwd,
            start_new_session=True,
        )
        if not isinstance(log, int):
            log.close()  # the child holds its own descriptor
        deadline = started + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with code {self.proc.returncode} before answering "
                    f"(see {self._log_hint()})"
                )
            if http_status(self.port, self.health_path, self.health_headers, timeout=1.0) == 200:
                self.startup_s = time.perf_counter() - started
                return self.startup_s
            if time.perf_counter() > deadline:
                self.stop()
                raise RuntimeError(
                    f"{self.name} gave no 200 on {self.health_path} within {timeout:.0f} s "
                    f"(see {self._log_hint()})"
                )
            time.sleep(0.002)

    def _log_hint(self) -> str:
        return str(Path(self.log_dir) / f"{self.name}.log") if self.log_dir else "its output"

    def rss_kib(self) -> int:
        if self.proc is None or self.proc.poll() is not None:
            return 0
        return rss_kib(self.proc.pid)

    def cpu_seconds(self) -> float:
        if self.proc is None or self.proc.poll() is not None:
            return 0.0
        return cpu_seconds(self.proc.pid)

    def stop(self) -> None:
        """Stop it and everything it started (it leads its own process group)."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
