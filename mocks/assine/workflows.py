"""``/v1/workflow``, ``/v1/workflow-step``, ``/v1/workflow-step-link-to-sign``, the mock-only signing hooks.

A workflow holds documents (``files[]``, each an uploaded file of the caller) and an ordered list of
steps: all steps of ``files[0]``, then those of ``files[1]`` …, numbered by ``order`` across the
workflow. It is created as a draft, or started at once with ``autoInitiate: 1``; with
``idWorkflowTemplate`` the template's payload is the starting point, top-level fields of the body
override it and ``files`` in the body replace the template's. Workflows and their steps belong to
the creator. The lifecycle rules live in :mod:`~specmock.mocks.assine.lifecycle`.

Signing happens in Assine's web app, which the mock has not got, so the mock adds two control
routes, not part of the spec: ``POST /assine/__mock__/workflow-step/{id}/sign`` and ``.../reject``
(also as ``AssineApi.sign_step`` / ``reject_step``).

Links to sign: without a filter on ``workflowStep`` the collection lists every pending step of
the caller; a filter naming ``workflowStep`` is applied to all the caller's steps and answers 409
when it matches a step that is not pending.
"""

from __future__ import annotations

import secrets
from typing import Any

from starlette.responses import Response

from specmock.mocks.assine import lifecycle
from specmock.mocks.assine.bodies import (
    add_message,
    decode_json,
    fail_if,
    schema_messages,
)
from specmock.mocks.assine.crud import checked_body, created, owned, reader
from specmock.mocks.assine.errors import ApiProblem, JsonBody, not_found, validation_failed
from specmock.mocks.assine.files import check_documents, folder_of, owned_file
from specmock.mocks.assine.filters import FilterError, Query, mentions_field
from specmock.mocks.assine.hal import Ctx, date_text, list_response, parse_input_date, parsed_query, php_date
from specmock.mocks.assine.store import DRAFT, PENDING, WAITING, StepRecord, WorkflowRecord
from specmock.mocks.assine.templates import visible_template

__all__ = [
    "create_workflow",
    "get_step",
    "get_workflow",
    "list_links_to_sign",
    "list_steps",
    "list_workflows",
    "mock_reject",
    "mock_sign",
    "step_entity",
    "update_workflow",
]

OPTIONS = ("autoRemind", "autoInitiate", "dueDate", "message", "priority", "sla")
SIGNER = ("name", "email", "document", "cellphone")
APP = "https://app.assine.online"
LINK_TTL = 86400
WORKFLOW_FIELDS = {"id": "int", "status": "int", "message": "str", "priority": "int", "sla": "str",
                   "autoRemind": "int", "idWorkflowTemplate": "int", "dueDate": "date", "dateCreated": "date"}
STEP_FIELDS = {"id": "int", "idWorkflow": "int", "workflow": "int", "idFile": "int", "order": "int",
               "status": "int", "action": "int", "signatureType": "str", "presential": "bool",
               "dateStatusChanged": "date"}
LINK_FIELDS = {"id": "int", "workflowStep": "int", "link": "str", "expires": "date"}


# -- rendering -------------------------------------------------------------------------------------


def step_entity(base: str, step: StepRecord) -> dict[str, Any]:
    return {"id": step.id, "idWorkflow": step.workflow, "idFile": step.file, "order": step.order,
            "status": step.status, "action": step.action, "user": step.user,
            "signatureType": step.signature_type, "presential": step.presential,
            "signaturePositions": step.positions, "customFields": step.custom_fields,
            "dateStatusChanged": php_date(step.changed) if step.changed is not None else None,
            "_links": {"self": {"href": f"{base}/v1/workflow-step/{step.id}"},
                       "workflow": {"href": f"{base}/v1/workflow/{step.workflow}"}}}


def _step_row(step: StepRecord) -> dict[str, Any]:
    return {"id": step.id, "idWorkflow": step.workflow, "workflow": step.workflow, "idFile": step.file,
            "order": step.order, "status": step.status, "action": step.action,
            "signatureType": step.signature_type, "presential": step.presential,
            "dateStatusChanged": date_text(step.changed) if step.changed is not None else None}


