"""The consumer contracts through the driver protocol: a Node client, broken variants, broken drivers.

The Node side lives in tests/contracts/node (installed by ``npm ci`` on first use, see
tests/node_kit.py); the broken drivers in tests/contracts/drivers are Python scripts, because the
protocol, not the kit, is what the suite relies on.
"""

from __future__ import annotations

import random
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from specmock.contracts.consumer import (
    BanqerConsumerContract,
    ContractViolation,
    FakeClock,
    run_banqer_contract,
)
from specmock.contracts.consumer.command import (
    AssineCommandAdapter,
    BanqerCommandAdapter,
    DriverClient,
    DriverError,
    PbmCommandAdapter,
    RemoteError,
    TypedRemoteError,
    node_kit_path,
)
from specmock.contracts.consumer.fake_server import EPOCH, ClockOverrun, property_settings
from tests.node_kit import NODE_CLIENTS, node_clients

DRIVERS = Path(__file__).parent / "drivers"
BANQER_DRIVER = NODE_CLIENTS / "banqer-driver.mjs"
ECHO_DRIVER = NODE_CLIENTS / "echo-driver.mjs"


@pytest.fixture(scope="module")
def node() -> Path:
    return node_clients()


def banqer_driver(*extra: str, **options: Any) -> BanqerCommandAdapter:
    return BanqerCommandAdapter(["node", str(BANQER_DRIVER), *extra], **options)


# -- the project's Node client passes; its broken variants fail with the right titles -------------


class TestNodeBanqerClient(BanqerConsumerContract):
    adapter = banqer_driver()

    @pytest.fixture(autouse=True)
    def _installed(self, node: Path) -> None:
        pass


def test_the_driver_is_given_max_attempts(node: Path) -> None:
    # The contract counts requests with max_attempts=2; a client left on its default of 3 fails it.
    adapter = banqer_driver(max_attempts=2)
    try:
        run_banqer_contract(adapter, only=["retries"])
    finally:
        adapter.stop()


@pytest.mark.parametrize(
    ("variant", "prop", "title", "script"),
    [
        ("refreshes-twice", "retries", "refreshed the token twice in one call", r"401 [^\n]*, 401 "),
        (
            "ignores-retry-after",
            "retries",
            "did not wait Retry-After before retrying after a 429",
            r"429 [^\n]*\((Retry-After: |no Retry-After)",
        ),
        ("first-page-only", "pagination", "stopped before the last page", r"2 pages"),
    ],
)
def test_a_broken_node_client_fails_with_the_title_of_its_defect(
    node: Path, variant: str, prop: str, title: str, script: str
) -> None:
    adapter = banqer_driver("--broken", variant)
    try:
        with pytest.raises(ContractViolation) as info:
            run_banqer_contract(adapter, only=[prop])
    finally:
        adapter.stop()
    text = str(info.value)
    assert text.startswith(f"Banqer contract: {title}"), text
    assert f"property: {prop}" in text
    assert re.search(f"server script: {script}", text), text


# -- what the kit does: virtual time, seeds, errors ------------------------------------------------


@pytest.fixture(scope="module")
def echo(node: Path) -> Any:
    adapter = BanqerCommandAdapter(["node", str(ECHO_DRIVER)], seed=7, max_attempts=4)
    yield adapter
    adapter.stop()


def toy(adapter: BanqerCommandAdapter, clock: FakeClock | None = None) -> DriverClient:
    clock = clock or FakeClock()
    return adapter.make_client(
        api_base="http://127.0.0.1:1",
        auth_base="http://127.0.0.1:2",
        tenant="t",
        client_id="id",
        client_secret="contract-secret-5f1e9a7c3b",
        sleep=clock.sleep,
        now=clock.now,
    )


def test_make_passes_the_suite_values_max_attempts_and_the_seed(echo: BanqerCommandAdapter) -> None:
    config = toy(echo).call("config", {}, "call config")
    assert config["max_attempts"] == 4
    assert config["seed"] == 7
    assert config["random"] == "function"
    assert config["api_base"] == "http://127.0.0.1:1" and config["tenant"] == "t"


