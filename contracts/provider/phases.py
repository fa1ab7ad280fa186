"""The phases of one API's provider run, each a function of the :class:`~.context.RunContext`.

:func:`load_schema` (a spec as a schemathesis schema whose every check result is recorded),
:func:`log_in`, :func:`exercise_spec` (per operation: coverage cases, then generated ones),
:func:`run_stateful` (links), and the auth probes and scenarios of :mod:`.scenarios`.
"""

from __future__ import annotations

import contextlib
import copy
import time
from collections.abc import Callable, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from specmock.contracts.provider import checks as _checks
from specmock.contracts.provider.auth import LoginFailed, TokenFlow, one_line, register_auth
from specmock.contracts.provider.context import Crashed, RunContext, Stop, is_transport_error

if TYPE_CHECKING:
    from schemathesis import APIOperation, BaseSchema, Case, Response

    from specmock.mocks.descriptor import ApiSpec

__all__ = [
    "COVERAGE_FACTOR",
    "COVERAGE_MIN",
    "PROBE_EXAMPLES",
    "STATEFUL_DIVISOR",
    "STATEFUL_MIN",
    "STATEFUL_STEPS",
    "TIME_BUDGET_MIN",
    "TIME_BUDGET_PER_EXAMPLE",
    "exercise_spec",
    "load_schema",
    "log_in",
    "open_schema",
    "run_stateful",
]

#: Coverage cases per operation: at least COVERAGE_MIN, else COVERAGE_FACTOR x max_examples.
COVERAGE_MIN = 10
COVERAGE_FACTOR = 1
#: Generated requests per operation get this much time: at least TIME_BUDGET_MIN seconds, else
#: TIME_BUDGET_PER_EXAMPLE x max_examples (2.5 s for 25 examples, 6 s for 60). Only operations
#: whose requests are slow to generate or to answer hit it (Assine's workflow bodies); the report
#: lists them.
TIME_BUDGET_MIN = 1.0
TIME_BUDGET_PER_EXAMPLE = 0.1
#: Examples drawn before the time per example is estimated.
PROBE_EXAMPLES = 3
#: Stateful scenarios: max_examples / STATEFUL_DIVISOR of them (at least STATEFUL_MIN), each of up to
#: STATEFUL_STEPS linked calls.
STATEFUL_MIN = 3
STATEFUL_DIVISOR = 3
STATEFUL_STEPS = 8


# -- schemas ------------------------------------------------------------------------------------


@cache
def _parsed(path: Path) -> Any:
    import yaml

    text = path.read_text(encoding="utf-8")
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # a safe loader either way


def open_schema(spec: ApiSpec, config: Any = None) -> BaseSchema:
    """``spec`` as a schemathesis schema (OpenAPI or GraphQL), with ``config`` (default: none)."""
    import schemathesis

    config = config or schemathesis.Config()
    if spec.kind == "graphql":
        return schemathesis.graphql.from_path(spec.path, config=config)
    if spec.kind == "openapi":
        return schemathesis.openapi.from_dict(copy.deepcopy(_parsed(spec.path)), config=config)
    raise ValueError(f"{spec.file_name} is a {spec.kind} document, not an API spec")


def load_schema(ctx: RunContext, spec: ApiSpec, base_url: str, replaced: tuple[str, ...] = (),
                parameters: Mapping[str, str] | None = None) -> BaseSchema:
    """``spec`` as the run's schema for ``base_url``: its checks configured (``schemathesis.toml``,
    ``replaced`` checks off, its pinned ``parameters`` given these values), bound to the channel, and
    every check result schemathesis reports for its answers recorded."""
    import schemathesis

    raw = copy.deepcopy(_parsed(spec.path)) if spec.kind == "openapi" else None
    data = {
        "base-url": base_url,
        "seed": ctx.seed,
        "output": {"sanitization": {"enabled": False}},
        **_checks.checks_config(ctx.target.api, raw, replaced=replaced, parameters=parameters),
    }
    config = schemathesis.Config.from_dict(data)
    schema: BaseSchema
    if raw is not None:
        schema = schemathesis.openapi.from_dict(raw, config=config)
    else:
        schema = open_schema(spec, config)
    ctx.channel.bind(schema)
    _hook(ctx, schema, spec.file_name, base_url)
    return schema


