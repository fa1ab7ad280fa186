"""``/v1/user`` and ``/v1/business-unit/{id}``: the seeded directory, read-only.

Visibility (not public, so decided here): any authenticated caller may list and read every user
and business unit of the mock — the seeded data exists to make pages and filters meaningful.
``$USER_ID`` in a filter is the caller's own id, which is how a client learns who it is and
whether it is a PJ account (``_embedded.businessUnit`` present). This listing is the hot path of
the benchmark: the rows are prebuilt, the filter is compiled once, only the page is rendered.
"""

from __future__ import annotations

from specmock.mocks.assine.data import USER_FIELDS
from specmock.mocks.assine.hal import Ctx, list_response
from specmock.mocks.assine.problems import JsonBody, not_found
from starlette.responses import Response

__all__ = ["get_business_unit", "get_user", "list_users"]


async def list_users(ctx: Ctx) -> Response:
    base = ctx.base
    return list_response(ctx, "listUsers", "user", USER_FIELDS, ctx.api.directory.users,
                         lambda user: user.row, lambda user: user.entity(base))


async def get_user(ctx: Ctx) -> Response:
    user = ctx.api.directory.by_id.get(ctx.entity_id())
    if user is None:
        raise not_found()
    return JsonBody(user.entity(ctx.base))


async def get_business_unit(ctx: Ctx) -> Response:
    unit = ctx.api.directory.units.get(ctx.entity_id())
    if unit is None:
        raise not_found()
    return JsonBody(unit.entity(ctx.base))
