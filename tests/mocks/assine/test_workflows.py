"""Workflow lifecycle: sequential signing, rejection, due dates, final states, steps and links to sign."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from specmock.mocks.assine.errors import ApiProblem
from tests.mocks.assine.support import (
    API,
    PF,
    api_of,
    bearer,
    new_file,
    raw_client,
    token,
    workflow_body,
)

DRAFT, IN_PROGRESS, COMPLETED, CANCELLED, EXPIRED = 0, 1, 2, 3, 4
WAITING, PENDING, SIGNED, REJECTED = 0, 1, 2, 3


def create(client: httpx.Client, auth: dict[str, str], files: int = 2, steps: int = 2,
           **options: Any) -> dict[str, Any]:
    ids = [new_file(client, auth) for _ in range(files)]
    response = client.post(f"{API}/v1/workflow", json=workflow_body(ids, steps, **options), headers=auth)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def read(client: httpx.Client, auth: dict[str, str], workflow_id: int) -> dict[str, Any]:
    response = client.get(f"{API}/v1/workflow/{workflow_id}", headers=auth)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def statuses(workflow: dict[str, Any]) -> list[int]:
    return [step["status"] for step in workflow["_embedded"]["workflowSteps"]]


def patch(client: httpx.Client, auth: dict[str, str], workflow_id: int, body: Any) -> httpx.Response:
    return client.patch(f"{API}/v1/workflow/{workflow_id}", json=body, headers=auth)


def test_create_start_and_sign_in_order_until_completed(app: Starlette, client: httpx.Client,
                                                        auth: dict[str, str]) -> None:
    workflow = create(client, auth, files=2, steps=2, message="Assine, por favor", sla="48", priority=1)
    assert workflow["status"] == DRAFT and statuses(workflow) == [WAITING] * 4
    steps = workflow["_embedded"]["workflowSteps"]
    files = [f["idFile"] for f in workflow["_embedded"]["files"]]
    assert [s["order"] for s in steps] == [1, 2, 3, 4]
    assert [s["idFile"] for s in steps] == [files[0], files[0], files[1], files[1]]
    assert (workflow["sla"], workflow["priority"], workflow["message"]) == ("48", 1, "Assine, por favor")

    started = patch(client, auth, workflow["id"], {"status": 1})
    assert started.status_code == 200 and statuses(started.json()) == [PENDING, WAITING, WAITING, WAITING]
    api = api_of(app)
    with pytest.raises(ApiProblem) as out_of_turn:
        api.sign_step(steps[1]["id"])
    assert out_of_turn.value.status == 409
    for done, step in enumerate(steps, start=1):
        assert sum(s == PENDING for s in statuses(read(client, auth, workflow["id"]))) == 1
        api.sign_step(step["id"])
        current = read(client, auth, workflow["id"])
        assert statuses(current)[:done] == [SIGNED] * done
    assert read(client, auth, workflow["id"])["status"] == COMPLETED
    assert patch(client, auth, workflow["id"], {"status": 3}).status_code == 409


def test_signing_over_http_with_the_mock_only_routes(app: Starlette, client: httpx.Client,
                                                     auth: dict[str, str]) -> None:
    workflow = create(client, auth, files=1, steps=2, autoInitiate=1)
    assert workflow["status"] == IN_PROGRESS
    first, second = (s["id"] for s in workflow["_embedded"]["workflowSteps"])
    raw = raw_client(app)
    signed = raw.post(f"{API}/__mock__/workflow-step/{first}/sign")
    assert signed.status_code == 200 and signed.json()["status"] == SIGNED
    again = raw.post(f"{API}/__mock__/workflow-step/{first}/sign")
    assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"
    assert raw.post(f"{API}/__mock__/workflow-step/999999/reject").status_code == 404
    assert raw.get(f"{API}/__mock__/workflow-step/{second}/sign").status_code == 405
    assert raw.post(f"{API}/__mock__/workflow-step/{second}/sign").status_code == 200
    assert read(client, auth, workflow["id"])["status"] == COMPLETED


def test_a_rejection_cancels_everything(app: Starlette, client: httpx.Client, auth: dict[str, str]) -> None:
    workflow = create(client, auth, files=1, steps=3, autoInitiate=1)
    first, second, third = (s["id"] for s in workflow["_embedded"]["workflowSteps"])
    api = api_of(app)
    api.sign_step(first)
    api.reject_step(second)
    current = read(client, auth, workflow["id"])
    assert current["status"] == CANCELLED and statuses(current) == [SIGNED, REJECTED, WAITING]
    for step_id in (third, second):
        for action in (api.sign_step, api.reject_step):
            with pytest.raises(ApiProblem) as refused:
                action(step_id)
            assert refused.value.status == 409
    assert patch(client, auth, workflow["id"], {"status": 1}).status_code == 409


def test_a_passed_due_date_expires_the_workflow(app: Starlette, client: httpx.Client,
                                                auth: dict[str, str]) -> None:
    due = (dt.datetime.now(dt.UTC) + dt.timedelta(days=2)).strftime("%Y-%m-%d %H:%M:%S")
    workflow = create(client, auth, files=1, steps=2, autoInitiate=1, dueDate=due)
    assert workflow["dueDate"]["date"] == f"{due}.000000"
    client.post("/__mock__/clock/advance", json={"seconds": 3 * 86400 + 60})
    auth = bearer(token(client))  # the login has expired too
    current = read(client, auth, workflow["id"])
    assert current["status"] == EXPIRED and PENDING not in statuses(current)
    with pytest.raises(ApiProblem) as refused:
        api_of(app).sign_step(workflow["_embedded"]["workflowSteps"][0]["id"])
    assert refused.value.status == 409
    assert patch(client, auth, workflow["id"], {"status": 3}).status_code == 409


def test_cancel_a_draft_and_starting_without_steps(client: httpx.Client, auth: dict[str, str]) -> None:
    workflow = create(client, auth, files=1, steps=1)
    assert patch(client, auth, workflow["id"], {"status": 3}).json()["status"] == CANCELLED
    response = patch(client, auth, workflow["id"], {"status": 1})
    assert response.status_code == 409 and "from 3 to 1" in response.json()["detail"]
    file_id = new_file(client, auth)
    payload = {"type": 1, "name": "Sem signatários", "template": {"files": [{"idFile": file_id}]}}
    template = client.post(f"{API}/v1/workflow-template", json=payload, headers=auth).json()
    from_template = {"idWorkflowTemplate": template["id"]}
    empty = client.post(f"{API}/v1/workflow", json=from_template, headers=auth).json()
    response = patch(client, auth, empty["id"], {"status": 1})
    assert (response.status_code, response.json()["detail"]) == (409, "Workflow has no steps to start")
    response = client.post(f"{API}/v1/workflow", json={**from_template, "autoInitiate": 1}, headers=auth)
    assert response.status_code == 422 and "autoInitiate" in response.json()["validation_messages"]


def test_patching_the_current_status_changes_nothing(app: Starlette, client: httpx.Client,
                                                    auth: dict[str, str]) -> None:
    client.post(f"{API}/webhook-business-unit", json={"url": "http://127.0.0.1:9/same"}, headers=auth)
    workflow = create(client, auth, files=1, steps=2, autoInitiate=1)
    told = len(api_of(app).webhook_outbox())
    again = patch(client, auth, workflow["id"], {"status": 1})
    assert again.status_code == 200 and again.json() == read(client, auth, workflow["id"])
    assert statuses(again.json()) == [PENDING, WAITING]
    assert patch(client, auth, workflow["id"], {"status": 3}).json()["status"] == CANCELLED
    told_cancel = len(api_of(app).webhook_outbox())
    assert told_cancel > told
    assert patch(client, auth, workflow["id"], {"status": 3}).status_code == 200
    assert len(api_of(app).webhook_outbox()) == told_cancel
    assert patch(client, auth, workflow["id"], {"status": 1}).status_code == 409


def test_patch_bodies(client: httpx.Client, auth: dict[str, str]) -> None:
    workflow_id = create(client, auth, files=1, steps=1)["id"]
    response = patch(client, auth, workflow_id, {"status": 1, "color": "blue"})
    assert (response.status_code, response.json()["detail"]) == (400, 'Unrecognized field "color"')
    response = patch(client, auth, workflow_id, {"status": 2})
    assert response.status_code == 422
    assert response.json()["validation_messages"] == {"status": {"notInArray": "Valor não permitido"}}
    assert patch(client, auth, workflow_id, {}).json()["validation_messages"] == {
        "status": {"isEmpty": "Campo obrigatório"}}


def test_create_validation(client: httpx.Client, auth: dict[str, str]) -> None:
    file_id = new_file(client, auth)

    def problems(body: Any) -> dict[str, Any]:
        response = client.post(f"{API}/v1/workflow", json=body, headers=auth)
        assert response.status_code == 422, response.text
        messages: dict[str, Any] = response.json()["validation_messages"]
        return messages

    assert "files" in problems({"message": "sem arquivos"})
    assert problems(workflow_body([424242])) == {
        "files": {"0": {"idFile": {"noRecordFound": "Arquivo não encontrado"}}}}
    assert problems(workflow_body([file_id], dueDate="2001-01-01 00:00:00"))["dueDate"] == {
        "dateInPast": "A data limite deve estar no futuro"}
    assert "dateInvalidDate" in problems(workflow_body([file_id], dueDate="31/12/2030"))["dueDate"]
    assert "workflowSteps" in problems({"files": [{"idFile": file_id, "workflowSteps": []}]})["files"]["0"]
    bad_signer = workflow_body([file_id])
    bad_signer["files"][0]["workflowSteps"][0]["user"] = {"name": "Sem e-mail"}
    assert problems(bad_signer)["files"]["0"]["workflowSteps"]["0"]["user"] == {
        "email": {"isEmpty": "Campo obrigatório"}}
    assert problems({"idWorkflowTemplate": 999})["idWorkflowTemplate"] == {
        "noRecordFound": "Template não encontrado"}
    other = bearer(token(client, PF))
    response = client.post(f"{API}/v1/workflow", json=workflow_body([file_id]), headers=other)
    assert response.status_code == 422  # someone else's file is not found for the caller


def test_from_a_template_with_overrides(client: httpx.Client, auth: dict[str, str]) -> None:
    file_id, other_file = new_file(client, auth), new_file(client, auth)
    template = client.post(f"{API}/v1/workflow-template", json={
        "type": 1, "name": "Contrato", "template": {"message": "do template", "priority": 2,
                                                    **workflow_body([file_id], 2)}}, headers=auth).json()
    workflow = client.post(f"{API}/v1/workflow", json={"idWorkflowTemplate": template["id"], "priority": 0},
                           headers=auth).json()
    assert (workflow["message"], workflow["priority"], workflow["idWorkflowTemplate"]) == ("do template", 0,
                                                                                           template["id"])
    assert len(workflow["_embedded"]["workflowSteps"]) == 2
    replaced = client.post(f"{API}/v1/workflow", json={"idWorkflowTemplate": template["id"],
                                                       **workflow_body([other_file], 1)}, headers=auth).json()
    assert [f["idFile"] for f in replaced["_embedded"]["files"]] == [other_file]


def test_steps_collection_and_links_to_sign(app: Starlette, client: httpx.Client,
                                            auth: dict[str, str]) -> None:
    workflow = create(client, auth, files=1, steps=2, autoInitiate=1)
    first, second = (s["id"] for s in workflow["_embedded"]["workflowSteps"])
    by_workflow = {"filter[0][field]": "workflow", "filter[0][type]": "eq",
                   "filter[0][value]": str(workflow["id"])}
    steps = client.get(f"{API}/v1/workflow-step", params=by_workflow, headers=auth).json()
    assert [s["id"] for s in steps["_embedded"]["workflow_step"]] == [first, second]
    assert client.get(f"{API}/v1/workflow-step/{second}", headers=auth).json()["status"] == WAITING

    links = client.get(f"{API}/v1/workflow-step-link-to-sign", headers=auth).json()
    (link,) = links["_embedded"]["workflow_step_link_to_sign"]
    assert link["id"] == first and link["link"].startswith("https://app.assine.online/")
    by_step = {"filter[0][field]": "workflowStep", "filter[0][type]": "eq", "filter[0][value]": str(second)}
    response = client.get(f"{API}/v1/workflow-step-link-to-sign", params=by_step, headers=auth)
    assert (response.status_code, response.json()["detail"]) == (409, "Workflow step is not pending")
    api_of(app).sign_step(first)
    response = client.get(f"{API}/v1/workflow-step-link-to-sign", params=by_step, headers=auth)
    assert [item["id"] for item in response.json()["_embedded"]["workflow_step_link_to_sign"]] == [second]


def test_workflows_belong_to_their_owner(client: httpx.Client, auth: dict[str, str]) -> None:
    workflow = create(client, auth, files=1, steps=1)
    other = bearer(token(client, PF))
    assert client.get(f"{API}/v1/workflow/{workflow['id']}", headers=other).status_code == 404
    step_id = workflow["_embedded"]["workflowSteps"][0]["id"]
    assert client.get(f"{API}/v1/workflow-step/{step_id}", headers=other).status_code == 404
    assert client.get(f"{API}/v1/workflow", headers=other).json()["total_items"] == 0
    mine = client.get(f"{API}/workflow", params={"filter[0][field]": "status", "filter[0][type]": "eq",
                                                 "filter[0][value]": "0"}, headers=auth).json()
    assert [w["id"] for w in mine["_embedded"]["workflow"]] == [workflow["id"]]


def test_status_changes_are_recorded_for_webhooks(app: Starlette, client: httpx.Client,
                                                  auth: dict[str, str]) -> None:
    client.post(f"{API}/webhook-business-unit", json={"url": "http://127.0.0.1:9/hook"}, headers=auth)
    workflow = create(client, auth, files=1, steps=1, autoInitiate=1)
    api_of(app).sign_step(workflow["_embedded"]["workflowSteps"][0]["id"])
    outbox = api_of(app).webhook_outbox()
    events = [(e["payload"]["event"], e["payload"]["workflow"]["status"]) for e in outbox]
    assert events == [("workflow.status_changed", IN_PROGRESS), ("workflow_step.status_changed", IN_PROGRESS),
                      ("workflow_step.status_changed", IN_PROGRESS), ("workflow.status_changed", COMPLETED)]
    assert all(e["url"] == "http://127.0.0.1:9/hook" for e in api_of(app).webhook_outbox())
