"""``specmock contract --api NAME -- COMMAND``: a consumer contract run against a driver command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from specmock.cli import main
from tests.node_kit import NODE_CLIENTS, node_clients

DRIVER = str(NODE_CLIENTS / "banqer-driver.mjs")
MISBEHAVING = str(Path(__file__).parents[1] / "contracts" / "drivers" / "misbehaving.py")


def test_a_client_that_keeps_the_contract_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    node_clients()
    code = main(["contract", "--api", "banqer", "--property", "pagination", "--", "node", DRIVER])
    out = capsys.readouterr().out
    assert code == 0, out
    assert f"banqer consumer contract against: node {DRIVER}" in out
    assert "  ok    pagination" in out
    assert "1 of 1 properties hold" in out


def test_a_broken_client_exits_1_with_the_titled_failure(capsys: pytest.CaptureFixture[str]) -> None:
    node_clients()
    argv = ["contract", "--api", "banqer", "--property", "retries", "--property", "token_renewal"]
    code = main([*argv, "--", "node", DRIVER, "--broken", "ignores-retry-after"])
    out = capsys.readouterr().out
    assert code == 1
    assert "  FAIL  retries" in out and "  ok    token_renewal" in out
    assert "Banqer contract: did not wait Retry-After before retrying after a 429" in out
    assert "  server script: 429 " in out
    assert "1 of 2 properties hold" in out


def test_a_broken_driver_exits_2_naming_the_step(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "contract",
            "--api",
            "banqer",
            "--step-timeout",
            "1",
            "--",
            sys.executable,
            MISBEHAVING,
            "garbage-on-call",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("specmock contract: driver error in step 'call get /v1/credores': ")
    assert "not JSON: Loaded 3 credores" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--api", "banqer"], "contract needs a driver command after --"),
        (["--", "node", "driver.mjs"], "contract needs --api (one of banqer, pbm, assine)"),
        (
            ["--api", "banqer", "--property", "nope", "--", "node", "d.mjs"],
            "no property 'nope' in the banqer",
        ),
        (["--api", "soap", "--", "node", "d.mjs"], "argument --api: invalid choice: 'soap'"),
        (["--api", "banqer", "--step-timeout", "soon", "--", "node", "d.mjs"], "invalid timeout 'soon'"),
        (["--api", "banqer", "--max-attempts", "0", "--", "node", "d.mjs"], "invalid count '0'"),
    ],
)
def test_mistakes_get_one_readable_line(argv: list[str], message: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "specmock", "contract", *argv], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], done.stderr


def test_kit_path_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["contract", "--kit-path"]) == 0
    path = Path(capsys.readouterr().out.strip())
    assert path.name == "specmock-driver.mjs" and path.is_file()
    with pytest.raises(SystemExit):
        main(["contract", "--help"])
    help_text = capsys.readouterr().out
    for words in (
        "--api",
        "--max-attempts",
        "--max-examples",
        "--seed",
        "--step-timeout",
        "docs/driver-protocol.md",
        "Exit 0",
    ):
        assert words in help_text
