"""``specmock proxy`` as a user runs it: in front of a mock, report written on Ctrl-C, CI exit code."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from specmock.cli import main
from specmock.mocks.app import create_app, create_state
from specmock.mocks.server import ServerThread

FICHAS = "/banqer/demo/v1/fichas"


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    with ServerThread(create_app(create_state())) as server:  # type: ignore[arg-type]
        yield server.url


def start_proxy(upstream: str, *args: str, cwd: Path | None = None) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "specmock",
            "proxy",
            "--port",
            "0",
            "--api",
            "banqer",
            "--upstream",
            upstream + "/banqer/{tenant}",
            "--api",
            "banqer-auth",
            "--upstream",
            upstream + "/banqer-auth",
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    match = re.search(r"proxy on (http://\S+)", first)
    assert match, first + (process.stderr.read() if process.stderr else "")
    return process, match.group(1)


def stop(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=20)
    return process.returncode, out, err


def token(base: str) -> dict[str, str]:
    answer = httpx.post(
        f"{base}/banqer-auth/realms/demo/protocol/openid-connect/token",
        data={"grant_type": "client_credentials", "client_id": "demo-client", "client_secret": "demo-secret"},
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def test_drift_is_written_on_exit_and_fails_the_run(upstream: str, tmp_path: Path) -> None:
    report = tmp_path / "drift.json"
    process, base = start_proxy(upstream, "--report", str(report), "--fail-on", "drift", cwd=tmp_path)
    try:
        auth = token(base)
        assert httpx.get(base + FICHAS, headers=auth).status_code == 200
        fault = {"api": "banqer", "path": "/v1/fichas", "status": 200, "body": {"nextPageToken": "x"}}
        assert httpx.post(f"{upstream}/__mock__/faults", json=fault).status_code == 201
        assert httpx.get(base + FICHAS, headers=auth).status_code == 200
        live = httpx.get(f"{base}/__mock__/drift").json()
    finally:
        code, out, err = stop(process)
    assert code == 1, out + err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["drift.json", "drift.md"]  # nothing else written
    assert "3 exchanges, 1 distinct findings" in out
    written = json.loads(report.read_text(encoding="utf-8"))
    assert written["drift"] == live["drift"] == 1
    [operation] = [op for op in written["operations"] if op["findings"]]
    assert operation["operation"] == "listFichas" and operation["exchanges"] == 2
    markdown = (tmp_path / "drift.md").read_text(encoding="utf-8")
    assert (
        "assumption `banqer.openapi.yaml#/components/schemas/FichaPage/properties/fichas` is contradicted"
        in markdown
    )
    assert "demo-secret" not in markdown + report.read_text(encoding="utf-8")


def test_clean_traffic_exits_0_even_with_fail_on_drift(upstream: str, tmp_path: Path) -> None:
    process, base = start_proxy(upstream, "--report", str(tmp_path / "r.md"), "--fail-on", "drift")
    try:
        auth = token(base)
        assert httpx.get(base + "/banqer/demo/v1/credores", headers=auth).status_code == 200
    finally:
        code, out, err = stop(process)
    assert code == 0, out + err
    assert json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["drift"] == 0
    assert "No exchange disagreed with the specs." in (tmp_path / "r.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--api", "banqer"], "1 --api but 0 --upstream"),
        (["--api", "banqer", "--upstream", "ftp://x"], "is not an http:// or https:// URL"),
        (["--api", "pbm", "--upstream", "http://x/{tenant}"], "uses {tenant}"),
        (["--api", "pbm", "--upstream", "http://x", "--api", "pbm", "--upstream", "http://y"], "given twice"),
        (["--api", "nope", "--upstream", "http://x"], "invalid choice: 'nope'"),
        ([], "at least one --api"),
        (["--api", "pbm", "--upstream", "http://x", "--report", "/nonexistent-dir/r.json"], "no directory"),
    ],
)
def test_wrong_use_is_one_line_and_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) if "invalid choice" in message else _returns() as outcome:
        code = main(["proxy", *args])
    code = getattr(outcome, "value", None).code if "invalid choice" in message else code  # type: ignore[union-attr]
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and len(err.strip().splitlines()) == 1, err


class _returns:
    def __enter__(self) -> _returns:
        return self

    def __exit__(self, *exc: object) -> None:
        return None
