"""``specmock serve`` as a user runs it: banner, loopback by default, clean stop on Ctrl-C."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest


def start(*args: str) -> tuple[subprocess.Popen[str], str, list[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "specmock", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    match = re.search(r"serving on (http://\S+)", first)
    assert match, first + (process.stderr.read() if process.stderr else "")
    return process, match.group(1), [first]


def stop(process: subprocess.Popen[str]) -> tuple[str, str]:
    """Ctrl-C, then everything the process printed after the first line."""
    process.send_signal(signal.SIGINT)
    assert process.stdout is not None and process.stderr is not None
    out, err = process.stdout.read(), process.stderr.read()
    process.wait(timeout=15)
    return out, err


@pytest.fixture
def served() -> Iterator[tuple[subprocess.Popen[str], str]]:
    process, url, _ = start()
    yield process, url
    if process.poll() is None:
        process.kill()
        process.wait()


def test_serve_binds_loopback_answers_and_stops_cleanly_on_ctrl_c(
    served: tuple[subprocess.Popen[str], str],
) -> None:
    process, url = served
    assert url.startswith("http://127.0.0.1:")
    info = httpx.get(f"{url}/__mock__/", timeout=10).json()
    assert set(info["apis"]) == {"banqer", "banqer-auth", "pbm", "assine"}
    out, err = stop(process)
    assert process.returncode == 0, err
    assert "stopped" in out
    assert "Traceback" not in err


def test_banner_prints_every_base_url_and_demo_credentials(served: tuple[subprocess.Popen[str], str]) -> None:
    process, url = served
    assert httpx.get(f"{url}/__mock__/", timeout=10).status_code == 200  # fully started
    out, _ = stop(process)
    base_urls = (
        f"{url}/banqer/demo", f"{url}/banqer-auth/realms/demo", f"{url}/pbm/graphql", f"{url}/assine"
    )
    credentials = ("demo-client", "demo-secret", "usuario_exemplo", "demo@empresa.example")
    for needle in (*base_urls, *credentials, f"{url}/__mock__/", "mock page"):
        assert needle in out, needle


def test_no_admin_turns_the_admin_api_off() -> None:
    process, url, _ = start("--no-admin")
    try:
        assert httpx.get(f"{url}/__mock__/", timeout=10).status_code == 404
        page = httpx.get(f"{url}/__mock__/", headers={"Accept": "text/html"}, timeout=10)
        assert page.status_code == 404 and "<html" not in page.text
    finally:
        stop(process)


def test_non_loopback_host_prints_a_warning() -> None:
    process, _, _ = start("--host", "0.0.0.0")
    _, err = stop(process)
    assert "WARNING: listening on 0.0.0.0" in err


def test_port_in_use_is_one_line(served: tuple[subprocess.Popen[str], str]) -> None:
    _, url = served
    port = url.rsplit(":", 1)[1]
    result = subprocess.run([sys.executable, "-m", "specmock", "serve", "--port", port],
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0 and f"cannot listen on 127.0.0.1:{port}" in result.stderr
