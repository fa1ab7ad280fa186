"""In-process figures: no socket, the app called through httpx's transports, and the per-test reset.

- the reference Banqer client (``specmock.contracts.clients.BanqerClient``) over the synchronous
  in-process transport (``specmock.mocks.transport.sync_transport``), calls per second;
- raw ``httpx.AsyncClient(transport=httpx.ASGITransport(app))`` calls per second, against the mock
  and against the bare app answering the same bytes (the in-process floor);
- ``MockState.reset()``, the cost the pytest plugin pays before every test, in microseconds
  (median of many, each after a little traffic so there is something to clear).
"""

from __future__ import annotations

import asyncio
import base64
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from bench.scenarios import BANQER_CLIENT, BANQER_TENANT, banqer_list_path, banqer_token_request

BASE = "http://specmock.test"


@dataclass
class InProcess:
    client_calls_per_s: float | None = None
    asgi_calls_per_s: float | None = None
    bare_asgi_calls_per_s: float | None = None
    reset_us: float | None = None
    reset_idle_us: float | None = None
    skipped: str = ""


def hosted_api_classes() -> tuple[list[type[Any]], list[str]]:
    """The API classes ``specmock serve`` hosts that import here, and the ones that do not."""
    from specmock.mocks.registry import mounts

    found, missing = [], []
    for target in (mount.target for mount in mounts()):
        module, _, name = target.partition(":")
        try:
            found.append(getattr(import_module(module), name))
        except (ImportError, AttributeError):
            missing.append(target)
    return found, missing


def _rate(call: Callable[[], object], seconds: float) -> float:
    for _ in range(20):  # warm-up: first token, lazily built data, caches
        call()
    count, started = 0, time.perf_counter()
    deadline = started + seconds
    while True:
        call()
        count += 1
        if count % 16 == 0 and time.perf_counter() >= deadline:
            break
    return count / (time.perf_counter() - started)


async def _async_rate(call: Callable[[], Any], seconds: float) -> float:
    for _ in range(20):
        await call()
    count, started = 0, time.perf_counter()
    deadline = started + seconds
    while True:
        await call()
        count += 1
        if count % 16 == 0 and time.perf_counter() >= deadline:
            break
    return count / (time.perf_counter() - started)


def _quota_everything(state: Any) -> None:
    from bench.scenarios import UNREACHABLE_LIMIT
    from specmock.mocks.core.ratelimit import RateLimitRule

    for name in state.apis:
        state.rate_limits.set_rule(name, RateLimitRule(UNREACHABLE_LIMIT, 60))


def measure(seconds: float, bare_body: Mapping[str, Any] | None, reset_samples: int = 2000) -> InProcess:
    import httpx

    from bench.bare_app import _reply, make_app
    from specmock.mocks.app import create_app, create_state
    from specmock.mocks.transport import sync_transport

    classes, _missing = hosted_api_classes()
    names = {cls.name for cls in classes}
    if not {"banqer", "banqer-auth"} <= names:
        return InProcess(skipped="the Banqer mock does not import")
    result = InProcess()
    state = create_state(apis=classes)
    _quota_everything(state)
    app = create_app(state)

    from specmock.contracts.clients import BanqerClient

    client_id, secret = BANQER_CLIENT
    with BanqerClient(
        BANQER_TENANT,
        client_id,
        secret,
        api_base=f"{BASE}/banqer/{BANQER_TENANT}",
        auth_base=f"{BASE}/banqer-auth",
        transport=sync_transport(app),
    ) as banqer:
        result.client_calls_per_s = _rate(lambda: banqer.get("/v1/fichas", {"pageSize": 20}), seconds)

    token_request = banqer_token_request()
    list_path = f"/banqer/{BANQER_TENANT}{banqer_list_path()}"

    async def asgi_rates() -> tuple[float, float | None]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
            token = (
                await client.post(
                    token_request.path, content=token_request.body, headers=dict(token_request.headers)
                )
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}

            async def one() -> None:
                response = await client.get(list_path, headers=headers)
                if response.status_code != 200:
                    raise RuntimeError(f"in-process list answered {response.status_code}")

            mock_rate = await _async_rate(one, seconds)
        bare_rate = None
        if bare_body is not None:
            bare = make_app({"/": _reply(bare_body)})
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=bare), base_url=BASE) as client:

                async def one_bare() -> None:
                    await client.get(list_path, headers=headers)

                bare_rate = await _async_rate(one_bare, seconds)
        return mock_rate, bare_rate

    result.asgi_calls_per_s, result.bare_asgi_calls_per_s = asyncio.run(asgi_rates())
    result.reset_us, result.reset_idle_us = reset_cost(app, state, reset_samples)
    return result


def reset_cost(app: Any, state: Any, samples: int) -> tuple[float, float]:
    """Median ``MockState.reset()`` in µs: after a token and two calls (as in a test), and when idle."""
    import httpx

    from specmock.mocks.transport import sync_transport

    token_request = banqer_token_request()
    list_path = f"/banqer/{BANQER_TENANT}{banqer_list_path()}"
    busy: list[float] = []
    idle: list[float] = []
    with httpx.Client(transport=sync_transport(app), base_url=BASE) as client:
        for i in range(samples):
            if i % 4 == 0:  # a test's worth of traffic before every fourth reset
                token = client.post(
                    token_request.path, content=token_request.body, headers=dict(token_request.headers)
                ).json()["access_token"]
                for _ in range(2):
                    client.get(list_path, headers={"Authorization": f"Bearer {token}"})
                started = time.perf_counter_ns()
                state.reset()
                busy.append((time.perf_counter_ns() - started) / 1000)
            else:
                started = time.perf_counter_ns()
                state.reset()
                idle.append((time.perf_counter_ns() - started) / 1000)
    return statistics.median(busy), statistics.median(idle)


def body_spec(captured: Mapping[str, Any], path: str) -> dict[str, Any] | None:
    spec = captured.get(path)
    if spec is None:
        return None
    return {
        "status": spec["status"],
        "content_type": spec["content_type"],
        "body": spec["body"] if isinstance(spec["body"], str) else base64.b64encode(spec["body"]).decode(),
    }
