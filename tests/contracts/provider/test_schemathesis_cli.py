"""Stock ``schemathesis run`` on each shipped spec against a served mock, as a user runs it.

From the repository root (where ``schemathesis.toml`` is), with the URL and a token header and
nothing else but a small ``--max-examples`` and a fixed ``--seed`` to keep the suite fast (the
same command without them is the full run; Assine's coverage phase alone takes about a minute
here, so the suite skips it for Assine and the full run covers it). Zero failures on the mock; a
planted bug (a fault) is reported. Servers listen on 127.0.0.1 only.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from specmock.mocks.app import create_app, create_state
from specmock.mocks.server import ServerThread

ROOT = Path(__file__).resolve().parents[3]
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
QUICK = ["--max-examples", "5", "--seed", "1"]


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    with ServerThread(create_app(create_state())) as running:
        yield running


def _token(server: ServerThread, api: str) -> str:
    if api == "assine":
        login = {
            "grant_type": "password",
            "client_id": "app",
            "client_secret": "app",
            "username": "demo@empresa.example",
            "password": "demo-password",
        }
        return str(httpx.post(f"{server.url}/assine/oauth", json=login).json()["access_token"])
    if api == "pbm":
        query = 'mutation { createToken(login: "usuario_exemplo", password: "senha_exemplo") { token } }'
        answer = httpx.post(f"{server.url}/pbm/graphql", json={"query": query}).json()
        return str(answer["data"]["createToken"]["token"])
    form = {"grant_type": "client_credentials", "client_id": "demo-client", "client_secret": "demo-secret"}
    url = f"{server.url}/banqer-auth/realms/demo/protocol/openid-connect/token"
    return str(httpx.post(url, data=form).json()["access_token"])


#: spec given to ``schemathesis run`` (PBM: the GraphQL URL itself), the --url, the API of its token.
RUNS = {
    "banqer": ("specs/banqer.openapi.yaml", "/banqer/demo", "banqer"),
    "banqer-auth": ("specs/banqer-auth.openapi.yaml", "/banqer-auth", "banqer"),
    "assine": ("specs/assine.openapi.yaml", "/assine", "assine"),
    "pbm": (None, "/pbm/graphql", "pbm"),
}


#: Extra narrowing per run, for time only (see the module docstring).
NARROWER = {"assine": ["--phases", "examples,fuzzing,stateful"]}


def _run(server: ServerThread, name: str, *extra: str) -> subprocess.CompletedProcess[str]:
    spec, mount, api = RUNS[name]
    url = f"{server.url}{mount}"
    location = [spec, "--url", url] if spec else [url]
    return subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            *location,
            "-H",
            f"Authorization: Bearer {_token(server, api)}",
            *QUICK,
            *(extra or NARROWER.get(name, [])),
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
    )


def test_the_shipped_config_is_what_schemathesis_finds_at_the_root() -> None:
    from specmock import specs

    assert (ROOT / "schemathesis.toml").read_text(encoding="utf-8") == specs.path(
        "schemathesis.toml"
    ).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(RUNS))
def test_stock_schemathesis_run_finds_nothing_on_the_mock(server: ServerThread, name: str) -> None:
    httpx.post(f"{server.url}/__mock__/reset").raise_for_status()
    result = _run(server, name)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "specs/schemathesis.toml" in result.stdout  # the configuration schemathesis loaded
    summary = result.stdout.split("SUMMARY")[-1]
    assert " passed" in summary and "Failures:" not in summary, summary


@pytest.mark.parametrize(
    ("name", "fault", "reported", "extra"),
    [
        (
            "banqer",
            {"api": "banqer", "method": "GET", "path": "/v1/fichas", "status": 400},
            "GET /v1/fichas",
            (),
        ),
        (
            "assine",
            {"api": "assine", "method": "GET", "path": "/v1/folder", "status": 500},
            "GET /v1/folder",
            ("--include-path", "/v1/folder"),
        ),
    ],
)
def test_a_planted_bug_is_reported(
    server: ServerThread, name: str, fault: dict[str, object], reported: str, extra: tuple[str, ...]
) -> None:
    httpx.post(f"{server.url}/__mock__/reset").raise_for_status()
    planted = httpx.post(f"{server.url}/__mock__/faults", json={**fault, "times": 1_000_000})
    assert planted.status_code == 201
    try:
        result = _run(server, name, *extra)
    finally:
        httpx.delete(f"{server.url}/__mock__/faults").raise_for_status()
    assert result.returncode == 1, result.stdout[-3000:]
    failures = result.stdout.split("FAILURES")[-1]
    assert f" {reported} " in failures, failures[-3000:]
