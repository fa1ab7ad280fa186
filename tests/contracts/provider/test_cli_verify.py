"""``specmock verify`` from the shell, and the specs through schemathesis's own command line.

Servers here listen on 127.0.0.1 only (``ServerThread``); nothing else is contacted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from specmock.cli import main
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
