"""``python -m bench``: specmock against a bare ASGI app and Prism, on loopback; see docs/benchmarks.md.

python -m bench                  full run: 3 interleaved rounds, 8 s per measurement (about 8 min)
python -m bench --quick          1 round, 3 s per measurement (about 1.5 min)
python -m bench soak             100,000 mixed requests, RSS sampled every 10,000
python -m bench profile          py-spy samples of the mock while wrk drives one scenario
python -m bench startup          where the start-up time goes, phase by phase
python -m bench tokens           token issuing rate as the registry grows past 100,000 tokens
python -m bench consumer         the consumer contract suites against the reference clients
python -m bench driver           the Banqer consumer contract through the Node driver vs in Python
python -m bench proxy            direct, a bare TCP relay, specmock proxy, Prism's proxy; 1 and 16 connections
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import inproc, prism
from bench.hop import PrismRow, measure_hops
from bench.load import CONNECTIONS, LoadGenerator, LoadResult, ensure_wrk, python_version, repo_root
from bench.procs import Server
from bench.proxy import PROXY, proxy_request, proxy_server
from bench.report import (
    BARE,
    MOCK,
    PRISM,
    Figures,
    median,
    render_markdown,
    render_text,
    table_rows,
    targets,
)
from bench.scenarios import SCENARIO_KEYS, SCENARIOS, Prepared, banqer_list_path, prepare

ROOT = repo_root()
WORK = ROOT / ".bench"
PRISM_BIN = prism.prism_bin(WORK)
BANQER_SPEC = ROOT / "specs" / "banqer.openapi.yaml"
TUNED_LIB = WORK / "pylib"
TUNED_PACKAGES = ("uvloop", "httptools")


def say(message: str = "") -> None:
    print(message, flush=True)


# -- environment --------------------------------------------------------------------------------------


def load_average() -> tuple[float, float, float]:
    return os.getloadavg()


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def machine() -> dict[str, Any]:
    return {
        "date": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "nproc": os.cpu_count(),
        "cpu": cpu_model(),
        "python": python_version(),
        "platform": platform.platform(),
    }


def ensure_prism() -> tuple[bool, str]:
    """Prism 5 in .bench/node_modules (installed by npm on first use); ``(ok, why not)``."""
    return prism.ensure_prism(WORK, say)


def prism_row(skip: bool) -> PrismRow:
    """Where Prism's proxy comes from in ``bench proxy``, or why it is left out."""
    ok, why = (False, "--no-prism given") if skip else ensure_prism()
    return PrismRow(WORK if ok else None, BANQER_SPEC, why)


def tuned_env() -> dict[str, str]:
    """PYTHONPATH holding uvloop and httptools, installed into .bench/pylib (not into the venv)."""
    missing = [p for p in TUNED_PACKAGES if not (TUNED_LIB / p).exists()]
    if missing:
        say(f"installing {' and '.join(missing)} into .bench/pylib for --tuned ...")
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--target", str(TUNED_LIB), *missing],
            check=True,
            timeout=600,
        )
    path = os.pathsep.join(filter(None, [str(TUNED_LIB), os.environ.get("PYTHONPATH", "")]))
    return {"PYTHONPATH": path}


def uvicorn_impl(env: dict[str, str]) -> str:
    """Which event loop and HTTP parser uvicorn's "auto" picks for the servers under test."""
    code = (
        "import importlib.util as u;"
        "print(('uvloop' if u.find_spec('uvloop') else 'asyncio') + ' + ' +"
        " ('httptools' if u.find_spec('httptools') else 'h11'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        cwd=ROOT,
        check=False,
    )
    return done.stdout.strip() or "unknown"


# -- servers ---------------------------------------------------------------------------------------------


def mock_server(env: dict[str, str]) -> Server:
    return Server(
        MOCK,
        [sys.executable, "-m", "specmock", "serve", "--host", "127.0.0.1", "--port", "{port}"],
        health_path="/__mock__/",
        env=env,
        cwd=ROOT,
        log_dir=WORK / "logs",
    )


