"""Which checks run, which do not and why, and the suite's own checks on top of schemathesis's.

Every response check schemathesis 4 ships is on (``not_a_server_error``, ``status_code_conformance``,
``content_type_conformance``, ``response_headers_conformance``, ``response_schema_conformance``,
``negative_data_rejection``, ``positive_data_acceptance``, ``missing_required_header``,
``unsupported_method``, ``allow_header_conformance``, ``ignored_auth``, ``use_after_free``,
``ensure_resource_availability``), with these exceptions, each printed in every report:

* ``object_level_authorization`` (all APIs): needs two identities that each own objects; the suite
  logs in as one account per API.
* ``max_response_time`` (all APIs): no vendor publishes a latency budget.
* ``unsupported_method`` (Banqer): the spec declares no 405 and the mock answers an undeclared
  method with 404 ``NOT_FOUND``; what the vendor does is not public.
* ``missing_required_header`` (Assine): the spec documents 403 for a request without
  ``Authorization``; schemathesis wants exactly 401 there. ``ignored_auth`` still checks that such
  requests are refused.

``missing_required_header`` and ``unsupported_method`` only act on schemathesis's coverage cases;
the suite sends those for every operation. schemathesis's GraphQL flavour of
``not_a_server_error`` counts every coded error it does not know (PBM's ``UNAUTHENTICATED``
included) as a server error, so for PBM it is replaced by :func:`pbm_not_a_server_error`, which
reads PBM's own error catalogue; it reports under the same name.

The suite's own checks: ``pbm_response_schema`` (every PBM body matches
``pbm.responses.schema.json``), ``app_token_lifecycle`` (Assine) and the auth probes of
:mod:`.scenarios`, reported as ``ignored_auth`` where schemathesis's check cannot look (Banqer's
OAuth2 scheme, GraphQL).

``positive_data_acceptance`` accepts, per operation, the statuses a spec documents for requests
that are well-formed but refused because of their *data* (:func:`positive_allowances`): an opaque
cursor that was never issued (Banqer ``pageToken``), grant fields or credentials that do not check
out (Assine ``/oauth``), a field its entity does not have (Assine ``filter``/``order-by``), and
422 wherever a spec declares it (unknown referenced ids, a file that is not a PDF, a wrong
password).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from schemathesis import Case, CheckContext, Response

__all__ = [
    "API_DISABLED_CHECKS",
    "DISABLED_CHECKS",
    "ENABLED_CHECKS",
    "OPERATION_CHECKS",
    "checks_config",
    "disabled_checks",
    "enabled_checks",
    "pbm_not_a_server_error",
    "pbm_response_schema",
    "schemathesis_toml",
]

#: schemathesis's built-in checks the suite runs (names as schemathesis reports them).
ENABLED_CHECKS: tuple[str, ...] = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "missing_required_header",
    "unsupported_method",
    "allow_header_conformance",
    "ignored_auth",
    "use_after_free",
    "ensure_resource_availability",
)

#: Checks switched off, with the reason.
DISABLED_CHECKS: dict[str, str] = {
    "object_level_authorization": "needs two identities that own objects; the suite logs in as one account "
    "per API",
    "max_response_time": "no vendor publishes a latency budget",
}

#: Checks switched off for one API only, with the reason.
API_DISABLED_CHECKS: dict[str, dict[str, str]] = {
    "banqer": {
        "unsupported_method": "banqer.openapi.yaml declares no 405, and the mock (like many gateways) "
        "answers an undeclared method with 404 NOT_FOUND in Banqer's error shape; what the vendor answers "
        "is not public",
    },
    "assine": {
        "missing_required_header": "assine.openapi.yaml documents 403 for a request without Authorization "
        "(the framework's behaviour); schemathesis insists on 401 for a missing Authorization header. "
        "ignored_auth still checks that such requests are refused",
    },
}

#: The suite's own checks, in addition to schemathesis's.
OWN_CHECKS: dict[str, str] = {
    "pbm_response_schema": "every PBM response body matches pbm.responses.schema.json (GraphQL envelope, "
    "error extensions)",
    "app_token_lifecycle": "Assine: an application token is created, listed, usable, revoked, then refused",
    "ignored_auth (probe)": "Banqer and PBM: a request served with the token is refused without it and "
    "with an invalid one",
}

_OPAQUE_CURSOR = "pageToken is an opaque cursor: a string the server never issued is 400 INVALID_PAGE_TOKEN"
_FIELD_NAMES = (
    "filter and order-by name fields of the listed entity; the shared schema cannot list them per "
    "entity, and the spec answers an unknown field with 400"
)
_SEMANTIC_422 = (
    "422 is the spec's answer to data that is well-formed but not acceptable (unknown referenced ids, "
    "a file that is not a PDF, a wrong password, a past date)"
)
_OAUTH = (
    "the token endpoint answers 400/401 to credentials or grant fields that do not check out (RFC 6749 5.2)"
)

#: (api, operationId) -> extra statuses ``positive_data_acceptance`` accepts, with the reason.
OPERATION_CHECKS: dict[tuple[str, str], tuple[list[str], str]] = {
    ("banqer", "listFichas"): (["400"], _OPAQUE_CURSOR),
    ("banqer", "listCredores"): (["400"], _OPAQUE_CURSOR),
    ("assine", "createToken"): (["400"], _OAUTH),
}

#: Parameters (by reference) whose valid values depend on the listed entity.
_ENTITY_FIELD_PARAMETERS = frozenset({"#/components/parameters/filter", "#/components/parameters/orderBy"})
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def positive_allowances(api: str, raw_spec: dict[str, Any] | None) -> dict[str, tuple[list[str], str]]:
    """operationId -> extra statuses ``positive_data_acceptance`` accepts there, with the reason.

    From :data:`OPERATION_CHECKS`, plus two rules read off the spec: an operation that declares 422
    may answer it to schema-valid data, and an operation taking Assine's ``filter``/``order-by``
    may answer 400 to a field its entity does not have.
    """
    allowed: dict[str, tuple[list[str], str]] = {}

    def add(operation_id: str, statuses: list[str], reason: str) -> None:
        current, reasons = allowed.get(operation_id, ([], ""))
        merged = current + [status for status in statuses if status not in current]
        allowed[operation_id] = (merged, f"{reasons}; {reason}" if reasons else reason)

    for (owner, operation_id), (statuses, reason) in OPERATION_CHECKS.items():
        if owner == api:
            add(operation_id, statuses, reason)
    for item in (raw_spec or {}).get("paths", {}).values():
        shared = [p.get("$ref") for p in item.get("parameters", []) if isinstance(p, dict)]
        for method in _METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict) or "operationId" not in operation:
                continue
            operation_id = operation["operationId"]
            refs = set(shared) | {
                p.get("$ref") for p in operation.get("parameters", []) if isinstance(p, dict)
            }
            if refs & _ENTITY_FIELD_PARAMETERS:
                add(operation_id, ["400"], _FIELD_NAMES)
            if "422" in operation.get("responses", {}):
                add(operation_id, ["422"], _SEMANTIC_422)
    known = {
        item[method]["operationId"]
        for item in (raw_spec or {}).get("paths", {}).values()
        for method in _METHODS
        if isinstance(item.get(method), dict) and "operationId" in item[method]
    }
    return {op: value for op, value in allowed.items() if raw_spec is None or op in known}


#: schemathesis's default for ``positive_data_acceptance`` (its documented list), extended per operation.
_POSITIVE_DEFAULT = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]


def enabled_checks(apis: list[str]) -> list[str]:
    """schemathesis checks that run for at least one of ``apis``."""
    return [
        name for name in ENABLED_CHECKS if any(name not in API_DISABLED_CHECKS.get(api, {}) for api in apis)
    ]


def disabled_checks(apis: list[str]) -> dict[str, str]:
    """Every check that is off for a run over ``apis``, with the reason."""
    off = dict(DISABLED_CHECKS)
    for api in apis:
        for name, reason in API_DISABLED_CHECKS.get(api, {}).items():
            off[name] = f"{api}: {reason}" if name not in off else f"{off[name]}; {api}: {reason}"
    return off


def checks_config(api: str, raw_spec: dict[str, Any] | None = None,
                  replaced: Iterable[str] = ()) -> dict[str, Any]:
    """The ``checks`` and ``operations`` sections of a schemathesis config for ``api``; the checks in
    ``replaced`` are off because a check of the suite's own replaces them (the API's provider plan says)."""
    checks: dict[str, Any] = {name: {"enabled": True} for name in ENABLED_CHECKS}
    checks["object_level_authorization"] = {"enabled": False}
    for name in API_DISABLED_CHECKS.get(api, {}):
        checks[name] = {"enabled": False}
    for name in replaced:
        checks[name] = {"enabled": False}
    operations = [
        {
            "include-operation-id": operation_id,
            "checks": {"positive_data_acceptance": {"expected-statuses": [*_POSITIVE_DEFAULT, *statuses]}},
        }
        for operation_id, (statuses, _) in positive_allowances(api, raw_spec).items()
    ]
    return {"checks": checks, "operations": operations}


@cache
def _pbm_validator() -> Any:
    import jsonschema

    from specmock.specs import load

    schema = load("pbm.responses.schema.json")
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


#: PBM error codes that mean "the request was refused" (pbm.responses.schema.json): not server errors.
PBM_CLIENT_ERROR_CODES = frozenset(
    {
        "UNAUTHENTICATED",
        "BAD_REQUEST",
        "FORBIDDEN",
        "GRAPHQL_VALIDATION_FAILED",
        "GRAPHQL_PARSE_FAILED",
        "BAD_USER_INPUT",
    }
)


def pbm_not_a_server_error(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """``not_a_server_error`` with PBM's own error classification.

    schemathesis's GraphQL flavour counts every resolver error without a code it knows as a server
    error, UNAUTHENTICATED included. PBM labels every error (pbm.responses.schema.json): errors coded
    UNAUTHENTICATED, BAD_REQUEST, FORBIDDEN or a GraphQL validation code, or carrying a 4xx
    ``originalError.statusCode``, are refusals of the request; INTERNAL_SERVER_ERROR, a 5xx status,
    an unlabelled resolver error and an HTTP 5xx are server errors.
    """
    if response.status_code >= 500:
        raise AssertionError(f"Server error: HTTP {response.status_code}")
    try:
        body = response.json()
    except Exception:
        return None  # pbm_response_schema reports a body that is not JSON
    errors = body.get("errors") if isinstance(body, dict) else None
    for error in errors if isinstance(errors, list) else []:
        if not isinstance(error, dict):
            continue
        extensions: dict[str, Any] = _mapping(error.get("extensions"))
        original: dict[str, Any] = _mapping(extensions.get("originalError"))
        code = extensions.get("code")
        status = extensions.get("status", original.get("statusCode"))
        server_side = (
            code == "INTERNAL_SERVER_ERROR"
            or (isinstance(status, int) and status >= 500)
            or (
                code not in PBM_CLIENT_ERROR_CODES
                and not (isinstance(status, int) and 400 <= status < 500)
                and "path" in error
            )
        )
        if server_side:
            raise AssertionError(
                f"GraphQL server error: {error.get('message')!r} (code {code!r}, status {status!r})"
            )
    return None


pbm_not_a_server_error.__name__ = "not_a_server_error"


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def pbm_response_schema(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """The PBM body is a GraphQL-over-HTTP response as ``pbm.responses.schema.json`` describes it."""
    if response.status_code >= 500:
        return None  # not_a_server_error speaks for it
    try:
        body = response.json()
    except Exception:
        raise AssertionError(
            f"PBM answered HTTP {response.status_code} with a body that is not JSON: {response.text[:200]!r}"
        ) from None
    errors = sorted(_pbm_validator().iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(root)"
        raise AssertionError(
            f"PBM response body does not match pbm.responses.schema.json at {where}: {first.message}"
        )
    return None


def schemathesis_toml(api: str, spec: str | None = None) -> str:
    """The same check policy as a ``schemathesis.toml``, for ``schemathesis run --config-file``.

    ``spec`` is the bundled spec the file is for (default: ``api``'s main spec).
    """
    from specmock.specs import load

    config = checks_config(api, load(spec or api))

    def value(item: Any) -> str:
        if isinstance(item, bool):
            return "true" if item else "false"
        if isinstance(item, list):
            return "[" + ", ".join(value(entry) for entry in item) + "]"
        return '"' + str(item).replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = ["[checks]"]
    for name, options in config["checks"].items():
        lines += [f"{name}.{key} = {value(item)}" for key, item in options.items()]
    for operation in config["operations"]:
        lines += ["", "[[operations]]", f"include-operation-id = {value(operation['include-operation-id'])}"]
        for name, options in operation["checks"].items():
            lines += [f"checks.{name}.{key} = {value(item)}" for key, item in options.items()]
    return "\n".join(lines) + "\n"
