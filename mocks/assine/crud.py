"""What the Assine resource handlers share: a JSON body checked against its operation's schema, the
201 answer to a creation, and the handlers that read or delete one record.

A resource module (files, folders, templates, webhooks, workflows) keeps only what is its own: its
records, how it renders them, and the rules its schema cannot state.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol, TypeVar

from starlette.responses import Response

from specmock.mocks.assine.bodies import Messages, decode_json, reject_unknown_fields, schema_messages
from specmock.mocks.assine.errors import JsonBody, not_found
from specmock.mocks.assine.hal import Ctx
from specmock.mocks.assine.store import Store

__all__ = ["checked_body", "created", "deleter", "finder", "owned", "reader"]


class _Record(Protocol):
    @property
    def id(self) -> int: ...


class _Owned(_Record, Protocol):
    @property
    def owner(self) -> int: ...


R = TypeVar("R", bound=_Record)
OwnedT = TypeVar("OwnedT", bound=_Owned)
Handler = Callable[[Ctx], Awaitable[Response]]


async def checked_body(ctx: Ctx, operation_id: str, allowed: Iterable[str] | None = None
                       ) -> tuple[dict[str, Any], Messages]:
    """The request's JSON object and what the operation's schema says of it (``{}`` when valid).

    ``allowed``: the only fields a PATCH may name; another one is a 400 at once.
    """
    request = ctx.request
    body = decode_json(await request.body(), request.headers.get("content-type"))
    if allowed is not None:
        reject_unknown_fields(body, allowed)
    return body, schema_messages(ctx.api.body_validator(operation_id), body)


def created(entity: dict[str, Any]) -> Response:
    """201 with the new entity, its own link as ``Location``."""
    return JsonBody(entity, 201, {"Location": entity["_links"]["self"]["href"]})


def owned(ctx: Ctx, records: Iterable[OwnedT]) -> list[OwnedT]:
    """The caller's own ``records``, by id."""
    user_id = ctx.caller.id
    return sorted((record for record in records if record.owner == user_id), key=lambda record: record.id)


def finder(lookup: Callable[[Ctx, int], R | None]) -> Callable[[Ctx], R]:
    """The record the path's ``{id}`` names, as ``lookup`` sees it for the caller; 404 when none."""

    def find(ctx: Ctx) -> R:
        record = lookup(ctx, ctx.entity_id())
        if record is None:
            raise not_found()
        return record

    return find


def reader(find: Callable[[Ctx], R], render: Callable[[Ctx, R], dict[str, Any]]) -> Handler:
    """``GET /v1/<resource>/{id}``: the record ``find`` gives (it raises the 404), rendered."""

    async def read(ctx: Ctx) -> Response:
        return JsonBody(render(ctx, find(ctx)))

    return read


def deleter(find: Callable[[Ctx], R], table: Callable[[Store], dict[int, Any]]) -> Handler:
    """``DELETE /v1/<resource>/{id}``: the record ``find`` gives dropped from its ``table``; 204."""

    async def delete(ctx: Ctx) -> Response:
        del table(ctx.api.store)[find(ctx).id]
        return Response(status_code=204)

    return delete