def _entity(ctx: Ctx, workflow: WorkflowRecord) -> dict[str, Any]:
    documents = [{**document, "_links": {"self": ctx.href(f"/v1/file/{document['idFile']}")}}
                 for document in workflow.files]
    return {"id": workflow.id, "status": workflow.status, "message": workflow.message,
            "priority": workflow.priority, "sla": workflow.sla, "autoRemind": workflow.auto_remind,
            "idWorkflowTemplate": workflow.template,
            "dueDate": php_date(workflow.due) if workflow.due is not None else None,
            "dateCreated": php_date(workflow.created),
            "_embedded": {"files": documents,
                          "workflowSteps": [step_entity(ctx.base, s) for s in workflow.steps]},
            "_links": {"self": ctx.href(f"/v1/workflow/{workflow.id}")}}


def _row(workflow: WorkflowRecord) -> dict[str, Any]:
    return {"id": workflow.id, "status": workflow.status, "message": workflow.message,
            "priority": workflow.priority, "sla": workflow.sla, "autoRemind": workflow.auto_remind,
            "idWorkflowTemplate": workflow.template,
            "dueDate": date_text(workflow.due) if workflow.due is not None else None,
            "dateCreated": date_text(workflow.created)}


# -- lookups (each refreshes expiry first) -----------------------------------------------------------


def _owned(ctx: Ctx) -> list[WorkflowRecord]:
    found = owned(ctx, ctx.api.store.workflows.values())
    for workflow in found:
        lifecycle.refresh(ctx.api, workflow, ctx.now)
    return found


def _workflow(ctx: Ctx) -> WorkflowRecord:
    workflow = ctx.api.store.workflows.get(ctx.entity_id())
    if workflow is None or workflow.owner != ctx.caller.id:
        raise not_found()
    return lifecycle.refresh(ctx.api, workflow, ctx.now)


def _steps(ctx: Ctx) -> list[StepRecord]:
    steps = [step for workflow in _owned(ctx) for step in workflow.steps]
    steps.sort(key=lambda s: s.id)
    return steps


# -- workflows ------------------------------------------------------------------------------------


async def list_workflows(ctx: Ctx) -> Response:
    return list_response(ctx, "listWorkflows", "workflow", WORKFLOW_FIELDS, _owned(ctx), _row,
                         lambda w: _entity(ctx, w))


def _merged(ctx: Ctx, body: dict[str, Any]) -> tuple[dict[str, Any], int | None]:
    """The workflow payload: the template's (if any), overridden by the body's fields and files."""
    messages = schema_messages(ctx.api.body_validator("createWorkflow"), body)
    template_id = body.get("idWorkflowTemplate")
    payload: dict[str, Any] = {}
    if "idWorkflowTemplate" in body and "idWorkflowTemplate" not in messages:
        template = visible_template(ctx, template_id)
        if template is None:
            add_message(messages, ["idWorkflowTemplate"], "noRecordFound", "Template não encontrado")
        else:
            payload = dict(template.payload)
    fail_if(messages)
    payload.update({key: body[key] for key in OPTIONS if key in body})
    if "files" in body:
        payload["files"] = body["files"]
    return payload, template_id if "idWorkflowTemplate" in body else None


def _build(ctx: Ctx, payload: dict[str, Any], template_id: int | None, due: float | None) -> WorkflowRecord:
    store = ctx.api.store
    workflow_id = store.next_id("workflow")
    documents: list[dict[str, Any]] = []
    steps: list[StepRecord] = []
    for document in payload.get("files") or []:
        record = owned_file(ctx, document["idFile"])
        documents.append({"idFile": document["idFile"],
                          "name": document.get("name") or (record.name if record else ""),
                          "idFolder": folder_of(document),
                          "specialFields": list(document.get("specialFields") or [])})
        for step in document.get("workflowSteps") or []:
            signer = {key: step["user"][key] for key in SIGNER if key in step["user"]}
            steps.append(StepRecord(
                store.next_id("step"), workflow_id, document["idFile"], len(steps) + 1, WAITING,
                step.get("action", 1), signer, step.get("signatureType", "visible"),
                bool(step.get("presential")),
                list(step.get("signaturePositions") or []), list(step.get("customFields") or []),
            ))
    sla = payload.get("sla")
    return WorkflowRecord(workflow_id, ctx.caller.id, DRAFT, payload.get("message"),
                          payload.get("priority", 0), str(sla) if sla is not None else None,
                          payload.get("autoRemind", 0), template_id, due, ctx.now, documents, steps)


