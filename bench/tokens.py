"""``python -m bench tokens``: does issuing a token stay flat as the registry grows?

Two measurements, printed, never asserted:

1. The registry alone: ``--tokens`` records issued one after the other (Banqer's 300-second
   lifetime, the clock moving 50 ms per issue, so records expire, pass the hour they are kept
   for, and are purged from about the 78,000th issue on), timed per block of 10,000. Flat means
   the last blocks cost about what the first did.
2. Assine logins (the password grant, which signs a JWT and records it) in-process, on a fresh
   mock and again once its registry already holds ``--tokens`` records.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

BLOCK = 10_000


def registry_rate(tokens: int, say: Callable[[str], None]) -> list[tuple[int, float]]:
    """µs per issue, per block of :data:`BLOCK` issues, as ``(records so far, µs)``."""
    from specmock.mocks.core.tokens import TokenRecord, TokenRegistry

    registry = TokenRegistry()
    rows: list[tuple[int, float]] = []
    now = 1_800_000_000.0
    issued = 0
    while issued < tokens:
        started = time.perf_counter()
        for _ in range(BLOCK):
            issued += 1
            now += 0.05
            registry.issue(TokenRecord("banqer", f"t{issued}", now + 300, now, "client",
                                       {"client_id": "app"}), now)
        rows.append((issued, (time.perf_counter() - started) / BLOCK * 1e6))
        say(f"  {issued:>8,} issued  {rows[-1][1]:6.2f} µs per token  ({len(registry):,} kept)")
    return rows


def login_rate(prefill: int, logins: int) -> float:
    """Assine password-grant logins per second, in-process, with ``prefill`` records in the registry."""
    import httpx

    from specmock.mocks.app import create_app, create_state
    from specmock.mocks.core.tokens import TokenRecord
    from specmock.mocks.transport import sync_transport

    state = create_state()
    app = create_app(state)
    now = state.clock.now()
    for i in range(prefill):
        state.tokens.issue(TokenRecord("assine", f"fill{i}", now + 3600, now), now)
    body = {"grant_type": "password", "client_id": "app", "client_secret": "app",
            "username": "demo@empresa.example", "password": "demo-password"}
    with httpx.Client(transport=sync_transport(app), base_url="http://127.0.0.1") as client:
        assert client.post("/assine/oauth", json=body).status_code == 200  # builds the API first
        started = time.perf_counter()
        for _ in range(logins):
            client.post("/assine/oauth", json=body)
        return logins / (time.perf_counter() - started)


def tokens(args: argparse.Namespace, say: Callable[[str], None]) -> int:
    say(f"token registry: {args.tokens:,} issues, µs per token per block of {BLOCK:,}")
    rows = registry_rate(args.tokens, say)
    first, last = rows[0][1], rows[-1][1]
    say(f"first block {first:.2f} µs, last block {last:.2f} µs per token (x{last / first:.2f})")
    fresh = login_rate(0, args.logins)
    full = login_rate(args.tokens, args.logins)
    say(f"assine logins in-process: {fresh:,.0f}/s on a fresh mock, {full:,.0f}/s with "
        f"{args.tokens:,} tokens in the registry")
    return 0
