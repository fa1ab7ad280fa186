"""Request validation compiled once from an OpenAPI 3.1 operation.

An API mock asks :class:`OpenApiSpec` for an operation by ``operationId`` and validates the query,
path and header parameters (and a JSON body) of each request against it. Query values arrive as
strings; they are converted by the parameter's schema type before the JSON Schema check, so
``pageSize=abc`` reports "must be an integer" and ``atrasoMin=-1`` reports the minimum.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jsonschema
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

__all__ = ["OpenApiSpec", "Operation", "ParamError"]

_SPEC_URI = "urn:specmock:spec"
_INT = re.compile(r"\A[+-]?[0-9]{1,18}\Z")
_FORMATS = FormatChecker()


@dataclass(frozen=True)
class ParamError:
    """One invalid parameter: where it is, its name, what is wrong in one sentence, and the spec's
    rule it breaks (a JSON Schema keyword and its value: ``maximum: 200``, ``type: integer``)."""

    location: str
    name: str
    message: str
    rule: str = ""

    def __str__(self) -> str:
        return f"{self.location} parameter '{self.name}' {self.message}"


@dataclass
class _Param:
    name: str
    location: str
    required: bool
    kind: str
    item_kind: str
    validator: Draft202012Validator


@dataclass
class Operation:
    operation_id: str
    method: str
    path: str
    params: list[_Param] = field(default_factory=list)
    body_validators: dict[str, Draft202012Validator] = field(default_factory=dict)
    body_required: bool = False

    def validate_params(
        self,
        query: Mapping[str, list[str]] | Any,
        path_params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[dict[str, Any], list[ParamError]]:
        """Converted values of every parameter present, and the errors of the invalid ones.

        ``query`` is a mapping of name to list of values (``starlette`` ``QueryParams`` works:
        its ``getlist`` is used when present).
        """
        values: dict[str, Any] = {}
        errors: list[ParamError] = []
        for param in self.params:
            raw = _raw_values(param, query, path_params or {}, headers or {})
            if raw is None:
                if param.required:
                    errors.append(ParamError(param.location, param.name, "is required", "required: true"))
                continue
            converted, problem = _convert(param, raw)
            rule = f"type: {param.item_kind if param.kind == 'array' else param.kind}"
            if problem is None:
                found = _first_problem(param.validator, converted)
                if found is not None:
                    problem, rule = found
            if problem is not None:
                errors.append(ParamError(param.location, param.name, problem, rule))
            else:
                values[param.name] = converted
        return values, errors

    def validate_body(self, media_type: str, body: Any) -> str | None:
        """``None`` when ``body`` fits the request body schema for ``media_type``, else the reason."""
        validator = self.body_validators.get(media_type)
        if validator is None:
            return None
        return _first_error(validator, body, with_path=True)


def _raw_values(param: _Param, query: Any, path_params: Mapping[str, str], headers: Mapping[str, str]) -> Any:
    if param.location == "query":
        getlist = getattr(query, "getlist", None)
        items = getlist(param.name) if getlist else list(query.get(param.name, []) or [])
        if not items:
            return None
        return items if param.kind == "array" else items[-1]
    if param.location == "path":
        return path_params.get(param.name)
    if param.location == "header":
        return headers.get(param.name.lower())
    return None


def _scalar(kind: str, raw: str) -> tuple[Any, str | None]:
    if kind == "integer":
        if not _INT.match(raw):
            return raw, f"must be an integer, got {raw!r}"
        return int(raw), None
    if kind == "number":
        try:
            number = float(raw)
        except ValueError:
            return raw, f"must be a number, got {raw!r}"
        if number != number or number in (float("inf"), float("-inf")):
            return raw, f"must be a finite number, got {raw!r}"
        return number, None
    if kind == "boolean":
        if raw.lower() not in ("true", "false"):
            return raw, f"must be true or false, got {raw!r}"
        return raw.lower() == "true", None
    return raw, None


def _convert(param: _Param, raw: Any) -> tuple[Any, str | None]:
    if param.kind == "array":
        items = raw if isinstance(raw, list) else [raw]
        converted = []
        for item in items:
            value, problem = _scalar(param.item_kind, item)
            if problem:
                return raw, problem
            converted.append(value)
        return converted, None
    return _scalar(param.kind, raw)


def _first_error(validator: Draft202012Validator, value: Any, with_path: bool = False) -> str | None:
    found = _first_problem(validator, value, with_path)
    return None if found is None else found[0]


def _first_problem(validator: Draft202012Validator, value: Any, with_path: bool = False
                   ) -> tuple[str, str] | None:
    """The most relevant error of ``value``: its message and the rule (``keyword: value``) it breaks."""
    error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    if error is None:
        return None
    where = ".".join(str(p) for p in error.absolute_path)
    message = error.message if len(error.message) <= 200 else error.message[:197] + "..."
    return (f"{where}: {message}" if with_path and where else message), _rule(error)


def _rule(error: jsonschema.ValidationError) -> str:
    value = error.validator_value
    shown = value if isinstance(value, str) else json.dumps(value, default=str)
    text = f"{error.validator}: {shown}"
    return text if len(text) <= 200 else text[:197] + "..."


def _rebase(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: (_SPEC_URI + v if k == "$ref" and isinstance(v, str) and v.startswith("#") else _rebase(v))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_rebase(item) for item in node]
    return node


def _kind(schema: Mapping[str, Any], resolve: Any) -> str:
    """The JSON type a query string converts to.

    Looks through ``allOf``/``anyOf``/``oneOf`` and ``$ref``.
    """
    schema = resolve(schema)
    kind = schema.get("type")
    if kind is None:
        for key in ("allOf", "anyOf", "oneOf"):
            for part in schema.get(key, []):
                found = _kind(part, resolve)
                if found != "string":
                    return found
        return "string"
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    return str(kind)


class OpenApiSpec:
    """The operations of one OpenAPI document, each with its compiled validators."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        resource = Resource.from_contents(dict(document), DRAFT202012)
        self._registry = Registry().with_resource(_SPEC_URI, resource)
        self._operations: dict[str, Operation] = {}
        for path, item in (document.get("paths") or {}).items():
            shared = item.get("parameters", [])
            for method, op in item.items():
                if method not in ("get", "put", "post", "delete", "patch", "head", "options"):
                    continue
                operation = self._compile(path, method, op, shared)
                self._operations[operation.operation_id] = operation

    def _resolve(self, node: Mapping[str, Any]) -> Mapping[str, Any]:
        while isinstance(node, Mapping) and "$ref" in node and len(node) == 1:
            ref = node["$ref"]
            resolved = self._registry.resolver().lookup(ref if ref.startswith(_SPEC_URI) else _SPEC_URI + ref)
            node = resolved.contents
        return node

    def validator(self, schema: Mapping[str, Any]) -> Draft202012Validator:
        """A compiled validator for a schema written inside this document (its ``$ref`` resolve here)."""
        return Draft202012Validator(_rebase(dict(schema)), registry=self._registry, format_checker=_FORMATS)

    def _compile(self, path: str, method: str, op: Mapping[str, Any], shared: list[Any]) -> Operation:
        operation = Operation(op.get("operationId", f"{method} {path}"), method.upper(), path)
        by_key: dict[tuple[str, str], Mapping[str, Any]] = {}
        for raw in [*shared, *op.get("parameters", [])]:
            param = self._resolve(raw)
            by_key[(param["in"], param["name"])] = param
        for (location, name), param in by_key.items():
            if location == "cookie" or "schema" not in param:
                continue
            schema = self._resolve(param["schema"])
            kind = _kind(schema, self._resolve)
            item_kind = _kind(schema.get("items", {}), self._resolve) if kind == "array" else ""
            if kind == "object":  # deepObject and friends: the API mock parses these itself
                continue
            operation.params.append(
                _Param(name, location, bool(param.get("required", location == "path")), kind, item_kind,
                       self.validator(schema))
            )
        body = op.get("requestBody")
        if body:
            body = self._resolve(body)
            operation.body_required = bool(body.get("required", False))
            for media_type, media in (body.get("content") or {}).items():
                if "schema" in media:
                    operation.body_validators[media_type] = self.validator(media["schema"])
        return operation

    def response_headers(self, headers: Mapping[str, Any]) -> Operation:
        """The header objects of a response, compiled as header parameters (same conversion and checks).

        ``validate_params(query={}, headers=...)`` then checks an answer's headers (names lower-case).
        """
        params = [{**self._resolve(header), "in": "header", "name": name} for name, header in headers.items()]
        return self._compile("", "get", {"operationId": "response headers", "parameters": params}, [])

    def operation(self, operation_id: str) -> Operation:
        try:
            return self._operations[operation_id]
        except KeyError:
            known = ", ".join(sorted(self._operations))
            raise KeyError(f"no operation {operation_id!r}; known: {known}") from None

    @property
    def operations(self) -> dict[str, Operation]:
        return dict(self._operations)