def bare_server(env: dict[str, str], bodies: Path) -> Server:
    return Server(
        BARE,
        [sys.executable, "-m", "bench.bare_app", "--port", "{port}", "--bodies", str(bodies)],
        health_path="/",
        env=env,
        cwd=ROOT,
        log_dir=WORK / "logs",
    )


def prism_server() -> Server:
    return Server(
        PRISM,
        [
            str(PRISM_BIN),
            "mock",
            "-p",
            "{port}",
            "-h",
            "127.0.0.1",
            "--errors",
            "false",
            "-v",
            "silent",
            str(BANQER_SPEC),
        ],
        health_path=banqer_list_path(),
        health_headers={"Authorization": "Bearer bench"},
        cwd=ROOT,
        log_dir=WORK / "logs",
    )


# -- the run ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What a run measures, and how long, from the command line."""

    rounds: int
    duration: float
    warmup: float
    scenarios: tuple[str, ...]

    @classmethod
    def of(cls, args: argparse.Namespace) -> Plan:
        """The plan of ``args``; :class:`ValueError` naming an unknown scenario."""
        rounds, duration, warmup = args.rounds, args.duration, args.warmup
        if args.quick:
            rounds, duration, warmup = 1, 3.0, 1.0
        wanted = tuple(args.scenarios.split(",")) if args.scenarios else SCENARIO_KEYS
        unknown = [k for k in wanted if k not in SCENARIO_KEYS]
        if unknown:
            raise ValueError(f"bench: unknown scenario(s) {', '.join(unknown)}; "
                             f"known: {', '.join(SCENARIO_KEYS)}")
        return cls(rounds, duration, warmup, wanted)


@dataclass
class Tools:
    """The load generator, the servers' environment and whether Prism takes part."""

    generator: LoadGenerator
    env: dict[str, str]
    impl: str
    prism: bool


@dataclass
class Measured:
    """Every figure of every round, per scenario and server."""

    results: dict[str, dict[str, list[LoadResult]]] = field(default_factory=dict)
    startups: dict[str, list[float]] = field(default_factory=dict)
    rss: dict[str, list[float]] = field(default_factory=dict)  # after the Banqer list load
    rss_all: dict[str, list[float]] = field(default_factory=dict)  # after every scenario (token endpoints)
    prepared: Prepared | None = None


