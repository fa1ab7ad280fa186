"""``python -m bench proxy``: what a validating proxy adds beyond one loopback hop.

Four ways to the same mock, measured back to back with the same request (the Banqer list):

* ``direct``          wrk → mock
* ``bare hop``        wrk → a bare TCP relay (``bench/relay.py``) → mock
* ``specmock proxy``  wrk → ``specmock proxy`` → mock
* ``Prism proxy``     wrk → ``prism proxy --errors`` → mock (skipped, saying why, without node/npm)

at one connection (latency alone: every request waits for the previous answer) and at the bench's
concurrency, in interleaved rounds. CPU per request is read from ``/proc`` for the hop alone and
for the whole chain (hop + mock). Ratios are to ``direct``, to the bare hop and to specmock proxy.
Before Prism is measured, a broken answer is planted on the mock's fault API and must come back
as a violation: a Prism that only forwarded would be a second bare hop, not a validating proxy.
``--proxy-pythonpath DIR`` adds a run of the proxy from DIR (its working directory and first on its
``PYTHONPATH``): an installed copy of another revision (``pip install --no-deps --target DIR``),
to compare two proxies in one run.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from bench.load import LoadGenerator, LoadResult, Request
from bench.prism import PRISM_PROXY, planted_violation, prism_proxy_server
from bench.procs import Server
from bench.proxy import proxy_server
from bench.report import PROXY, median
from bench.scenarios import BANQER_TENANT, prepare

__all__ = ["DIRECT", "HOP", "PRISM_PROXY", "PROXY_PATH", "PrismRow", "hop_bench", "measure_hops",
           "relay_server", "render"]

DIRECT, HOP, PROXY_PATH = "direct", "bare hop", PROXY
OTHER = f"{PROXY} (other)"
BANQER_PREFIX = f"/banqer/{BANQER_TENANT}"


@dataclass(frozen=True)
class PrismRow:
    """Whether the Prism proxy row runs: ``work`` holds Prism's node_modules, or ``why`` it cannot."""

    work: Path | None
    spec: Path
    why: str = ""


def relay_server(env: dict[str, str], upstream_port: int, cwd: Path, log_dir: Path) -> Server:
    return Server(
        HOP,
        [sys.executable, "-m", "bench.relay", "--port", "{port}", "--upstream-port", str(upstream_port)],
        health_path="/__mock__/",
        env=env,
        cwd=cwd,
        log_dir=log_dir,
    )


@dataclass
class Row:
    """The runs of one path at one connection count."""

    results: list[LoadResult] = field(default_factory=list)
    hop_cpu_us: list[float] = field(default_factory=list)
    chain_cpu_us: list[float] = field(default_factory=list)

    def med(self, what: str) -> float | None:
        if what in ("hop_cpu_us", "chain_cpu_us"):
            values: list[float] = getattr(self, what)
            return median(values)
        return median(getattr(r, what) for r in self.results if r.valid)


def _cpu(server: Server | None) -> float:
    return server.cpu_seconds() if server is not None else 0.0


def _prism_proxy(prism: PrismRow, mock: Server, request: Request, root: Path, logs: Path,
                 say: Callable[[str], None]) -> Server | None:
    """Prism's validating proxy in front of the mock's Banqer tenant, started and shown to validate
    (a planted answer without ``fichas`` must come back as a violation); ``None`` (said why) if not."""
    if prism.work is None:
        say(f"{PRISM_PROXY}: {prism.why}")
        return None
    server = prism_proxy_server(prism.work, prism.spec, f"{mock.base_url}{BANQER_PREFIX}", request,
                                root, logs)
    try:
        server.start()
    except RuntimeError as exc:
        say(f"{PRISM_PROXY} did not start, skipped: {exc}")
        return None
    try:
        status, violations = planted_violation(mock.base_url, server.port, request, {"planted": True})
    except (httpx.HTTPError, ValueError) as exc:
        status, violations = 0, []
        say(f"{PRISM_PROXY}: the planted-answer check failed: {exc}")
    if status < 400 or not violations:
        server.stop()
        say(f"{PRISM_PROXY} let a planted broken answer through (status {status}), skipped: "
            "it would not be validating what it proxies")
        return None
    say(f"{PRISM_PROXY} validates: a planted answer without 'fichas' came back {status}, "
        f"sl-violations: {violations[0].get('message', violations[0])}")
    return server


def hop_bench(args: argparse.Namespace, root: Path, work: Path, env: dict[str, str], use_wrk: bool,
              mock: Server, say: Callable[[str], None], prism: PrismRow | None = None) -> int:
    """Print the rounds and the table; 1 when the Banqer list could not be prepared."""
    return 0 if measure_hops(args, root, work, env, use_wrk, mock, say, prism) is not None else 1


