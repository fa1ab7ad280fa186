"""A fourth API is one package plus one registration: nothing generic changes.

The throwaway API (``tiny.py``, one spec'd GET route) is registered at run time and must then be
served, listed by the CLI, verified by the provider suite and offered as a pytest fixture.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from specmock.cli import main
from specmock.contracts.provider import verify
from specmock.mocks import create_app, create_state, descriptors, parse_config, register, sync_transport
from specmock.mocks.server import ServerThread
from tests.plugin.project import Project
from tests.registry import tiny

pytest_plugins = ["pytester"]


@pytest.fixture
def registered() -> Iterator[None]:
    with register(tiny.DESCRIPTOR):
        yield
    assert "tiny" not in [d.name for d in descriptors()]


def test_it_is_served_and_listed_by_the_admin_api(registered: None) -> None:
    app = create_app(create_state())
    with httpx.Client(transport=sync_transport(app), base_url="http://mock.test") as client:
        assert client.get("/tiny/v1/ping").json() == {"pong": True}
        assert client.get("/__mock__/").json()["apis"]["tiny"]["mount"] == "/tiny"
        assert client.post("/__mock__/faults", json={"api": "tiny", "status": 503}).status_code == 201
        answer = client.get("/tiny/v1/ping")  # the fault answers in the API's own error shape
        assert answer.status_code == 503 and set(answer.json()) == {"error"}


def test_the_cli_lists_its_spec_and_offers_it_to_verify(registered: None,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["specs"]) == 0
    assert "tiny.openapi.yaml" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["verify", "--help"])
    assert "tiny" in capsys.readouterr().out
    with ServerThread(create_app(create_state()), "127.0.0.1", 0) as running:
        assert main(["verify", "--api", "tiny", "--base-url", running.url, "--max-examples", "3",
                     "--seed", "1"]) == 0
    assert re.search(r"^  tiny +ok +1 operations", capsys.readouterr().out, re.MULTILINE)


def test_the_provider_suite_verifies_it(registered: None) -> None:
    report = verify("tiny", app=create_app(create_state()), max_examples=5, seed=3)
    assert report.ok, report.render()
    (result,) = report.results
    assert result.operations == ["tiny.openapi.yaml: GET /v1/ping"]
    assert result.responses > 0


def test_the_provider_suite_finds_a_broken_answer(registered: None) -> None:
    app = create_app(create_state())
    app.state.control.fail("tiny", 200, times=1000, body={"pong": False})
    report = verify("tiny", app=app, max_examples=5, seed=3)
    assert not report.ok
    assert {finding.check for finding in report.findings} >= {"response_schema_conformance"}


def test_the_config_file_has_no_section_for_an_api_without_settings(registered: None) -> None:
    with pytest.raises(ValueError, match="tiny"):
        parse_config({"tiny": {}})


def test_an_api_name_cannot_be_registered_twice(registered: None) -> None:
    with pytest.raises(ValueError, match="tiny"):
        register(tiny.DESCRIPTOR)


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Project:
    return Project(pytester, monkeypatch)


def test_a_project_that_registers_it_gets_its_fixture(project: Project) -> None:
    here = Path(tiny.__file__)
    project.write("tiny.py", here.read_text(encoding="utf-8"))
    project.write("tiny.openapi.yaml", here.with_name("tiny.openapi.yaml").read_text(encoding="utf-8"))
    project.write("conftest.py", """
        import tiny
        from specmock.mocks import register

        register(tiny.DESCRIPTOR)
    """)
    project.write("test_tiny.py", """
        def test_the_fixture_drives_the_tiny_api(tiny_mock, specmock):
            assert tiny_mock is specmock.tiny
            assert tiny_mock.url.endswith("/tiny")
            client = tiny_mock.client()
            assert client.get("/v1/ping").json() == {"pong": True}
            tiny_mock.fail(503, path="/v1/ping")
            assert client.get("/v1/ping").status_code == 503
            assert [r["status"] for r in tiny_mock.requests] == [200, 503]

        def test_the_kit_apis_are_still_there(banqer_mock, pbm_mock, assine_mock):
            assert banqer_mock.url.endswith("/banqer/demo")
    """)
    result = project.run("-q", "-p", "no:randomly")
    result.assert_outcomes(passed=2)
