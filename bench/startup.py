"""``python -m bench startup``: where ``specmock serve``'s start-up time goes, phase by phase.

A fresh interpreter builds the app exactly as ``specmock serve`` does (``create_state`` then
``create_app``) with a clock around each step: interpreter start, the command-line module, the
shared core, then for each hosted API the import of its module (the first importer of a
third-party package pays for it) and the construction of its mock, the wait for the RSA signing
key (generated in the background meanwhile) and the app itself. The heaviest top-level imports
come from ``python -X importtime``. Medians of a few runs; the spawn → first 200 the main bench
measures adds uvicorn's start and the first request on top.
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
from specmock.mocks import app as app_module
from specmock.mocks.config import MockConfig
from specmock.mocks.core.state import MockState
t = mark("import the core (app factory, admin API, config)", t)
state = MockState(MockConfig())
t = mark("MockState() (key generation starts in the background)", t)
for target in app_module.API_CLASSES:
    cls = app_module._load(target)
    t = mark(f"import {target.partition(':')[0]}", t)
    state.add_api(cls(state))
    t = mark(f"construct {target.partition(':')[2]}", t)
state.keys.wait()
t = mark("wait for the RSA signing key", t)
app = app_module.create_app(state)
t = mark("create_app", t)
print("PHASES " + json.dumps(phases))
"""

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


def startup(args: argparse.Namespace, root: Path, env: dict[str, str], say: Callable[[str], None]) -> int:
    import os

    child_env = {**os.environ, **env}
    runs = [run_child(root, child_env) for _ in range(args.runs)]
    names = [name for name, _ in runs[0][1]]
    medians = {name: statistics.median(dict(phases)[name] for _, phases, _ in runs) for name in names}
    total = statistics.median(t for t, _, _ in runs)
    interpreter = statistics.median(t - sum(s for _, s in phases) for t, phases, _ in runs)
    say(
        f"start-up of the app as `specmock serve` builds it: median of {args.runs} runs, {total:.3f} s in all"
    )
    say(f"  {interpreter * 1000:7.0f} ms  interpreter start and exit")
    for name in names:
        say(f"  {medians[name] * 1000:7.0f} ms  {name}")
    _, _, stderr = run_child(root, child_env, importtime=True)
    say("slowest top-level imports (python -X importtime, cumulative; part of the phases above):")
    for module, ms in top_imports(stderr):
        say(f"  {ms:7.0f} ms  {module}")
    return 0
