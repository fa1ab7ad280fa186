"""Each exchange of a REST API checked against its OpenAPI document.

The request's parameters and body go through the validators the mock itself compiles
(:class:`specmock.mocks.core.openapi.OpenApiSpec`); the answer's status must be declared for the
operation, its declared headers present and valid, its content type declared for that status and
its body valid against that media type's schema (compiled by the same ``OpenApiSpec``).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import jsonschema
from jsonschema import Draft202012Validator

from specmock.mocks.core.openapi import OpenApiSpec, Operation
from specmock.mocks.proxy.findings import Finding, clean, describe, explain
from specmock.mocks.proxy.spec_walk import SpecDocument, join

__all__ = ["Check", "Exchange", "OpenApiChecker"]

_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
#: Bodies up to this size have their check result kept, at most this many results.
_CACHED_BODY = 64 * 1024
_CACHED_RESULTS = 256
#: Longest path plus query string of an exchange whose whole check is kept.
_CACHED_TARGET = 2048
#: Errors reported per body; the rest of a broken body only repeats them.
_MAX_BODY_ERRORS = 10


@dataclass
class Exchange:
    """One request and its answer as the proxy saw them, relative to the API's mount."""

    method: str
    path: str
    query: str
    request_headers: Mapping[str, str]  # lower-case names
    request_body: bytes
    status: int = 0
    response_headers: Mapping[str, str] | None = None  # lower-case names
    response_body: bytes | None = None  # None: too large to keep, not checked
    full_path: str = ""  # the path as the client sent it, mount included (for the journal)


@dataclass
class Check:
    """What checking one exchange gave: its operation, the findings, the assumptions it exercised."""

    operation: str
    route: str
    findings: list[Finding]
    touched: set[str]


def media_type(value: str | None) -> str:
    return (value or "").split(";", 1)[0].strip().lower()


def _matches(declared: str, seen: str) -> bool:
    if declared == seen or declared == "*/*":
        return True
    if declared.endswith("/*"):
        return seen.startswith(declared[:-1])
    return False


def json_like(kind: str) -> bool:
    return kind == "application/json" or kind.endswith("+json")


@dataclass
class _Route:
    method: str
    template: str
    pattern: re.Pattern[str]
    operation_id: str
    pointer: str  # of the operation object
    literal: int  # literal characters: the more, the more specific


