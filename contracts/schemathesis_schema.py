"""A ready schemathesis schema for one API: the shipped spec, the shipped config, a real login.

For a user's own schemathesis tests::

    import specmock.contracts

    schema = specmock.contracts.schema("banqer", "http://127.0.0.1:8080")

    @schema.parametrize()
    def test_api(case):
        case.call_and_validate()

The schema carries ``schemathesis.toml`` (the documented exceptions, the same file
``schemathesis run`` reads, its fixed parameters included) and an auth hook that logs in through
the API's own token endpoint and logs in again at 80 % of the token's lifetime (and, in
schemathesis's own runner, when a request answers 401).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from specmock.contracts.provider import auth as _auth
from specmock.contracts.provider import checks as _checks
from specmock.contracts.provider.targets import APIS, resolve_targets

if TYPE_CHECKING:
    from schemathesis import APIOperation, BaseSchema, Case, Response

__all__ = ["schema"]


def schema(
    api: str,
    base_url: str | None = None,
    *,
    credentials: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> BaseSchema:
    """The schemathesis schema of ``api`` (``banqer``, ``pbm`` or ``assine``), logged in.

    ``base_url`` is the root of a server with the mock's layout (``specmock serve``'s URL, the
    ``specmock`` fixture's ``url``); for another server, the reference clients' variables
    (``BANQER_API_BASE_URL`` …) in ``credentials`` or the environment say where each API is and who
    logs in, as for ``specmock verify``. Raises ``ValueError`` for an unknown API and
    :class:`~specmock.contracts.provider.auth.LoginFailed` when the login is refused.
    """
    import schemathesis

    from specmock.specs import path

    if api not in APIS:
        raise ValueError(f"unknown API {api!r}: expected one of {', '.join(APIS)}")
    (target,) = resolve_targets(
        [api], base_url=base_url, in_process=False, options=dict(credentials or {}), environ=environ
    )
    creds = target.credentials
    tenant = creds.get("BANQER_TENANT")

    def load(spec: str, url: str) -> BaseSchema:
        # "user" keeps every check of the file as it is (the provider suite swaps PBM's own in).
        config = schemathesis.Config.from_dict(
            {**_checks.checks_config("user", tenant=tenant), "base-url": url}
        )
        if spec == "pbm":
            return schemathesis.graphql.from_path(path("pbm"), config=config)
        return schemathesis.openapi.from_path(path(spec), config=config)

    def send(case: Case, url: str) -> Response:
        return case.call(base_url=url)

    if api == "banqer":
        loaded = load("banqer", target.urls["api"])
        realm = load("banqer-auth", target.urls["auth"])
        flow: _auth.TokenFlow = _auth.banqer_login(realm, target.urls["auth"], send, creds)
        applies = _always
    elif api == "pbm":
        loaded = load("pbm", target.urls["graphql"])
        flow = _auth.pbm_login(loaded, target.urls["graphql"], send, creds)
        applies = _not_the_login
    else:
        loaded = load("assine", target.urls["api"])
        flow = _auth.assine_login(loaded, target.urls["api"], send, creds)
        applies = _declares_security
    _auth.register_auth(loaded, flow, flow.first(), applies)
    _pin_parameters(loaded)
    return loaded


def _pin_parameters(loaded: BaseSchema) -> None:
    """Send the values the config fixes (``parameters = {...}``) whatever strategy drew the case,
    as ``schemathesis run`` does (``as_strategy()`` alone does not apply them)."""
    from schemathesis.generation.overrides import for_operation

    def map_case(context: Any, case: Case) -> Case:
        operation = case.operation
        if hasattr(operation, "path_parameters"):  # GraphQL operations have no such parameters
            for_operation(operation.schema.config, operation=operation).apply_to(case)
        return case

    loaded.hooks.register_hook_with_name(map_case, "map_case")


def _always(operation: APIOperation) -> bool:
    return True


def _not_the_login(operation: APIOperation) -> bool:
    return bool(operation.label != "Mutation.createToken")


def _declares_security(operation: APIOperation) -> bool:
    """Whether the operation requires credentials (its own ``security``, else the spec's)."""
    raw: Any = operation.definition.raw
    security = raw.get("security", operation.schema.raw_schema.get("security", []))
    return any(requirement for requirement in security)
