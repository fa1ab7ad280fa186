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

import contextlib
import copy
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from specmock.contracts.provider import auth as _auth
from specmock.contracts.provider import checks as _checks
from specmock.contracts.provider.report import ApiResult, Finding, Report, mask
from specmock.contracts.provider.scenarios import app_token_lifecycle, auth_required
from specmock.contracts.provider.targets import APIS, IN_PROCESS_ROOT, ApiTarget, resolve_targets

if TYPE_CHECKING:
    import hypothesis
    from schemathesis import APIOperation, BaseSchema, Case, Response

__all__ = ["CURL_BASE", "verify"]

#: Where curl lines of an in-process run point: ``specmock serve``'s default address.
CURL_BASE = "http://127.0.0.1:8080"
#: At most this many distinct failures are reported per operation and check.
MAX_FINDINGS_PER_CHECK = 3
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


class _Crashed(Exception):
    """The in-process app raised while handling a case (already recorded as a finding)."""


class _Stop(Exception):
    """The API cannot be verified any further (unreachable, login refused); one line for the report."""


@dataclass(frozen=True)
class Channel:
    """How requests reach the target: a URL (``app`` is ``None``) or an in-process ASGI app."""

    app: Any = None
    timeout: float = 10.0

    def kwargs(self, base_url: str) -> dict[str, Any]:
        """Transport arguments of every request (the app itself is set on each schema, see ``bind``)."""
        return {"base_url": base_url, "timeout": self.timeout}

    def bind(self, schema: BaseSchema) -> None:
        """Route ``schema``'s requests, its checks' probes included, to the in-process app if any."""
        if self.app is not None:
            schema.app = self.app

    def shown(self, base_url: str) -> str:
        """The base URL as curl lines show it."""
        if self.app is not None and base_url.startswith(IN_PROCESS_ROOT):
            return CURL_BASE + base_url[len(IN_PROCESS_ROOT) :]
        return base_url


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

    ``api`` is ``"banqer"``, ``"pbm"``, ``"assine"``, ``"all"`` or a list of names. The target is
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
        _ApiRun(target, channel, examples, run_seed, stateful=stateful, selected=selected).run()
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
    names = [api] if isinstance(api, str) else list(api)
    if "all" in names:
        return list(APIS)
    unknown = [name for name in names if name not in APIS]
    if unknown or not names:
        raise ValueError(
            f"unknown API {unknown[0] if unknown else ''!r}: expected one of {', '.join(APIS)} or all"
        )
    return [name for name in APIS if name in names]


def _own_checks(apis: list[str], *, stateful: bool) -> list[str]:
    own = []
    if "pbm" in apis:
        own.append("pbm_response_schema")
    if "assine" in apis and stateful:
        own.append("app_token_lifecycle")
    return own