def _hook(ctx: RunContext, schema: BaseSchema, spec: str, base_url: str) -> None:
    """Record every check result schemathesis reports for ``schema``'s responses."""
    ctx.track(schema, spec)
    graphql = spec.endswith(".graphql")

    def after_validate(context: Any, case: Case, response: Response, results: list[Any]) -> None:
        ctx.result.responses += 1
        for result in results:
            if result.failure is not None:
                ctx.record_failure(spec, base_url, case, response, result.name, result.failure)
        # schemathesis's ignored_auth probes every authenticated 2xx outside its own engine; once an
        # operation has shown that it refuses missing and invalid tokens, stop probing it.
        if (
            200 <= response.status_code < 300
            and case._has_explicit_auth
            and any(r.name == "ignored_auth" and r.failure is None for r in results)
        ):
            ctx.auth_enforced.add(case.operation.label)
        served = ctx.served.setdefault(spec, {})
        if ctx.phase in ("positive", "coverage") and case.operation.label not in served:
            authenticated = any(name.lower() == "authorization" for name in case.headers or {})
            if authenticated and _served(response, graphql=graphql):
                served[case.operation.label] = case

    schema.hooks.register_hook_with_name(after_validate, "after_validate")


# -- login --------------------------------------------------------------------------------------


def log_in(
    ctx: RunContext, schema: BaseSchema, flow: TokenFlow, applies: Callable[[APIOperation], bool]
) -> None:
    """Log in once through ``flow`` and give its token to ``schema``'s operations that ``applies`` picks."""
    ctx.phase = "login"
    ctx.flows.append(flow)
    first = flow.first()
    register_auth(schema, flow, first, applies)


# -- generated requests -------------------------------------------------------------------------


def exercise_spec(ctx: RunContext, schema: BaseSchema, base_url: str) -> None:
    """Every selected operation of ``schema``: its coverage cases, then its generated ones."""
    spec = ctx.spec_of(schema)
    for operation in ctx.operations(schema):
        ctx.result.operations.append(f"{spec}: {operation.label}")
        ctx.phase = "coverage"
        _coverage(ctx, schema, operation, base_url)
        _generated(ctx, operation, base_url)
        if ctx.stopped:
            raise Stop(ctx.stopped)


def _time_budget(ctx: RunContext) -> float:
    """Seconds of generated requests per operation (scales with ``max_examples``)."""
    return max(TIME_BUDGET_MIN, TIME_BUDGET_PER_EXAMPLE * ctx.examples)


def _coverage_budget(ctx: RunContext) -> int:
    """Coverage cases sent per operation: enough for every kind, scaled like the generated ones."""
    return max(COVERAGE_MIN, COVERAGE_FACTOR * ctx.examples)


