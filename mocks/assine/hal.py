"""HAL rendering: the request context, PHP ``DateTime`` values, and paginated collections.

Every absolute URL is built from the URL the request came in on (scheme, ``Host`` and the mount's
``root_path``), so links work behind any port or proxy. Collections follow zf-hal's paginator:
``self`` and ``last`` carry ``page=N``, ``first`` has none, ``prev``/``next`` appear only when they
exist, every link keeps the request's other query parameters (filters included, ``$USER_ID``
unexpanded), an empty result has only ``self``, and a page past the last one is 409
``Invalid page provided``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import parse_qsl, quote_plus

from specmock.mocks.assine.filters import (
    FilterError,
    Query,
    compile_filter,
    compile_order,
    parse_query,
    sort_records,
)
from specmock.mocks.assine.problems import ApiProblem, JsonBody
from starlette.requests import Request
from starlette.responses import Response

if TYPE_CHECKING:
    from specmock.mocks.assine.api import AssineApi
    from specmock.mocks.assine.data import User
    from specmock.mocks.core.openapi import Operation
    from specmock.mocks.core.tokens import TokenRecord

__all__ = ["Ctx", "date_text", "list_response", "parse_input_date", "php_date"]

T = TypeVar("T")
_STRICT_INT = re.compile(r"[0-9]{1,9}")
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


def paging(operation: Operation, request: Request) -> tuple[int, int]:
    """``page`` and ``page_size`` of a listing, validated against the operation's parameters (400)."""
    pairs = query_pairs(request.scope.get("query_string", b""))
    given = {k: v for k, v in pairs if k in ("page", "page_size")}
    if not given:
        return 1, 25
    for name, raw in given.items():
        if not _STRICT_INT.fullmatch(raw):
            raise ApiProblem(400, f"Invalid query parameter [{name}]: must be a positive integer")
    values, errors = operation.validate_params(request.query_params)
    if errors:
        error = errors[0]
        raise ApiProblem(400, f"Invalid query parameter [{error.name}]: {error.message}")
    return int(values.get("page", 1)), int(values.get("page_size", 25))


def collection(ctx: Ctx, name: str, records: Sequence[T], page: int, size: int,
               render: Callable[[T], dict[str, Any]]) -> dict[str, Any]:
    """The HAL page ``page`` of ``records`` (already filtered and ordered)."""
    total = len(records)
    page_count = -(-total // size)
    if page_count and page > page_count:
        raise ApiProblem(409, "Invalid page provided")
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
    start = (page - 1) * size
    return {
        "_links": links,
        "_embedded": {name: [render(record) for record in records[start:start + size]]},
        "page_count": page_count,
        "page_size": size,
        "total_items": total,
        "page": page,
    }


def list_response(
    ctx: Ctx,
    operation_id: str,
    name: str,
    fields: Mapping[str, str],
    records: Sequence[T],
    row_of: Callable[[T], Mapping[str, Any]],
    render: Callable[[T], dict[str, Any]],
    guard: Callable[[Query, list[T]], None] | None = None,
) -> Response:
    """A filtered, ordered HAL page of ``records`` (in id order) as the response to a listing.

    The filter is compiled once and evaluated on each record's row; only the page's records are
    rendered. ``guard`` may refuse the matched records (link-to-sign answers 409 that way).
    """
    page, size = paging(ctx.api.operation(operation_id), ctx.request)
    try:
        query = parsed_query(ctx.request.scope.get("query_string", b""))
        predicate = compile_filter(query.filter, fields, ctx.caller.id)
        order = compile_order(query.order, fields)
    except FilterError as error:
        raise ApiProblem(400, str(error)) from None
    matched = [r for r in records if predicate(row_of(r))] if predicate is not None else list(records)
    if guard is not None:
        guard(query, matched)
    matched = sort_records(matched, order, row_of)
    return JsonBody(collection(ctx, name, matched, page, size, render))
