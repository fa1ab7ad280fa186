"""GraphQL over HTTP for the PBM mock: ``POST /graphql`` (and ``GET`` for queries).

The request path, in order, each step answering with its own documented error:

1. the HTTP envelope — method, ``Content-Type: application/json``, a UTF-8 JSON object with a
   string ``query``, an object ``variables``, a string ``operationName`` (or the same as ``GET``
   parameters): otherwise 400 ``BAD_REQUEST`` (405 for other methods);
2. the document — parsed and validated once per query text and kept in a bounded LRU cache, so a
   client repeating its queries pays parse + validate once: 400 ``GRAPHQL_PARSE_FAILED`` or 400
   ``GRAPHQL_VALIDATION_FAILED`` (depth and size limits included);
3. the operation — chosen by ``operationName``; a mutation over ``GET`` is 405;
4. execution — variables coerced (400 ``BAD_USER_INPUT``), then the resolvers; field errors
   (the token check) are answered with HTTP 200 and ``data: null``. A query already answered
   successfully is replayed from a bounded cache after the same token check (see :class:`CachedResult`).

Anything unexpected is logged and answered 500 in the same GraphQL shape, never as a bare page.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeGuard
from urllib.parse import parse_qsl

from graphql import (
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    OperationDefinitionNode,
    OperationType,
    execute,
    parse,
    validate,
)
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from specmock.mocks.core.cache import BoundedCache
from specmock.mocks.core.why import explain, refused, token_refused
from specmock.mocks.pbm.errors import (
    MEDIA_TYPE,
    FieldError,
    RequestError,
    graphql_error_item,
    http_error_body,
    http_exception_item,
    json_response,
)
from specmock.mocks.pbm.limits import QueryLimitsRule
from specmock.mocks.pbm.messages import double_quote, graphql_js_message, variable_message
from specmock.mocks.pbm.resolvers import RequestContext

if TYPE_CHECKING:
    from specmock.mocks.pbm.api import PbmApi

__all__ = [
    "CACHEABLE_QUERY_CHARS",
    "CACHEABLE_RESULT_BYTES",
    "CACHE_SIZE",
    "GRAPHQL_PATHS",
    "MAX_LEXICAL_TOKENS",
    "MAX_VALIDATION_ERRORS",
    "RESULT_CACHE_BYTES",
    "RESULT_CACHE_SIZE",
    "CachedResult",
    "GraphQLHttpApp",
    "Prepared",
    "ResultKey",
    "result_key",
]

log = logging.getLogger("specmock.mocks.pbm")

GRAPHQL_PATHS = ("/graphql", "/graphql/")
CACHE_SIZE = 512
MAX_LEXICAL_TOKENS = 30_000
MAX_VALIDATION_ERRORS = 50

_PUNCTUATOR = re.compile(r"'([!$&():=@\[\]{}|]|\.\.\.)'")


@dataclass(frozen=True)
class Prepared:
    """A parsed and validated document, or the errors that stop it (with their HTTP status)."""

    document: DocumentNode | None
    errors: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    operations: dict[str | None, OperationType] = field(default_factory=dict)


def _never_awaitable(_value: Any) -> TypeGuard[Awaitable[Any]]:
    return False  # every PBM resolver is synchronous: skip graphql-core's per-value awaitable probe


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _json(text: str | bytes, what: str) -> Any:
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        raise RequestError.bad_request(f"{what} is nested too deeply.") from None
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise RequestError.bad_request(f"{what} is not valid JSON: {exc}") from None


# -- query results answered again ------------------------------------------------------------------
# Every ``Query`` field is a pure function of its arguments over the immutable catalogue (and
# introspection of the fixed schema), so a successful query (same text, operation and variables)
# answers the same bytes every time. Only the token check is repeated, for the root field whose
# resolver asked for the token first, so an expired token still gets its UNAUTHENTICATED body.
# Mutations are never kept.

RESULT_CACHE_SIZE = 256
RESULT_CACHE_BYTES = 16 << 20
#: Bodies and query texts above these sizes are not kept.
CACHEABLE_RESULT_BYTES = 256 * 1024
CACHEABLE_QUERY_CHARS = 64 * 1024

ResultKey = tuple[str, str | None, str]


@dataclass(frozen=True)
class CachedResult:
    """The body of a successful query, and the root field whose resolver checked the token first."""

    body: bytes
    token_field: str | None


def result_key(query: str, operation_name: str | None, variables: dict[str, Any] | None) -> ResultKey | None:
    """The cache key of a request, or ``None`` when it should not be kept."""
    if len(query) > CACHEABLE_QUERY_CHARS:
        return None
    try:
        encoded = json.dumps(variables, sort_keys=True, separators=(",", ":")) if variables else ""
    except (RecursionError, TypeError, ValueError):
        return None
    return query, operation_name, encoded


def _key_size(key: ResultKey) -> int:
    return len(key[0]) + len(key[1] or "") + len(key[2])


class GraphQLHttpApp:
    """The ASGI app behind ``/pbm``: one GraphQL endpoint over one schema and one resolver set."""

    def __init__(self, api: PbmApi) -> None:
        self.api = api
        self.schema = api.schema
        self.root_value = api.resolvers.root_value()
        self.limits_rule: type[QueryLimitsRule] = api.limits_rule
        self.prepare = lru_cache(maxsize=CACHE_SIZE)(self._prepare)
        self.results: BoundedCache[ResultKey, CachedResult] = BoundedCache(
            RESULT_CACHE_SIZE, RESULT_CACHE_BYTES)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        try:
            response = await self._respond(scope, receive)
        except RequestError as exc:
            response = exc.response()
            first = exc.items[0] if exc.items else {}
            code = str(first.get("extensions", {}).get("code", "BAD_REQUEST"))
            explain(scope, refused("graphql", str(first.get("message", code)), code=code,
                                   problems=[str(item.get("message")) for item in exc.items[:20]]))
        except Exception:
            log.exception("PBM mock: unexpected error on %s %s", scope.get("method"), scope.get("path"))
            response = json_response(http_error_body(500), 500)
        await response(scope, receive, send)

    # -- HTTP ------------------------------------------------------------------------------------

    async def _respond(self, scope: Scope, receive: Receive) -> Response:
        root = scope.get("root_path", "")
        full_path: str = scope["path"]
        path = full_path[len(root):] if root and full_path.startswith(root) else full_path
        method: str = scope["method"]
        if path not in GRAPHQL_PATHS:
            return json_response(http_error_body(404, f"Cannot {method} {full_path}"), 404)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if method == "POST":
            payload = self._post_payload(headers.get("content-type", ""), await _read_body(receive))
        elif method == "GET":
            payload = self._get_payload(scope.get("query_string", b"").decode("latin-1"))
        else:
            raise RequestError.bad_request(f"Method {method} is not allowed: send POST, or GET for queries.",
                                           405, {"Allow": "GET, POST"})
        query, variables, operation_name = _check_payload(payload)
        prepared = self.prepare(query) if len(query) <= CACHEABLE_QUERY_CHARS else self._prepare(query)
        if prepared.document is None:
            raise RequestError(prepared.status, prepared.errors)
        operation = _select_operation(prepared, operation_name)
        if method == "GET" and operation is not OperationType.QUERY:
            message = f"Can only perform a {operation.value} operation from a POST request."
            raise RequestError.bad_request(message, 405, {"Allow": "POST"})
        context = RequestContext(self.api.state, headers.get("authorization"))
        key = result_key(query, operation_name, variables) if operation is OperationType.QUERY else None
        if key is not None:
            cached = self.results.get(key)
            if cached is not None:
                response = self._replay(cached, context)
                if context.refused:
                    explain(scope, token_refused(context.refused))
                return response
        try:
            result = execute(self.schema, prepared.document, self.root_value, context, variables,
                             operation_name, is_awaitable=_never_awaitable)
        except RecursionError:
            raise RequestError.bad_request("The request variables are nested too deeply.") from None
        assert isinstance(result, ExecutionResult), "PBM resolvers are synchronous"
        response = self._render(result, variables)
        if context.refused:
            explain(scope, token_refused(context.refused))
        if key is not None and not result.errors and len(response.body) <= CACHEABLE_RESULT_BYTES:
            body = bytes(response.body)
            self.results.put(key, CachedResult(body, context.token_field), len(body) + _key_size(key))
        return response

    @staticmethod
    def _replay(cached: CachedResult, context: RequestContext) -> Response:
        """A cached query result, after the same token check its execution made."""
        if cached.token_field is not None:
            try:
                context.require_token(cached.token_field)
            except FieldError as error:
                return json_response({"errors": [error.item()], "data": None})
        return Response(cached.body, 200, media_type=MEDIA_TYPE)

    @staticmethod
    def _post_payload(content_type: str, body: bytes) -> Any:
        media_type = content_type.split(";", 1)[0].strip().lower()
        if media_type != "application/json":
            shown = f"'{media_type}'" if media_type else "missing"
            raise RequestError.bad_request(f"Content-Type must be application/json (was {shown}).")
        if not body.strip():
            raise RequestError.bad_request("POST body is empty: send a JSON object with a `query` string.")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            raise RequestError.bad_request("POST body is not valid UTF-8.") from None
        return _json(text, "POST body")

    @staticmethod
    def _get_payload(query_string: str) -> dict[str, Any]:
        params: dict[str, Any] = {}
        for key, value in parse_qsl(query_string, keep_blank_values=True):
            params.setdefault(key, value)
        for name in ("variables", "extensions"):
            if name in params:
                params[name] = _json(params[name], f"The `{name}` parameter") if params[name] else None
        return params

    # -- documents -------------------------------------------------------------------------------

    def _prepare(self, query: str) -> Prepared:
        try:
            document = parse(query, max_lexical_tokens=MAX_LEXICAL_TOKENS)
        except GraphQLError as error:
            message = double_quote(_PUNCTUATOR.sub(r'"\1"', error.message))
            return Prepared(None, [graphql_error_item(error, "GRAPHQL_PARSE_FAILED", message)], 400)
        try:
            errors = validate(self.schema, document, [self.limits_rule])
            if not errors:
                errors = validate(self.schema, document, max_errors=MAX_VALIDATION_ERRORS)
        except RecursionError:
            errors = [GraphQLError("Document is nested too deeply.", document.definitions[:1])]
        if errors:
            items = [
                graphql_error_item(e, "GRAPHQL_VALIDATION_FAILED", graphql_js_message(e.message, self.schema))
                for e in errors
            ]
            for item in items:  # every documented validation error has a location
                item.setdefault("locations", [{"line": 1, "column": 1}])
                item["extensions"] = item.pop("extensions")
            return Prepared(None, items, 400)
        operations = {
            (d.name.value if d.name else None): d.operation
            for d in document.definitions
            if isinstance(d, OperationDefinitionNode)
        }
        return Prepared(document, operations=operations)

    # -- results ---------------------------------------------------------------------------------

    def _render(self, result: ExecutionResult, variables: dict[str, Any] | None) -> Response:
        if not result.errors:
            return json_response({"data": result.data})
        if result.data is None and all(error.path is None for error in result.errors):
            # Request errors: the variables could not be coerced (the operation is known to exist).
            raise RequestError(400, [
                graphql_error_item(e, "BAD_USER_INPUT",
                                   variable_message(e.message, variables or {}, self.schema))
                for e in result.errors
            ])
        status = 200
        items = []
        for error in result.errors:
            original = error.original_error
            if isinstance(original, FieldError):
                items.append(original.item())
                continue
            log.error("PBM mock: resolver failure at %s", error.path, exc_info=original or error)
            items.append(http_exception_item(500, "Internal server error", error.path))
            status = 500
        return json_response({"errors": items, "data": result.data}, status)


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _check_payload(payload: Any) -> tuple[str, dict[str, Any] | None, str | None]:
    if not isinstance(payload, dict):
        raise RequestError.bad_request("The request must be a JSON object with a `query` string.")
    query = payload.get("query")
    if query is None or (isinstance(query, str) and not query.strip()):
        raise RequestError.bad_request("GraphQL operations must contain a non-empty `query`.")
    if not isinstance(query, str):
        raise RequestError.bad_request("`query` must be a string.")
    variables = payload.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise RequestError.bad_request("`variables` must be a JSON object.")
    operation_name = payload.get("operationName")
    if operation_name is not None and not isinstance(operation_name, str):
        raise RequestError.bad_request("`operationName` must be a string.")
    extensions = payload.get("extensions")
    if extensions is not None and not isinstance(extensions, dict):
        raise RequestError.bad_request("`extensions` must be a JSON object.")
    return query, variables, operation_name


def _select_operation(prepared: Prepared, operation_name: str | None) -> OperationType:
    operations = prepared.operations
    if operation_name is None:
        if len(operations) != 1:
            raise RequestError.bad_request(
                "Must provide operation name if query contains multiple operations.")
        return next(iter(operations.values()))
    if operation_name not in operations:
        raise RequestError.bad_request(f'Unknown operation named "{operation_name}".')
    return operations[operation_name]
