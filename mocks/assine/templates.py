"""``/v1/workflow-template``: reusable (type 1) or temporary (type 0) workflow payloads.

The payload is a workflow body whose steps are optional (the public "Usando templates" page).
Creating a template returns a 40-hex integration token and ``_links.edit``, the integration page
that opens it (``https://app.assine.online/integration?id=..&token=..``, plus ``redirectUrl`` when
the settings give one); the token never changes afterwards. Templates belong to their creator.
Temporary templates vanish 24 hours after creation (evaluated when read). ``POST /v1/workflow``
with ``idWorkflowTemplate`` creates a workflow from one.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.responses import Response

from specmock.mocks.assine.bodies import fail_if
from specmock.mocks.assine.crud import checked_body, created, deleter, finder, reader
from specmock.mocks.assine.errors import JsonBody
from specmock.mocks.assine.files import check_documents
from specmock.mocks.assine.hal import Ctx, date_text, list_response, php_date
from specmock.mocks.assine.store import TemplateRecord
from specmock.mocks.core.tokens import opaque_token

__all__ = [
    "create_template",
    "delete_template",
    "get_template",
    "list_templates",
    "update_template",
    "visible_template",
]

APP = "https://app.assine.online"
TEMPORARY_TTL = 86400
TEMPLATE_FIELDS = {"id": "int", "type": "int", "name": "str", "dateCreated": "date"}
FIELDS = ("type", "name", "settings", "template")


def visible_template(ctx: Ctx, template_id: int) -> TemplateRecord | None:
    """The caller's template ``template_id``, unless it is a temporary one past its 24 hours."""
    record = ctx.api.store.templates.get(template_id)
    if record is None or record.owner != ctx.caller.id:
        return None
    if record.type == 0 and ctx.now >= record.created + TEMPORARY_TTL:
        del ctx.api.store.templates[record.id]
        return None
    return record


def _edit_link(record: TemplateRecord) -> str:
    link = f"{APP}/integration?id={record.id}&token={record.token}"
    redirect = record.settings.get("redirectUrl")
    if isinstance(redirect, str) and redirect:
        link += f"&redirectUrl={quote(redirect, safe='')}"
    return link


def _entity(ctx: Ctx, record: TemplateRecord) -> dict[str, Any]:
    return {"id": record.id, "type": record.type, "name": record.name, "settings": record.settings,
            "template": record.payload, "token": record.token, "dateCreated": php_date(record.created),
            "_links": {"self": ctx.href(f"/v1/workflow-template/{record.id}"),
                       "edit": {"href": _edit_link(record)}}}


def _row(record: TemplateRecord) -> dict[str, Any]:
    return {"id": record.id, "type": record.type, "name": record.name,
            "dateCreated": date_text(record.created)}


_find = finder(visible_template)


async def list_templates(ctx: Ctx) -> Response:
    ids = sorted(record.id for record in ctx.api.store.templates.values() if record.owner == ctx.caller.id)
    records = [r for r in (visible_template(ctx, i) for i in ids) if r is not None]
    return list_response(ctx, "listWorkflowTemplates", "workflow_template", TEMPLATE_FIELDS, records, _row,
                         lambda r: _entity(ctx, r))


async def create_template(ctx: Ctx) -> Response:
    body, messages = await checked_body(ctx, "createWorkflowTemplate")
    if "template" not in messages and isinstance(body.get("template"), dict):
        check_documents(ctx, body["template"].get("files"), messages, ["template", "files"])
    fail_if(messages)
    store = ctx.api.store
    settings = {"canAddSigners": False, **body.get("settings", {})}
    record = TemplateRecord(store.next_id("template"), ctx.caller.id, body["type"], body["name"], settings,
                            body["template"], opaque_token(), ctx.now)
    store.templates[record.id] = record
    return created(_entity(ctx, record))


get_template = reader(_find, _entity)


async def update_template(ctx: Ctx) -> Response:
    record = _find(ctx)
    body, messages = await checked_body(ctx, "updateWorkflowTemplate", FIELDS)
    if "template" not in messages and isinstance(body.get("template"), dict):
        check_documents(ctx, body["template"].get("files"), messages, ["template", "files"])
    fail_if(messages)
    if "type" in body:
        record.type = body["type"]
    if "name" in body:
        record.name = body["name"]
    if "settings" in body:
        record.settings = {"canAddSigners": False, **body["settings"]}
    if "template" in body:
        record.payload = body["template"]
    return JsonBody(_entity(ctx, record))


delete_template = deleter(_find, lambda store: store.templates)
