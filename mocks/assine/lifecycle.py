"""The workflow state machine (the public "Regras de negócio", with the spec's provisional codes).

Workflow: 0 draft -> 1 in progress -> 2 completed | 3 cancelled | 4 expired. Step: 0 waiting ->
1 pending -> 2 signed | 3 rejected. Rules:

* Signing is strictly sequential: while a workflow is in progress exactly one step is pending
  (the lowest ``order`` not yet signed); signing it makes the next one pending, signing the last
  completes the workflow.
* A rejection, by any signer at any point, cancels the whole workflow; later steps stay waiting.
* ``PATCH status=1`` starts a draft that has at least one step; ``PATCH status=3`` cancels a draft
  or a workflow in progress. A PATCH naming the status the workflow already has changes nothing
  (a PATCH sets fields; a field set to its value is no change), so a retried start or cancel
  succeeds. Completed, cancelled and expired workflows are final: any other transition, signature
  or rejection is 409.
* Once its ``dueDate`` has passed (on the mock's clock) a draft or running workflow is expired.
  This is evaluated lazily, whenever the workflow or its steps are read or acted upon, so moving
  the clock with ``/__mock__/clock/advance`` is enough.
* When a workflow stops (cancelled, rejected or expired) its pending step, if any, goes back to
  waiting: "pending" always means "this signer may sign now".

Every status change is reported to the business unit's webhooks (recorded, see
:mod:`~specmock.mocks.assine.webhooks`). Callers hold ``store.lock``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from specmock.mocks.assine.errors import ApiProblem
from specmock.mocks.assine.store import (
    CANCELLED,
    COMPLETED,
    DRAFT,
    EXPIRED,
    IN_PROGRESS,
    PENDING,
    REJECTED,
    SIGNED,
    WAITING,
    StepRecord,
    WorkflowRecord,
)
from specmock.mocks.assine.webhooks import notify

if TYPE_CHECKING:
    from specmock.mocks.assine.api import AssineApi

__all__ = ["cancel", "refresh", "reject", "sign", "start", "transition"]

OPEN = (DRAFT, IN_PROGRESS)


def _stop(api: AssineApi, workflow: WorkflowRecord, status: int, now: float) -> None:
    workflow.status = status
    for step in workflow.steps:
        if step.status == PENDING:
            step.status = WAITING
            step.changed = now
            step.link = None
    notify(api, workflow, None, now)


def refresh(api: AssineApi, workflow: WorkflowRecord, now: float) -> WorkflowRecord:
    """Expire ``workflow`` if its due date has passed; returns it."""
    if workflow.status in OPEN and workflow.due is not None and now >= workflow.due:
        _stop(api, workflow, EXPIRED, now)
    return workflow


def start(api: AssineApi, workflow: WorkflowRecord, now: float) -> None:
    if not workflow.steps:
        raise ApiProblem(409, "Workflow has no steps to start")
    workflow.status = IN_PROGRESS
    first = workflow.steps[0]
    first.status = PENDING
    first.changed = now
    notify(api, workflow, None, now)
    notify(api, workflow, first, now)


def cancel(api: AssineApi, workflow: WorkflowRecord, now: float) -> None:
    _stop(api, workflow, CANCELLED, now)


def transition(api: AssineApi, workflow: WorkflowRecord, target: int, now: float) -> None:
    """``PATCH /v1/workflow/{id}`` with ``status`` 1 (start) or 3 (cancel); 409 when not allowed.

    The target status the workflow already has is no change (no webhook either).
    """
    refresh(api, workflow, now)
    if target == workflow.status:
        return
    if target == IN_PROGRESS and workflow.status == DRAFT:
        start(api, workflow, now)
    elif target == CANCELLED and workflow.status in OPEN:
        cancel(api, workflow, now)
    else:
        raise ApiProblem(409, f"Workflow status cannot change from {workflow.status} to {target}")


def _pending(api: AssineApi, step_id: int, now: float) -> tuple[WorkflowRecord, StepRecord]:
    step = api.store.steps.get(step_id)
    if step is None:
        raise ApiProblem(404, "Entity was not found")
    workflow = refresh(api, api.store.workflows[step.workflow], now)
    if workflow.status != IN_PROGRESS or step.status != PENDING:
        raise ApiProblem(409, f"Workflow step is not pending (step status {step.status}, "
                              f"workflow status {workflow.status})")
    return workflow, step


def _decide(api: AssineApi, step_id: int, status: int, now: float) -> tuple[WorkflowRecord, StepRecord]:
    """The pending step ``step_id`` takes ``status`` (its link to sign expires); webhooks are told."""
    workflow, step = _pending(api, step_id, now)
    step.status = status
    step.changed = now
    step.link = None
    notify(api, workflow, step, now)
    return workflow, step


def sign(api: AssineApi, step_id: int, now: float) -> StepRecord:
    """The pending step ``step_id`` is signed: the next step becomes pending, or the workflow completes."""
    workflow, step = _decide(api, step_id, SIGNED, now)
    following = [s for s in workflow.steps if s.order > step.order]
    if following:
        following[0].status = PENDING
        following[0].changed = now
        notify(api, workflow, following[0], now)
    else:
        workflow.status = COMPLETED
        notify(api, workflow, None, now)
    return step


def reject(api: AssineApi, step_id: int, now: float) -> StepRecord:
    """The pending step ``step_id`` is rejected: the whole workflow is cancelled."""
    workflow, step = _decide(api, step_id, REJECTED, now)
    workflow.status = CANCELLED
    notify(api, workflow, None, now)
    return step