def _template_pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}/]+\})", template)
    regex = "".join(f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{regex}/?$")


class OpenApiChecker:
    """Checks exchanges of one API against one bundled OpenAPI file."""

    def __init__(
        self, api: str, file_name: str, document: Mapping[str, Any], optional_prefix: str = ""
    ) -> None:
        self.api = api
        self.doc = SpecDocument(file_name, document)
        self.spec = OpenApiSpec(document)
        self.optional_prefix = optional_prefix
        self._routes: list[_Route] = []
        for template, item in (document.get("paths") or {}).items():
            for method, op in item.items():
                if method not in _METHODS:
                    continue
                self._routes.append(
                    _Route(
                        method.upper(),
                        template,
                        _template_pattern(template),
                        op.get("operationId", f"{method.upper()} {template}"),
                        join("/paths", template, method),
                        len(re.sub(r"\{[^}]+\}", "", template)),
                    )
                )
        self._routes.sort(key=lambda r: -r.literal)
        self._validators: dict[str, Draft202012Validator] = {}
        self._headers: dict[str, Operation] = {}
        # The check of a body is a pure function of its bytes: answers repeat (polling, paging the
        # same filters), so recent results are kept, by schema and body.
        self._results: dict[tuple[str, bytes], tuple[list[Any], frozenset[str]]] = {}
        # A whole check is a pure function of the parts of an exchange it reads: a read (no request
        # body, which may carry credentials or personal data) seen again is not checked again.
        self._checks: dict[tuple[Any, ...], Check] = {}
        self._pointers: dict[str, dict[tuple[str, str], str]] = {}
        self._request_header_names = tuple(
            sorted(
                {
                    name.lower()
                    for route in self._routes
                    for (where, name) in self._param_pointers(route)
                    if where == "header"
                }
            )
        )
        self._response_header_names = ("content-type", *sorted(self._declared_response_headers()))
        self._lock = threading.Lock()

    # -- compiled parts, made on first use ----------------------------------------------------

    def _validator(self, pointer: str) -> Draft202012Validator:
        found = self._validators.get(pointer)
        if found is None:
            with self._lock:
                found = self._validators.get(pointer) or self.spec.validator(self.doc.node(pointer))
                self._validators[pointer] = found
        return found

    def _header_checks(self, pointer: str, headers: Mapping[str, Any]) -> Operation:
        found = self._headers.get(pointer)
        if found is None:
            found = self.spec.response_headers(headers)
            self._headers[pointer] = found
        return found

    # -- matching -----------------------------------------------------------------------------

    def match(self, method: str, path: str) -> tuple[_Route, dict[str, str]] | None:
        candidates = [path]
        if self.optional_prefix and not path.startswith(self.optional_prefix + "/"):
            candidates.append(self.optional_prefix + path)
        for candidate in candidates:
            for route in self._routes:
                if route.method == method and (found := route.pattern.match(candidate)):
                    return route, found.groupdict()
        return None

    def _declared_response_headers(self) -> set[str]:
        names: set[str] = set()
        for route in self._routes:
            responses_pointer = join(route.pointer, "responses")
            for key, response in (self.doc.node(route.pointer).get("responses") or {}).items():
                _, resolved = self.doc.resolve(join(responses_pointer, key), response)
                names.update(name.lower() for name in (resolved.get("headers") or {}))
        return names

    # -- the check ----------------------------------------------------------------------------

    def check(self, exchange: Exchange) -> Check:
        """The check of ``exchange``; a read answered again with the same bytes is not checked again."""
        key = self._key(exchange)
        if key is not None and (cached := self._checks.get(key)) is not None:
            return cached
        check = self._check(exchange)
        if key is not None:
            with self._lock:
                self._checks[key] = check
                while len(self._checks) > _CACHED_RESULTS:
                    self._checks.pop(next(iter(self._checks)))
        return check

    def _key(self, exchange: Exchange) -> tuple[Any, ...] | None:
        """Everything :meth:`_check` reads of ``exchange``, or ``None`` if its check is not kept."""
        body = exchange.response_body
        if (
            exchange.request_body
            or body is None
            or len(body) > _CACHED_BODY
            or len(exchange.path) + len(exchange.query) > _CACHED_TARGET
        ):
            return None
        sent, received = exchange.request_headers, exchange.response_headers or {}
        return (
            exchange.method,
            exchange.path,
            exchange.query,
            tuple(sent.get(name) for name in self._request_header_names),
            exchange.status,
            tuple(received.get(name) for name in self._response_header_names),
            body,
        )

    def _check(self, exchange: Exchange) -> Check:
        matched = self.match(exchange.method, exchange.path)
        if matched is None:
            method = "GET" if exchange.method == "HEAD" else exchange.method
            matched = self.match(method, exchange.path) if method != exchange.method else None
        if matched is None:
            finding = Finding(
                self.api,
                "(none)",
                "unknown-operation",
                self.doc.reference("/paths"),
                "declares no operation for this method and path",
                clean(f"{exchange.method} {_path_shape(exchange.path)}"),
                False,
            )
            return Check("(none)", f"{exchange.method} ?", [finding], set())
        route, path_params = matched
        findings: list[Finding] = []
        touched: set[str] = set()
        operation = self.spec.operation(route.operation_id)
        label = f"{route.method} {route.template}"
        own = self.doc.assumption(route.pointer)
        if own:
            touched.add(own)
        self._check_request(route, operation, exchange, path_params, findings, touched)
        if exchange.status:
            self._check_response(route, exchange, findings, touched)
        contradicted = {f.assumption for f in findings if f.assumption}
        return Check(
            route.operation_id, label, findings, {self.doc.reference(p) for p in touched} - contradicted
        )

    def _finding(self, route: _Route, kind: str, pointer: str, spec: str, seen: str, at: str = "") -> Finding:
        assumption = self.doc.assumption(pointer)
        return Finding(
            self.api,
            route.operation_id,
            kind,
            self.doc.reference(pointer),
            clean(spec),
            clean(seen),
            assumption is not None,
            self.doc.reference(assumption) if assumption else None,
            at,
        )

    # -- request ------------------------------------------------------------------------------

    def _param_pointers(self, route: _Route) -> dict[tuple[str, str], str]:
        found = self._pointers.get(route.pointer)
        if found is not None:
            return found
        found = {}
        item_pointer = route.pointer.rsplit("/", 1)[0]
        for owner in (item_pointer, route.pointer):
            for index, raw in enumerate(self.doc.node(owner).get("parameters") or []):
                pointer, param = self.doc.resolve(join(owner, "parameters", index), raw)
                found[(param["in"], param["name"])] = pointer
        self._pointers[route.pointer] = found
        return found

    def _check_request(
        self,
        route: _Route,
        operation: Operation,
        exchange: Exchange,
        path_params: dict[str, str],
        findings: list[Finding],
        touched: set[str],
    ) -> None:
        query = parse_qs(exchange.query, keep_blank_values=True)
        _, errors = operation.validate_params(query, path_params, exchange.request_headers)
        pointers = self._param_pointers(route)
        for error in errors:
            pointer = pointers.get((error.location, error.name), route.pointer)
            raw = _raw(error.location, error.name, query, path_params, exchange.request_headers)
            schema_pointer, schema = join(pointer, "schema"), {}
            if pointer != route.pointer and "schema" in self.doc.node(pointer):
                schema_pointer, schema = self.doc.resolve(schema_pointer, self.doc.node(pointer)["schema"])
            assumption = self.doc.assumption(pointer) or self.doc.assumption(schema_pointer)
            findings.append(
                Finding(
                    self.api,
                    route.operation_id,
                    "request",
                    self.doc.reference(pointer),
                    clean(f"{error.location} parameter '{error.name}': {_summary(schema)}"),
                    clean("absent" if raw is None else describe(raw, key=error.name)),
                    assumption is not None,
                    self.doc.reference(assumption) if assumption else None,
                    f"{error.location} {error.name}",
                )
            )
        for (location, name), pointer in pointers.items():
            present = _raw(location, name, query, path_params, exchange.request_headers) is not None
            if present and (assumed := self.doc.assumption(pointer)) is not None:
                touched.add(assumed)
        body_pointer = join(route.pointer, "requestBody")
        node = self.doc.node(route.pointer).get("requestBody")
        if node is None:
            return
        body_pointer, body = self.doc.resolve(body_pointer, node)
        content = body.get("content") or {}
        kind = media_type(exchange.request_headers.get("content-type"))
        if not exchange.request_body:
            if body.get("required"):
                findings.append(
                    self._finding(
                        route,
                        "request",
                        join(body_pointer, "required"),
                        "a request body is required",
                        "no body",
                    )
                )
            return
        declared = next((m for m in content if _matches(media_type(m), kind)), None)
        if declared is None:
            findings.append(
                self._finding(
                    route,
                    "request",
                    join(body_pointer, "content"),
                    f"request content types {sorted(content)}",
                    f"content type {kind or '(none)'!r}",
                )
            )
            return
        schema_pointer = join(body_pointer, "content", declared, "schema")
        if declared not in operation.body_validators:
            return
        instance = _request_instance(kind, exchange.request_body)
        if instance is _UNREADABLE:
            return
        self._validate(
            route, "request", schema_pointer, instance, findings, touched, operation.body_validators[declared]
        )

    # -- response -----------------------------------------------------------------------------

    def _check_response(
        self, route: _Route, exchange: Exchange, findings: list[Finding], touched: set[str]
    ) -> None:
        responses_pointer = join(route.pointer, "responses")
        responses = self.doc.node(route.pointer).get("responses") or {}
        status = str(exchange.status)
        key = next(
            (k for k in (status, status[0] + "XX", status[0] + "xx", "default") if k in responses), None
        )
        if key is None:
            findings.append(
                self._finding(
                    route,
                    "status",
                    responses_pointer,
                    f"statuses {', '.join(sorted(responses))}",
                    f"status {status}",
                )
            )
            return
        pointer, response = self.doc.resolve(join(responses_pointer, key), responses[key])
        if (assumed := self.doc.assumption(pointer)) is not None:
            touched.add(assumed)
        headers = exchange.response_headers or {}
        declared_headers = {
            name: header
            for name, header in (response.get("headers") or {}).items()
            if name.lower() != "content-type"
        }
        if declared_headers:
            checks = self._header_checks(pointer, declared_headers)
            _, errors = checks.validate_params({}, None, headers)
            for error in errors:
                header_pointer, header = self.doc.resolve(
                    join(pointer, "headers", error.name), declared_headers[error.name]
                )
                seen = headers.get(error.name.lower())
                findings.append(
                    self._finding(
                        route,
                        "header",
                        header_pointer,
                        f"header '{error.name}': {'required, ' if header.get('required') else ''}"
                        f"{_summary(self.doc.resolve(header_pointer, header.get('schema', {}))[1])}",
                        "absent" if seen is None else describe(seen, key=error.name),
                        f"header {error.name}",
                    )
                )
            for name, header in declared_headers.items():
                if name.lower() in headers:
                    header_pointer, _ = self.doc.resolve(join(pointer, "headers", name), header)
                    if (assumed := self.doc.assumption(header_pointer)) is not None:
                        touched.add(assumed)
        content = response.get("content") or {}
        if not content or exchange.method == "HEAD" or exchange.status in (204, 304):
            return
        kind = media_type(headers.get("content-type"))
        declared = next((m for m in content if _matches(media_type(m), kind)), None)
        if declared is None:
            findings.append(
                self._finding(
                    route,
                    "content-type",
                    join(pointer, "content"),
                    f"content types {sorted(content)}",
                    f"content type {kind or '(none)'!r}",
                )
            )
            return
        if exchange.response_body is None or "schema" not in content[declared] or not json_like(kind):
            return
        schema_pointer = join(pointer, "content", declared, "schema")
        if (schema_pointer, exchange.response_body) in self._results:  # seen before: no need to parse it
            self._validate(
                route,
                "body",
                schema_pointer,
                None,
                findings,
                touched,
                self._validator(schema_pointer),
                exchange.response_body,
            )
            return
        try:
            instance = json.loads(exchange.response_body)
        except (ValueError, RecursionError):
            findings.append(
                self._finding(
                    route,
                    "body",
                    schema_pointer,
                    f"a {declared} body",
                    f"{len(exchange.response_body)} bytes that are not JSON",
                )
            )
            return
        self._validate(
            route,
            "body",
            schema_pointer,
            instance,
            findings,
            touched,
            self._validator(schema_pointer),
            exchange.response_body,
        )

    # -- schemas ------------------------------------------------------------------------------

    def _validate(
        self,
        route: _Route,
        kind: str,
        schema_pointer: str,
        instance: Any,
        findings: list[Finding],
        touched: set[str],
        validator: Draft202012Validator,
        raw: bytes | None = None,
    ) -> None:
        key = (schema_pointer, raw) if raw is not None and len(raw) <= _CACHED_BODY else None
        cached = self._results.get(key) if key is not None else None
        if cached is None:
            if instance is None and raw is not None:
                instance = json.loads(raw)
            cached = (
                validate(self.doc, validator, schema_pointer, instance),
                frozenset(self.doc.touched_assumptions(schema_pointer, instance)),
            )
            if key is not None:
                with self._lock:
                    self._results[key] = cached
                    while len(self._results) > _CACHED_RESULTS:
                        self._results.pop(next(iter(self._results)))
        found, exercised = cached
        for keyword_pointer, assumption, spec, seen, at in found:
            findings.append(
                Finding(
                    self.api,
                    route.operation_id,
                    kind,
                    self.doc.reference(keyword_pointer),
                    clean(spec),
                    clean(seen),
                    assumption is not None,
                    self.doc.reference(assumption) if assumption else None,
                    at,
                )
            )
        touched |= exercised


def validate(
    doc: SpecDocument, validator: Draft202012Validator, schema_pointer: str, instance: Any
) -> list[tuple[str, str | None, str, str, str]]:
    """(keyword pointer, assumption pointer, spec says, seen, where) for each distinct violation."""
    out: list[tuple[str, str | None, str, str, str]] = []
    seen_keys: set[tuple[str, str]] = set()
    try:
        errors = list(validator.iter_errors(instance))
    except RecursionError:
        return [
            (schema_pointer, doc.assumption(schema_pointer), "a JSON value", "a value nested too deeply", "")
        ]
    for top in errors:
        error = jsonschema.exceptions.best_match([top]) or top
        keyword_pointer = doc.schema_pointer(schema_pointer, error.absolute_schema_path)
        spec, seen = explain(error)
        if (keyword_pointer, spec) in seen_keys:
            continue
        seen_keys.add((keyword_pointer, spec))
        assumption = doc.assumption(keyword_pointer)
        if error.validator == "required" and isinstance(error.instance, Mapping):
            for name in error.validator_value:
                if name not in error.instance:
                    member = join(keyword_pointer.rsplit("/", 1)[0], "properties", name)
                    try:
                        doc.node(member)
                    except (KeyError, IndexError, TypeError, ValueError):
                        continue
                    assumption = doc.assumption(member) or assumption
        at = "/" + "/".join(str(p) for p in error.absolute_path) if error.absolute_path else "/"
        out.append((keyword_pointer, assumption, spec, seen, _path_shape(at)))
        if len(out) >= _MAX_BODY_ERRORS:
            break
    return out


_UNREADABLE = object()


def _request_instance(kind: str, body: bytes) -> Any:
    if json_like(kind):
        try:
            return json.loads(body)
        except (ValueError, RecursionError):
            return _UNREADABLE
    if kind == "application/x-www-form-urlencoded":
        try:
            return {k: v[-1] for k, v in parse_qs(body.decode("utf-8"), keep_blank_values=True).items()}
        except UnicodeDecodeError:
            return _UNREADABLE
    return _UNREADABLE


def _raw(
    location: str,
    name: str,
    query: Mapping[str, list[str]],
    path_params: Mapping[str, str],
    headers: Mapping[str, str],
) -> Any:
    if location == "query":
        items = query.get(name)
        return items[-1] if items else None
    if location == "path":
        return path_params.get(name)
    if location == "header":
        return headers.get(name.lower())
    return None


def _summary(schema: Any) -> str:
    if not isinstance(schema, Mapping):
        return "any value"
    kept = {
        k: schema[k]
        for k in (
            "type",
            "format",
            "enum",
            "const",
            "pattern",
            "minimum",
            "maximum",
            "minLength",
            "maxLength",
            "$ref",
        )
        if k in schema
    }
    return json.dumps(kept, ensure_ascii=False) if kept else "any value"


_ID_SEGMENT = re.compile(r"(?<=/)[^/]*[0-9][^/]*")


def _path_shape(path: str) -> str:
    """A path with every segment holding a digit (ids, CPFs, indices stay as ``{n}`` only) hidden."""
    return _ID_SEGMENT.sub(
        lambda m: m.group(0) if m.group(0).isdigit() and len(m.group(0)) <= 4 else "{…}", path
    )