def measure_hops(args: argparse.Namespace, root: Path, work: Path, env: dict[str, str], use_wrk: bool,
                 mock: Server, say: Callable[[str], None], prism: PrismRow | None = None) -> str | None:
    """Measure every way to the mock, print each run and the table; the table (Markdown), or ``None``."""
    levels = sorted({1, args.connections})
    logs = work / "logs"
    servers: dict[str, Server] = {}
    requests: dict[str, Request] = {}
    table: dict[tuple[str, int], Row] = {}
    load_before = os.getloadavg()[0]
    try:
        mock.start()
        prepared = prepare(mock.base_url, ("banqer-list",))
        request = prepared.mock.get("banqer-list")
        if request is None:
            say(f"bench proxy: the Banqer list could not be prepared: {prepared.skipped}")
            return None
        servers[HOP] = relay_server(env, mock.port, root, logs)
        servers[PROXY_PATH] = proxy_server(env, mock.base_url, root, logs)
        servers[PROXY_PATH].name = PROXY_PATH
        if args.proxy_pythonpath:
            # Its working directory too: ``python -m`` puts that first on sys.path, ahead of PYTHONPATH.
            other = Path(args.proxy_pythonpath).resolve()
            path = os.pathsep.join([str(other), env.get("PYTHONPATH", "")])
            servers[OTHER] = proxy_server({**env, "PYTHONPATH": path.rstrip(os.pathsep)},
                                          mock.base_url, other, logs)
            servers[OTHER].name = OTHER
        for server in servers.values():
            server.start()
        if prism is not None:
            # Prism serves the spec's paths at its root: the same request without the mount prefix.
            requests[PRISM_PROXY] = prepared.prism["banqer-list"]
            started = _prism_proxy(prism, mock, requests[PRISM_PROXY], root, logs, say)
            if started is not None:
                servers[PRISM_PROXY] = started
            else:
                del requests[PRISM_PROXY]
        paths: dict[str, Server | None] = {DIRECT: None, **servers}
        for name, hop in paths.items():  # warm-up: caches, lazily built validators, JITs, pools
            LoadGenerator(use_wrk, args.connections).run((hop or mock).port, requests.get(name, request),
                                                         args.warmup)
        for round_no in range(args.rounds):
            say(f"round {round_no + 1}/{args.rounds}")
            for connections in levels:
                generator = LoadGenerator(use_wrk, connections)
                for name, hop in paths.items():
                    before_hop, before_mock = _cpu(hop), mock.cpu_seconds()
                    result = generator.run((hop or mock).port, requests.get(name, request), args.duration)
                    row = table.setdefault((name, connections), Row())
                    row.results.append(result)
                    if result.requests:
                        hop_s, mock_s = _cpu(hop) - before_hop, mock.cpu_seconds() - before_mock
                        row.hop_cpu_us.append(hop_s * 1e6 / result.requests)
                        row.chain_cpu_us.append((hop_s + mock_s) * 1e6 / result.requests)
                    flag = "" if result.valid else f"  INVALID: {result.errors} error answer(s)"
                    hop_us = row.hop_cpu_us[-1] if result.requests else 0.0
                    chain_us = row.chain_cpu_us[-1] if result.requests else 0.0
                    say(f"  c={connections:<3} {name:22} {result.rps:9,.0f} req/s"
                        f"  p50 {result.p50_ms:6.2f} ms  p99 {result.p99_ms:6.2f} ms"
                        f"  CPU hop {hop_us:6.1f} chain {chain_us:6.1f} µs/req{flag}")
    finally:
        for server in servers.values():
            server.stop()
        mock.stop()
    text = render(table, list(paths), levels, args.rounds,
                  f"load average before/after {load_before:.2f}/{os.getloadavg()[0]:.2f}")
    say("")
    say(text)
    return text


def _f(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def _x(value: float | None, base: float | None) -> str:
    return "—" if value is None or not base else f"{value / base:.2f}x"


#: Ratio columns: (heading, the row compared with, the figure), each given only to the rows that
#: build on that base: every row to direct, the proxies to the bare hop, other proxies to specmock's.
RATIOS = (
    ("req/s vs direct", DIRECT, "rps"),
    ("p50 vs direct", DIRECT, "p50_ms"),
    ("req/s vs bare hop", HOP, "rps"),
    ("p50 vs bare hop", HOP, "p50_ms"),
    ("CPU hop vs bare hop", HOP, "hop_cpu_us"),
    ("req/s vs specmock proxy", PROXY_PATH, "rps"),
    ("p50 vs specmock proxy", PROXY_PATH, "p50_ms"),
    ("CPU hop vs specmock proxy", PROXY_PATH, "hop_cpu_us"),
)
_BELOW = {DIRECT: (), HOP: (DIRECT,), PROXY_PATH: (DIRECT, HOP)}  # the bases a row is compared with


def render(table: dict[tuple[str, int], Row], names: list[str], levels: list[int], rounds: int,
           note: str = "") -> str:
    """A Markdown table: medians of the rounds, and ratios to direct, to the bare hop (for the proxies)
    and to specmock proxy (for the other proxies: Prism's, another revision's)."""
    heading = ["conns", "path", "req/s", "p50 ms", "p99 ms", "CPU hop", "CPU chain", *(r[0] for r in RATIOS)]
    lines = [
        f"Banqer list, median of {rounds} interleaved round(s); CPU is µs per request "
        "(hop: the relay or proxy process alone; chain: hop + mock)" + (f"; {note}" if note else ""),
        "",
        "| " + " | ".join(heading) + " |",
        "|" + "---|" * len(heading),
    ]
    for connections in levels:
        for name in names:
            row = table.get((name, connections))
            if row is None:
                continue
            bases = _BELOW.get(name, (DIRECT, HOP, PROXY_PATH))
            cells = [
                str(connections),
                name,
                _f(row.med("rps"), ",.0f"),
                _f(row.med("p50_ms"), ".2f"),
                _f(row.med("p99_ms"), ".2f"),
                _f(row.med("hop_cpu_us"), ".0f") if name != DIRECT else "—",
                _f(row.med("chain_cpu_us"), ".0f"),
            ]
            for _, base_name, what in RATIOS:
                base = table.get((base_name, connections)) if base_name in bases else None
                cells.append(_x(row.med(what), base.med(what) if base else None))
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
