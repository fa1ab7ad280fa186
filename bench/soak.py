"""``python -m bench soak``: does the mock stay flat over a long run?

100,000 requests mixed across every hosted API, token endpoints included, from a few client
threads with one keep-alive connection each. Every ``--advance-every`` requests the mock's clock
moves past every token lifetime and the one-hour grace the registry keeps expired tokens for
(``POST /__mock__/clock/advance``), so the clients' tokens expire (they log in again on the 401)
and the registry can purge them. The server's RSS is sampled every ``--every`` requests.

Flat means: the journal is bounded, no per-token state leaks, expired tokens are purged. The
first half of the run is warm-up (the bounded caches and maps fill: verified tokens, rate-limit
windows, the journal, the allocator's arenas); the verdict is the growth over the second half.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from bench.procs import HOST, Server
from bench.scenarios import (
    ASSINE_FILTER,
    BANQER_TENANT,
    PBM_MEDICINES,
    assine_login_request,
    banqer_list_path,
    banqer_token_request,
    enable_rate_limits,
    pbm_graphql_path,
    pbm_token_request,
)

#: Growth over the second half of the run above which it is reported as not flat.
FLAT_MIB = 4.0
CLOCK_JUMP_S = 3 * 3600 + 60  # past the longest token lifetime (1 h) plus the registry's 1 h grace


@dataclass
class Counts:
    total: int = 0
    claimed: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    by_kind: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Client:
    """One keep-alive connection and the tokens of one simulated user of every API."""

    def __init__(self, port: int, mounts: dict[str, str]) -> None:
        self.port = port
        self.mounts = mounts
        self.conn = http.client.HTTPConnection(HOST, port, timeout=30)
        self.tokens: dict[str, str] = {}
        self.ficha_id = ""

    def send(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes | None = None
    ) -> tuple[int, bytes]:
        for attempt in range(2):
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                response = self.conn.getresponse()
                return response.status, response.read()
            except (ConnectionError, http.client.HTTPException):
                self.conn.close()
                self.conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
                if attempt:
                    raise
        raise AssertionError("unreachable")

    # -- logins (token endpoints) --------------------------------------------------------------------

    def banqer_token(self) -> int:
        request = banqer_token_request()
        status, body = self.send(request.method, request.path, dict(request.headers), request.body)
        if status == 200:
            self.tokens["banqer"] = json.loads(body)["access_token"]
        return status

    def assine_login(self) -> int:
        request = assine_login_request(self.mounts["assine"])
        status, body = self.send(request.method, request.path, dict(request.headers), request.body)
        if status == 200:
            self.tokens["assine"] = json.loads(body)["access_token"]
        return status

    def pbm_token(self) -> int:
        request = pbm_token_request(self.mounts["pbm"])
        status, body = self.send(request.method, request.path, dict(request.headers), request.body)
        if status == 200:
            self.tokens["pbm"] = json.loads(body)["data"]["createToken"]["token"]
        return status

    # -- calls with a token; a 401 (expired after a clock jump) logs in again ------------------------

    def _authed(
        self, api: str, login: Callable[[], int], call: Callable[[dict[str, str]], tuple[int, bytes]]
    ) -> int:
        if api not in self.tokens:
            login()
        status, body = call({"Authorization": f"Bearer {self.tokens.get(api, '')}"})
        if status == 401 or (api == "pbm" and b"UNAUTHENTICATED" in body):
            self.tokens.pop(api, None)
        return status

    def banqer_list(self) -> int:
        def call(headers: dict[str, str]) -> tuple[int, bytes]:
            status, body = self.send("GET", f"/banqer/{BANQER_TENANT}{banqer_list_path()}", headers)
            if status == 200 and not self.ficha_id:
                self.ficha_id = json.loads(body)["fichas"][0]["idFichaCobranca"]
            return status, body

        return self._authed("banqer", self.banqer_token, call)

    def banqer_get(self) -> int:
        if not self.ficha_id:
            return self.banqer_list()
        return self._authed(
            "banqer",
            self.banqer_token,
            lambda headers: self.send("GET", f"/banqer/{BANQER_TENANT}/v1/fichas/{self.ficha_id}", headers),
        )

    def assine_users(self) -> int:
        from urllib.parse import urlencode

        path = f"{self.mounts['assine']}/v1/user?{urlencode(ASSINE_FILTER)}"
        return self._authed("assine", self.assine_login, lambda headers: self.send("GET", path, headers))

    def pbm_medicines(self) -> int:
        body = json.dumps({"query": PBM_MEDICINES}).encode()
        path = pbm_graphql_path(self.mounts["pbm"])
        return self._authed(
            "pbm",
            self.pbm_token,
            lambda headers: self.send("POST", path, {**headers, "Content-Type": "application/json"}, body),
        )


#: One cycle of the mix: (kind, API it needs). Token endpoints are about a quarter of all requests.
MIX: tuple[tuple[str, str], ...] = (
    ("banqer_token", "banqer-auth"),
    ("banqer_list", "banqer"),
    ("banqer_get", "banqer"),
    ("banqer_list", "banqer"),
    ("assine_login", "assine"),
    ("assine_users", "assine"),
    ("assine_users", "assine"),
    ("pbm_token", "pbm"),
    ("pbm_medicines", "pbm"),
    ("pbm_medicines", "pbm"),
    ("banqer_get", "banqer"),
    ("banqer_list", "banqer"),
)


def mix_for(hosted: set[str]) -> list[str]:
    return [kind for kind, api in MIX if api in hosted and (api != "banqer" or "banqer-auth" in hosted)]


def growth(samples: list[tuple[int, float]]) -> tuple[float, float]:
    """(growth over the whole run, growth over its second half: last sample minus the middle one), MiB."""
    if not samples:
        return 0.0, 0.0
    whole = samples[-1][1] - samples[0][1]
    return whole, samples[-1][1] - samples[len(samples) // 2][1]


def soak(args: argparse.Namespace, server: Server, say: Callable[[str], None]) -> int:
    total, every = args.requests, args.every
    say(
        f"soak: {total:,} mixed requests from {args.workers} keep-alive clients; RSS every {every:,}; clock "
        f"advanced {CLOCK_JUMP_S} s every {args.advance_every:,} requests"
    )
    with server:
        admin = Client(server.port, {})
        _, body = admin.send("GET", "/__mock__/")
        apis = json.loads(body)["apis"]
        mounts = {name: info.get("mount", "") for name, info in apis.items()}
        import httpx

        with httpx.Client(base_url=server.base_url) as http:
            enable_rate_limits(http, list(mounts))
        kinds = mix_for(set(mounts))
        if not kinds:
            say("soak: the mock hosts none of the APIs the mix uses")
            return 1
        missing = sorted({api for _, api in MIX} - set(mounts))
        if missing:
            say(f"soak: not hosted, left out of the mix: {', '.join(missing)}")
        counts = Counts()
        samples: list[tuple[int, float]] = [(0, server.rss_kib() / 1024)]
        say(f"  {0:>7,} requests  RSS {samples[0][1]:6.1f} MiB (idle, after start)")
        advances = 0
        sample_lock = threading.Lock()
        errors: list[BaseException] = []
        started = time.perf_counter()

        def after_request() -> None:
            nonlocal advances
            with counts.lock:
                counts.total += 1
                done = counts.total
            if done % args.advance_every == 0:
                admin_conn = Client(server.port, {})
                admin_conn.send(
                    "POST",
                    "/__mock__/clock/advance",
                    {"Content-Type": "application/json"},
                    json.dumps({"seconds": CLOCK_JUMP_S}).encode(),
                )
                admin_conn.conn.close()
                advances += 1
            if done % every == 0:
                with sample_lock:
                    rss = server.rss_kib() / 1024
                    samples.append((done, rss))
                    rate = done / (time.perf_counter() - started)
                say(f"  {done:>7,} requests  RSS {rss:6.1f} MiB  ({rate:,.0f} req/s)")

        def worker(index: int) -> None:
            client = Client(server.port, mounts)
            cycle = itertools.cycle(kinds[index % len(kinds) :] + kinds[: index % len(kinds)])
            try:
                while True:
                    with counts.lock:
                        if counts.claimed >= total:
                            return
                        counts.claimed += 1
                    kind = next(cycle)
                    status = getattr(client, kind)()
                    with counts.lock:
                        counts.statuses[status] += 1
                        counts.by_kind[kind] += 1
                    after_request()
            except BaseException as exc:  # surfaced after the run
                errors.append(exc)

        threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(args.workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        _, body = admin.send("GET", "/__mock__/")
        journal = json.loads(body).get("journal", {})
    if errors:
        say(f"soak: a client failed: {errors[0]!r}")
        return 1
    whole, after = growth(samples)
    series = ", ".join(f"{rss:.1f}" for _, rss in samples)
    statuses = ", ".join(f"{code}: {n:,}" for code, n in sorted(counts.statuses.items()))
    say(f"\nRSS series (MiB, every {every:,} requests): {series}")
    say(
        f"growth: {whole:+.1f} MiB over the run, {after:+.1f} MiB over its second half "
        f"(from the {samples[len(samples) // 2][0]:,}-request sample on)"
        if len(samples) > 1
        else "growth: n/a"
    )
    say(
        f"requests: {counts.total:,} in {elapsed:.0f} s ({counts.total / elapsed:,.0f} req/s); "
        f"statuses: {statuses}; clock advanced {advances} times; "
        f"journal kept {journal.get('kept')} of {journal.get('total')}"
    )
    flat = after <= FLAT_MIB
    say(
        ("FLAT" if flat else "GROWING")
        + f": growth over the second half {after:+.1f} MiB (limit {FLAT_MIB:.0f} MiB)"
    )
    return 0 if flat else 1