class _ApiRun:
    """One API: its schemas, its login, its findings."""

    def __init__(
        self,
        target: ApiTarget,
        channel: Channel,
        examples: int,
        seed: int,
        *,
        stateful: bool,
        selected: frozenset[str] | None = None,
    ) -> None:
        self.target = target
        self.channel = channel
        self.examples = examples
        self.seed = seed
        self.stateful = stateful
        self.selected = selected
        self.result = ApiResult(api=target.api, urls=dict(target.urls))
        self.phase = "login"
        #: Findings as recorded; secrets are masked when the run ends, once every secret is known.
        self._raw: list[Finding] = []
        self._seen: set[tuple[str, ...]] = set()
        self._per_check: dict[tuple[str, str, str], int] = {}
        self._stop: str | None = None
        self._flows: list[_auth.TokenFlow] = []
        self._extra_checks: list[Callable[..., Any]] = []
        self._secrets: list[str] = []
        #: Per operation, one authenticated request the server served (for the auth probes).
        self._served: dict[str, dict[str, Case]] = {}
        #: Operations whose enforcement of authentication ``ignored_auth`` has already confirmed.
        self._auth_enforced: set[str] = set()
        self._ignored_auth = _builtin_checks("ignored_auth")
        self._specs: dict[int, str] = {}

    # -- entry point --------------------------------------------------------------------------

    def run(self) -> ApiResult:
        try:
            getattr(self, f"_run_{self.target.api}")()
        except (_Stop, _auth.LoginFailed) as exc:
            self.result.errors.append(str(exc))
        except Exception as exc:  # the run itself broke: report it instead of losing every finding so far
            self.result.errors.append(f"the run stopped during {self.phase}: {_auth._one_line(exc)}")
        secrets = [
            *self.target.secrets,
            *self._secrets,
            *(token for flow in self._flows for token in flow.issued),
        ]
        self.result.findings = [
            replace(
                raw,
                title=mask(raw.title, secrets),
                message=mask(raw.message, secrets),
                curl=mask(raw.curl, secrets),
            )
            for raw in self._raw
        ]
        self.result.errors = [mask(error, secrets) for error in self.result.errors]
        return self.result

    def _run_banqer(self) -> None:
        urls, creds = self.target.urls, self.target.credentials
        realm = self._openapi("banqer-auth", urls["auth"])
        api = self._openapi("banqer", urls["api"])
        flow = _auth.banqer_login(realm, urls["auth"], self._send_checked, creds)
        self._login(api, flow, applies=lambda op: True)
        self._fuzz(realm, urls["auth"], "banqer-auth.openapi.yaml")
        self._fuzz(api, urls["api"], "banqer.openapi.yaml")
        self.phase = "auth probe"
        served = self._served.get("banqer.openapi.yaml", {})
        auth_required(self, "banqer.openapi.yaml", urls["api"], served, refused=_refused_http)

    def _run_pbm(self) -> None:
        url = self.target.urls["graphql"]
        schema = self._graphql(url)
        self._extra_checks = [_checks.pbm_not_a_server_error, _checks.pbm_response_schema]
        flow = _auth.pbm_login(schema, url, self._send_checked, self.target.credentials)
        self._login(schema, flow, applies=lambda op: op.label != "Mutation.createToken")
        self._fuzz(schema, url, "pbm.graphql")
        self.phase = "auth probe"
        auth_required(self, "pbm.graphql", url, self._served.get("pbm.graphql", {}), refused=_refused_graphql)

    def _run_assine(self) -> None:
        url = self.target.urls["api"]
        schema = self._openapi("assine", url)
        flow = _auth.assine_login(schema, url, self._send_checked, self.target.credentials)
        self._login(schema, flow, applies=_declares_security)
        self._fuzz(schema, url, "assine.openapi.yaml")
        if self.stateful:
            self._stateful(schema, url, "assine.openapi.yaml")
            if self.selected is None or self.selected & _LIFECYCLE_OPERATIONS:
                self.phase = "app_token_lifecycle"
                app_token_lifecycle(self, schema, url, self.target.credentials)

    # -- schemas --------------------------------------------------------------------------------

    def _config(self, base_url: str, raw_spec: dict[str, Any] | None) -> Any:
        import schemathesis

        data = {
            "base-url": base_url,
            "seed": self.seed,
            "output": {"sanitization": {"enabled": False}},
            **_checks.checks_config(
                self.target.api, raw_spec, tenant=self.target.credentials.get("BANQER_TENANT")
            ),
        }
        return schemathesis.Config.from_dict(data)

    def _openapi(self, name: str, base_url: str) -> BaseSchema:
        import schemathesis

        from specmock.specs import OPENAPI_SPECS, load

        raw = copy.deepcopy(load(name))
        schema = schemathesis.openapi.from_dict(raw, config=self._config(base_url, raw))
        self.channel.bind(schema)
        self._hook(schema, OPENAPI_SPECS[name], base_url)
        return schema

    def _graphql(self, base_url: str) -> BaseSchema:
        import schemathesis

        from specmock.specs import path

        schema = schemathesis.graphql.from_path(path("pbm.graphql"), config=self._config(base_url, None))
        self.channel.bind(schema)
        self._hook(schema, "pbm.graphql", base_url)
        return schema

    def _hook(self, schema: BaseSchema, spec: str, base_url: str) -> None:
        """Record every check result schemathesis reports for ``schema``'s responses."""
        self._specs[id(schema)] = spec

        def after_validate(context: Any, case: Case, response: Response, results: list[Any]) -> None:
            self.result.responses += 1
            for result in results:
                if result.failure is not None:
                    self._record(spec, base_url, case, response, result.name, result.failure)
            # schemathesis's ignored_auth probes every authenticated 2xx outside its own engine; once an
            # operation has shown that it refuses missing and invalid tokens, stop probing it.
            if (
                200 <= response.status_code < 300
                and case._has_explicit_auth
                and any(r.name == "ignored_auth" and r.failure is None for r in results)
            ):
                self._auth_enforced.add(case.operation.label)
            served = self._served.setdefault(spec, {})
            if self.phase in ("positive", "coverage") and case.operation.label not in served:
                authenticated = any(name.lower() == "authorization" for name in case.headers or {})
                if authenticated and _served(response, graphql=spec.endswith(".graphql")):
                    served[case.operation.label] = case

        schema.hooks.register_hook_with_name(after_validate, "after_validate")

    # -- login ------------------------------------------------------------------------------------

    def _login(
        self, schema: BaseSchema, flow: _auth.TokenFlow, applies: Callable[[APIOperation], bool]
    ) -> None:
        self.phase = "login"
        self._flows.append(flow)
        first = flow.first()
        _auth.register_auth(schema, flow, first, applies)

    def _send_checked(self, case: Case, base_url: str) -> Response:
        """Send ``case`` and validate its answer (used for logins and scenario steps)."""
        kwargs = self.channel.kwargs(base_url)
        response = case.call(**kwargs)
        self._validate(case, response, kwargs)
        return response

    def _validate(
        self, case: Case, response: Response, kwargs: dict[str, Any], excluded: list[Any] | None = None
    ) -> None:
        from schemathesis.core.failures import FailureGroup

        with contextlib.suppress(FailureGroup):  # failures are recorded by the after_validate hook
            case.validate_response(
                response,
                additional_checks=self._extra_checks,
                excluded_checks=excluded or [],
                transport_kwargs=kwargs,
            )

    # -- generated requests --------------------------------------------------------------------

    def _selects(self, operation: APIOperation) -> bool:
        return self.selected is None or bool(_names_of(operation) & self.selected)

    def _narrow(self, schema: BaseSchema) -> BaseSchema:
        """``schema`` limited to the selected operations (the same schema when nothing is selected)."""
        if self.selected is None:
            return schema
        narrowed = schema.include(lambda ctx: self._selects(ctx.operation))
        self._specs[id(narrowed)] = self._specs.get(id(schema), "")
        return narrowed

    def _operations(self, schema: BaseSchema) -> Iterator[APIOperation]:
        from schemathesis.core.result import Ok

        for result in schema.get_all_operations():
            if isinstance(result, Ok):
                if self._selects(result.ok()):
                    yield result.ok()
            else:
                self.result.errors.append(
                    f"an operation of the spec cannot be tested: {_auth._one_line(result.err())}"
                )

    def _fuzz(self, schema: BaseSchema, base_url: str, spec: str) -> None:
        for operation in self._operations(schema):
            self.result.operations.append(f"{spec}: {operation.label}")
            self.phase = "coverage"
            self._coverage(schema, operation, base_url)
            self._generated(operation, base_url)
            if self._stop:
                raise _Stop(self._stop)

    def _settings(self, **changes: Any) -> hypothesis.settings:
        import hypothesis

        options: dict[str, Any] = {
            "max_examples": self.examples,
            "deadline": None,
            "database": None,
            "derandomize": False,
            "suppress_health_check": list(hypothesis.HealthCheck),
            "phases": [hypothesis.Phase.explicit, hypothesis.Phase.generate],
            **changes,
        }
        return hypothesis.settings(hypothesis.settings.default, **options)

    def _generated(self, operation: APIOperation, base_url: str) -> None:
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
                self.result.notes.append(f"{operation.label}: no {mode.value} cases ({_auth._one_line(exc)})")
        if not strategies:
            return
        strategy = st.one_of(strategies)

        def run(examples: int, seed: int) -> float:
            @self._settings(max_examples=examples)
            @hypothesis.seed(seed)
            @hypothesis.given(case=strategy)
            def exercise(case: Case) -> None:
                self.phase = case.meta.generation.mode.value if case.meta is not None else "generated"
                self._exercise(case, base_url)

            started = time.monotonic()
            exercise()
            return time.monotonic() - started

        # A first few examples tell how long one takes (some request bodies are slow to generate);
        # the rest are sent as long as the operation stays within its time budget.
        first = min(PROBE_EXAMPLES, self.examples)
        try:
            elapsed = run(first, self.seed)
            rest = self.examples - first
            affordable = int(self.time_budget / (elapsed / first)) if elapsed > 0 else rest
            more = max(0, min(rest, affordable - first))
            if more:
                run(more, self.seed + 1)
            if more < rest:
                self.result.notes.append(
                    f"{operation.label}: {first + more} of {self.examples} generated examples within its "
                    f"{self.time_budget:.1f} s budget ({elapsed / first:.2f} s per example)"
                )
        except hypothesis.errors.Unsatisfiable as exc:
            self.result.notes.append(f"{operation.label}: no generated cases ({_auth._one_line(exc)})")
        except _Stop:
            raise
        except Exception as exc:
            self.result.errors.append(f"{operation.label}: {_auth._one_line(exc)}")

    @property
    def time_budget(self) -> float:
        """Seconds of generated requests per operation (scales with ``max_examples``)."""
        return max(TIME_BUDGET_MIN, TIME_BUDGET_PER_EXAMPLE * self.examples)

    def _coverage(self, schema: BaseSchema, operation: APIOperation, base_url: str) -> None:
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
            for case in _spread(cases, self.coverage_budget):
                adjust_urlencoded_payload(case)
                auths.set_on_generated_case(case, context, storage)
                self._exercise(case, base_url)
                if self._stop:
                    return
        except _Stop:
            raise
        except Exception as exc:
            self.result.notes.append(
                f"{operation.label}: coverage cases stopped early ({_auth._one_line(exc)})"
            )

    @property
    def coverage_budget(self) -> int:
        """Coverage cases sent per operation: enough for every kind, scaled like the generated ones."""
        return max(COVERAGE_MIN, COVERAGE_FACTOR * self.examples)

    def _exercise(self, case: Case, base_url: str) -> None:
        """Send one case (once more with a fresh token if it answers 401) and check the answer."""
        from schemathesis.auths import reauth_and_replay

        if self._stop:
            return
        _pin_parameters(case)
        kwargs = self.channel.kwargs(base_url)
        try:
            response = reauth_and_replay(
                case,
                self._call(case, base_url),
                case.operation.schema.reauth_state,
                lambda: self._call(case, base_url),
            )
        except _Crashed:
            return
        except _auth.LoginFailed as exc:
            self._stop = str(exc)
            return
        except Exception as exc:
            if _is_transport_error(exc):
                self._stop = self._unreachable(base_url, exc)
                return
            raise
        excluded = self._ignored_auth if case.operation.label in self._auth_enforced else []
        self._validate(case, response, kwargs, excluded=excluded)

    def _call(self, case: Case, base_url: str) -> Response:
        """``case.call``; an in-process app that raises is a server error, reported like a 500."""
        try:
            return case.call(**self.channel.kwargs(base_url))
        except Exception as exc:
            if self.channel.app is None or _is_transport_error(exc) or isinstance(exc, _auth.LoginFailed):
                raise
            self.record(
                self._specs.get(id(case.operation.schema), ""),
                case.operation.label,
                "not_a_server_error",
                "The application raised an exception",
                f"Handling this request raised {_auth._one_line(exc)} (a server would answer 500).",
                case,
                None,
                base_url,
            )
            raise _Crashed from exc

    # -- stateful -----------------------------------------------------------------------------

    def _stateful(self, schema: BaseSchema, base_url: str, spec: str) -> None:
        import hypothesis
        from schemathesis.core.failures import FailureGroup

        try:
            machine = self._narrow(schema).as_state_machine()
        except Exception as exc:
            self.result.notes.append(f"no stateful run: {_auth._one_line(exc)}")
            return
        run = self
        self.phase = "stateful"

        class Workflow(machine):  # type: ignore[misc, valid-type]
            def get_call_kwargs(self, case: Case) -> dict[str, Any]:
                return run.channel.kwargs(base_url)

            def before_call(self, case: Case) -> None:
                run.prepare_stateful(case)

            def call(self, case: Case, **kwargs: Any) -> Response:
                from schemathesis.auths import reauth_and_replay

                if run._stop:
                    raise _Stop(run._stop)
                try:
                    return reauth_and_replay(
                        case,
                        run._call(case, base_url),
                        case.operation.schema.reauth_state,
                        lambda: run._call(case, base_url),
                    )
                except Exception as exc:
                    if _is_transport_error(exc):
                        run._stop = run._unreachable(base_url, exc)
                        raise _Stop(run._stop) from exc
                    raise

            def validate_response(
                self, response: Response, case: Case, additional_checks: Any = None, **kwargs: Any
            ) -> None:
                with contextlib.suppress(FailureGroup):  # recorded by the after_validate hook
                    super().validate_response(response, case, additional_checks=run._extra_checks, **kwargs)

        hypothesis.seed(self.seed)(Workflow)
        try:
            Workflow.run(
                settings=self._settings(
                    max_examples=max(STATEFUL_MIN, self.examples // STATEFUL_DIVISOR),
                    stateful_step_count=STATEFUL_STEPS,
                )
            )
        except _Stop:
            raise
        except _Crashed:
            pass  # the app raised; recorded as a not_a_server_error finding, the run ends there
        except Exception as exc:
            self.result.errors.append(f"stateful run of {spec}: {_auth._one_line(exc)}")
        if self._stop:
            raise _Stop(self._stop)

    def prepare_stateful(self, case: Case) -> None:
        """Let state-changing chains start: an Assine application token needs the account's password."""
        if (
            self.target.api == "assine"
            and case.operation.label == "POST /v1/access-token"
            and isinstance(case.body, dict)
            and case.meta is not None
            and case.meta.generation.mode.is_positive
        ):
            case.body["password"] = self.target.credentials["ASSINE_PASSWORD"]
            case.body["expires"] = _future(days=1)

    # -- findings -------------------------------------------------------------------------------

    def _record(
        self, spec: str, base_url: str, case: Case, response: Response, check: str, failure: Any
    ) -> None:
        title = str(getattr(failure, "title", "") or type(failure).__name__)
        message = str(getattr(failure, "message", "") or failure)
        body = _excerpt(response)
        if body:
            message = f"{message.rstrip()}\n\nResponse body: {body}"
        unique = str(getattr(failure, "_unique_key", title))
        self.record(
            spec, case.operation.label, check, title, message, case, response, base_url, unique=unique
        )

    def record(
        self,
        spec: str,
        operation: str,
        check: str,
        title: str,
        message: str,
        case: Case | None,
        response: Response | None,
        base_url: str,
        *,
        unique: str | None = None,
    ) -> None:
        """Keep a finding: the first of its kind, at most MAX_FINDINGS_PER_CHECK per operation and check."""
        key = (spec, operation, check, unique or title)
        count_key = (spec, operation, check)
        if key in self._seen or self._per_check.get(count_key, 0) >= MAX_FINDINGS_PER_CHECK:
            return
        self._seen.add(key)
        self._per_check[count_key] = self._per_check.get(count_key, 0) + 1
        curl = ""
        if case is not None:
            headers = dict(response.request.headers) if response is not None else None
            try:
                curl = case.as_curl_command(headers=headers, base_url=self.channel.shown(base_url))
            except Exception as exc:  # a request curl cannot express; the message still says what failed
                curl = f"(no curl line: {_auth._one_line(exc)})"
        self._raw.append(
            Finding(
                api=self.target.api,
                spec=spec,
                operation=operation,
                check=check,
                title=title,
                message=message,
                phase=self.phase,
                status=response.status_code if response is not None else None,
                curl=curl,
            )
        )

    def add_secret(self, value: str) -> None:
        """A credential met during the run (e.g. an application token) that reports must mask."""
        self._secrets.append(value)

    def send(self, case: Case, base_url: str) -> Response:
        """Send and validate one scenario step (raises :class:`_Stop` when the target is unreachable)."""
        try:
            return self._send_checked(case, base_url)
        except Exception as exc:
            if _is_transport_error(exc):
                raise _Stop(self._unreachable(base_url, exc)) from exc
            raise

    def _unreachable(self, base_url: str, exc: BaseException) -> str:
        return f"cannot reach {self.channel.shown(base_url)}: {_auth.transport_reason(exc)}"


#: Operations of the Assine application-token lifecycle scenario.
_LIFECYCLE_OPERATIONS = frozenset({"createAccessToken", "listAccessTokens", "deleteAccessToken"})


def _pin_parameters(case: Case) -> None:
    """The values ``schemathesis.toml`` fixes (``parameters = {...}``), as ``schemathesis run`` sends them."""
    from schemathesis.generation.overrides import for_operation

    operation = case.operation
    if hasattr(operation, "path_parameters"):  # OpenAPI operations; GraphQL has no such parameters
        for_operation(operation.schema.config, operation=operation).apply_to(case)


def _names_of(operation: APIOperation) -> set[str]:
    """What ``operations=`` may call an operation: its label, its operationId, its GraphQL field."""
    names = {operation.label, operation.label.split(".", 1)[-1]}
    definition = getattr(operation.definition, "raw", None)
    if isinstance(definition, dict) and definition.get("operationId"):
        names.add(str(definition["operationId"]))
    return names


def _check_operations(apis: list[str], operations: Sequence[str]) -> frozenset[str]:
    """The selected names, or ``ValueError`` naming one that no spec of ``apis`` has."""
    import schemathesis
    from schemathesis.core.result import Ok

    from specmock.specs import load, path

    known: set[str] = set()
    for api in apis:
        schemas: list[Any] = []
        if api == "pbm":
            schemas.append(schemathesis.graphql.from_path(path("pbm.graphql"), config=schemathesis.Config()))
        for name in {"banqer": ("banqer-auth", "banqer"), "assine": ("assine",)}.get(api, ()):
            raw = copy.deepcopy(load(name))
            schemas.append(schemathesis.openapi.from_dict(raw, config=schemathesis.Config()))
        for schema in schemas:
            for result in schema.get_all_operations():
                if isinstance(result, Ok):
                    known |= _names_of(result.ok())
    unknown = [name for name in operations if name not in known]
    if unknown:
        raise ValueError(f"no operation {unknown[0]!r} in the specs of {', '.join(apis)}")
    return frozenset(operations)


def _builtin_checks(*names: str) -> list[Callable[..., Any]]:
    from schemathesis.checks import CHECKS, load_all_checks

    load_all_checks()
    found = [check for check in CHECKS.get_all() if getattr(check, "__name__", None) in names]
    return found


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


def _refused_http(response: Response) -> bool:
    return response.status_code in (401, 403)


def _refused_graphql(response: Response) -> bool:
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


def _declares_security(operation: APIOperation) -> bool:
    """Whether the operation requires credentials (its own ``security``, else the spec's)."""
    raw = operation.definition.raw
    security = raw.get("security", operation.schema.raw_schema.get("security", []))
    return any(requirement for requirement in security)


def _is_transport_error(exc: BaseException) -> bool:
    import requests

    return isinstance(exc, (requests.ConnectionError, requests.Timeout, ConnectionError, TimeoutError))


def _excerpt(response: Response, limit: int = 300) -> str:
    try:
        text = (response.text or "").strip()
    except Exception:
        return ""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _future(days: int) -> str:
    import datetime as dt

    return (dt.datetime.now(dt.UTC) + dt.timedelta(days=days)).strftime("%Y-%m-%d %H:%M:%S")
