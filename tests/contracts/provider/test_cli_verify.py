"""``specmock verify`` from the shell, and the specs through schemathesis's own command line.

Servers here listen on 127.0.0.1 only (``ServerThread``); nothing else is contacted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from specmock import specs
from specmock.cli import main
from specmock.contracts.provider.checks import schemathesis_toml
from specmock.mocks.server import ServerThread

from ._mock import mock_app
from .broken_mock import VARIANTS
from .test_targets_and_report import ALL_NAMES


@pytest.fixture
def no_credentials_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ALL_NAMES:
        monkeypatch.delenv(name, raising=False)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "specmock", *args], capture_output=True, text=True, timeout=60
    )


def test_verify_help_lists_its_options() -> None:
    assert "verify" in run("--help").stdout
    text = run("verify", "--help").stdout
    for flag in ("--api", "--base-url", "--max-examples", "--seed", "--report"):
        assert flag in text


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("verify", "--api", "nope"), "invalid choice: 'nope'"),
        (("verify", "--max-examples", "0"), "invalid count '0'"),
        (("verify", "--seed", "x"), "invalid seed 'x'"),
        (("verify", "--base-url", "ftp://127.0.0.1"), "invalid base URL"),
    ],
)
def test_verify_usage_errors_get_one_line_and_exit_2(args: tuple[str, ...], needle: str) -> None:
    result = run(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and lines[0].startswith("specmock: "), result.stderr


@pytest.mark.usefixtures("no_credentials_in_env")
def test_a_live_target_without_credentials_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["verify", "--api", "pbm", "--base-url", "https://pbm.example.com"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "PBM_LOGIN" in err[0] and "PBM_PASSWORD" in err[0]


@pytest.mark.usefixtures("no_credentials_in_env")
def test_verify_a_served_mock_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    report_file = tmp_path / "report.json"
    with ServerThread(mock_app("banqer")) as server:
        code = main(
            [
                "verify",
                "--api",
                "banqer",
                "--base-url",
                server.url,
                "--max-examples",
                "3",
                "--seed",
                "1",
                "--report",
                str(report_file),
            ]
        )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "all checks hold" in out
    data = json.loads(report_file.read_text())
    assert data["ok"] is True and data["seed"] == 1 and data["max_examples"] == 3
    assert data["apis"][0]["urls"]["api"] == f"{server.url}/banqer/demo"


@pytest.mark.usefixtures("no_credentials_in_env")
def test_verify_a_broken_server_exits_1_and_names_the_check(capsys: pytest.CaptureFixture[str]) -> None:
    variant = VARIANTS["saldo_devedor_as_string"]
    with ServerThread(variant.build(mock_app("banqer"))) as server:
        code = main(["verify", "--api", "banqer", "--base-url", server.url, "--max-examples", "3"])
    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL banqer: GET /v1/fichas - response_schema_conformance" in out
    assert f"reproduce: curl -X GET -H 'Authorization: Bearer ***' '{server.url}/banqer/demo/v1/fichas" in out
    assert "demo-secret" not in out


def test_the_schemathesis_cli_passes_on_the_served_banqer_mock(tmp_path: Path) -> None:
    """The Banqer spec through the ecosystem's standard tool, with the suite's check policy."""
    config = tmp_path / "schemathesis.toml"
    config.write_text(schemathesis_toml("banqer"), encoding="utf-8")
    schemathesis = Path(sys.executable).with_name("schemathesis")
    with ServerThread(mock_app("banqer")) as server:
        token = httpx.post(
            f"{server.url}/banqer-auth/realms/demo/protocol/openid-connect/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "demo-client",
                "client_secret": "demo-secret",
            },
        ).json()["access_token"]
        result = subprocess.run(
            [
                str(schemathesis),
                "--config-file",
                str(config),
                "run",
                str(specs.path("banqer")),
                "--url",
                f"{server.url}/banqer/demo",
                "-H",
                f"Authorization: Bearer {token}",
                "--max-examples",
                "5",
                "--seed",
                "1",
                "--workers",
                "1",
                "--phases",
                "examples,coverage,fuzzing",
                "--no-color",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
        )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "No issues found" in result.stdout