def _generated(ctx: RunContext, operation: APIOperation, base_url: str) -> None:
    """``max_examples`` requests drawn by hypothesis, valid and schema-violating ones mixed.

    As schemathesis's own ``--max-examples``: one budget per operation, each example drawn from
    the positive or the negative strategy.
    """
    import hypothesis
    from hypothesis import strategies as st
    from schemathesis import GenerationMode

    strategies = []
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        try:
            strategies.append(operation.as_strategy(generation_mode=mode))
        except Exception as exc:
            ctx.result.notes.append(f"{operation.label}: no {mode.value} cases ({one_line(exc)})")
    if not strategies:
        return
    strategy = st.one_of(strategies)

    def run(examples: int, seed: int) -> float:
        @ctx.settings(max_examples=examples)
        @hypothesis.seed(seed)
        @hypothesis.given(case=strategy)
        def exercise(case: Case) -> None:
            ctx.phase = case.meta.generation.mode.value if case.meta is not None else "generated"
            _exercise(ctx, case, base_url)

        started = time.monotonic()
        exercise()
        return time.monotonic() - started

    # A first few examples tell how long one takes (some request bodies are slow to generate);
    # the rest are sent as long as the operation stays within its time budget.
    budget = _time_budget(ctx)
    first = min(PROBE_EXAMPLES, ctx.examples)
    try:
        elapsed = run(first, ctx.seed)
        rest = ctx.examples - first
        affordable = int(budget / (elapsed / first)) if elapsed > 0 else rest
        more = max(0, min(rest, affordable - first))
        if more:
            run(more, ctx.seed + 1)
        if more < rest:
            ctx.result.notes.append(
                f"{operation.label}: {first + more} of {ctx.examples} generated examples within its "
                f"{budget:.1f} s budget ({elapsed / first:.2f} s per example)"
            )
    except hypothesis.errors.Unsatisfiable as exc:
        ctx.result.notes.append(f"{operation.label}: no generated cases ({one_line(exc)})")
    except Stop:
        raise
    except Exception as exc:
        ctx.result.errors.append(f"{operation.label}: {one_line(exc)}")


def _coverage(ctx: RunContext, schema: BaseSchema, operation: APIOperation, base_url: str) -> None:
    """schemathesis's deterministic coverage cases: boundaries, missing parameters, undeclared methods."""
    from schemathesis import GenerationMode, auths
    from schemathesis.generation.case import adjust_urlencoded_payload

    context = auths.AuthContext(operation=operation, app=operation.app)
    storage = schema.auth if schema.auth.is_defined else None
    config = schema.config.generation_for(operation=operation, phase="coverage")
    try:
        cases = schema.iter_coverage_cases(
            operation,
            generation_modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
            generation_config=config,
        )
        for case in _spread(cases, _coverage_budget(ctx)):
            adjust_urlencoded_payload(case)
            auths.set_on_generated_case(case, context, storage)
            _exercise(ctx, case, base_url)
            if ctx.stopped:
                return
    except Stop:
        raise
    except Exception as exc:
        ctx.result.notes.append(f"{operation.label}: coverage cases stopped early ({one_line(exc)})")


def _exercise(ctx: RunContext, case: Case, base_url: str) -> None:
    """Send one case (once more with a fresh token if it answers 401) and check the answer."""
    from schemathesis.auths import reauth_and_replay

    if ctx.stopped:
        return
    _pin_parameters(case)
    kwargs = ctx.channel.kwargs(base_url)
    try:
        response = reauth_and_replay(
            case,
            ctx.call(case, base_url),
            case.operation.schema.reauth_state,
            lambda: ctx.call(case, base_url),
        )
    except Crashed:
        return
    except LoginFailed as exc:
        ctx.stopped = str(exc)
        return
    except Exception as exc:
        if is_transport_error(exc):
            ctx.stopped = ctx.unreachable(base_url, exc)
            return
        raise
    excluded = _ignored_auth() if case.operation.label in ctx.auth_enforced else []
    ctx.validate(case, response, kwargs, excluded=excluded)


def _pin_parameters(case: Case) -> None:
    """The values ``schemathesis.toml`` fixes (``parameters = {...}``), as ``schemathesis run`` sends them."""
    from schemathesis.generation.overrides import for_operation

    operation = case.operation
    if hasattr(operation, "path_parameters"):  # OpenAPI operations; GraphQL has no such parameters
        for_operation(operation.schema.config, operation=operation).apply_to(case)


@cache
def _ignored_auth_checks() -> tuple[Callable[..., Any], ...]:
    from schemathesis.checks import CHECKS, load_all_checks

    load_all_checks()
    return tuple(check for check in CHECKS.get_all() if getattr(check, "__name__", None) == "ignored_auth")


