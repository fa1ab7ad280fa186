"""The provider plans of the kit's three APIs (named by their descriptors in ``mocks/*/descriptor.py``)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from specmock.contracts.provider import checks, keycloak
from specmock.contracts.provider.auth import assine_login, banqer_login, pbm_login
from specmock.contracts.provider.plan import Credential, Login, ProviderPlan, Scenario, SpecRun, UrlVar
from specmock.contracts.provider.scenarios import app_token_lifecycle

if TYPE_CHECKING:
    from schemathesis import APIOperation, Case, Response

    from specmock.contracts.provider.context import RunContext

__all__ = ["ASSINE", "BANQER", "PBM"]


def refused_http(response: Response) -> bool:
    return response.status_code in (401, 403)


def refused_graphql(response: Response) -> bool:
    """PBM refuses a missing or bad token with an ``UNAUTHENTICATED`` error (Autenticação page)."""
    try:
        body = response.json()
    except Exception:
        return False
    errors = body.get("errors") if isinstance(body, dict) else None
    return any(
        isinstance(error, dict) and (error.get("extensions") or {}).get("code") == "UNAUTHENTICATED"
        for error in (errors if isinstance(errors, list) else [])
    )


def declares_security(operation: APIOperation) -> bool:
    """Whether the operation requires credentials (its own ``security``, else the spec's)."""
    raw = operation.definition.raw
    security = raw.get("security", operation.schema.raw_schema.get("security", []))
    return any(requirement for requirement in security)


def _every_operation(operation: APIOperation) -> bool:
    return True


def _not_the_login(operation: APIOperation) -> bool:
    return bool(operation.label != "Mutation.createToken")


def _assine_access_token_body(ctx: RunContext, case: Case) -> None:
    """Let state-changing chains start: an Assine application token needs the account's password."""
    if (
        case.operation.label == "POST /v1/access-token"
        and isinstance(case.body, dict)
        and case.meta is not None
        and case.meta.generation.mode.is_positive
    ):
        case.body["password"] = ctx.target.credentials["ASSINE_PASSWORD"]
        case.body["expires"] = _future(days=1)


def _future(days: int) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S")


BANQER = ProviderPlan(
    urls=(
        UrlVar("api", "BANQER_API_BASE_URL", "/banqer/{BANQER_TENANT}"),
        UrlVar("auth", "BANQER_AUTH_BASE_URL", "/banqer-auth", fallback="https://auth.banqer.com.br"),
    ),
    credentials=(
        Credential("BANQER_TENANT", "demo"),
        Credential("BANQER_CLIENT_ID", "demo-client"),
        Credential("BANQER_CLIENT_SECRET", "demo-secret", secret=True),
    ),
    specs=(SpecRun("banqer-auth", "auth"), SpecRun("banqer", "api", auth_probe=refused_http)),
    login=Login("banqer-auth", banqer_login, applies_to="banqer", applies=_every_operation),
    # schemathesis.toml pins the realm's tenant to the mock's demo one; a target names its own.
    pinned_parameters=(("tenant", "BANQER_TENANT"),),
    # the realm is Keycloak's: its session operations are checked as Keycloak behaves
    scenarios=keycloak.scenarios(keycloak.KeycloakRealm(
        "banqer-auth", "BANQER_TENANT", "BANQER_CLIENT_ID", "BANQER_CLIENT_SECRET", parameter="tenant")),
)

PBM = ProviderPlan(
    urls=(UrlVar("graphql", "PBM_GRAPHQL_URL", "/pbm/graphql"),),
    credentials=(
        Credential("PBM_LOGIN", "usuario_exemplo"),
        Credential("PBM_PASSWORD", "senha_exemplo", secret=True),
    ),
    specs=(SpecRun("pbm.graphql", "graphql", auth_probe=refused_graphql),),
    login=Login("pbm.graphql", pbm_login, applies_to="pbm.graphql", applies=_not_the_login),
    extra_checks=(checks.pbm_not_a_server_error, checks.pbm_response_schema),
    own_checks=("pbm_response_schema",),
    # schemathesis's GraphQL not_a_server_error counts PBM's own coded errors as server errors.
    replaced_checks=("not_a_server_error",),
)

ASSINE = ProviderPlan(
    urls=(UrlVar("api", "ASSINE_BASE_URL", "/assine"),),
    credentials=(
        Credential("ASSINE_USERNAME", "demo@empresa.example"),
        Credential("ASSINE_PASSWORD", "demo-password", secret=True),
        # The OAuth client of the public documentation; not a secret of the account.
        Credential("ASSINE_CLIENT_ID", "app", public=True),
        Credential("ASSINE_CLIENT_SECRET", "app", secret=True, public=True),
    ),
    specs=(SpecRun("assine", "api", stateful=True),),
    login=Login("assine", assine_login, applies_to="assine", applies=declares_security),
    scenarios=(
        Scenario("app_token_lifecycle", "assine", app_token_lifecycle,
                 frozenset({"createAccessToken", "listAccessTokens", "deleteAccessToken"})),
    ),
    prepare_stateful=_assine_access_token_body,
)


