"""Which checks run, which do not and why, and the suite's own checks on top of schemathesis's.

Every response check schemathesis 4 ships is on, except what ``schemathesis.toml`` says. That file
is shipped in :mod:`specmock.specs` (and linked at the repository root), and it is the one list of
exceptions: a user's own ``schemathesis run`` from the repository root reads it, and
:func:`checks_config` hands the same settings to ``specmock verify``, so the two cannot disagree.
Each block of the file has a ``# why:`` line citing the vendor fact it rests on;
:func:`exceptions` reads them for the reports.

``missing_required_header`` and ``unsupported_method`` only act on schemathesis's coverage cases;
the suite sends those for every operation. schemathesis's GraphQL flavour of
``not_a_server_error`` counts every coded error it does not know (PBM's ``UNAUTHENTICATED``
included) as a server error, so PBM's provider plan replaces it by :func:`pbm_not_a_server_error`,
which reads PBM's own error catalogue and reports under the same name.

The suite's own checks: ``pbm_response_schema`` (every PBM body matches
``pbm.responses.schema.json``), ``app_token_lifecycle`` (Assine), the auth probes of
:mod:`.scenarios`, reported as ``ignored_auth`` where schemathesis's check cannot look (Banqer's
OAuth2 scheme, GraphQL), and the ``keycloak_*`` scenarios of :mod:`.keycloak` (Banqer's realm).
"""

from __future__ import annotations

import copy
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from specmock.contracts.provider.keycloak import CHECKS as KEYCLOAK_CHECKS

if TYPE_CHECKING:
    from schemathesis import Case, CheckContext, Response

__all__ = [
    "DISABLED_CHECKS",
    "ENABLED_CHECKS",
    "OWN_CHECKS",
    "ConfigException",
    "checks_config",
    "config_path",
    "disabled_checks",
    "enabled_checks",
    "exceptions",
    "pbm_not_a_server_error",
    "pbm_response_schema",
    "schemathesis_toml",
]

#: schemathesis's built-in checks (names as schemathesis reports them); those switched off for
#: every API by ``schemathesis.toml`` are left out of :data:`ENABLED_CHECKS`.
_BUILTIN_CHECKS: tuple[str, ...] = (
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
    "object_level_authorization",
)

#: The suite's own checks, in addition to schemathesis's.
OWN_CHECKS: dict[str, str] = {
    "pbm_response_schema": "every PBM response body matches pbm.responses.schema.json (GraphQL envelope, "
    "error extensions)",
    "app_token_lifecycle": "Assine: an application token is created, listed, usable, revoked, then refused",
    "ignored_auth (probe)": "Banqer and PBM: a request served with the token is refused without it and "
    "with an invalid one",
    **KEYCLOAK_CHECKS,
}

_HEADER = re.compile(r"^\s*(\[\[?[^\]]+\]\]?)\s*(#.*)?$")
_WHY = "# why:"


def config_path() -> Path:
    """The shipped ``schemathesis.toml`` (``schemathesis run --config-file`` takes it as it is)."""
    from specmock.specs import path

    return path("schemathesis.toml")


@cache
def _text() -> str:
    return config_path().read_text(encoding="utf-8")


@cache
def _document() -> dict[str, Any]:
    return tomllib.loads(_text())


@dataclass(frozen=True)
class ConfigException:
    """One block of ``schemathesis.toml``: where it applies, what it changes and why."""

    project: str | None  #: the spec title of its ``[[project]]``, ``None`` for top-level blocks
    settings: dict[str, Any]
    reason: str

    def changes(self) -> dict[str, str]:
        """check name -> what the block does to it (``off`` or the statuses it accepts)."""
        where = _selection(self.settings)
        out: dict[str, str] = {}
        for name, options in (self.settings.get("checks") or {}).items():
            if options.get("enabled") is False:
                out[name] = f"off{where}"
            elif "expected-statuses" in options:
                out[name] = f"accepts {', '.join(map(str, options['expected-statuses']))}{where}"
        if "parameters" in self.settings:
            pinned = ", ".join(f"{k}={v!r}" for k, v in self.settings["parameters"].items())
            out["parameters"] = f"{pinned}{where}"
        return out


def _selection(settings: dict[str, Any]) -> str:
    for key in ("include-operation-id", "include-name", "include-path-regex", "include-path"):
        if key in settings:
            value = settings[key]
            return f" on {', '.join(value) if isinstance(value, list) else value}"
    return ""