def announce(info: dict[str, Any], load: tuple[float, float, float]) -> None:
    say(f"specmock bench — {info['date']} — {info['nproc']} cores, {info['cpu']}, Python {info['python']}")
    say(f"load average before the run: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if load[0] > 0.5 * (os.cpu_count() or 1):
        say(
            "WARNING: the machine is busy; every figure below is lower than on an idle machine. "
            "Rerun when the load average is low."
        )


def set_up(args: argparse.Namespace, plan: Plan) -> Tools:
    """wrk (or the Python generator), uvloop/httptools when tuned, Prism when it can be installed."""
    generator = LoadGenerator(ensure_wrk(say), args.connections)
    env = tuned_env() if args.tuned else {}
    impl = uvicorn_impl(env)
    say(f"load generator: {generator.name}; uvicorn: {impl}; "
        f"{plan.rounds} round(s), {plan.duration:g} s each")
    prism_ok, prism_why = (False, "--no-prism given") if args.no_prism else ensure_prism()
    if not prism_ok:
        say(f"Prism: {prism_why}")
    return Tools(generator, env, impl, prism_ok)


def start_servers(tools: Tools, plan: Plan, measured: Measured, servers: dict[str, Server], first: bool
                  ) -> Prepared | None:
    """Start the mock, capture its answers for the bare app, start the bare app, the proxy and Prism; each
    one's start to first 200 is recorded. ``None`` when no scenario could be prepared."""
    mock = servers[MOCK] = mock_server(tools.env)
    measured.startups.setdefault(MOCK, []).append(mock.start())
    prepared = measured.prepared = prepare(mock.base_url, plan.scenarios)
    if first:
        for key, why in prepared.skipped.items():
            say(f"  skipped {key}: {why}")
    if not prepared.mock:
        return None
    bodies_file = WORK / "bare-bodies.json"
    bodies_file.write_text(json.dumps(prepared.captured))
    servers[BARE] = bare_server(tools.env, bodies_file)
    measured.startups.setdefault(BARE, []).append(servers[BARE].start())
    servers[PROXY] = proxy_server(tools.env, mock.base_url, ROOT, WORK / "logs")
    measured.startups.setdefault(PROXY, []).append(servers[PROXY].start())
    if tools.prism:
        servers[PRISM] = prism_server()
        try:
            measured.startups.setdefault(PRISM, []).append(servers[PRISM].start())
        except RuntimeError as exc:
            say(f"  Prism did not start, skipped: {exc}")
            servers.pop(PRISM)
            tools.prism = False
    say("  start to first 200: " + ", ".join(f"{n} {s.startup_s:.3f} s" for n, s in servers.items()))
    return prepared


def warm_up(tools: Tools, plan: Plan, prepared: Prepared, servers: dict[str, Server]) -> None:
    """Load on each server before measuring: JITs, caches, lazily built data."""
    for name, server in servers.items():
        request = _request_for(prepared, name, "banqer-list") or _request_for(
            prepared, name, next(iter(prepared.mock))
        )
        if request is not None:
            tools.generator.run(server.port, request, plan.warmup)


def measure_scenarios(tools: Tools, plan: Plan, prepared: Prepared, servers: dict[str, Server],
                      measured: Measured) -> None:
    """Every scenario on every server in turn, with RSS read after the Banqer list and at the end."""
    for key in (k for k in SCENARIO_KEYS if k in prepared.mock):
        for name, server in servers.items():
            request = _request_for(prepared, name, key)
            if request is None:
                continue
            cpu_before = server.cpu_seconds()
            result = tools.generator.run(server.port, request, plan.duration)
            if result.requests:
                result.cpu_us = (server.cpu_seconds() - cpu_before) * 1e6 / result.requests
            measured.results.setdefault(key, {}).setdefault(name, []).append(result)
            flag = "" if result.valid else f"  INVALID: {result.errors} error answer(s)"
            say(
                f"  {key:14} {name:9} {result.rps:10,.0f} req/s  p50 {result.p50_ms:7.2f} ms  "
                f"p99 {result.p99_ms:7.2f} ms  CPU {result.cpu_us or 0:6.1f} µs/req{flag}"
            )
        if key == "banqer-list":
            _read_rss(servers, measured.rss, "  RSS after the list load: ")
    _read_rss(servers, measured.rss_all, "  RSS after every scenario: ")


def _read_rss(servers: dict[str, Server], into: dict[str, list[float]], label: str) -> None:
    for name, server in servers.items():
        into.setdefault(name, []).append(server.rss_kib() / 1024)
    say(label + ", ".join(f"{n} {into[n][-1]:.0f} MiB" for n in servers))


def run_round(tools: Tools, plan: Plan, measured: Measured, round_no: int) -> bool:
    """One round: start the servers, warm them up, measure, stop them; ``False`` if nothing could run."""
    say(f"round {round_no + 1}/{plan.rounds}")
    servers: dict[str, Server] = {}
    try:
        prepared = start_servers(tools, plan, measured, servers, first=round_no == 0)
        if prepared is None:
            say("bench: no scenario could be prepared; nothing to measure")
            return False
        warm_up(tools, plan, prepared, servers)
        measure_scenarios(tools, plan, prepared, servers, measured)
        return True
    finally:
        for server in servers.values():
            server.stop()


def print_summary(heading: str, note: str, rows: list[Any], verdicts: list[Any], verdicts_heading: str = ""
                  ) -> None:
    """The run's heading line and a note under it, its table and its targets' verdicts."""
    say(heading)
    if note:
        say(note)
    say()
    say(render_text(rows))
    say()
    if verdicts_heading:
        say(verdicts_heading)
    for target in verdicts:
        say("  " + target.line())


def save_record(record: dict[str, Any], rows: list[Any], hop_table: str | None = None) -> None:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    (WORK / f"results-{stamp}.json").write_text(json.dumps(record, indent=2))
    extra = f"\n## One loopback hop\n\n{hop_table}\n" if hop_table else ""
    (WORK / "last-run.md").write_text(render_markdown(rows) + "\n" + extra)
    say(f"results: .bench/results-{stamp}.json; Markdown table: .bench/last-run.md")


def run(args: argparse.Namespace) -> int:
    WORK.mkdir(exist_ok=True)
    try:
        plan = Plan.of(args)
    except ValueError as exc:
        say(str(exc))
        return 2
    info, load = machine(), load_average()
    announce(info, load)
    tools = set_up(args, plan)
    measured = Measured()
    started_at = time.monotonic()
    for round_no in range(plan.rounds):
        if not run_round(tools, plan, measured, round_no):
            return 1
    say("in-process (no socket) ...")
    prepared = measured.prepared
    ip = inproc.measure(max(1.0, plan.duration / 2),
                        prepared.captured.get("/banqer-list") if prepared else None)
    if ip.skipped:
        say(f"  in-process skipped: {ip.skipped}")
    summary = Summary.of(measured, [] if ip.skipped else inprocess_rows(ip.__dict__), ip.reset_us)
    load_after = load_average()
    say()
    print_summary(
        f"specmock bench — {info['date']} — {info['nproc']} cores, {info['cpu']}, Python {info['python']}; "
        f"{tools.generator.name}; uvicorn {tools.impl}; median of {plan.rounds} interleaved round(s), "
        f"{plan.duration:g} s each; load average before/after {load[0]:.2f}/{load_after[0]:.2f}",
        "ratios are value / baseline in the same run: above 1x is more req/s, or more ms, than the baseline",
        summary.rows, summary.verdicts,
        "targets (every check on: token signature and expiry, scope, request validation, journal, "
        "rate limits):",
    )
    hop_table = one_hop(args, plan, tools)
    say(f"\n(total {time.monotonic() - started_at:.0f} s)")
    save_record({
        "machine": info,
        "load_before": load,
        "load_after": load_after,
        "generator": tools.generator.name,
        "uvicorn": tools.impl,
        "rounds": plan.rounds,
        "duration_s": plan.duration,
        "connections": args.connections,
        "results": {k: {n: [r.__dict__ for r in runs] for n, runs in v.items()}
                    for k, v in measured.results.items()},
        "startup_s": measured.startups,
        "rss_mib_after_list": measured.rss,
        "rss_mib_after_all": measured.rss_all,
        "inprocess": ip.__dict__,
        "targets": [{"name": t.name, "measured": t.measured, "limit": t.limit, "verdict": t.verdict}
                    for t in summary.verdicts],
        "skipped": prepared.skipped if prepared else {},
        "one_hop": hop_table,
    }, summary.rows, hop_table)
    return 0


def one_hop(args: argparse.Namespace, plan: Plan, tools: Tools) -> str | None:
    """The ``bench proxy`` comparison, short (1 round, 2–3 s per measurement): direct, bare hop,
    specmock proxy and Prism's proxy on the Banqer list; its Markdown table, or ``None``."""
    if args.no_hop:
        return None
    duration = max(1.0, min(3.0, plan.duration * 2 / 3))
    hop_args = argparse.Namespace(rounds=1, duration=duration, warmup=min(plan.warmup, 1.0),
                                  connections=args.connections, proxy_pythonpath="")
    say()
    say(f"one loopback hop (python -m bench proxy, 1 round, {hop_args.duration:g} s each) ...")
    prism_here = PrismRow(WORK if tools.prism else None, BANQER_SPEC,
                          "--no-prism given" if args.no_prism else "Prism is not available (see above)")
    return measure_hops(hop_args, ROOT, WORK, tools.env, tools.generator.use_wrk, mock_server(tools.env),
                        say, prism_here)


@dataclass(frozen=True)
class Summary:
    """The medians of the rounds as table rows, and the targets' verdicts."""

    rows: list[Any]
    verdicts: list[Any]

    @classmethod
    def of(cls, measured: Measured, inproc_rows: list[tuple[str, str, float | None, float | None]],
           reset_us: float | None) -> Summary:
        figures = {key: {name: Figures.of(runs) for name, runs in by_server.items()}
                   for key, by_server in measured.results.items()}
        startup_s = {name: median(values) for name, values in measured.startups.items()}
        rss_mib = {name: median(values) for name, values in measured.rss.items()}
        rss_all_mib = {name: median(values) for name, values in measured.rss_all.items()}
        rows = table_rows({s.key: s.title for s in SCENARIOS}, figures, startup_s, rss_mib, inproc_rows,
                          rss_all_mib=rss_all_mib)
        return cls(rows, targets(figures, startup_s, rss_mib, reset_us))


def inprocess_rows(ip: dict[str, Any]) -> list[tuple[str, str, float | None, float | None]]:
    bare = ip.get("bare_asgi_calls_per_s")
    return [
        ("in-process: reference BanqerClient, calls/s", MOCK, ip.get("client_calls_per_s"), None),
        ("in-process: httpx ASGITransport, calls/s", MOCK, ip.get("asgi_calls_per_s"), bare),
        ("", BARE, bare, bare),
        ("per-test MockState.reset(), µs", MOCK, ip.get("reset_us"), None),
        ("MockState.reset() with nothing to clear, µs", MOCK, ip.get("reset_idle_us"), None),
    ]


def report(path: str) -> int:
    """Print the table and targets of a saved run (``.bench/results-*.json``) again, text and Markdown."""
    record = json.loads(Path(path).read_text())
    results = {
        key: {name: [LoadResult(**r) for r in runs] for name, runs in by_server.items()}
        for key, by_server in record["results"].items()
    }
    after_list = record.get("rss_mib_after_list") or {}
    after_all = record.get("rss_mib_after_all") or record.get("rss_mib") or {}
    measured = Measured(results, record["startup_s"], after_list, after_all)
    ip = record.get("inprocess") or {}
    summary = Summary.of(measured, [] if ip.get("skipped") else inprocess_rows(ip), ip.get("reset_us"))
    info = record["machine"]
    print_summary(
        f"specmock bench — {info['date']} — {info['nproc']} cores, {info['cpu']}, Python {info['python']}; "
        f"{record['generator']}; uvicorn {record['uvicorn']}; median of {record['rounds']} interleaved "
        f"round(s), {record['duration_s']:g} s each; load average before/after "
        f"{record['load_before'][0]:.2f}/{record['load_after'][0]:.2f}",
        "" if after_list else
        "(a run saved before RSS was also read after the list load: it has the end-of-run RSS only)",
        summary.rows, summary.verdicts,
    )
    say()
    say(render_markdown(summary.rows))
    if record.get("one_hop"):
        say()
        say(record["one_hop"])
    return 0


def _request_for(prepared: Prepared, server: str, key: str) -> Any:
    if key not in prepared.mock:
        return None
    if server == MOCK:
        return prepared.mock[key]
    if server == BARE:
        return prepared.bare_request(key)
    if server == PROXY:
        return proxy_request(prepared.mock, key)
    return prepared.prism.get(key)


# -- command line ----------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="1 round, 3 s per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3; median taken)")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per measurement (default 8)")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up per server and round")
    parser.add_argument(
        "--connections", type=int, default=CONNECTIONS, help="keep-alive connections (default 16)"
    )
    parser.add_argument(
        "--scenarios", default="", help=f"comma-separated subset of: {', '.join(SCENARIO_KEYS)}"
    )
    parser.add_argument("--no-prism", action="store_true", help="leave Prism out (its mock and its proxy)")
    parser.add_argument("--no-hop", action="store_true",
                        help="leave out the short one-loopback-hop comparison (python -m bench proxy)")
    parser.add_argument(
        "--tuned",
        action="store_true",
        help="serve with uvloop and httptools (installed into .bench/pylib, not the venv)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    soak = commands.add_parser("soak", help="100,000 mixed requests; RSS every 10,000")
    soak.add_argument("--requests", type=int, default=100_000)
    soak.add_argument("--every", type=int, default=10_000, help="sample RSS every N requests")
    soak.add_argument("--workers", type=int, default=4, help="client threads, one keep-alive connection each")
    soak.add_argument(
        "--advance-every",
        type=int,
        default=5_000,
        help="advance the mock's clock past every token lifetime every N requests",
    )
    soak.add_argument("--tuned", action="store_true", help="as for the main run")
    profile = commands.add_parser("profile", help="where the mock spends its time under load (py-spy)")
    profile.add_argument("--scenario", default="banqer-list", choices=SCENARIO_KEYS)
    profile.add_argument("--seconds", type=float, default=10.0)
    profile.add_argument("--top", type=int, default=30)
    profile.add_argument(
        "--inprocess",
        action="store_true",
        help="no server: call the app directly under cProfile (deterministic, µs per request by owner)",
    )
    profile.add_argument("--requests", type=int, default=3000, help="requests per --inprocess measurement")
    profile.add_argument(
        "--raw",
        default="",
        help="where to keep py-spy's raw stacks "
        "(default .bench/profile-stacks.txt; feed them to a flame-graph tool)",
    )
    profile.add_argument("--tuned", action="store_true", help="as for the main run")
    again = commands.add_parser("report", help="print the table of a saved run again (text and Markdown)")
    again.add_argument("file", help=".bench/results-<time>.json")
    consumer = commands.add_parser("consumer", help="time each consumer suite against its reference client")
    consumer.add_argument("--runs", type=int, default=3, help="runs per suite (median taken)")
    startup = commands.add_parser("startup", help="where specmock serve's start-up time goes")
    startup.add_argument("--runs", type=int, default=5)
    startup.add_argument("--tuned", action="store_true", help="as for the main run")
    issuing = commands.add_parser("tokens", help="token issuing rate as the registry grows (in-process)")
    issuing.add_argument("--tokens", type=int, default=200_000, help="records issued (default 200,000)")
    issuing.add_argument("--logins", type=int, default=500, help="Assine logins timed per measurement")
    hop = commands.add_parser(
        "proxy", help="the Banqer list direct, through a bare TCP relay, specmock proxy and Prism's proxy"
    )
    hop.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3; median taken)")
    hop.add_argument("--duration", type=float, default=5.0, help="seconds per measurement (default 5)")
    hop.add_argument("--warmup", type=float, default=2.0, help="seconds of warm-up per path")
    hop.add_argument("--connections", type=int, default=CONNECTIONS,
                     help="the concurrent level, beside 1 connection (default 16)")
    hop.add_argument("--proxy-pythonpath", default="", metavar="DIR",
                     help="also measure the proxy of another revision installed in DIR "
                     "(pip install --no-deps --target DIR <checkout>)")
    hop.add_argument("--tuned", action="store_true", help="as for the main run")
    hop.add_argument("--no-prism", action="store_true", help="leave out Prism's validating proxy")
    driver = commands.add_parser(
        "driver", help="the Banqer consumer contract through the Node driver vs the Python reference client"
    )
    driver.add_argument("--rounds", type=int, default=3)
    driver.add_argument("--max-examples", type=int, default=25, help="examples per property")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    os.chdir(ROOT)
    if args.command == "soak":
        from bench.soak import soak

        return soak(args, mock_server(tuned_env() if args.tuned else {}), say)
    if args.command == "profile":
        from bench.profile import inprocess, profile

        if args.inprocess:
            return inprocess(args, say)
        return profile(args, mock_server(tuned_env() if args.tuned else {}), say)
    if args.command == "report":
        return report(args.file)
    if args.command == "tokens":
        from bench.tokens import tokens

        return tokens(args, say)
    if args.command == "consumer" or args.command is None:
        from bench import consumer as consumer_suites

        consumer_suites.measure(say, ROOT, getattr(args, "runs", 1))
        if args.command == "consumer":
            return 0
    if args.command == "startup":
        from bench.startup import startup

        env = tuned_env() if args.tuned else {}
        return startup(args, ROOT, env, say, lambda: mock_server(env))
    if args.command == "proxy":
        from bench.hop import hop_bench

        WORK.mkdir(exist_ok=True)
        env = tuned_env() if args.tuned else {}
        use_wrk = ensure_wrk(say)
        return hop_bench(args, ROOT, WORK, env, use_wrk, mock_server(env), say, prism_row(args.no_prism))
    if args.command == "driver":
        from bench.contract_driver import driver_bench

        return driver_bench(args, say)
    return run(args)


if __name__ == "__main__":
    raise SystemExit(main())
