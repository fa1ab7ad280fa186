"""``python -m bench driver``: the Banqer consumer contract through the Node driver vs in Python.

Each round runs every property of the Banqer contract twice, interleaved: against the Python
reference client (``ReferenceBanqerAdapter``) and against the project's Node client behind the
driver protocol (``tests/contracts/node/banqer-driver.mjs``). Hypothesis is derandomized with the
same number of examples for both, so both face the same server scripts. Prints seconds per
property (medians over the rounds) and the ratio; the driver's start (node and the kit) is timed
on its own. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

NODE_CLIENTS = Path(__file__).resolve().parents[1] / "tests" / "contracts" / "node"
_STAMP = NODE_CLIENTS / "node_modules" / ".specmock-lock-sha256"


def ensure_node_clients(say: Callable[[str], None]) -> str | None:
    """``npm ci`` of the Node clients when needed; the reason when it cannot be done."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        return "node/npm not found: the driver benchmark needs Node.js 18+ and npm"
    want = hashlib.sha256((NODE_CLIENTS / "package-lock.json").read_bytes()).hexdigest()
    if _STAMP.exists() and _STAMP.read_text() == want:
        return None
    say(f"installing the Node clients' dependencies: npm ci in {NODE_CLIENTS} ...")
    done = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=NODE_CLIENTS,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        return "npm ci failed: " + (done.stderr or done.stdout).strip()[-400:]
    _STAMP.write_text(want)
    return None


def ratio_rows(python_s: dict[str, list[float]], driver_s: dict[str, list[float]]) -> list[tuple[str, ...]]:
    """Table rows: property, median seconds in Python, through the driver, and their ratio."""
    rows: list[tuple[str, ...]] = []
    totals = [0.0, 0.0]
    for name, runs in python_s.items():
        py, drv = statistics.median(runs), statistics.median(driver_s[name])
        totals[0] += py
        totals[1] += drv
        rows.append((name, f"{py:.2f}", f"{drv:.2f}", f"{drv / py:.2f}x" if py > 0 else "-"))
    py, drv = totals
    rows.append(("total", f"{py:.2f}", f"{drv:.2f}", f"{drv / py:.2f}x" if py > 0 else "-"))
    return rows


def render(rows: list[tuple[str, ...]]) -> str:
    header = ("property", "python s", "driver s", "driver/python")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def driver_bench(args: argparse.Namespace, say: Callable[[str], None]) -> int:
    problem = ensure_node_clients(say)
    if problem:
        say(problem)
        return 1
    from hypothesis import settings

    from specmock.contracts.consumer import BanqerCommandAdapter, run_banqer_contract
    from specmock.contracts.consumer.banqer import PROPERTIES
    from specmock.contracts.consumer.reference import ReferenceBanqerAdapter

    settings.register_profile(
        "bench-driver", settings(), max_examples=args.max_examples, derandomize=True, database=None
    )
    settings.load_profile("bench-driver")
    python = ReferenceBanqerAdapter()
    driver = BanqerCommandAdapter(["node", str(NODE_CLIENTS / "banqer-driver.mjs")])
    started = time.perf_counter()
    driver.driver.start()
    say(f"driver start (node + kit + hello): {time.perf_counter() - started:.3f} s")
    timings: dict[str, dict[str, list[float]]] = {"python": {}, "driver": {}}
    adapters: dict[str, Any] = {"python": python, "driver": driver}
    try:
        for round_no in range(1, args.rounds + 1):
            for name in PROPERTIES:
                order = ["python", "driver"] if round_no % 2 else ["driver", "python"]
                for who in order:
                    t0 = time.perf_counter()
                    run_banqer_contract(adapters[who], only=[name])
                    timings[who].setdefault(name, []).append(time.perf_counter() - t0)
            say(f"round {round_no}/{args.rounds} done")
    finally:
        driver.stop()
    say(
        f"Banqer consumer contract, {args.max_examples} examples per property, median of {args.rounds} rounds"
    )
    say(render(ratio_rows(timings["python"], timings["driver"])))
    return 0
