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
from specmock.contracts.provider.plan import plan_for, verifiable
from specmock.contracts.provider.targets import resolve_targets

if TYPE_CHECKING:
    from schemathesis import BaseSchema, Case, Response

__all__ = ["schema"]


def schema(
    api: str,
    base_url: str | None = None,
    *,
    credentials: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> BaseSchema:
    """The schemathesis schema of ``api`` (``banqer``, ``pbm``, ``assine``: an API with a provider
    plan), logged in.

    ``base_url`` is the root of a server with the mock's layout (``specmock serve``'s URL, the
    ``specmock`` fixture's ``url``); for another server, the reference clients' variables
    (``BANQER_API_BASE_URL`` …) in ``credentials`` or the environment say where each API is and who
    logs in, as for ``specmock verify``. Raises ``ValueError`` for an unknown API and
    :class:`~specmock.contracts.provider.auth.LoginFailed` when the login is refused.
    """
    import schemathesis

    from specmock.contracts.provider.phases import open_schema

    known = verifiable()
    if api not in known:
        raise ValueError(f"unknown API {api!r}: expected one of {', '.join(known)}")
    found, plan = plan_for(api)
    (target,) = resolve_targets(
        [api], base_url=base_url, in_process=False, options=dict(credentials or {}), environ=environ
    )
    creds = target.credentials
    pinned = {name: creds[var] for name, var in plan.pinned_parameters if creds.get(var)}
    url_of = {run.spec: target.urls[run.url] for run in plan.specs}

    def load(spec: str) -> BaseSchema:
        # "user" keeps every check of the file as it is (the provider suite swaps in its own).
        config = schemathesis.Config.from_dict(
            {**_checks.checks_config("user", parameters=pinned), "base-url": url_of[spec]}
        )
        return open_schema(found.spec(spec), config)

    def send(case: Case, url: str) -> Response:
        return case.call(base_url=url)

    schemas = {run.spec: load(run.spec) for run in plan.specs}
    login = plan.login
    if login is None:
        loaded = schemas[plan.specs[0].spec]
    else:
        loaded = schemas[login.applies_to]
        flow: _auth.TokenFlow = login.flow(schemas[login.spec], url_of[login.spec], send, creds)
        _auth.register_auth(loaded, flow, flow.first(), login.applies)
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
