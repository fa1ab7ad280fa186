"""The Keycloak realm scenarios: they hold on the mock's realm and catch each planted realm bug."""

from __future__ import annotations

import re

import pytest

from specmock import specs
from specmock.contracts.provider import verify
from specmock.contracts.provider.keycloak import ACTIVE_MEMBERS, CHECKS

from ._mock import mock_app
from .broken_mock import REALM_VARIANTS, Planted, RefreshTokens, with_form

#: The realm's session operations; selecting them runs every Keycloak scenario.
REALM_OPERATIONS = ["introspectToken", "revokeToken", "logout", "getUserinfo", "getRealm",
                    "getOpenidConfiguration"]


@pytest.mark.parametrize("name", sorted(REALM_VARIANTS))
def test_a_planted_realm_bug_is_reported_by_its_keycloak_check(name: str) -> None:
    variant = REALM_VARIANTS[name]
    report = verify("banqer", app=variant.build(mock_app("banqer")), max_examples=2, seed=5,
                    operations=variant.operations)
    assert not report.ok and report.exit_code == 1
    wanted = (variant.operation, variant.check)
    titles = [f.title for f in report.findings if (f.operation, f.check) == wanted]
    assert titles, report.render()
    assert any(variant.says in title for title in titles), titles
    for finding in report.failing(check=variant.check):
        assert finding.curl.startswith("curl ")
        assert "demo-secret" not in finding.curl + finding.message


def test_every_keycloak_check_holds_on_the_mock_realm_and_sends_its_steps() -> None:
    """Each scenario runs its steps on the mock (not skipped, not cut short) and finds nothing."""
    sent: list[tuple[str, str, int]] = []

    def record(scope: dict, status: int, headers: list, body: bytes) -> tuple[int, list, bytes]:
        sent.append((scope["method"], scope["path"].rsplit("/demo", 1)[-1], status))
        return status, headers, body

    report = verify("banqer", app=Planted(mock_app("banqer"), rewrite=record), max_examples=2, seed=2,
                    operations=REALM_OPERATIONS)
    assert report.ok, report.render()
    assert set(CHECKS) <= set(report.checks)
    assert not report.results[0].notes, report.results[0].notes
    oidc = "/protocol/openid-connect"
    # the steps only the scenarios send: a logout answered 204, then refused; a 200 userinfo
    assert ("POST", f"{oidc}/logout", 204) in sent
    assert ("POST", f"{oidc}/logout", 400) in sent
    assert ("GET", f"{oidc}/userinfo", 200) in sent
    assert ("GET", "", 200) in sent  # the realm document


def test_logout_is_checked_with_the_refresh_token_when_the_realm_issues_one() -> None:
    """Keycloak with refresh tokens for client credentials: logout takes the refresh token, which then
    no longer refreshes; the scenario follows that branch and passes."""
    realm = RefreshTokens(mock_app("banqer"))
    refused: list[int] = []

    def record(scope: dict, status: int, headers: list, body: bytes) -> tuple[int, list, bytes]:
        if scope["path"].endswith("/openid-connect/token") and b"Session not active" in body:
            refused.append(status)
        return status, headers, body

    report = verify("banqer", app=Planted(realm, rewrite=record), max_examples=1, seed=4,
                    operations=["logout"])
    assert report.ok, report.render()
    assert not report.results[0].notes, report.results[0].notes
    assert realm.sessions  # refresh tokens were issued; the scenario's one was ended by its logout
    assert refused == [400]  # the refresh after logout was tried, and refused


def test_a_realm_refusing_the_access_token_as_refresh_token_is_noted_not_failed() -> None:
    """Keycloak's default: no refresh token for client credentials, and logout refuses the access
    token with invalid_grant; nothing can be logged out, which the report says in a note."""

    def answer(scope: dict, form: dict[str, str]) -> tuple[int, list, bytes] | None:
        if form.get("client_secret") != "demo-secret" or not form.get("refresh_token"):
            return None  # the mock's own answer: 401 for a caller it cannot authenticate, 400 ...
        headers = [(b"content-type", b"application/json"), (b"cache-control", b"no-store")]
        return 400, headers, b'{"error":"invalid_grant","error_description":"Invalid refresh token"}'

    app = with_form(mock_app("banqer"), re.compile(r".*/openid-connect/logout$"), answer)
    report = verify("banqer", app=app, max_examples=1, seed=4, operations=["logout"])
    assert report.ok, report.render()
    assert any(note.startswith("keycloak_logout skipped") for note in report.results[0].notes)


def test_the_scenarios_do_not_run_without_stateful() -> None:
    report = verify("banqer", app=mock_app("banqer"), max_examples=1, seed=1, stateful=False,
                    operations=["getRealm"])
    assert report.ok, report.render()
    assert not set(CHECKS) & set(report.checks)


def test_the_active_members_are_the_ones_the_realm_spec_requires() -> None:
    introspection = specs.load("banqer-auth.openapi.yaml")["components"]["schemas"]["Introspection"]
    assert sorted(introspection["then"]["required"]) == sorted(ACTIVE_MEMBERS)
    assert introspection["else"] == {"maxProperties": 1}
