"""``python -m bench proxy``: what the validating proxy adds beyond one loopback hop.

Three ways to the same mock, measured back to back with the same request (the Banqer list):

* ``direct``      wrk → mock
* ``bare hop``    wrk → a bare TCP relay (``bench/relay.py``) → mock
* ``via proxy``   wrk → ``specmock proxy`` → mock

at one connection (latency alone: every request waits for the previous answer) and at the bench's
concurrency, in interleaved rounds. CPU per request is read from ``/proc`` for the hop alone and
for the whole chain (hop + mock). Ratios are to ``direct`` and, for the proxy, to the bare hop.
``--proxy-pythonpath DIR`` adds a second proxy run from DIR (its working directory and first on its
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

from bench.load import LoadGenerator, LoadResult
from bench.procs import Server
from bench.proxy import proxy_server
from bench.report import median
from bench.scenarios import prepare

__all__ = ["DIRECT", "HOP", "PROXY_PATH", "hop_bench", "relay_server"]

DIRECT, HOP, PROXY_PATH = "direct", "bare hop", "via proxy"
OTHER = "via proxy (other)"


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


def hop_bench(args: argparse.Namespace, root: Path, work: Path, env: dict[str, str], use_wrk: bool,
              mock: Server, say: Callable[[str], None]) -> int:
    levels = sorted({1, args.connections})
    logs = work / "logs"
    servers: dict[str, Server] = {}
    table: dict[tuple[str, int], Row] = {}
    try:
        mock.start()
        prepared = prepare(mock.base_url, ("banqer-list",))
        request = prepared.mock.get("banqer-list")
        if request is None:
            say(f"bench proxy: the Banqer list could not be prepared: {prepared.skipped}")
            return 1
        servers[HOP] = relay_server(env, mock.port, root, logs)
        servers[PROXY_PATH] = proxy_server(env, mock.base_url, root, logs)
        if args.proxy_pythonpath:
            # Its working directory too: ``python -m`` puts that first on sys.path, ahead of PYTHONPATH.
            other = Path(args.proxy_pythonpath).resolve()
            path = os.pathsep.join([str(other), env.get("PYTHONPATH", "")])
            servers[OTHER] = proxy_server({**env, "PYTHONPATH": path.rstrip(os.pathsep)},
                                          mock.base_url, other, logs)
            servers[OTHER].name = OTHER
        for server in servers.values():
            server.start()
        paths: dict[str, Server | None] = {DIRECT: None, **servers}
        for hop in paths.values():  # warm-up: caches, lazily built validators, pooled connections
            LoadGenerator(use_wrk, args.connections).run((hop or mock).port, request, args.warmup)
        for round_no in range(args.rounds):
            say(f"round {round_no + 1}/{args.rounds}")
            for connections in levels:
                generator = LoadGenerator(use_wrk, connections)
                for name, hop in paths.items():
                    before_hop, before_mock = _cpu(hop), mock.cpu_seconds()
                    result = generator.run((hop or mock).port, request, args.duration)
                    row = table.setdefault((name, connections), Row())
                    row.results.append(result)
                    if result.requests:
                        hop_s, mock_s = _cpu(hop) - before_hop, mock.cpu_seconds() - before_mock
                        row.hop_cpu_us.append(hop_s * 1e6 / result.requests)
                        row.chain_cpu_us.append((hop_s + mock_s) * 1e6 / result.requests)
                    flag = "" if result.valid else f"  INVALID: {result.errors} error answer(s)"
                    hop_us = row.hop_cpu_us[-1] if result.requests else 0.0
                    chain_us = row.chain_cpu_us[-1] if result.requests else 0.0
                    say(f"  c={connections:<3} {name:18} {result.rps:9,.0f} req/s"
                        f"  p50 {result.p50_ms:6.2f} ms  p99 {result.p99_ms:6.2f} ms"
                        f"  CPU hop {hop_us:6.1f} chain {chain_us:6.1f} µs/req{flag}")
    finally:
        for server in servers.values():
            server.stop()
        mock.stop()
    say("")
    say(render(table, list(paths), levels, args.rounds))
    return 0


def _f(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def _x(value: float | None, base: float | None) -> str:
    return "—" if value is None or not base else f"{value / base:.2f}x"


def render(table: dict[tuple[str, int], Row], names: list[str], levels: list[int], rounds: int) -> str:
    """A Markdown table: medians of the rounds, ratios to direct and (for the proxies) to the bare hop."""
    lines = [
        f"Banqer list, median of {rounds} interleaved round(s); CPU is µs per request "
        "(hop: the relay or proxy process alone; chain: hop + mock)",
        "",
        "| conns | path | req/s | p50 ms | p99 ms | CPU hop | CPU chain | req/s vs direct "
        "| p50 vs direct | req/s vs bare hop | p50 vs bare hop | CPU hop vs bare hop |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for connections in levels:
        direct, hop = table.get((DIRECT, connections)), table.get((HOP, connections))
        for name in names:
            row = table.get((name, connections))
            if row is None:
                continue
            rps, p50, p99 = row.med("rps"), row.med("p50_ms"), row.med("p99_ms")
            proxied = name not in (DIRECT, HOP)
            lines.append(
                f"| {connections} | {name} | {_f(rps, ',.0f')} | {_f(p50, '.2f')} | {_f(p99, '.2f')} "
                f"| {_f(row.med('hop_cpu_us'), '.0f') if name != DIRECT else '—'} "
                f"| {_f(row.med('chain_cpu_us'), '.0f')} "
                f"| {_x(rps, direct.med('rps') if direct else None)} "
                f"| {_x(p50, direct.med('p50_ms') if direct else None)} "
                f"| {_x(rps, hop.med('rps') if hop and proxied else None)} "
                f"| {_x(p50, hop.med('p50_ms') if hop and proxied else None)} "
                f"| {_x(row.med('hop_cpu_us'), hop.med('hop_cpu_us') if hop and proxied else None)} |"
            )
    return "\n".join(lines)
