"""The consumer contract suites timed against the reference clients, at default settings.

Each suite runs every property against its reference adapter with the ``specmock`` Hypothesis
profile (what a team gets without options), in a fresh interpreter so that no suite profits from
another's warm caches. Printed: wall and CPU seconds per suite and in total; nothing is asserted.

    python -m bench consumer [--runs N]
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

__all__ = ["SUITES", "measure", "time_suite"]

SUITES = ("banqer", "pbm", "assine")

_CHILD = """
import json, sys, time
from hypothesis import settings
from specmock.contracts import profiles
profiles.register()
settings.load_profile("specmock")
from specmock.contracts.consumer import assine, banqer, pbm
from specmock.contracts.consumer import reference
api = sys.argv[1]
module = {"banqer": banqer, "pbm": pbm, "assine": assine}[api]
adapter = {"banqer": reference.ReferenceBanqerAdapter, "pbm": reference.ReferencePbmAdapter,
           "assine": reference.ReferenceAssineAdapter}[api]()
wall, cpu = time.perf_counter(), time.process_time()
module.SUITE.run(adapter)
print(json.dumps({"wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu}))
"""


def time_suite(api: str, cwd: Path) -> dict[str, float]:
    """Wall and CPU seconds of one run of ``api``'s suite in a new interpreter."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, api], cwd=cwd, capture_output=True, text=True, timeout=600, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"the {api} suite failed against its reference client:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(say: Callable[..., None], cwd: Path, runs: int = 1) -> dict[str, dict[str, float]]:
    """Median wall/CPU seconds of each suite over ``runs`` runs, printed as they come."""
    say(f"consumer suites against the reference clients (profile specmock, {runs} run(s), median):")
    figures: dict[str, dict[str, float]] = {}
    for api in SUITES:
        samples = [time_suite(api, cwd) for _ in range(runs)]
        figures[api] = {k: statistics.median(s[k] for s in samples) for k in ("wall_s", "cpu_s")}
        say(f"  {api:7} {figures[api]['wall_s']:6.2f} s wall  {figures[api]['cpu_s']:6.2f} s CPU")
    total = {k: sum(f[k] for f in figures.values()) for k in ("wall_s", "cpu_s")}
    say(f"  {'total':7} {total['wall_s']:6.2f} s wall  {total['cpu_s']:6.2f} s CPU")
    return figures
