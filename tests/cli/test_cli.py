"""The command line answers every mistake with one readable line and a non-zero exit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from specmock import __version__, specs
from specmock.cli import main


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "specmock", *args], capture_output=True, text=True, timeout=60
    )


def test_version_and_help() -> None:
    assert run("--version").stdout.strip() == f"specmock {__version__}"
    help_text = run("--help").stdout
    for word in ("serve", "specs"):
        assert word in help_text
    serve_help = run("serve", "--help").stdout
    for flag in ("--port", "--host", "--seed", "--config", "--token-ttl", "--no-admin", "--admin",
                 "--allowed-host", "--max-connections", "--shutdown-grace"):
        assert flag in serve_help


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("--bogus",), "unrecognized arguments: --bogus"),
        (("serve", "--port", "abc"), "invalid port 'abc'"),
        (("serve", "--port", "70000"), "invalid port '70000'"),
        (("serve", "--token-ttl", "0"), "invalid value '0'"),
        (("serve", "--seed", "x"), "invalid seed 'x'"),
        (("serve", "--seed", "9" * 5000), "invalid seed '9999"),
        (("serve", "--seed", str(2**63)), "expected an integer from"),
        (("serve", "--allowed-host", "a/b"), "invalid host name 'a/b'"),
        (("serve", "--shutdown-grace", "-1"), "invalid value '-1'"),
        (("serve", "--max-connections", "0"), "invalid count '0'"),
        (("nope",), "invalid choice: 'nope'"),
    ],
)
def test_wrong_flags_get_one_line_and_exit_2(args: tuple[str, ...], needle: str) -> None:
    result = run(*args)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and lines[0].startswith("specmock: ")


def test_specs_lists_every_bundled_spec(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["specs"]) == 0
    out = capsys.readouterr().out
    for name in specs.SPEC_FILES:
        assert name in out


def test_specs_validates_the_bundled_files(capsys: pytest.CaptureFixture[str]) -> None:
    files = [str(specs.path(name)) for name in specs.SPEC_FILES]
    assert main(["specs", *files]) == 0
    out = capsys.readouterr().out
    assert out.count(": valid ") == len(files)


def test_specs_on_a_whole_folder_passes_over_what_is_not_a_spec(capsys: pytest.CaptureFixture[str]) -> None:
    # what a shell makes of `specmock specs specs/*`: __init__.py, __pycache__, schemathesis.toml too
    folder = specs.path("banqer").parent
    everything = sorted(str(entry) for entry in folder.iterdir())
    assert any(name.endswith("__init__.py") for name in everything)
    assert main(["specs", *everything]) == 0
    captured = capsys.readouterr()
    assert captured.out.count(": valid ") == len(specs.SPEC_FILES)
    assert captured.err == ""


def test_specs_without_any_spec_file_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("x")
    assert main(["specs", str(tmp_path / "notes.txt"), str(tmp_path)]) == 1
    assert "no spec file among the arguments" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("broken.yaml", "openapi: 3.1.0\ninfo: [unclosed\n", "invalid YAML: line"),
        ("nokey.yaml", "openapi: 3.1.0\ninfo: {title: x}\npaths: {}\n", "invalid OpenAPI"),
        ("what.yaml", "just: text\n", "not an OpenAPI document"),
        ("bad.graphql", "type Query { x: }\n", "invalid GraphQL SDL: line 1"),
        (
            "bad.schema.json",
            '{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": 5}',
            "invalid JSON Schema",
        ),
        ("trunc.json", '{"openapi": ', "invalid JSON: line 1"),
        ("missing.yaml", None, "no such file"),
    ],
)
def test_broken_spec_file_is_one_readable_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, content: str | None, needle: str
) -> None:
    file = tmp_path / name
    if content is not None:
        file.write_text(content)
    assert main(["specs", str(file)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0] and str(file) in err[0]


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("banqer: [\n", "invalid YAML: line 2"),
        ("banqer:\n  token_ttl: -5\n", "banqer.token_ttl: -5 is less than the minimum of 1"),
        ("unknown_key: 1\n", "Additional properties are not allowed ('unknown_key' was unexpected)"),
        ("banqer:\n  tenants:\n    Bad_Tenant: {clients: {}}\n", "banqer.tenants"),
        # a scope the API does not have is refused at start, with the valid ones listed
        (
            "banqer:\n  tenants:\n    acme: {clients: {c: {secret: s, scopes: ['fichas:reed']}}}\n",
            "banqer.tenants.acme.clients.c.scopes: unknown scope 'fichas:reed'; the Banqer API has: "
            "credores:read, fichas:read",
        ),
    ],
)
def test_bad_config_file_is_one_line_and_exit_2(tmp_path: Path, content: str, needle: str) -> None:
    config = tmp_path / "mock.yaml"
    config.write_text(content)
    result = run("serve", "--config", str(config), "--port", "0")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and str(config) in lines[0]


def test_missing_config_file(tmp_path: Path) -> None:
    result = run("serve", "--config", str(tmp_path / "absent.yaml"))
    assert result.returncode == 2 and "no such file" in result.stderr


def test_verify_help_names_the_variables_of_every_plan(capsys: pytest.CaptureFixture[str]) -> None:
    from specmock.contracts.provider.plan import plan_for, verifiable

    with pytest.raises(SystemExit):
        main(["verify", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    assert ("the per-API variables BANQER_API_BASE_URL, BANQER_AUTH_BASE_URL, PBM_GRAPHQL_URL and "
            "ASSINE_BASE_URL point at other hosts") in shown
    assert "ASSINE_USERNAME, ASSINE_PASSWORD (ASSINE_CLIENT_ID, ASSINE_CLIENT_SECRET);" in shown
    for name in verifiable():
        plan = plan_for(name)[1]
        for variable in [url.env for url in plan.urls] + [c.name for c in plan.credentials]:
            assert variable in shown


def test_contract_offers_the_apis_with_a_command_adapter(capsys: pytest.CaptureFixture[str]) -> None:
    from specmock.mocks import descriptors

    with pytest.raises(SystemExit):
        main(["contract", "--help"])
    names = [d.name for d in descriptors() if d.command_adapter is not None]
    assert names == ["banqer", "pbm", "assine"]
    assert "{" + ",".join(names) + "}" in capsys.readouterr().out


def test_reading_the_registry_for_the_options_imports_nothing_heavy() -> None:
    code = "import sys; from specmock.cli import build_parser; build_parser(); " \
           "print(sorted(m for m in sys.modules if m.split('.')[0] in ('httptools', 'starlette') " \
           "or m.startswith(('specmock.contracts', 'specmock.mocks.proxy.app', " \
           "'specmock.mocks.proxy.upstream_client'))))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "[]", result.stderr
