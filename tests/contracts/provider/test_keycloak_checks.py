"""The Keycloak realm scenarios: they hold on the mock's realm and catch each planted realm bug."""

from __future__ import annotations

import pytest

from specmock import specs
from specmock.contracts.provider import verify
from specmock.contracts.provider.keycloak import ACTIVE_MEMBERS, CHECKS

from ._mock import mock_app
from .broken_mock import REALM_VARIANTS, REFRESH_TOKENS, Planted

#: The realm's session operations; selecting them runs every Keycloak scenario.
REALM_OPERATIONS = ["introspectToken", "revokeToken", "logout", "getUserinfo", "getRealm",
                    "getOpenidConfiguration"]


@pytest.mark.parametrize("name", sorted(REALM_VARIANTS))
def test_a_planted_realm_bug_is_reported_by_its_keycloak_check(name: str) -> None:
    variant = REALM_VARIANTS[name]
    report = verify("banqer", app=variant.build(mock_app("banqer", config=variant.config)), max_examples=2,
                    seed=5, operations=variant.operations)
    assert not report.ok and report.exit_code == 1
    wanted = (variant.operation, variant.check)
    titles = [f.title for f in report.findings if (f.operation, f.check) == wanted]
    assert titles, report.render()
    assert any(variant.says in title for title in titles), titles
    for finding in report.failing(check=variant.check):
        assert finding.curl.startswith("curl ")
        assert "demo-secret" not in finding.curl + finding.message


def _sent(config: dict | None) -> tuple[object, list[tuple[str, str, int]]]:
    """The mock (set up by ``config``) recording each request's method, realm path and status."""
    sent: list[tuple[str, str, int]] = []

    def record(scope: dict, status: int, headers: list, body: bytes) -> tuple[int, list, bytes]:
        sent.append((scope["method"], scope["path"].rsplit("/demo", 1)[-1], status))
        return status, headers, body

    return Planted(mock_app("banqer", config=config), rewrite=record), sent


OIDC = "/protocol/openid-connect"


def test_every_keycloak_check_holds_on_the_mock_realm_and_sends_its_steps() -> None:
    """Each scenario runs its steps on the mock's default realm (not cut short) and finds nothing.

    A default client gets no refresh token, as in Keycloak: logout refuses its access token, which the
    scenario checks, and the report notes that ending a session was not checked."""
    app, sent = _sent(None)
    report = verify("banqer", app=app, max_examples=2, seed=2, operations=REALM_OPERATIONS)
    assert report.ok, report.render()
    assert set(CHECKS) <= set(report.checks)
    (note,) = report.results[0].notes
    assert note.startswith("keycloak_logout: the client gets no refresh token")
    assert ("POST", f"{OIDC}/logout", 400) in sent and ("POST", f"{OIDC}/logout", 204) not in sent
    assert ("GET", f"{OIDC}/userinfo", 200) in sent
    assert ("GET", f"{OIDC}/userinfo", 403) in sent  # a token without openid
    assert ("GET", "", 200) in sent  # the realm document


def test_logout_ends_the_session_of_a_client_with_refresh_tokens() -> None:
    """The plan's client configured with refresh tokens for client credentials: the scenario refreshes,
    logs out with the refresh token (204), and sees it refused afterwards; nothing is noted."""
    app, sent = _sent(REFRESH_TOKENS)
    report = verify("banqer", app=app, max_examples=1, seed=4, operations=["logout"])
    assert report.ok, report.render()
    assert not report.results[0].notes, report.results[0].notes
    logouts = [status for method, path, status in sent if path == f"{OIDC}/logout" and method == "POST"]
    assert 400 in logouts and 204 in logouts  # the access token refused, the refresh token taken
    assert ("POST", f"{OIDC}/token", 400) in sent  # the refresh after logout, refused


def test_the_scenarios_do_not_run_without_stateful() -> None:
    report = verify("banqer", app=mock_app("banqer"), max_examples=1, seed=1, stateful=False,
                    operations=["getRealm"])
    assert report.ok, report.render()
    assert not set(CHECKS) & set(report.checks)


def test_the_active_members_are_the_ones_the_realm_spec_requires() -> None:
    introspection = specs.load("banqer-auth.openapi.yaml")["components"]["schemas"]["Introspection"]
    assert sorted(introspection["then"]["required"]) == sorted(ACTIVE_MEMBERS)
    assert introspection["else"] == {"maxProperties": 1}