@cache
def exceptions() -> tuple[ConfigException, ...]:
    """Every block of the shipped ``schemathesis.toml`` that changes a check, with its ``# why:``."""
    blocks: list[tuple[str, list[str], str]] = []
    reason = ""
    for line in _text().splitlines():
        stripped = line.strip()
        if stripped.startswith(_WHY):
            reason = stripped[len(_WHY) :].strip()
            continue
        match = _HEADER.match(line)
        if match:
            blocks.append((match.group(1), [line], reason))
            reason = ""
        elif blocks:
            blocks[-1][1].append(line)
    found: list[ConfigException] = []
    title: str | None = None
    for header, lines, why in blocks:
        data = tomllib.loads("\n".join(lines))
        if header == "[[project]]":
            settings = data["project"][0]
            title = settings["title"]
        elif header == "[[project.operations]]":
            parent = data["project"]
            settings = (parent[0] if isinstance(parent, list) else parent)["operations"][0]
        elif header == "[[operations]]":
            settings, title = data["operations"][0], None
        else:  # a top-level table such as [checks.x]
            settings, title = data, None
        found.append(ConfigException(title if header.startswith("[[project") else None, settings, why))
    return tuple(found)


@cache
def _spec_title(path: Path) -> str | None:
    import yaml

    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    info = document.get("info") if isinstance(document, dict) else None
    return info.get("title") if isinstance(info, dict) else None


def _titles(apis: list[str]) -> set[str | None]:
    """The ``[[project]]`` titles that apply to ``apis``: their OpenAPI specs' titles (and ``None``,
    the top-level blocks); an API the registry does not know has none of its own."""
    titles: set[str | None] = {None}
    if not apis:
        return titles
    from specmock.mocks.registry import descriptors

    for api in descriptors():
        if api.name in apis:
            titles |= {_spec_title(spec.path) for spec in api.specs if spec.kind == "openapi"}
    return titles


def disabled_checks(apis: list[str]) -> dict[str, str]:
    """What ``schemathesis.toml`` changes for a run over ``apis``: ``"check: change (spec)"`` -> why."""
    wanted = _titles(apis)
    out: dict[str, str] = {}
    for block in exceptions():
        if block.project not in wanted:
            continue
        scope = f" ({block.project})" if block.project else ""
        for name, change in block.changes().items():
            out[f"{name}: {change}{scope}"] = block.reason
    return out


def enabled_checks(apis: list[str]) -> list[str]:
    """schemathesis checks that run for ``apis``: all but those ``schemathesis.toml`` turns off everywhere."""
    off = {
        name
        for name, options in (_document().get("checks") or {}).items()
        if isinstance(options, dict) and options.get("enabled") is False
    }
    return [name for name in _BUILTIN_CHECKS if name not in off]


#: schemathesis's built-in checks the suite runs for every API.
ENABLED_CHECKS: tuple[str, ...] = tuple(enabled_checks([]))
#: What ``schemathesis.toml`` changes for every API, with the reason.
DISABLED_CHECKS: dict[str, str] = disabled_checks([])


def checks_config(
    api: str,
    raw_spec: dict[str, Any] | None = None,
    *,
    replaced: Iterable[str] = (),
    parameters: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """``schemathesis.toml`` as a dict for ``schemathesis.Config.from_dict``, every other check on.

    The checks in ``replaced`` are off because a check of the suite's own replaces them (the API's
    provider plan says). ``parameters`` give another value to parameters the file pins to the mock's
    demo set-up (the realm's ``tenant``) for a server set up otherwise. ``api`` and ``raw_spec``
    are accepted for callers that pass them; schemathesis picks each spec's ``[[project]]`` by title.
    """
    document = copy.deepcopy(_document())
    checks = {name: {"enabled": True} for name in _BUILTIN_CHECKS}
    checks.update(document.get("checks") or {})
    document["checks"] = checks
    for name in replaced:
        checks[name] = {"enabled": False}
    for project in document.get("project", []):
        pinned = project.get("parameters", {})
        for name, value in (parameters or {}).items():
            if name in pinned:
                pinned[name] = value
    return document


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


def schemathesis_toml(api: str | None = None, spec: str | None = None) -> str:
    """The text of the shipped ``schemathesis.toml`` (one file for every API and spec)."""
    return _text()
