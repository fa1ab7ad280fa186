"""``/v1/user`` and ``/v1/business-unit/{id}``: the seeded directory, read-only.

Visibility (not public, so decided here): any authenticated caller may list and read every user
and business unit of the mock — the seeded data exists to make pages and filters meaningful.
``$USER_ID`` in a filter is the caller's own id, which is how a client learns who it is and
whether it is a PJ account (``_embedded.businessUnit`` present).

This listing is the hot path of the benchmark. The directory is immutable for the life of the API
(no route changes a user, and reset leaves them as they are), so the API keeps, across requests
and resets: each user's encoded entity per base URL (pages are joined from those bytes), and
each encoded page, a pure function of the URL the request came in on (base, path, query string)
and, when the filter says ``$USER_ID``, of the caller. Error answers (400, 409) are never kept.
With ``AssineApi.cache_listings`` off, every answer is computed and encoded from scratch.
"""

from __future__ import annotations

from starlette.responses import Response

from specmock.mocks.assine.data import USER_FIELDS, User
from specmock.mocks.assine.errors import JsonBody, dump_utf8, encoded_body, not_found
from specmock.mocks.assine.hal import Ctx, list_response, uses_caller

__all__ = ["get_business_unit", "get_user", "list_users"]


def _entity_bytes(ctx: Ctx, user: User) -> bytes | None:
    """``dump(user.entity(base))``, encoded once per base; ``None`` if it needs the ASCII fallback."""
    cache = ctx.api.user_entities
    key = (ctx.base, user.id)
    body = cache.get(key)
    if body is None:
        body = dump_utf8(user.entity(ctx.base))
        if body is not None:
            cache.put(key, body, len(body) + len(ctx.base))
    return body


def _page(ctx: Ctx) -> Response:
    base = ctx.base
    return list_response(ctx, "listUsers", "user", USER_FIELDS, ctx.api.directory.users,
                         lambda user: user.row, lambda user: user.entity(base),
                         encode=lambda user: _entity_bytes(ctx, user))


async def list_users(ctx: Ctx) -> Response:
    api = ctx.api
    if not api.cache_listings:
        return _page(ctx)
    scope = ctx.request.scope
    query_string: bytes = scope.get("query_string", b"")
    # The same relative path the page's links are built from.
    path: str = scope["path"][len(scope.get("root_path", "")):]
    key = (ctx.base, path, query_string, ctx.caller.id if uses_caller(query_string) else None)
    body = api.user_pages.get(key)
    if body is not None:
        return encoded_body(body)
    response = _page(ctx)
    body = bytes(response.body)
    api.user_pages.put(key, body, len(body) + len(ctx.base) + len(path) + len(query_string))
    return response


async def get_user(ctx: Ctx) -> Response:
    user = ctx.api.directory.by_id.get(ctx.entity_id())
    if user is None:
        raise not_found()
    body = _entity_bytes(ctx, user) if ctx.api.cache_listings else None
    return encoded_body(body) if body is not None else JsonBody(user.entity(ctx.base))


async def get_business_unit(ctx: Ctx) -> Response:
    unit = ctx.api.directory.units.get(ctx.entity_id())
    if unit is None:
        raise not_found()
    return JsonBody(unit.entity(ctx.base))
