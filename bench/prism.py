"""Prism 5 as a baseline, run as a mock or as a validating proxy; installed by ``npm ci`` into
``.bench/`` from the lockfile in ``bench/prism-lock``.

``prism proxy <spec> <upstream> --errors`` checks each request and each upstream answer against the
spec; with ``--errors`` a violation turns the answer into a 500 ``application/problem+json`` (a 422
for the request) and names it in an ``sl-violations`` header: the established validating proxy
``specmock proxy`` is measured against.
"""

from __future__ import annotations

import fcntl
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from bench.load import Request
from bench.procs import HOST, Server

__all__ = [
    "PRISM_PACKAGE",
    "PRISM_PROXY",
    "ensure_prism",
    "planted_violation",
    "prism_bin",
    "prism_proxy_server",
]

#: The committed package.json and package-lock.json that pin Prism and everything it pulls in.
LOCK_DIR = Path(__file__).with_name("prism-lock")
PRISM_PACKAGE = "@stoplight/prism-cli@" + json.loads((LOCK_DIR / "package.json").read_text())[
    "devDependencies"]["@stoplight/prism-cli"]
PRISM_PROXY = "Prism proxy"
_LOCKFILES = ("package.json", "package-lock.json")


def prism_bin(work: Path) -> Path:
    return work / "node_modules" / ".bin" / "prism"


def _installed(work: Path) -> bool:
    """Prism is in ``work`` and was installed from the lockfile as it is now."""
    return prism_bin(work).exists() and all(
        (work / name).is_file() and (work / name).read_bytes() == (LOCK_DIR / name).read_bytes()
        for name in _LOCKFILES
    )


def ensure_prism(work: Path, say: Callable[[str], None]) -> tuple[bool, str]:
    """Prism in ``work/node_modules``, installed by ``npm ci`` from the committed lockfile on first
    use (and again when the lockfile changes); ``(ok, why not)``.

    A file lock keeps concurrent callers (test workers, two benches) from installing over each other.
    """
    if _installed(work):
        return True, ""
    if not shutil.which("node") or not shutil.which("npm"):
        return False, "node/npm not found: Prism is skipped (install Node.js 18+ and npm to compare with it)"
    work.mkdir(parents=True, exist_ok=True)
    with open(work / ".prism-install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _installed(work):
            return True, ""
        for name in _LOCKFILES:
            shutil.copyfile(LOCK_DIR / name, work / name)
        say(f"installing Prism ({PRISM_PACKAGE}): npm ci in {work.name} from bench/prism-lock ...")
        try:
            done = subprocess.run(
                ["npm", "ci", "--prefix", str(work), "--no-audit", "--no-fund", "--loglevel=error"],
                capture_output=True,
                text=True,
                check=False,
                timeout=600,
            )
        except subprocess.TimeoutExpired:
            return False, "npm ci of Prism took over 10 min, Prism is skipped"
    if done.returncode != 0 or not prism_bin(work).exists():
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return False, "npm ci of Prism failed, Prism is skipped: " + " / ".join(tail)
    return True, ""


def prism_proxy_server(work: Path, spec: Path, upstream: str, probe: Request, cwd: Path, log_dir: Path
                       ) -> Server:
    """``prism proxy`` with ``--errors`` in front of ``upstream``; ready once ``probe`` answers 200
    through it (the probe carries a token the upstream accepts). Logging is silent, as for the Prism
    mock row: its per-request lines would otherwise be part of what is measured."""
    return Server(
        PRISM_PROXY,
        [
            str(prism_bin(work)),
            "proxy",
            str(spec),
            upstream,
            "-p",
            "{port}",
            "-h",
            HOST,
            "--errors",
            "-v",
            "silent",
        ],
        health_path=probe.path,
        health_headers=dict(probe.headers),
        cwd=cwd,
        log_dir=log_dir,
    )


def planted_violation(mock_url: str, prism_port: int, request: Request, body: dict[str, Any]
                      ) -> tuple[int, list[dict[str, Any]]]:
    """Queue one upstream answer of ``body`` (status 200) on the mock's fault API for ``request``'s
    operation, send ``request`` through Prism, and return Prism's status and its ``sl-violations``."""
    path = request.path.split("?", 1)[0]
    with httpx.Client(timeout=10) as client:
        fault = {"api": "banqer", "method": request.method, "path": path, "status": 200, "times": 1,
                 "body": body}
        client.post(f"{mock_url}/__mock__/faults", json=fault).raise_for_status()
        try:
            answer = client.request(request.method, f"http://{HOST}:{prism_port}{request.path}",
                                    headers=dict(request.headers), content=request.body or None)
        finally:
            client.delete(f"{mock_url}/__mock__/faults")
    header = answer.headers.get("sl-violations")
    return answer.status_code, json.loads(header) if header else []
