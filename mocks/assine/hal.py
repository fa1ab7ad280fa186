"""HAL rendering: the request context, PHP ``DateTime`` values, and paginated collections.

Every absolute URL is built from the URL the request came in on (scheme, ``Host`` and the mount's
``root_path``), so links work behind any port or proxy. Collections follow zf-hal's paginator:
``self`` and ``last`` carry ``page=N``, ``first`` has none, ``prev``/``next`` appear only when they
exist, every link keeps the request's other query parameters (filters included, ``$USER_ID``
unexpanded), an empty result has only ``self``, and a page past the last one is 409
``Invalid page provided``.

A listing compiles its query once per distinct query text (:func:`listing_plan`, kept by the API),
and a collection whose records have a pre-encoded form is joined from those bytes
(:func:`encoded_collection`) rather than encoded whole; both give the bytes the plain path gives.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl, quote_plus

from starlette.requests import Request
from starlette.responses import Response

from specmock.mocks.assine.errors import ApiProblem, JsonBody, dump_utf8, encoded_body
from specmock.mocks.assine.filters import (
    USER_ID,
    FilterError,
    Predicate,
    Query,
    compile_filter,
    compile_order,
    parse_query,
    sort_records,
)
from specmock.mocks.core.why import spec_violation

if TYPE_CHECKING:
    from specmock.mocks.assine.api import AssineApi
    from specmock.mocks.assine.data import User
    from specmock.mocks.core.openapi import Operation
    from specmock.mocks.core.tokens import TokenRecord

__all__ = ["Ctx", "Plan", "date_text", "list_response", "listing_plan", "parse_input_date", "php_date",
           "uses_caller"]

T = TypeVar("T")
#: ``page`` and ``page_size`` are digit strings; ``page_size`` is bounded by the spec, ``page`` is not.
_STRICT_INT = re.compile(r"[0-9]+")
#: A page number longer than this is past the last page of any collection (and beyond int() limits).
_MAX_PAGE_DIGITS = 1000
_INPUT_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")


def date_text(moment: float) -> str:
    """The ``date`` member of a serialised PHP ``DateTime`` (UTC, whole seconds, as MySQL stores it)."""
    return dt.datetime.fromtimestamp(int(moment), dt.UTC).strftime("%Y-%m-%d %H:%M:%S.000000")


def php_date(moment: float) -> dict[str, Any]:
    return {"date": date_text(moment), "timezone_type": 3, "timezone": "UTC"}


def parse_input_date(text: str) -> float:
    """A ``YYYY-MM-DD HH:MM:SS`` input (UTC) as a timestamp; ``ValueError`` if malformed or not a date."""
    if not _INPUT_DATE.fullmatch(text):
        raise ValueError(text)
    return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=dt.UTC).timestamp()


@dataclass
class Ctx:
    """One request as the handlers see it: who calls, when, and how to build links back to the mock."""

    api: AssineApi
    request: Request
    base: str
    now: float
    params: dict[str, str] = field(default_factory=dict)
    user: User | None = None
    token: TokenRecord | None = None

    @property
    def caller(self) -> User:
        assert self.user is not None, "handler of a public route asked for the caller"
        return self.user

    def href(self, path: str) -> dict[str, str]:
        """A HAL link to ``path`` (relative to the API's base, e.g. ``/v1/user/474``)."""
        return {"href": self.base + path}

    def entity_id(self) -> int:
        """The ``{id}`` of the path; 404 when it is not a positive decimal integer (no entity has it)."""
        raw = self.params.get("id", "")
        if not _STRICT_INT.fullmatch(raw) or int(raw) < 1:
            raise ApiProblem(404, "Entity was not found")
        return int(raw)


def request_base(request: Request) -> str:
    """``scheme://host`` plus the mount's ``root_path``: the base every link of this API starts with."""
    scope = request.scope
    host = request.headers.get("host")
    if not host:
        server = scope.get("server")
        host = f"{server[0]}:{server[1]}" if server else "localhost"
    return f"{scope.get('scheme', 'http')}://{host}{scope.get('root_path', '')}"


@lru_cache(maxsize=512)
def query_pairs(query_string: bytes) -> tuple[tuple[str, str], ...]:
    """The decoded ``(key, value)`` pairs of a query string, as Starlette decodes them (cached)."""
    return tuple(parse_qsl(query_string.decode("latin-1"), keep_blank_values=True))


@lru_cache(maxsize=512)
def kept_query(query_string: bytes) -> str:
    """The request's query without ``page``, re-encoded for links (computed once per distinct query).

    Brackets are encoded and ``$`` kept, as in the documented links (``...%5Bvalue%5D=$USER_ID&page=1``).
    """
    return "&".join(f"{quote_plus(k, safe='$')}={quote_plus(v, safe='$')}"
                    for k, v in query_pairs(query_string) if k != "page")


@lru_cache(maxsize=512)
def parsed_query(query_string: bytes) -> Query:
    """The filter and order-by trees of a query string, decoded once per distinct query (read-only)."""
    return parse_query(query_pairs(query_string))


@lru_cache(maxsize=512)
def uses_caller(query_string: bytes) -> bool:
    """Whether a value of the query holds ``$USER_ID``: only then does its filter depend on the caller."""
    return any(USER_ID in value for _, value in query_pairs(query_string))


@dataclass(frozen=True)
class Plan:
    """A listing's query compiled against one collection's fields (read-only, shared between requests)."""

    fields: Mapping[str, str]
    query: Query
    predicate: Predicate | None
    order: list[tuple[str, str, bool]]


def compile_plan(query_string: bytes, fields: Mapping[str, str], user_id: int | None) -> Plan:
    """Parse and compile a query string for ``fields``; :class:`FilterError` if it is malformed."""
    query = parsed_query(query_string)
    predicate = compile_filter(query.filter, fields, user_id)
    return Plan(fields, query, predicate, compile_order(query.order, fields))


def listing_plan(ctx: Ctx, fields: Mapping[str, str]) -> Plan:
    """The compiled query of this listing request, compiled once per query text, collection and caller.

    A plan is a pure function of those three (the caller only when ``$USER_ID`` appears), so it never
    goes stale; failures are not kept and raise :class:`FilterError` again on the next request. The
    field table is known by identity: each collection passes its module-level table.
    """
    query_string: bytes = ctx.request.scope.get("query_string", b"")
    api = ctx.api
    if not api.cache_listings:
        return compile_plan(query_string, fields, ctx.caller.id)
    caller = ctx.caller.id if uses_caller(query_string) else None
    key = (query_string, id(fields), caller)
    plan = api.plans.get(key)
    if plan is None:  # a kept plan holds its field table, so no other table can take its id()
        plan = compile_plan(query_string, fields, caller)
        api.plans.put(key, plan, len(query_string))
    return plan


def paging(operation: Operation, request: Request) -> tuple[int, int]:
    """``page`` and ``page_size`` of a listing, validated against the operation's parameters (400)."""
    pairs = query_pairs(request.scope.get("query_string", b""))
    given = {k: v for k, v in pairs if k in ("page", "page_size")}
    if not given:
        return 1, 25
    for name, raw in given.items():
        if not _STRICT_INT.fullmatch(raw):
            from specmock.mocks.core.openapi import ParamError  # typed only, above: imported when needed

            problem = ParamError("query", name, "must be a positive integer", "type: integer")
            why = spec_violation(operation.operation_id, [problem], operation.method, operation.path)
            raise ApiProblem(400, f"Invalid query parameter [{name}]: {problem.message}", why=why)
        if name == "page" and len(raw) > _MAX_PAGE_DIGITS:
            # The spec allows any integer >= 1, and no collection has that many pages.
            raise ApiProblem(409, "Invalid page provided")
    values, errors = operation.validate_params(request.query_params)
    if errors:
        error = errors[0]
        raise ApiProblem(400, f"Invalid query parameter [{error.name}]: {error.message}",
                         why=spec_violation(operation.operation_id, errors, operation.method, operation.path))
    return int(values.get("page", 1)), int(values.get("page_size", 25))


def _links(ctx: Ctx, page: int, page_count: int) -> dict[str, dict[str, str]]:
    request = ctx.request
    url = ctx.base + request.scope["path"][len(request.scope.get("root_path", "")):]
    kept = kept_query(request.scope.get("query_string", b""))

    def href(number: int | None) -> dict[str, str]:
        if number is None:
            return {"href": f"{url}?{kept}" if kept else url}
        return {"href": f"{url}?{kept}&page={number}" if kept else f"{url}?page={number}"}

    links = {"self": href(page)}
    if page_count:
        links["first"] = href(None)
        links["last"] = href(page_count)
        if page > 1:
            links["prev"] = href(page - 1)
        if page < page_count:
            links["next"] = href(page + 1)
    return links


def _page_count(total: int, page: int, size: int) -> int:
    page_count = -(-total // size)
    if page_count and page > page_count:
        raise ApiProblem(409, "Invalid page provided")
    return page_count


def collection(ctx: Ctx, name: str, records: Sequence[T], page: int, size: int,
               render: Callable[[T], dict[str, Any]]) -> dict[str, Any]:
    """The HAL page ``page`` of ``records`` (already filtered and ordered)."""
    total = len(records)
    page_count = _page_count(total, page, size)
    start = (page - 1) * size
    return {
        "_links": _links(ctx, page, page_count),
        "_embedded": {name: [render(record) for record in records[start:start + size]]},
        "page_count": page_count,
        "page_size": size,
        "total_items": total,
        "page": page,
    }


def encoded_collection(ctx: Ctx, name: str, records: Sequence[T], page: int, size: int,
                       encode: Callable[[T], bytes | None]) -> bytes | None:
    """``dump(collection(...))`` assembled from each record's JSON as ``encode`` gives it (pre-encoded).

    ``None`` when some part needs :func:`dump`'s ASCII fallback, which applies to a body as a whole.
    """
    total = len(records)
    page_count = _page_count(total, page, size)
    start = (page - 1) * size
    items: list[bytes] = []
    for record in records[start:start + size]:
        item = encode(record)
        if item is None:
            return None
        items.append(item)
    links, label = dump_utf8(_links(ctx, page, page_count)), dump_utf8(name)
    if links is None or label is None:
        return None
    # The members in collection()'s order, with dump()'s separators.
    return b"".join((b'{"_links":', links, b',"_embedded":{', label, b":[", b",".join(items),
                     b']},"page_count":%d,"page_size":%d,"total_items":%d,"page":%d}'
                     % (page_count, size, total, page)))


def list_response(
    ctx: Ctx,
    operation_id: str,
    name: str,
    fields: Mapping[str, str],
    records: Sequence[T],
    row_of: Callable[[T], Mapping[str, Any]],
    render: Callable[[T], dict[str, Any]],
    guard: Callable[[Query, list[T]], None] | None = None,
    encode: Callable[[T], bytes | None] | None = None,
) -> Response:
    """A filtered, ordered HAL page of ``records`` (in id order) as the response to a listing.

    The filter is compiled once per distinct query (see :func:`listing_plan`) and evaluated on each
    record's row; only the page's records are rendered. ``guard`` may refuse the matched records
    (link-to-sign answers 409 that way). ``encode``, if given, is ``render`` already encoded by
    :func:`dump` (kept between requests; ``None`` when not UTF-8-encodable): the page is then joined
    from those bytes instead of being encoded whole.
    """
    page, size = paging(ctx.api.operation(operation_id), ctx.request)
    try:
        plan = listing_plan(ctx, fields)
    except FilterError as error:
        raise ApiProblem(400, str(error)) from None
    predicate = plan.predicate
    matched = [r for r in records if predicate(row_of(r))] if predicate is not None else list(records)
    if guard is not None:
        guard(plan.query, matched)
    matched = sort_records(matched, plan.order, row_of)
    if encode is not None and ctx.api.cache_listings:
        body = encoded_collection(ctx, name, matched, page, size, encode)
        if body is not None:
            return encoded_body(body)
    return JsonBody(collection(ctx, name, matched, page, size, render))
