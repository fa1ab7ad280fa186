"""``/webhook-business-unit``: callback URLs of a business unit, and the notifications they would get.

Only business (PJ) accounts have a business unit, so personal (PF) accounts get 403 on every
route here. A webhook belongs to the caller's business unit: every PJ user of the unit sees it.
The URL is stored as given, only required to be non-empty (the public example stores a URL
followed by a word).

Notifications are not sent over the network: each one a workflow or step status change would
cause is recorded in the API's outbox (``AssineApi.webhook_outbox()``), one entry per registered
URL, with the payload the spec declares under ``webhooks:``.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from specmock.mocks.assine.bodies import fail_if
from specmock.mocks.assine.crud import checked_body, created, deleter, reader
from specmock.mocks.assine.errors import not_found
from specmock.mocks.assine.hal import Ctx, list_response
from specmock.mocks.assine.store import StepRecord, WebhookRecord, WorkflowRecord
from specmock.mocks.assine.tokens import require_pj

if TYPE_CHECKING:
    from specmock.mocks.assine.api import AssineApi

__all__ = ["create_webhook", "delete_webhook", "get_webhook", "list_webhooks", "notify"]

WEBHOOK_FIELDS = {"id": "int", "url": "str", "user": "int"}


def _render(ctx: Ctx, hook: WebhookRecord) -> dict[str, Any]:
    out: dict[str, Any] = {"id": hook.id, "url": hook.url}
    user = ctx.api.directory.by_id.get(hook.user)
    if user is not None:
        out["_embedded"] = {"user": user.entity(ctx.base)}
    out["_links"] = {"self": ctx.href(f"/webhook-business-unit/{hook.id}")}
    return out


def _unit_hooks(ctx: Ctx) -> list[WebhookRecord]:
    unit = require_pj(ctx).unit
    assert unit is not None
    return [hook for hook in ctx.api.store.webhooks.values() if hook.unit == unit.id]


def _find(ctx: Ctx) -> WebhookRecord:
    wanted = ctx.entity_id()
    for hook in _unit_hooks(ctx):
        if hook.id == wanted:
            return hook
    raise not_found()


async def list_webhooks(ctx: Ctx) -> Response:
    hooks = _unit_hooks(ctx)
    return list_response(ctx, "listWebhooks", "webhook_business_unit", WEBHOOK_FIELDS, hooks,
                         lambda h: {"id": h.id, "url": h.url, "user": h.user}, lambda h: _render(ctx, h))


async def create_webhook(ctx: Ctx) -> Response:
    user = require_pj(ctx)
    assert user.unit is not None
    body, messages = await checked_body(ctx, "createWebhook")
    fail_if(messages)
    store = ctx.api.store
    hook = WebhookRecord(store.next_id("webhook"), user.unit.id, user.id, body["url"])
    store.webhooks[hook.id] = hook
    return created(_render(ctx, hook))


get_webhook = reader(_find, _render)
delete_webhook = deleter(_find, lambda store: store.webhooks)


def notify(api: AssineApi, workflow: WorkflowRecord, step: StepRecord | None, now: float) -> None:
    """Record the notification of a status change for every webhook of the owner's business unit."""
    owner = api.directory.by_id.get(workflow.owner)
    if owner is None or owner.unit is None:
        return
    hooks = [hook for hook in api.store.webhooks.values() if hook.unit == owner.unit.id]
    if not hooks:
        return
    payload = {
        "event": "workflow_step.status_changed" if step is not None else "workflow.status_changed",
        "workflow": {"id": workflow.id, "status": workflow.status},
        "workflowStep": {"id": step.id, "status": step.status} if step is not None else None,
        "date": dt.datetime.fromtimestamp(int(now), dt.UTC).strftime("%Y-%m-%d %H:%M:%S"),
    }
    for hook in hooks:
        api.store.outbox.append({"url": hook.url, "payload": payload})
