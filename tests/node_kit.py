"""The Node side of the tests: ``npm ci`` of tests/contracts/node from its committed lockfile.

Run once per machine (a stamp holds the lockfile's hash), under a file lock so xdist workers
do not install over each other. Skips, naming what is missing, only when node or npm is not on
PATH; a failing ``npm ci`` fails the test.
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

__all__ = ["NODE_CLIENTS", "node_clients"]

NODE_CLIENTS = Path(__file__).parent / "contracts" / "node"
_STAMP = NODE_CLIENTS / "node_modules" / ".specmock-lock-sha256"


def node_clients() -> Path:
    """tests/contracts/node with its npm dependencies installed."""
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{' and '.join(missing)} not on PATH: the Node driver tests need Node.js 18+ and npm")
    want = hashlib.sha256((NODE_CLIENTS / "package-lock.json").read_bytes()).hexdigest()
    with open(NODE_CLIENTS / ".npm-ci.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _STAMP.exists() and _STAMP.read_text() == want:
            return NODE_CLIENTS
        done = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=NODE_CLIENTS,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            pytest.fail(f"npm ci in {NODE_CLIENTS} failed: {(done.stderr or done.stdout).strip()[-800:]}")
        _STAMP.write_text(want)
    return NODE_CLIENTS