def test_values_the_suite_adds_reach_the_driver_and_its_random_source_becomes_a_seed(node: Path) -> None:
    adapter = BanqerCommandAdapter(["node", str(ECHO_DRIVER)])
    clock = FakeClock()
    try:
        made = [
            adapter.make_client(
                api_base="http://127.0.0.1:1",
                auth_base="http://127.0.0.1:2",
                tenant="t",
                client_id="id",
                client_secret="s3cr3t-value",
                sleep=clock.sleep,
                now=clock.now,
                random=random.Random(42),
                backoff_cap=30.0,
                hook=object(),  # not JSON: not sent
            )
            for _ in range(2)
        ]
        configs = [client.call("config", {}, "call config") for client in made]
    finally:
        adapter.stop()
    assert configs[0] == configs[1]
    assert configs[0]["seed"] == random.Random(42).getrandbits(32)
    assert configs[0]["backoff_cap"] == 30.0 and "hook" not in configs[0]


def test_the_seed_makes_the_random_source_repeatable(echo: BanqerCommandAdapter, node: Path) -> None:
    first = toy(echo).call("draws", {"n": 5}, "call draws")
    assert toy(echo).call("draws", {"n": 5}, "call draws") == first
    assert all(0 <= x < 1 for x in first) and len(set(first)) == 5
    other = BanqerCommandAdapter(["node", str(ECHO_DRIVER)], seed=8)
    try:
        assert toy(other).call("draws", {"n": 5}, "call draws") != first
        unseeded = BanqerCommandAdapter(["node", str(ECHO_DRIVER)])
        config = toy(unseeded).call("config", {}, "call config")
        unseeded.stop()
        assert "seed" not in config and config["random"] == "undefined"
    finally:
        other.stop()


@given(seconds=st.lists(st.floats(0, 30, allow_nan=False).map(lambda s: round(s, 3)), max_size=6))
@property_settings(max_examples=25)
def test_waits_are_virtual_and_reported_to_the_suite_clock(
    echo: BanqerCommandAdapter, seconds: list[float]
) -> None:
    clock = FakeClock()
    client = toy(echo, clock)
    clock.advance(12.5)  # time passing between calls reaches the driver's Date.now()
    seen = client.call("sleeps", {"seconds": seconds}, "call sleeps")
    assert clock.sleeps == pytest.approx(seconds, abs=1e-3)
    want, t = [], EPOCH + 12.5
    for s in seconds:
        t += s
        want.append(t * 1000)
    assert seen == pytest.approx(want, abs=1.0)
    assert client.call("now", {}, "call now") == pytest.approx(clock.now() * 1000, abs=1.0)


def test_a_call_that_waits_forever_is_stopped_like_a_python_client(echo: BanqerCommandAdapter) -> None:
    clock = FakeClock()
    client = toy(echo, clock)
    with pytest.raises(ClockOverrun):
        client.call("spin", {}, "call spin")
    assert len(clock.sleeps) == FakeClock.MAX_SLEEPS + 1
    # The driver dropped the call and goes on serving.
    assert client.call("now", {}, "call now") == pytest.approx(clock.now() * 1000, abs=1.0)


def test_typed_and_untyped_client_errors(echo: BanqerCommandAdapter) -> None:
    client = toy(echo)
    with pytest.raises(TypedRemoteError) as typed:
        client.call("throw-typed", {}, "call throw-typed")
    assert typed.value.status == 418 and typed.value.message == "toy failure"
    assert typed.value.reason_code == "TOY"  # type: ignore[attr-defined]
    assert type(typed.value).__name__ == "ToyError"
    with pytest.raises(RemoteError) as untyped:
        client.call("throw-untyped", {}, "call throw-untyped")
    assert not isinstance(untyped.value, TypedRemoteError)
    assert type(untyped.value).__name__ == "TypeError"
    assert not isinstance(untyped.value, echo.error_types)


def test_a_client_printing_on_stdout_does_not_break_the_protocol(echo: BanqerCommandAdapter) -> None:
    client = toy(echo)
    assert client.call("log", {}, "call log") == "logged"
    assert client.call("now", {}, "call now") == EPOCH * 1000


def test_a_driver_without_fake_timers_installed_says_so(node: Path, tmp_path: Path) -> None:
    shutil.copy(ECHO_DRIVER, tmp_path / "driver.mjs")
    adapter = BanqerCommandAdapter(["node", str(tmp_path / "driver.mjs")], cwd=tmp_path)
    with pytest.raises(DriverError) as info:
        toy(adapter)
    assert info.value.step == "start"
    assert "@sinonjs/fake-timers not found" in str(info.value)
    assert "npm install --save-dev @sinonjs/fake-timers" in str(info.value)


def test_the_kit_ships_with_the_package() -> None:
    assert node_kit_path().is_file()
    assert "export function serveDriver" in node_kit_path().read_text()


# -- a broken driver is a driver error naming the step, never a contract violation ------------------


