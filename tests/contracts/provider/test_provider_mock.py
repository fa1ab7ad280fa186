"""The provider suite against the kit's own mock, in-process: every check must hold.

Runs with the active hypothesis profile (``dev``: 25 generated requests per operation, ``ci``: 60).
A failure prints the whole report: operation, check, and a curl line to reproduce it on
``specmock serve``.
"""

from __future__ import annotations

import pytest
from hypothesis import settings

from specmock import specs
from specmock.contracts.provider import APIS, verify

from ._mock import mock_app

SPEC_FILES = {
    "banqer": ("banqer.openapi.yaml", "banqer-auth.openapi.yaml"),
    "pbm": ("pbm.graphql",),
    "assine": ("assine.openapi.yaml",),
}


def _operation_count(spec: str) -> int:
    if spec.endswith(".graphql"):
        import graphql

        schema = graphql.build_schema(specs.read_text(spec))
        return sum(len(root.fields) for root in (schema.query_type, schema.mutation_type) if root is not None)
    methods = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
    return sum(1 for item in specs.load(spec)["paths"].values() for method in item if method in methods)


NO_REFRESH_TOKEN = "keycloak_logout: the client gets no refresh token"


@pytest.mark.parametrize("api", APIS)
def test_the_mock_honours_the_spec(api: str) -> None:
    report = verify(api, app=mock_app(api), max_examples=settings.default.max_examples)
    assert report.ok, report.render()
    result = report.results[0]
    # every operation of every spec of the API was exercised, with real logins
    assert len(result.operations) == sum(_operation_count(spec) for spec in SPEC_FILES[api])
    assert result.responses > len(result.operations) * 2
    # the only notes allowed say that an operation's requests were too slow to generate them all, or
    # that the demo client, like a default Keycloak client, gets no refresh token to log out with
    # (test_keycloak_checks runs that scenario to its end on a client configured with them)
    allowed = [note for note in result.notes if " budget (" in note or note.startswith(NO_REFRESH_TOKEN)]
    assert allowed == result.notes


def test_tokens_are_fetched_again_when_the_server_expires_them() -> None:
    """The auth providers log in again on a 401 and replay the request: no finding, several logins."""
    from .broken_mock import Planted

    app = mock_app("banqer")
    logins = []
    served = []

    def rewrite(scope: dict, status: int, headers: list, body: bytes) -> tuple[int, list, bytes]:
        path = scope["path"]
        if path.endswith("/openid-connect/token") and status == 200:
            logins.append(path)
        elif path.startswith("/banqer/"):
            served.append(status)
            if len(served) % 40 == 0:
                app.state.control.expire_tokens()  # every token issued so far stops working
        return status, headers, body

    report = verify("banqer", app=Planted(app, rewrite=rewrite), max_examples=10, seed=3)
    assert report.ok, report.render()
    assert len(logins) > 1


def test_the_realm_tenant_pinned_by_the_shipped_config_follows_the_target() -> None:
    """schemathesis.toml pins the realm's ``tenant`` to the mock's ``demo``; verifying a server whose
    tenant is another one (``BANQER_TENANT``) sends the realm's requests to that tenant instead."""
    from specmock.mocks.app import create_app, create_state
    from specmock.mocks.config import parse_config

    from .broken_mock import Planted

    config = parse_config({"banqer": {"tenants": {"acme": {"clients": {"acme-client": {"secret": "s3"}}}}}})
    app = create_app(create_state(config))
    realms: set[str] = set()

    def record(scope: dict, status: int, headers: list, body: bytes) -> tuple[int, list, bytes]:
        path = scope["path"]
        if path.startswith("/banqer-auth/realms/"):
            realms.add(path.split("/")[3])
        return status, headers, body

    credentials = {"BANQER_TENANT": "acme", "BANQER_CLIENT_ID": "acme-client", "BANQER_CLIENT_SECRET": "s3"}
    report = verify("banqer", app=Planted(app, rewrite=record), credentials=credentials, max_examples=3,
                    seed=1, operations=["getRealm", "introspectToken"])
    assert report.ok, report.render()
    assert "acme" in realms
    assert "demo" not in realms
