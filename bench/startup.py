"""``python -m bench startup``: where ``specmock serve``'s start-up time goes, phase by phase.

A fresh interpreter goes through ``specmock serve``'s steps with a clock around each: interpreter
start, the command-line module, the server module (uvicorn), the shared core, ``create_state``
(every API hosted, none imported yet; the RSA signing key starts generating in the background) and
``create_app``. From there the server answers. Then come the steps ``specmock serve`` runs in the
background once it listens (the warm-up): the wait for the signing key, and for each API the
import of its module (the first importer of a third-party package pays for it) and the building of
its mock and app. The heaviest top-level imports come from ``python -X importtime``. Medians of a
few runs; the spawn → first 200 the main bench measures adds uvicorn's start and the first request
to the phases before the warm-up.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench.load import Request
from bench.procs import Server, http_exchange
from bench.scenarios import BANQER_TENANT, banqer_list_path, banqer_token_request

#: Phases whose name starts with this run in the background in ``specmock serve``.
WARM_UP = "warm-up: "

CHILD = r"""
import json, time
t0 = time.perf_counter()
phases = []
def mark(name, since):
    now = time.perf_counter()
    phases.append((name, now - since))
    return now
t = t0
import specmock.cli
t = mark("import specmock.cli", t)
from specmock.mocks import server
t = mark("import the server (uvicorn)", t)
from specmock.mocks import app as app_module
from specmock.mocks.config import MockConfig
t = mark("import the core (app factory, admin API, config)", t)
state = app_module.create_state(MockConfig())
t = mark("create_state (APIs built on first use; key generation starts)", t)
app = app_module.create_app(state)
t = mark("create_app", t)
state.keys.wait()
t = mark("WARM_UPwait for the RSA signing key", t)
mounts = {route.path: route.app for route in app.router.routes}
from specmock.mocks.descriptor import resolve
from specmock.mocks.registry import mounts as registered
for entry in registered():
    resolve(entry.target)
    t = mark(f"WARM_UPimport {entry.target.partition(':')[0]}", t)
    api = mounts[entry.path].ready().api
    t = mark(f"WARM_UPbuild {entry.target.partition(':')[2]} and its app", t)
    api.warm_up()
    t = mark(f"WARM_UPwarm up {entry.target.partition(':')[2]} (data built on first use)", t)
print("PHASES " + json.dumps(phases))
""".replace("WARM_UP", WARM_UP)

_IMPORTTIME = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def top_imports(stderr: str, count: int = 8) -> list[tuple[str, float]]:
    """The slowest top-level imports (cumulative, ms) of a ``-X importtime`` report."""
    found: list[tuple[str, float]] = []
    for line in stderr.splitlines():
        match = _IMPORTTIME.match(line)
        if match and len(match.group(3)) == 1:  # one space: imported at top level
            found.append((match.group(4), int(match.group(2)) / 1000))
    return sorted(found, key=lambda item: -item[1])[:count]


def run_child(
    root: Path, env: dict[str, str] | None = None, importtime: bool = False
) -> tuple[float, list[tuple[str, float]], str]:
    """(spawn to done in s, the child's phases, its stderr)."""
    argv = [sys.executable, *(["-X", "importtime"] if importtime else []), "-c", CHILD]
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, cwd=root, env=env, check=False, timeout=120)
    total = time.perf_counter() - started
    line = next((x for x in done.stdout.splitlines() if x.startswith("PHASES ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"building the app failed: {done.stderr.strip()[-800:]}")
    phases = [(name, float(seconds)) for name, seconds in json.loads(line[len("PHASES ") :])]
    return total, phases, done.stderr


def _exchange(port: int, request: Request) -> tuple[int, bytes]:
    return http_exchange(port, request.method, request.path, request.headers, request.body, timeout=5.0)


def first_list_seconds(server: Server, timeout: float = 30.0) -> float:
    """Spawn → the first 200 on the Banqer list, the way a client gets there: a token as soon as the
    realm gives one, then the list. The server's warm-up runs meanwhile, as it does for any user."""
    with server:
        spawned = time.perf_counter() - server.startup_s
        token_request = banqer_token_request()
        while (answer := _exchange(server.port, token_request))[0] != 200:
            if time.perf_counter() - spawned > timeout:
                raise RuntimeError(f"no Banqer token within {timeout:.0f} s: {answer[0]} {answer[1][:200]!r}")
            time.sleep(0.002)
        token = json.loads(answer[1])["access_token"]
        listing = Request("GET", f"/banqer/{BANQER_TENANT}{banqer_list_path()}",
                          {"Authorization": f"Bearer {token}"})
        status, body = _exchange(server.port, listing)
        if status != 200:
            raise RuntimeError(f"the first Banqer list answered {status}: {body[:200]!r}")
        return time.perf_counter() - spawned


def startup(args: argparse.Namespace, root: Path, env: dict[str, str], say: Callable[[str], None],
            spawn_mock: Callable[[], Server]) -> int:
    import os

    child_env = {**os.environ, **env}
    runs = [run_child(root, child_env) for _ in range(args.runs)]
    names = [name for name, _ in runs[0][1]]
    medians = {name: statistics.median(dict(phases)[name] for _, phases, _ in runs) for name in names}
    total = statistics.median(t for t, _, _ in runs)
    interpreter = statistics.median(t - sum(s for _, s in phases) for t, phases, _ in runs)
    ready = statistics.median(
        t - sum(s for name, s in phases if name.startswith(WARM_UP)) for t, phases, _ in runs
    )
    say(f"start-up of `specmock serve` phase by phase: median of {args.runs} runs, {total:.3f} s in all")
    say(f"  {interpreter * 1000:7.0f} ms  interpreter start and exit")
    for name in names:
        if not name.startswith(WARM_UP):
            say(f"  {medians[name] * 1000:7.0f} ms  {name}")
    say(f"  {ready * 1000:7.0f} ms  the server can answer (add uvicorn's start and the first request)")
    say("then in the background, once the server listens:")
    for name in names:
        if name.startswith(WARM_UP):
            say(f"  {medians[name] * 1000:7.0f} ms  {name[len(WARM_UP):]}")
    firsts = [first_list_seconds(spawn_mock()) for _ in range(args.runs)]
    say(f"spawn → first 200 on the Banqer list (a token, then the list) with `specmock serve`: median "
        f"{statistics.median(firsts):.3f} s of {args.runs} runs ({', '.join(f'{x:.2f}' for x in firsts)})")
    _, _, stderr = run_child(root, child_env, importtime=True)
    say("slowest top-level imports (python -X importtime, cumulative; part of the phases above):")
    for module, ms in top_imports(stderr):
        say(f"  {ms:7.0f} ms  {module}")
    return 0