async def create_workflow(ctx: Ctx) -> Response:
    body = decode_json(await ctx.request.body(), ctx.request.headers.get("content-type"))
    if "files" not in body and "idWorkflowTemplate" not in body:
        raise validation_failed({"files": {"isEmpty": "Informe files ou idWorkflowTemplate"}})
    payload, template_id = _merged(ctx, body)
    messages: dict[str, Any] = {}
    check_documents(ctx, payload.get("files"), messages, ["files"])
    due = None
    if isinstance(payload.get("dueDate"), str):
        try:
            due = parse_input_date(payload["dueDate"])
        except ValueError:
            add_message(messages, ["dueDate"], "dateInvalidDate", "Data inválida")
        else:
            if due <= ctx.now:
                add_message(messages, ["dueDate"], "dateInPast", "A data limite deve estar no futuro")
    start = payload.get("autoInitiate", 0) == 1
    if start and not any(d.get("workflowSteps") for d in payload.get("files") or []):
        add_message(messages, ["autoInitiate"], "noSteps", "Um fluxo sem etapas não pode ser iniciado")
    fail_if(messages)
    workflow = _build(ctx, payload, template_id, due)
    store = ctx.api.store
    store.workflows[workflow.id] = workflow
    for step in workflow.steps:
        store.steps[step.id] = step
    if start:
        lifecycle.start(ctx.api, workflow, ctx.now)
    return created(_entity(ctx, workflow))


get_workflow = reader(_workflow, _entity)


async def update_workflow(ctx: Ctx) -> Response:
    workflow = _workflow(ctx)
    body, messages = await checked_body(ctx, "updateWorkflow", ("status",))
    fail_if(messages)
    lifecycle.transition(ctx.api, workflow, body["status"], ctx.now)
    return JsonBody(_entity(ctx, workflow))


# -- steps and links to sign -----------------------------------------------------------------------


async def list_steps(ctx: Ctx) -> Response:
    base = ctx.base
    return list_response(ctx, "listWorkflowSteps", "workflow_step", STEP_FIELDS, _steps(ctx), _step_row,
                         lambda s: step_entity(base, s))


async def get_step(ctx: Ctx) -> Response:
    step = ctx.api.store.steps.get(ctx.entity_id())
    workflow = ctx.api.store.workflows.get(step.workflow) if step is not None else None
    if step is None or workflow is None or workflow.owner != ctx.caller.id:
        raise not_found()
    lifecycle.refresh(ctx.api, workflow, ctx.now)
    return JsonBody(step_entity(ctx.base, step))


def _link(step: StepRecord, now: float) -> tuple[str, float]:
    if step.link is None or now >= step.link[1]:
        step.link = (f"{APP}/sign/{secrets.token_hex(20)}", now + LINK_TTL)
    return step.link


async def list_links_to_sign(ctx: Ctx) -> Response:
    try:
        query = parsed_query(ctx.request.scope.get("query_string", b""))
        by_step = mentions_field(query.filter, "workflowStep")
    except FilterError:
        by_step = False  # the listing below reports the malformed filter
    steps = [s for s in _steps(ctx) if by_step or s.status == PENDING]
    now = ctx.now
    links = {s.id: _link(s, now) for s in steps if s.status == PENDING}

    def row(step: StepRecord) -> dict[str, Any]:
        link = links.get(step.id)
        return {"id": step.id, "workflowStep": step.id, "link": link[0] if link else None,
                "expires": date_text(link[1]) if link else None}

    def guard(query: Query, matched: list[StepRecord]) -> None:
        if any(step.status != PENDING for step in matched):
            raise ApiProblem(409, "Workflow step is not pending")

    def render(step: StepRecord) -> dict[str, Any]:
        link, expires = links[step.id]
        return {"id": step.id, "link": link, "expires": php_date(expires),
                "_links": {"self": ctx.href(f"/v1/workflow-step/{step.id}")}}

    return list_response(ctx, "listWorkflowStepLinksToSign", "workflow_step_link_to_sign", LINK_FIELDS, steps,
                         row, render, guard)


# -- mock-only control routes (not in the spec) --------------------------------------------------------


async def mock_sign(ctx: Ctx) -> Response:
    """Mock-only: the pending step ``{id}`` is signed, as if its signer had signed in the web app."""
    step = ctx.api.sign_step(ctx.entity_id())
    return JsonBody(step_entity(ctx.base, step))


async def mock_reject(ctx: Ctx) -> Response:
    """Mock-only: the pending step ``{id}`` is rejected, which cancels its workflow."""
    step = ctx.api.reject_step(ctx.entity_id())
    return JsonBody(step_entity(ctx.base, step))
