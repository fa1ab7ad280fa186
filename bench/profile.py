"""``python -m bench profile``: where the mock spends its time while wrk drives one scenario.

py-spy samples the ``specmock serve`` process (``py-spy record --format raw``); the stacks are
folded into the share of samples each function is on the stack (inclusive) and on top of it
(self), and into the areas that matter when deciding what to fix: the HTTP server, Starlette
routing, the core control layer, request validation, JWT verification, JSON encoding, each API
mock's own code. Needs py-spy (``pip install py-spy``) and permission to trace (root, or
``kernel.yama.ptrace_scope=0``).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

from bench.load import LoadGenerator, ensure_wrk
from bench.procs import Server
from bench.scenarios import prepare

WORK_RAW = Path(__file__).resolve().parents[1] / ".bench" / "profile-stacks.txt"

#: (area, pattern on "function (file:line)"), first match wins, checked from the top of the stack down.
AREAS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("JWT verify (RSA)", r"jwt/|cryptography/|SigningKey\.verify"),
        ("jsonschema validation", r"jsonschema/|referencing/|core/openapi\.py"),
        ("JSON encode/decode", r"json/(encoder|decoder|__init__)\.py"),
        ("GraphQL (graphql-core)", r"graphql/"),
        ("journal and redaction", r"core/journal\.py|specmock/redact\.py|_journal_"),
        ("rate limits, faults, clock", r"core/ratelimit\.py|core/faults\.py|core/clock\.py"),
        ("token registry", r"core/tokens\.py"),
        ("control layer (rest)", r"core/middleware\.py"),
        ("Banqer mock", r"mocks/banqer/"),
        ("PBM mock", r"mocks/pbm/"),
        ("Assine mock", r"mocks/assine/"),
        ("Starlette routing/requests/responses", r"starlette/"),
        ("uvicorn + h11/httptools", r"uvicorn/|h11/|httptools"),
        ("asyncio event loop", r"asyncio/|uvloop"),
    )
)


def parse_frame(frame: str) -> str:
    return frame.strip()


def fold(lines: Iterable[str]) -> tuple[Counter[str], Counter[str], Counter[str], int]:
    """Inclusive and self sample counts per function, samples per area, and the total, from raw stacks.

    A raw line is ``frame;frame;...;frame COUNT`` from the outermost frame to the innermost; a
    sample's area is that of the innermost frame that belongs to a known area.
    """
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    areas: Counter[str] = Counter()
    total = 0
    for line in lines:
        line = line.rstrip()
        if not line or " " not in line:
            continue
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [parse_frame(f) for f in stack.split(";") if f.strip()]
        if not frames or (frames[0].startswith("process ") and len(frames) == 1):
            continue
        frames = [f for f in frames if not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        total += count
        for frame in set(frames):
            inclusive[frame] += count
        own[frames[-1]] += count
        areas[area_of(frames)] += count
    return inclusive, own, areas, total


def area_of(frames: list[str]) -> str:
    for frame in reversed(frames):
        for name, pattern in AREAS:
            if pattern.search(frame):
                return name
    return "other"


_ROOT = str(Path(__file__).resolve().parents[1]) + "/"


def short(frame: str) -> str:
    """``func (…/site-packages/pkg/mod.py:12)`` -> ``func (pkg/mod.py:12)``; repository files relative."""
    frame = frame.replace(_ROOT, "")
    return re.sub(r"\((?:[^()]*/(?:site-packages|lib/python3\.\d+)/)", "(", frame)


def profile(args: argparse.Namespace, server: Server, say: Callable[[str], None]) -> int:
    spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(spy).exists():
        say("py-spy is not installed: pip install py-spy (it is a development tool, not a dependency)")
        return 2
    generator = LoadGenerator(ensure_wrk(say))
    with server:
        prepared = prepare(server.base_url, (args.scenario,))
        if args.scenario not in prepared.mock:
            say(f"cannot profile {args.scenario}: {prepared.skipped.get(args.scenario, 'not prepared')}")
            return 1
        request = prepared.mock[args.scenario]
        generator.run(server.port, request, 2.0)  # warm-up
        assert server.proc is not None
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "stacks.txt"
            spy_cmd = [
                spy,
                "record",
                "--pid",
                str(server.proc.pid),
                "--duration",
                str(int(args.seconds)),
                "--rate",
                "250",
                "--format",
                "raw",
                "--output",
                str(out),
                "--nonblocking",
            ]
            spy_proc = subprocess.Popen(spy_cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            result: dict[str, object] = {}
            loader = threading.Thread(
                target=lambda: result.update(load=generator.run(server.port, request, args.seconds + 1))
            )
            loader.start()
            _, err = spy_proc.communicate(timeout=args.seconds + 60)
            loader.join()
            if spy_proc.returncode != 0 or not out.exists():
                say(f"py-spy failed: {err.decode(errors='replace').strip()[-500:]}")
                return 1
            raw = out.read_text()
    (Path(args.raw) if args.raw else WORK_RAW).write_text(raw)
    inclusive, own, areas, total = fold(raw.splitlines())
    load = result.get("load")
    say(f"profile of {args.scenario} ({request.method} {request.path}) under {generator.name}: {load}")
    say(f"{total} samples\n\nby area (innermost frame that belongs to one):")
    for name, count in areas.most_common():
        say(f"  {100 * count / total:5.1f}%  {name}")
    say(f"\ntop {args.top} functions by inclusive share (self share after):")
    for frame, count in inclusive.most_common(args.top):
        say(f"  {100 * count / total:5.1f}%  {100 * own.get(frame, 0) / total:5.1f}%  {short(frame)}")
    say(f"\ntop {args.top} functions by self share:")
    for frame, count in own.most_common(args.top):
        say(f"  {100 * count / total:5.1f}%  {short(frame)}")
    return 0


# -- in-process, deterministic: cProfile of the ASGI app called directly --------------------------------

#: (owner, pattern on the file path), first match wins.
OWNERS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        ("core: control layer", r"mocks/core/middleware\.py"),
        ("core: journal, redaction", r"mocks/core/journal\.py|redact\.py"),
        ("core: request validation (openapi.py)", r"mocks/core/openapi\.py"),
        ("core: tokens, clock, limits, faults", r"mocks/core/"),
        ("core: app factory", r"mocks/app\.py"),
        ("Banqer mock", r"mocks/banqer/"),
        ("PBM mock", r"mocks/pbm/"),
        ("Assine mock", r"mocks/assine/"),
        ("jsonschema", r"jsonschema/|referencing/|rpds"),
        ("graphql-core", r"graphql/"),
        ("JWT / cryptography", r"jwt/|cryptography/"),
        ("Starlette", r"starlette/"),
        ("json", r"/json/"),
        ("urllib.parse", r"urllib/"),
    )
)


def owner_of(path: str) -> str:
    for name, pattern in OWNERS:
        if pattern.search(path):
            return name
    return "other"


def inprocess(args: argparse.Namespace, say: Callable[[str], None]) -> int:
    """µs per request of one scenario with the app called directly (no socket, no server), and where
    they go by owner and by function (cProfile ``tottime``; the profiler slows everything down
    evenly-ish, so read the shares, and the unprofiled µs for the absolute)."""
    import asyncio
    import cProfile
    import pstats
    import time
    from collections import Counter
    from urllib.parse import urlsplit

    from bench.inproc import _quota_everything, hosted_api_classes
    from bench.scenarios import prepare
    from specmock.mocks.app import create_app, create_state
    from specmock.mocks.transport import sync_transport

    classes, _ = hosted_api_classes()
    state = create_state(apis=classes)
    app = create_app(state)
    prepared = prepare("http://specmock.test", (args.scenario,), transport=sync_transport(app))
    _quota_everything(state)
    if args.scenario not in prepared.mock:
        say(f"cannot profile {args.scenario}: {prepared.skipped.get(args.scenario, 'not prepared')}")
        return 1
    request = prepared.mock[args.scenario]
    url = urlsplit(request.path)
    headers = [(b"host", b"127.0.0.1:8080"), (b"user-agent", b"wrk")]
    headers += [(k.lower().encode(), v.encode()) for k, v in request.headers.items()]
    if request.body:
        headers.append((b"content-length", str(len(request.body)).encode()))
    statuses: Counter[int] = Counter()

    def scope() -> dict[str, object]:
        return {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "scheme": "http",
            "path": url.path,
            "raw_path": url.path.encode(),
            "query_string": url.query.encode(),
            "root_path": "",
            "headers": list(headers),
            "client": ("127.0.0.1", 40000),
            "server": ("127.0.0.1", 8080),
            "state": {},
        }

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": request.body, "more_body": False}

    async def send(message: dict[str, object]) -> None:
        if message["type"] == "http.response.start":
            statuses[int(message["status"])] += 1  # type: ignore[call-overload]

    async def loop(count: int) -> float:
        started = time.perf_counter()
        for _ in range(count):
            await app(scope(), receive, send)
        return (time.perf_counter() - started) / count * 1e6

    asyncio.run(loop(200))
    unprofiled = min(asyncio.run(loop(args.requests)) for _ in range(3))
    profiler = cProfile.Profile()
    profiler.enable()
    asyncio.run(loop(args.requests))
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    by_owner: Counter[str] = Counter()
    by_function: Counter[str] = Counter()
    for (file, line, name), (_, _, tottime, _, _) in stats.items():
        by_owner[owner_of(file)] += tottime
        by_function[short(f"{name} ({file}:{line})")] += tottime
    total = sum(by_owner.values())
    say(f"{args.scenario}: {request.method} {request.path}")
    say(f"{unprofiled:.0f} µs per request in-process without the profiler (statuses {dict(statuses)})")
    say("\nshare of the time by owner (cProfile self time):")
    for owner, seconds in by_owner.most_common():
        say(f"  {100 * seconds / total:5.1f}%  ~{unprofiled * seconds / total:5.0f} µs  {owner}")
    say(f"\ntop {args.top} functions (self time):")
    for function, seconds in by_function.most_common(args.top):
        say(f"  {100 * seconds / total:5.1f}%  ~{unprofiled * seconds / total:5.0f} µs  {function}")
    return 0
