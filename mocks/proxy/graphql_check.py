"""Each PBM exchange checked against ``pbm.graphql`` and ``pbm.responses.schema.json``.

The request's document is parsed and validated against the SDL (graphql-core). The answer's body
is validated against the response schema definition its shape calls for: the documented
``UNAUTHENTICATED`` body when an error says so, the validation- and parse-failure bodies, the
execution-error body when ``data`` is null, the general response otherwise. ``data`` itself is
checked against the SDL by completing the request's own selection set over it (graphql-core's
executor with a resolver that reads each response key), so a null in a non-null field or a string
in an ``Int`` field is reported at that field's schema coordinate (``CreateTokenResponse.token``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cached_property
from typing import Any
from urllib.parse import parse_qs

from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    GraphQLError,
    GraphQLField,
    GraphQLSchema,
    OperationDefinitionNode,
    execute,
    parse,
    validate,
)
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from specmock import specs
from specmock.mocks.proxy.findings import Finding, clean
from specmock.mocks.proxy.openapi_check import (
    Check,
    Exchange,
    json_like,
    media_type,
)
from specmock.mocks.proxy.openapi_check import (
    validate as validate_json,
)
from specmock.mocks.proxy.spec_walk import SpecDocument

__all__ = ["PbmChecker"]

SDL_FILE = "pbm.graphql"
RESPONSES_FILE = "pbm.responses.schema.json"
_NAME = re.compile(r"\A[_A-Za-z][_0-9A-Za-z]*\Z")
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')
_MAX_DOCUMENT = 100_000
#: Exchanges up to this size (document and answer) have their check kept, at most this many.
_CACHED_EXCHANGE = 64 * 1024
_CACHED_RESULTS = 256


def _safe_message(message: str) -> str:
    """A graphql-core message with every literal value it quotes hidden (names stay)."""
    message = message.split(" value: ", 1)[0] + (" value: …" if " value: " in message else "")
    return _QUOTED.sub(lambda m: m.group(0) if _NAME.match(m.group(1)) else '"…"', message)


def _described_assumed(description: str | None) -> bool:
    return bool(description) and "Assumed:" in str(description)


class PbmChecker:
    api = "pbm"

    def __init__(self) -> None:
        from specmock.mocks.pbm.api import build_pbm_schema

        self.schema: GraphQLSchema = build_pbm_schema()
        document = specs.load(RESPONSES_FILE)
        self.responses = SpecDocument(RESPONSES_FILE, document)
        self._registry = Registry().with_resource(
            document["$id"], Resource.from_contents(document, DRAFT202012)
        )
        self._id = document["$id"]
        self._validators: dict[str, Draft202012Validator] = {}
        self._results: dict[tuple[str, str | bytes, int, str, bytes], Check] = {}

    def _validator(self, name: str) -> Draft202012Validator:
        found = self._validators.get(name)
        if found is None:
            found = Draft202012Validator({"$ref": f"{self._id}#/$defs/{name}"}, registry=self._registry)
            self._validators[name] = found
        return found

    @cached_property
    def _root_types(self) -> dict[str, str]:
        out = {}
        for kind, root in (("query", self.schema.query_type), ("mutation", self.schema.mutation_type)):
            if root is not None:
                out[kind] = root.name
        return out

    # -- the check ----------------------------------------------------------------------------

    def check(self, exchange: Exchange) -> Check:
        """The check of ``exchange``; a read answered again with the same bytes is not checked again."""
        sent = exchange.query if exchange.method == "GET" else exchange.request_body
        received = exchange.response_body
        key = None
        if received is not None and len(sent) + len(received) <= _CACHED_EXCHANGE:
            content_type = (exchange.response_headers or {}).get("content-type", "")
            key = (exchange.method, sent, exchange.status, content_type, received)
            if (cached := self._results.get(key)) is not None:
                return cached
        check, is_read = self._check(exchange)
        # Only reads are kept: a mutation's document may hold credentials or personal data.
        if key is not None and is_read:
            self._results[key] = check
            while len(self._results) > _CACHED_RESULTS:
                self._results.pop(next(iter(self._results)))
        return check

    def _check(self, exchange: Exchange) -> tuple[Check, bool]:
        is_read = False
        findings: list[Finding] = []
        touched: set[str] = set()
        payload = _payload(exchange)
        document, operation, root_fields = None, "(none)", []
        query = payload.get("query") if isinstance(payload, Mapping) else None
        if isinstance(query, str) and len(query) <= _MAX_DOCUMENT:
            try:
                document = parse(query)
            except GraphQLError:
                document = None  # the answer tells the client; the SDL says nothing about syntax
            except RecursionError:
                document = None
        if document is not None:
            chosen = _operation(document, payload.get("operationName"))
            if chosen is not None:
                is_read = chosen.operation.value == "query"
                root = self._root_types.get(chosen.operation.value, "Query")
                root_fields = [
                    f.name.value for f in chosen.selection_set.selections if isinstance(f, FieldNode)
                ]
                # Named after the root fields the SDL knows: a report keyed by whatever a client
                # sends would grow without bound.
                known = [name for name in root_fields if self._field(root, name) is not None]
                operation = ", ".join(dict.fromkeys(known)) or "(none)"
                for name in root_fields:
                    touched |= self._field_assumption(root, name)
            try:
                errors = validate(self.schema, document, max_errors=10)
            except RecursionError:
                errors = []
            for error in errors:
                coordinate = self._coordinate_of(error, root_fields)
                findings.append(
                    self._sdl_finding(
                        operation,
                        "graphql",
                        coordinate,
                        "the document validates against the SDL",
                        _safe_message(error.message),
                    )
                )
        if exchange.status:
            self._check_response(exchange, operation, document, payload, findings, touched)
        contradicted = {f.assumption for f in findings if f.assumption}
        return Check(operation, "POST /graphql", findings, touched - contradicted), is_read

    def _field_assumption(self, parent: str, name: str) -> set[str]:
        field = self._field(parent, name)
        if field is not None and _described_assumed(field.description):
            return {f"{SDL_FILE}#{parent}.{name}"}
        return set()

    def _field(self, parent: str, name: str) -> GraphQLField | None:
        kind = self.schema.get_type(parent)
        fields = getattr(kind, "fields", None)
        return fields.get(name) if fields else None

    def _coordinate_of(self, error: GraphQLError, root_fields: list[str]) -> str:
        found = re.search(r'Field "([_A-Za-z][_0-9A-Za-z]*)\.([_A-Za-z][_0-9A-Za-z]*)"', error.message)
        if found and self._field(found.group(1), found.group(2)) is not None:
            return f"{found.group(1)}.{found.group(2)}"
        for kind in ("Query", "Mutation"):  # only coordinates the SDL has: the report stays bounded
            for name in root_fields:
                if self._field(kind, name) is not None:
                    return f"{kind}.{name}"
        return "Query"

    def _sdl_finding(
        self, operation: str, kind: str, coordinate: str, spec: str, seen: str, at: str = ""
    ) -> Finding:
        parent, _, name = coordinate.partition(".")
        name = name.split("(", 1)[0]
        field = self._field(parent, name) if name else None
        description = (
            field.description if field else getattr(self.schema.get_type(parent), "description", None)
        )
        assumed = _described_assumed(description)
        reference = f"{SDL_FILE}#{coordinate}"
        return Finding(
            self.api,
            operation,
            kind,
            reference,
            clean(spec),
            clean(seen),
            assumed,
            reference if assumed else None,
            at,
        )

    # -- response -----------------------------------------------------------------------------

    def _check_response(
        self,
        exchange: Exchange,
        operation: str,
        document: DocumentNode | None,
        payload: Any,
        findings: list[Finding],
        touched: set[str],
    ) -> None:
        body = exchange.response_body
        if body is None or exchange.method == "HEAD" or exchange.status in (204, 304):
            return
        kind = media_type((exchange.response_headers or {}).get("content-type"))
        try:
            instance = json.loads(body) if json_like(kind) else _NOT_JSON
        except (ValueError, RecursionError):
            instance = _NOT_JSON
        if instance is _NOT_JSON:
            pointer = "/$defs/Response"
            findings.append(
                Finding(
                    self.api,
                    operation,
                    "content-type",
                    self.responses.reference(pointer),
                    "a JSON GraphQL response body (application/json)",
                    clean(f"content type {kind or '(none)'!r}, {len(body)} bytes"),
                    False,
                )
            )
            return
        definition = _definition_for(instance)
        pointer = f"/$defs/{definition}"
        for keyword_pointer, assumption, spec, seen, at in validate_json(
            self.responses, self._validator(definition), pointer, instance
        ):
            findings.append(
                Finding(
                    self.api,
                    operation,
                    "body",
                    self.responses.reference(keyword_pointer),
                    clean(spec),
                    clean(seen),
                    assumption is not None,
                    self.responses.reference(assumption) if assumption else None,
                    at,
                )
            )
        touched |= {
            self.responses.reference(p) for p in self.responses.touched_assumptions(pointer, instance)
        }
        if (assumed := self.responses.assumption(pointer)) is not None:
            touched.add(self.responses.reference(assumed))
        body_map = instance if isinstance(instance, Mapping) else {}
        data = body_map.get("data")
        if document is not None and isinstance(data, Mapping) and not body_map.get("errors"):
            self._check_data(document, payload, data, operation, findings, touched)

    def _check_data(
        self,
        document: DocumentNode,
        payload: Mapping[str, Any],
        data: Mapping[str, Any],
        operation: str,
        findings: list[Finding],
        touched: set[str],
    ) -> None:
        coordinates: dict[tuple[str | int, ...], str] = {}

        def read(source: Any, info: Any, **_: Any) -> Any:
            key = info.path.key
            coordinates[tuple(info.path.as_list())] = f"{info.parent_type.name}.{info.field_name}"
            field = info.parent_type.fields.get(info.field_name)
            if (
                field is not None
                and _described_assumed(field.description)
                and isinstance(source, Mapping)
                and key in source
            ):
                touched.add(f"{SDL_FILE}#{info.parent_type.name}.{info.field_name}")
            return source.get(key) if isinstance(source, Mapping) else None

        variables = payload.get("variables") if isinstance(payload.get("variables"), Mapping) else None
        try:
            result = execute(
                self.schema,
                document,
                root_value=data,
                variable_values=variables,
                operation_name=payload.get("operationName"),
                field_resolver=read,
            )
        except (GraphQLError, RecursionError, TypeError):
            return
        if not isinstance(result, ExecutionResult):
            return
        for error in result.errors or []:
            path = tuple(error.path or ())
            coordinate = coordinates.get(path, "Query")
            at = "/data/" + "/".join(str(p) for p in path)
            findings.append(
                self._sdl_finding(
                    operation,
                    "body",
                    coordinate,
                    f"the SDL type of {coordinate}",
                    _safe_message(error.message),
                    at,
                )
            )


_NOT_JSON = object()


def _definition_for(body: Any) -> str:
    if not isinstance(body, Mapping) or not isinstance(body.get("errors"), list):
        return "Response"
    codes = {
        (item.get("extensions") or {}).get("code")
        for item in body["errors"]
        if isinstance(item, Mapping) and isinstance(item.get("extensions"), Mapping)
    }
    if "UNAUTHENTICATED" in codes:
        return "UnauthenticatedResponse"
    if "GRAPHQL_VALIDATION_FAILED" in codes:
        return "ValidationFailedResponse"
    if "GRAPHQL_PARSE_FAILED" in codes:
        return "ParseFailedResponse"
    if (
        "data" in body
        and body["data"] is None
        and codes <= {"BAD_REQUEST", "FORBIDDEN", "INTERNAL_SERVER_ERROR"}
    ):
        return "ExecutionErrorResponse"
    return "Response"


def _payload(exchange: Exchange) -> Any:
    if exchange.method == "GET":
        query = parse_qs(exchange.query, keep_blank_values=True)
        payload: dict[str, Any] = {k: v[-1] for k, v in query.items()}
        if isinstance(payload.get("variables"), str):
            try:
                payload["variables"] = json.loads(payload["variables"])
            except ValueError:
                payload["variables"] = None
        return payload
    try:
        loaded = json.loads(exchange.request_body) if exchange.request_body else {}
    except (ValueError, RecursionError):
        return {}
    return loaded if isinstance(loaded, Mapping) else {}


def _operation(document: DocumentNode, name: Any) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if isinstance(name, str):
        return next((o for o in operations if o.name and o.name.value == name), None)
    return operations[0] if len(operations) == 1 else None
