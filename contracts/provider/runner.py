"""The provider run: requests generated from the specs by schemathesis + hypothesis, answers checked.

Per API, in this order:

1. log in through the API's own flow (its response is checked like any other);
2. for every operation: schemathesis's coverage cases (boundary values, missing parameters,
   undeclared methods), then ``max_examples`` cases drawn by hypothesis, valid (positive) and
   schema-violating (negative) ones mixed as schemathesis's own ``--max-examples`` does;
3. stateful runs where the spec declares ``links`` (hypothesis rule-based state machine);
4. the suite's own scenarios: the Assine application-token lifecycle, and for Banqer (OAuth2, which
   schemathesis's ``ignored_auth`` does not probe) and PBM (GraphQL has no security declarations)
   a probe that every operation refuses a missing or invalid token.

Everything runs in this process: against a URL through schemathesis's HTTP transport, or against
an ASGI app through schemathesis's in-process ASGI client (no socket).
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from typing import Any

from specmock.contracts.provider import checks as _checks
from specmock.contracts.provider.auth import LoginFailed, one_line
from specmock.contracts.provider.context import CURL_BASE, Channel, RunContext, Stop, names_of
from specmock.contracts.provider.phases import exercise_spec, load_schema, log_in, open_schema, run_stateful
from specmock.contracts.provider.plan import plan_for, verifiable
from specmock.contracts.provider.report import ApiResult, Report
from specmock.contracts.provider.scenarios import auth_required
from specmock.contracts.provider.targets import resolve_targets

__all__ = ["CURL_BASE", "run_api", "verify"]


def verify(
    api: str | Sequence[str] = "all",
    base_url: str | None = None,
    *,
    app: Any = None,
    max_examples: int | None = None,
    seed: int | None = None,
    credentials: dict[str, str] | None = None,
    environ: dict[str, str] | None = None,
    stateful: bool = True,
    timeout: float = 10.0,
    operations: Sequence[str] | None = None,
) -> Report:
    """Check a server against the bundled specs and return a :class:`Report`.

    ``api`` is the name of a registered API (``"banqer"``, ``"pbm"``, ``"assine"``), ``"all"`` or a
    list of names. The target is
    ``base_url`` (the root of a server with the mock's layout, e.g. ``http://127.0.0.1:8080``) or
    ``app`` (an ASGI app such as ``create_app(create_state())``, run in-process), or, for live
    vendors, the per-API variables (``BANQER_API_BASE_URL`` …) in ``credentials``/``environ``.
    ``credentials`` maps the reference clients' variable names to values and wins over the
    environment; on a loopback or in-process target the mock's demo credentials fill the gaps.

    ``max_examples`` (default: the active hypothesis profile's ``max_examples``) is the number of
    generated requests per operation, valid and invalid ones mixed, as schemathesis's own
    ``--max-examples``; ``seed`` makes the run reproducible (a random one is chosen and reported
    otherwise). ``operations`` narrows the generated requests to some operations, by label
    (``GET /v1/fichas``, ``Query.WsAcesso_consultProgramForm``) or operationId (``listFichas``);
    logins still run. Raises :class:`~specmock.contracts.provider.targets.TargetError` (a
    ``ValueError``) when a URL or credentials are missing, ``ValueError`` for an unknown API or
    operation; everything the server does wrong is in the report.
    """
    apis = _select(api)
    selected = _check_operations(apis, operations) if operations else None
    targets = resolve_targets(
        apis, base_url=base_url, in_process=app is not None, options=credentials, environ=environ
    )
    examples = max_examples if max_examples is not None else _profile_examples()
    if examples < 1:
        raise ValueError(f"max_examples must be at least 1, got {examples}")
    run_seed = seed if seed is not None else random.SystemRandom().randrange(2**32)
    channel = Channel(app=app, timeout=timeout)
    started = time.monotonic()
    results = [
        run_api(RunContext(target, channel, examples, run_seed, stateful=stateful, selected=selected))
        for target in targets
    ]
    return Report(
        results=results,
        checks=[*_checks.enabled_checks(apis), *_own_checks(apis, stateful=stateful)],
        disabled_checks=_checks.disabled_checks(apis),
        max_examples=examples,
        seed=run_seed,
        duration=time.monotonic() - started,
        curl_base=CURL_BASE if app is not None else None,
    )


def _profile_examples() -> int:
    """``max_examples`` of the active hypothesis profile (``dev`` 25, ``ci`` 60 in the kit's own suite)."""
    import hypothesis

    active = hypothesis.settings.default
    return active.max_examples if active is not None else 100


def _select(api: str | Sequence[str]) -> list[str]:
    known = verifiable()
    names = [api] if isinstance(api, str) else list(api)
    if "all" in names:
        return list(known)
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        raise ValueError(
            f"unknown API {unknown[0] if unknown else ''!r}: expected one of {', '.join(known)} or all"
        )
    return [name for name in known if name in names]


def _own_checks(apis: list[str], *, stateful: bool) -> list[str]:
    own: list[str] = []
    for api in apis:
        plan = plan_for(api)[1]
        own += plan.own_checks
        if stateful:
            own += [scenario.name for scenario in plan.scenarios]
    return own


def run_api(ctx: RunContext) -> ApiResult:
    """One API's run, as its plan says: log in, exercise each spec, stateful runs, auth probes,
    scenarios. Whatever stops it early is one error line; findings so far are kept."""
    try:
        _follow_plan(ctx)
    except (Stop, LoginFailed) as exc:
        ctx.result.errors.append(str(exc))
    except Exception as exc:  # the run itself broke: report it instead of losing every finding so far
        ctx.result.errors.append(f"the run stopped during {ctx.phase}: {one_line(exc)}")
    return ctx.finish()


def _follow_plan(ctx: RunContext) -> None:
    api, plan = plan_for(ctx.target.api)
    urls, credentials = ctx.target.urls, ctx.target.credentials
    ctx.extra_checks = list(plan.extra_checks)
    pinned = {name: credentials[var] for name, var in plan.pinned_parameters if credentials.get(var)}
    schemas = {run.spec: load_schema(ctx, api.spec(run.spec), urls[run.url], plan.replaced_checks, pinned)
               for run in plan.specs}
    url_of = {run.spec: urls[run.url] for run in plan.specs}
    if plan.login is not None:
        login = plan.login
        flow = login.flow(schemas[login.spec], url_of[login.spec], ctx.send_checked, credentials)
        log_in(ctx, schemas[login.applies_to], flow, login.applies)
    for run in plan.specs:
        exercise_spec(ctx, schemas[run.spec], url_of[run.spec])
    for run in plan.specs:
        if run.stateful and ctx.stateful:
            run_stateful(ctx, schemas[run.spec], url_of[run.spec], plan.prepare_stateful)
    for run in plan.specs:
        if run.auth_probe is not None:
            ctx.phase = "auth probe"
            spec = api.spec(run.spec).file_name
            auth_required(ctx, spec, url_of[run.spec], ctx.served.get(spec, {}), refused=run.auth_probe)
    for scenario in plan.scenarios:
        if ctx.stateful and (ctx.selected is None or ctx.selected & scenario.operations):
            ctx.phase = scenario.name
            scenario.run(ctx, schemas[scenario.spec], url_of[scenario.spec], credentials)


def _check_operations(apis: list[str], operations: Sequence[str]) -> frozenset[str]:
    """The selected names, or ``ValueError`` naming one that no spec of ``apis`` has."""
    from schemathesis.core.result import Ok

    known: set[str] = set()
    for name in apis:
        api, plan = plan_for(name)
        for run in plan.specs:
            for result in open_schema(api.spec(run.spec)).get_all_operations():
                if isinstance(result, Ok):
                    known |= names_of(result.ok())
    unknown = [name for name in operations if name not in known]
    if unknown:
        raise ValueError(f"no operation {unknown[0]!r} in the specs of {', '.join(apis)}")
    return frozenset(operations)