def misbehaving(mode: str) -> BanqerCommandAdapter:
    return BanqerCommandAdapter([sys.executable, str(DRIVERS / "misbehaving.py"), mode], step_timeout=1.0)


@pytest.mark.parametrize(
    ("mode", "step", "problem"),
    [
        ("exit-at-start", "start", r"the driver exited with code 3; stderr: cannot load the client"),
        ("exit-on-call", "call get /v1/credores", r"the driver exited with code 1; stderr: TypeError"),
        ("garbage-on-call", "call get /v1/credores", r"printed a line that is not JSON: Loaded 3 credores"),
        ("hang-on-call", "call get /v1/credores", r"no answer within 1 s"),
        ("wrong-id-on-call", "call get /v1/credores", r"an answer to message \d+ while waiting for \d+"),
        ("sleep-on-make", "make", r"the driver slept in a step that takes no time"),
    ],
)
def test_a_broken_driver_is_a_driver_error_naming_the_step(mode: str, step: str, problem: str) -> None:
    adapter = misbehaving(mode)
    with pytest.raises(DriverError) as info:
        run_banqer_contract(adapter, only=["retries"])
    assert not isinstance(info.value, AssertionError)  # not a ContractViolation
    assert info.value.step == step
    assert re.search(problem, info.value.problem), info.value.problem
    assert str(info.value).startswith(f"driver error in step {step!r}: ")
    assert not adapter.driver.running


def test_a_driver_error_hides_the_secrets_the_driver_was_given() -> None:
    adapter = misbehaving("exit-on-call")
    with pytest.raises(DriverError) as info:
        run_banqer_contract(adapter, only=["retries"])
    assert "login failed for ***" in str(info.value)
    assert adapter.client_secret not in str(info.value)


def test_a_command_that_does_not_exist_is_a_driver_error() -> None:
    adapter = BanqerCommandAdapter(["specmock-no-such-driver-command"])
    with pytest.raises(DriverError) as info:
        run_banqer_contract(adapter, only=["retries"])
    assert info.value.step == "start"
    assert "cannot run 'specmock-no-such-driver-command'" in str(info.value)


# -- the documented example runs as written ----------------------------------------------------------


def test_the_documented_node_driver_runs_as_written(node: Path, tmp_path: Path) -> None:
    # The README's command, with fewer examples per property.
    docs = Path(__file__).parents[2] / "docs"
    shutil.copy(docs / "node-driver-example.mjs", tmp_path / "banqer-driver.mjs")
    shutil.copy(NODE_CLIENTS / "banqer-client.mjs", tmp_path / "banqer-client.mjs")
    (tmp_path / "node_modules").symlink_to(node / "node_modules", target_is_directory=True)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "specmock",
            "contract",
            "--api",
            "banqer",
            "--max-examples",
            "10",
            "--",
            "node",
            "banqer-driver.mjs",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "8 of 8 properties hold" in done.stdout


def test_pbm_and_assine_adapters_speak_the_same_protocol(echo: BanqerCommandAdapter) -> None:
    clock = FakeClock()
    pbm = PbmCommandAdapter(["node", str(ECHO_DRIVER)])
    assine = AssineCommandAdapter(["node", str(ECHO_DRIVER)])
    try:
        client = pbm.make_client(
            url="http://127.0.0.1:1/graphql", login="l", password="p", sleep=clock.sleep, now=clock.now
        )
        assert client.call("config", {}, "call config") == {
            "url": "http://127.0.0.1:1/graphql",
            "login": "l",
            "password": "p",
            "max_attempts": 3,
            "random": "undefined",
        }
        query = "query Farmacias($uf: String!) { farmacias(uf: $uf) { cnpj } }"
        assert pbm.execute(client, query, {"uf": "SP"}) == {
            "echo": "execute",
            "args": {"query": query, "variables": {"uf": "SP"}},
        }
        client = assine.make_client(
            base_url="http://127.0.0.1:1",
            username="u",
            password="p",
            client_id="app",
            client_secret="app",
            sleep=clock.sleep,
            now=clock.now,
        )
        pairs = [("filter[0][type]", "eq"), ("filter[0][field]", "status")]
        assert assine.call_get(client, "/v1/user") == {"echo": "get", "args": {"path": "/v1/user"}}
        assert assine.list_all(client, "/v1/document", pairs) == [
            {"path": "/v1/document", "params": [list(p) for p in pairs]}
        ]
    finally:
        pbm.stop()
        assine.stop()
