"""Clean stops of ``specmock serve``: SIGTERM and SIGINT let in-flight requests finish within the grace
period, answer the ones still running 503 in their API's shape, print "specmock: stopped", exit 0,
print no traceback. And the admin API off beyond loopback unless ``--admin``."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections.abc import Iterator

import httpx
import pytest

from tests.cli.test_serve import start

SIGNALS = [pytest.param(signal.SIGTERM, id="SIGTERM"), pytest.param(signal.SIGINT, id="SIGINT")]


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def serve(processes: list[subprocess.Popen[str]], *args: str) -> tuple[subprocess.Popen[str], str]:
    process, url, _ = start(*args)
    processes.append(process)
    assert httpx.get(f"{url}/__mock__/", timeout=10).status_code == 200  # listening, admin API on
    return process, url


def finish(process: subprocess.Popen[str], sig: int) -> tuple[str, str]:
    process.send_signal(sig)
    out, err = process.communicate(timeout=30)
    return out, err


def in_flight(url: str, path: str) -> tuple[threading.Thread, list[httpx.Response]]:
    """A GET sent in a thread; its answer lands in the list."""
    answers: list[httpx.Response] = []

    def send() -> None:
        answers.append(httpx.get(f"{url}{path}", timeout=60))

    thread = threading.Thread(target=send)
    thread.start()
    return thread, answers


def wait_until_received(url: str, count: int) -> None:
    for _ in range(200):
        if httpx.get(f"{url}/__mock__/requests", timeout=10).json()["total"] >= count:
            return
        threading.Event().wait(0.05)
    raise AssertionError("the request never reached the mock")


@pytest.mark.parametrize("sig", SIGNALS)
def test_an_idle_server_stops_cleanly(processes: list[subprocess.Popen[str]], sig: int) -> None:
    process, _ = serve(processes)
    out, err = finish(process, sig)
    assert process.returncode == 0, err
    assert out.rstrip().endswith("specmock: stopped")
    assert "Traceback" not in err


@pytest.mark.parametrize("sig", SIGNALS)
def test_a_request_in_flight_finishes_within_the_grace_period(
    processes: list[subprocess.Popen[str]], sig: int
) -> None:
    process, url = serve(processes, "--shutdown-grace", "10")
    fault = {"api": "pbm", "status": 502, "delay_ms": 1500}
    assert httpx.post(f"{url}/__mock__/faults", json=fault, timeout=10).status_code == 201
    thread, answers = in_flight(url, "/pbm/graphql?query=%7B__typename%7D")
    wait_until_received(url, 1)
    out, err = finish(process, sig)
    thread.join(timeout=30)
    assert [a.status_code for a in answers] == [502]  # the fault itself: the request was not cut
    assert process.returncode == 0 and "specmock: stopped" in out
    assert "Traceback" not in err and "CancelledError" not in err


@pytest.mark.parametrize(
    ("sig", "api", "path", "shape"),
    [  # each API's own error shape, each signal
        (signal.SIGTERM, "pbm", "/pbm/graphql?query=%7B__typename%7D", "errors"),
        (signal.SIGINT, "banqer-auth", "/banqer-auth/realms/demo/.well-known/openid-configuration", "error"),
        (signal.SIGINT, "assine", "/assine/v1/user", "detail"),
    ],
)
def test_a_request_cut_by_the_grace_period_gets_the_apis_503(
    processes: list[subprocess.Popen[str]], sig: int, api: str, path: str, shape: str
) -> None:
    process, url = serve(processes, "--shutdown-grace", "1")
    fault = {"api": api, "status": 502, "delay_ms": 60_000}
    assert httpx.post(f"{url}/__mock__/faults", json=fault, timeout=10).status_code == 201
    thread, answers = in_flight(url, path)
    wait_until_received(url, 1)
    out, err = finish(process, sig)
    thread.join(timeout=30)
    assert len(answers) == 1 and answers[0].status_code == 503
    assert answers[0].headers["retry-after"] and shape in answers[0].json()
    assert process.returncode == 0 and out.rstrip().endswith("specmock: stopped")
    assert "Traceback" not in err and "CancelledError" not in err


def test_beyond_loopback_the_admin_api_is_off_unless_asked_for(
    processes: list[subprocess.Popen[str]],
) -> None:
    process, url, _ = start("--host", "0.0.0.0")
    processes.append(process)
    local = url.replace("0.0.0.0", "127.0.0.1")
    assert httpx.get(f"{local}/__mock__/", timeout=10).status_code == 404
    assert (
        httpx.get(
            f"{local}/pbm/graphql?query=%7B__typename%7D", headers={"Prefer": "code=503"}, timeout=10
        ).status_code
        != 503
    )
    _, err = finish(process, signal.SIGINT)
    assert "the admin API is off here (--admin serves it)" in err

    process, url, _ = start("--host", "0.0.0.0", "--admin")
    processes.append(process)
    local = url.replace("0.0.0.0", "127.0.0.1")
    assert httpx.get(f"{local}/__mock__/", timeout=10).status_code == 200
    _, err = finish(process, signal.SIGINT)
    assert "admin API (/__mock__" in err and "open to them too" in err


def test_admin_and_no_admin_together_are_a_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "specmock", "serve", "--admin", "--no-admin"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2 and "not allowed with argument" in result.stderr