def _ignored_auth() -> list[Callable[..., Any]]:
    return list(_ignored_auth_checks())


def _spread(cases: Iterator[Case], budget: int) -> list[Case]:
    """At most ``budget`` coverage cases, taken round-robin over their kinds (scenario and parameter).

    An operation with a rich query parameter (Assine's ``filter``) yields hundreds of cases of one
    kind; taking them in turn keeps every kind (missing parameter, boundary, undeclared method …).
    """
    groups: dict[tuple[str, ...], list[Case]] = {}
    for case in cases:
        meta = case.meta
        data = meta.phase.data if meta is not None else None
        key = (
            str(meta.generation.mode.value) if meta is not None else "",
            str(getattr(data, "scenario", "")),
            str(getattr(data, "parameter_location", "")),
            str(getattr(data, "parameter", "")),
        )
        groups.setdefault(key, []).append(case)
    chosen: list[Case] = []
    queues = [list(group) for group in groups.values()]
    while len(chosen) < budget and any(queues):
        for queue in queues:
            if queue and len(chosen) < budget:
                chosen.append(queue.pop(0))
    return chosen


def _served(response: Response, *, graphql: bool) -> bool:
    """A 2xx answer; for GraphQL, one that carried data and no error."""
    if not 200 <= response.status_code < 300:
        return False
    if not graphql:
        return True
    try:
        body = response.json()
    except Exception:
        return False
    return isinstance(body, dict) and bool(body.get("data")) and not body.get("errors")


# -- stateful -----------------------------------------------------------------------------------


def run_stateful(ctx: RunContext, schema: BaseSchema, base_url: str,
                 prepare: Callable[[RunContext, Case], None] | None = None) -> None:
    """A hypothesis rule-based state machine along the spec's links; ``prepare`` sees each step first."""
    import hypothesis
    from schemathesis.core.failures import FailureGroup

    spec = ctx.spec_of(schema)
    try:
        machine = ctx.narrow(schema).as_state_machine()
    except Exception as exc:
        ctx.result.notes.append(f"no stateful run: {one_line(exc)}")
        return
    ctx.phase = "stateful"

    class Workflow(machine):  # type: ignore[misc, valid-type]
        def get_call_kwargs(self, case: Case) -> dict[str, Any]:
            return ctx.channel.kwargs(base_url)

        def before_call(self, case: Case) -> None:
            if prepare is not None:
                prepare(ctx, case)

        def call(self, case: Case, **kwargs: Any) -> Response:
            from schemathesis.auths import reauth_and_replay

            if ctx.stopped:
                raise Stop(ctx.stopped)
            try:
                return reauth_and_replay(
                    case,
                    ctx.call(case, base_url),
                    case.operation.schema.reauth_state,
                    lambda: ctx.call(case, base_url),
                )
            except Exception as exc:
                if is_transport_error(exc):
                    ctx.stopped = ctx.unreachable(base_url, exc)
                    raise Stop(ctx.stopped) from exc
                raise

        def validate_response(
            self, response: Response, case: Case, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            with contextlib.suppress(FailureGroup):  # recorded by the after_validate hook
                super().validate_response(response, case, additional_checks=ctx.extra_checks, **kwargs)

    hypothesis.seed(ctx.seed)(Workflow)
    try:
        Workflow.run(
            settings=ctx.settings(
                max_examples=max(STATEFUL_MIN, ctx.examples // STATEFUL_DIVISOR),
                stateful_step_count=STATEFUL_STEPS,
            )
        )
    except Stop:
        raise
    except Crashed:
        pass  # the app raised; recorded as a not_a_server_error finding, the run ends there
    except Exception as exc:
        ctx.result.errors.append(f"stateful run of {spec}: {one_line(exc)}")
    if ctx.stopped:
        raise Stop(ctx.stopped)
