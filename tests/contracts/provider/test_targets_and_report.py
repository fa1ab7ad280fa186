"""Where the suite sends requests, which credentials it uses, and what its report shows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from specmock.contracts.provider import Finding, Report, TargetError
from specmock.contracts.provider.report import ApiResult
from specmock.contracts.provider.targets import is_loopback_url, known_names, resolve_targets
from specmock.redact import redact_text

ALL_NAMES = sorted(known_names())


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8080", True),
        ("http://127.9.9.9", True),
        ("http://localhost:1", True),
        ("http://[::1]:8080/x", True),
        ("https://api-demo.banqer.com.br", False),
        ("http://10.0.0.5:8080", False),
        ("http://127.0.0.1.example.com", False),
    ],
)
def test_loopback_detection(url: str, loopback: bool) -> None:
    assert is_loopback_url(url) is loopback


def test_a_loopback_mock_gets_the_demo_credentials_and_the_mock_layout() -> None:
    banqer, pbm, assine = resolve_targets(
        ["banqer", "pbm", "assine"], base_url="http://127.0.0.1:8080/", environ={}
    )
    assert banqer.urls == {
        "api": "http://127.0.0.1:8080/banqer/demo",
        "auth": "http://127.0.0.1:8080/banqer-auth",
    }
    assert banqer.credentials == {
        "BANQER_TENANT": "demo",
        "BANQER_CLIENT_ID": "demo-client",
        "BANQER_CLIENT_SECRET": "demo-secret",
    }
    assert pbm.urls == {"graphql": "http://127.0.0.1:8080/pbm/graphql"}
    assert pbm.credentials == {"PBM_LOGIN": "usuario_exemplo", "PBM_PASSWORD": "senha_exemplo"}
    assert assine.urls == {"api": "http://127.0.0.1:8080/assine"}
    assert assine.credentials["ASSINE_USERNAME"] == "demo@empresa.example"
    assert all(target.local for target in (banqer, pbm, assine))
    assert "demo-secret" in banqer.secrets and "demo-client" not in banqer.secrets


def test_the_environment_and_options_win_over_the_demo_values() -> None:
    environ = {
        "BANQER_TENANT": "minha-empresa",
        "BANQER_CLIENT_ID": "app-1",
        "BANQER_CLIENT_SECRET": "s3cret",
    }
    (target,) = resolve_targets(
        ["banqer"],
        base_url="http://localhost:9000",
        environ=environ,
        options={"BANQER_CLIENT_SECRET": "from-option"},
    )
    assert target.urls["api"] == "http://localhost:9000/banqer/minha-empresa"
    assert target.credentials == {
        "BANQER_TENANT": "minha-empresa",
        "BANQER_CLIENT_ID": "app-1",
        "BANQER_CLIENT_SECRET": "from-option",
    }


def test_an_in_process_app_never_reads_the_environment() -> None:
    environ = {
        "PBM_LOGIN": "real-user",
        "PBM_PASSWORD": "real-password",
        "PBM_GRAPHQL_URL": "https://pbm.example",
    }
    (target,) = resolve_targets(["pbm"], in_process=True, environ=environ)
    assert target.urls == {"graphql": "http://testserver/pbm/graphql"}
    assert target.credentials == {"PBM_LOGIN": "usuario_exemplo", "PBM_PASSWORD": "senha_exemplo"}


def test_a_live_target_without_credentials_is_refused_with_one_line() -> None:
    with pytest.raises(TargetError) as caught:
        resolve_targets(["banqer", "pbm"], base_url="https://sandbox.example.com", environ={})
    message = str(caught.value)
    assert "\n" not in message
    for name in ("BANQER_TENANT", "BANQER_CLIENT_ID", "BANQER_CLIENT_SECRET", "PBM_LOGIN", "PBM_PASSWORD"):
        assert name in message


def test_a_live_target_with_credentials_from_the_environment() -> None:
    environ = {
        "ASSINE_BASE_URL": "https://api-v1-hom.assine.online",
        "ASSINE_USERNAME": "ana@empresa.example",
        "ASSINE_PASSWORD": "pw",
    }
    (target,) = resolve_targets(["assine"], environ=environ)
    assert target.urls == {"api": "https://api-v1-hom.assine.online"}
    assert not target.local
    assert target.credentials["ASSINE_CLIENT_ID"] == "app"  # the documented OAuth client
    assert target.secrets == ("pw",)  # "app" is the public client secret, not masked


def test_no_url_at_all_is_refused() -> None:
    with pytest.raises(TargetError, match=r"assine: pass --base-url or set ASSINE_BASE_URL"):
        resolve_targets(["assine"], environ={})
    with pytest.raises(TargetError, match="unknown option"):
        resolve_targets(["assine"], base_url="http://127.0.0.1:1", options={"ASSINE_PASSWORT": "x"})
    with pytest.raises(TargetError, match="invalid base URL"):
        resolve_targets(["pbm"], base_url="127.0.0.1:8080", environ={})


def test_every_variable_name_is_the_reference_clients_one() -> None:
    assert (
        sorted(
            [
                "ASSINE_BASE_URL",
                "ASSINE_CLIENT_ID",
                "ASSINE_CLIENT_SECRET",
                "ASSINE_PASSWORD",
                "ASSINE_USERNAME",
                "BANQER_API_BASE_URL",
                "BANQER_AUTH_BASE_URL",
                "BANQER_CLIENT_ID",
                "BANQER_CLIENT_SECRET",
                "BANQER_TENANT",
                "PBM_GRAPHQL_URL",
                "PBM_LOGIN",
                "PBM_PASSWORD",
            ]
        )
        == ALL_NAMES
    )


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("curl -H 'Authorization: Bearer eyJhbGciOi.x.y' http://x", "eyJhbGciOi"),
        ("-d 'grant_type=client_credentials&client_id=a&client_secret=s3cr3t'", "s3cr3t"),
        ('-d \'{"username": "u", "password": "hunter22"}\'', "hunter22"),
        (
            '-d \'{"query": "mutation { createToken(login: \\"u\\", '
            'password: \\"hunter22\\") { token } }"}\'',
            "hunter22",
        ),
        ('{"accessToken": "5499d5cac5d19926adcbcda7987c01854065554f"}', "5499d5cac5d1"),
        ("revoked with token=abcdef123 in the query", "abcdef123"),
    ],
)
def test_redaction_of_report_text(text: str, hidden: str) -> None:
    masked = redact_text(text)
    assert hidden not in masked and "***" in masked


def test_redaction_keeps_what_is_not_secret() -> None:
    text = "curl 'http://x/v1/fichas?pageToken=eyJjIjoi&atrasoMin=90' -d 'client_id=demo-client'"
    assert redact_text(text) == text
    assert redact_text("the secret is s3cr3t-value", secrets=["s3cr3t-value"]) == "the secret is ***"


def _report() -> Report:
    finding = Finding(
        api="banqer",
        spec="banqer.openapi.yaml",
        operation="GET /v1/fichas",
        check="response_schema_conformance",
        title="Response violates schema",
        message="'12.5' is not of type 'number'",
        phase="positive",
        status=200,
        curl="curl -X GET -H 'Authorization: Bearer ***' http://127.0.0.1:8080/banqer/demo/v1/fichas",
    )
    result = ApiResult(
        api="banqer",
        urls={"api": "http://127.0.0.1:8080/banqer/demo"},
        operations=["banqer.openapi.yaml: GET /v1/fichas"],
        responses=10,
        findings=[finding],
    )
    return Report(
        results=[result],
        checks=["response_schema_conformance"],
        disabled_checks={"x": "why"},
        max_examples=5,
        seed=42,
        duration=1.0,
    )


def test_the_report_names_operation_check_and_request(tmp_path: Path) -> None:
    report = _report()
    assert not report.ok and report.exit_code == 1
    text = report.render()
    assert "FAIL banqer: GET /v1/fichas - response_schema_conformance: Response violates schema" in text
    assert "reproduce: curl -X GET" in text
    assert "--seed 42" in text
    data = json.loads(report.write(tmp_path / "r.json").read_text())
    assert data["ok"] is False and data["seed"] == 42
    assert data["apis"][0]["findings"][0]["check"] == "response_schema_conformance"
    assert "FAIL banqer" in report.write(tmp_path / "r.txt").read_text()
    assert report.failing(check="response_schema_conformance", api="banqer") == report.findings
    assert report.failing(check="not_a_server_error") == []


def test_operations_can_be_narrowed_and_unknown_ones_are_refused() -> None:
    from specmock.contracts.provider import verify

    from ._mock import mock_app

    report = verify("banqer", app=mock_app("banqer"), max_examples=2, seed=1, operations=["listCredores"])
    assert report.ok, report.render()
    assert report.results[0].operations == ["banqer.openapi.yaml: GET /v1/credores"]
    with pytest.raises(ValueError, match="no operation 'listFicha'"):
        verify("banqer", app=mock_app("banqer"), operations=["listFicha"])


def test_the_config_exceptions_reported_for_an_api_are_those_of_its_own_specs() -> None:
    """The ``[[project]]`` blocks of schemathesis.toml that a run reports are those whose title is one of
    the run's APIs' specs (as the registry lists them); the top-level blocks apply to every run."""
    from specmock.contracts.provider.checks import disabled_checks
    from specmock.specs import load

    realm, banqer, assine = (load(name)["info"]["title"] for name in ("banqer-auth", "banqer", "assine"))
    for_banqer, for_pbm, for_assine = (disabled_checks([api]) for api in ("banqer", "pbm", "assine"))
    assert any(f"({realm})" in change for change in for_banqer)
    assert any(f"({assine})" in change for change in for_assine)
    assert not any(f"({title})" in change for change in for_pbm for title in (realm, banqer, assine))
    assert not any(f"({realm})" in change for change in for_assine)
    assert set(for_pbm) <= set(for_banqer) & set(for_assine)
