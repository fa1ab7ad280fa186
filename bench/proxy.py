"""The validating proxy as a server under test: ``specmock proxy`` in front of the bench's mock.

It runs the Banqer list only (the scenario the proxy's throughput is reported on), with the
mock's own request: the proxy serves the mock's paths, so the same request goes to either. Its
row sits beside the direct mock's in the table; the difference is one loopback hop plus the proxy's own work.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from bench.procs import Server
from bench.report import PROXY

__all__ = ["PROXY", "PROXY_SCENARIOS", "proxy_request", "proxy_server"]

#: Scenarios sent through the proxy.
PROXY_SCENARIOS = ("banqer-list",)


def proxy_server(env: dict[str, str], mock_url: str, cwd: Path, log_dir: Path) -> Server:
    return Server(
        PROXY,
        [
            sys.executable,
            "-m",
            "specmock",
            "proxy",
            "--host",
            "127.0.0.1",
            "--port",
            "{port}",
            "--api",
            "banqer",
            "--upstream",
            mock_url + "/banqer/{tenant}",
        ],
        health_path="/__mock__/drift",
        env=env,
        cwd=cwd,
        log_dir=log_dir,
    )


def proxy_request(mock_requests: dict[str, Any], key: str) -> Any:
    """The request the proxy gets for scenario ``key`` (the mock's own), or ``None`` if it skips it."""
    return mock_requests.get(key) if key in PROXY_SCENARIOS else None
