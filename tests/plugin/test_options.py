"""Options, ini keys and the marker: one prefix, listed in ``pytest --help``, checked at start."""

from __future__ import annotations

import pytest

from tests.plugin.project import Project

pytest_plugins = ["pytester"]


def test_help_lists_the_options_and_ini_keys_in_one_group(project: Project) -> None:
    result = project.run("--help", subprocess=False)
    assert result.ret == 0
    result.stdout.re_match_lines([
        r"specmock mock servers .*:",
        r"\s+--specmock-seed=N\s+seed of the mocks' generated data.*",
        r"\s+--specmock-token-ttl=S",
        r"\s+--specmock-config=FILE",
        r"\s+--specmock-host=HOST\s+address the mock servers bind.*",
    ], consecutive=False)
    keys = ("specmock_seed", "specmock_token_ttl", "specmock_config", "specmock_host")
    result.stdout.re_match_lines([rf"\s+{key} \(string\):" for key in keys], consecutive=False)


def test_the_marker_is_registered_with_its_signature(project: Project) -> None:
    result = project.run("--markers", subprocess=False)
    result.stdout.fnmatch_lines(["@pytest.mark.specmock(seed=None, token_ttl=None, config=None): *"])


@pytest.mark.parametrize(("args", "message"), [
    (["--specmock-seed", "seven"], "specmock: --specmock-seed: invalid value 'seven': expected an integer"),
    (["--specmock-token-ttl", "0"],
     "specmock: --specmock-token-ttl: invalid value '0': expected a whole number, at least 1"),
    (["--specmock-config", "missing.yaml"], "specmock: */missing.yaml: no such file"),
])
def test_bad_values_stop_the_run_with_one_line(project: Project, args: list[str], message: str) -> None:
    project.write("test_nothing.py", "def test_nothing(): pass\n")
    # a config file is read with yaml and jsonschema: in a subprocess, so this process keeps its own modules
    result = project.run(*args, subprocess="--specmock-config" in args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])


def test_a_broken_config_file_is_named_with_the_place_and_the_problem(project: Project) -> None:
    project.write("mock.yaml", "banqer:\n  token_ttl: -1\n")
    project.pytester.makeini("[pytest]\nspecmock_config = mock.yaml\n")
    result = project.run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: specmock: */mock.yaml: banqer.token_ttl: -1 is less than the minimum of 1"])


USES_OPTIONS = '''
import httpx


def test_the_session_config_comes_from_options_and_ini(specmock_config, banqer_mock, specmock_host):
    assert specmock_config.seed == 11  # --specmock-seed wins over ini specmock_seed = 5
    assert specmock_config.banqer_token_ttl == 42  # ini specmock_token_ttl
    assert "acme" in specmock_config.banqer_tenants  # ini specmock_config = mock.yaml (relative to the ini)
    assert specmock_host == "127.0.0.1"
    assert banqer_mock.config is specmock_config
    form = {"grant_type": "client_credentials", "client_id": "app-1", "client_secret": "s3cret"}
    token = httpx.post(banqer_mock.realm_url("acme") + "/protocol/openid-connect/token", data=form)
    assert token.json()["expires_in"] == 42
'''

OVERRIDDEN = '''
import pytest
from specmock.mocks.config import MockConfig


@pytest.fixture(scope="session")
def specmock_config():
    return MockConfig(seed=99, banqer_fichas_per_tenant=3)
'''


def test_options_and_ini_keys_make_the_session_config(project: Project) -> None:
    project.write("settings/mock.yaml",
                  "banqer:\n  tenants:\n    acme:\n      clients:\n        app-1: {secret: s3cret}\n")
    project.write("settings/pytest.ini", "[pytest]\ntestpaths = ..\nspecmock_seed = 5\n"
                  "specmock_token_ttl = 42\nspecmock_config = mock.yaml\n")
    project.write("test_options.py", USES_OPTIONS)
    result = project.run("-c", "settings/pytest.ini", "--rootdir", ".", "--specmock-seed", "11",
                         "test_options.py")
    result.assert_outcomes(passed=1)


def test_a_conftest_overrides_the_session_config(project: Project) -> None:
    project.write("conftest.py", OVERRIDDEN)
    project.write("test_override.py", '''
        def test_uses_the_override(banqer_mock, specmock_config):
            assert banqer_mock.config.seed == 99 and banqer_mock.config is specmock_config
            assert banqer_mock.server.config.banqer_fichas_per_tenant == 3
    ''')
    result = project.run()
    result.assert_outcomes(passed=1)
