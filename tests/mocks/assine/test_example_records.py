"""The records the spec's examples name: owned by the example login, as the examples show them.

The spec gives each entity's id parameter the id of that entity's example bodies; the mock's
default account of the vendor's examples owns exactly those records, from the start and again
after every reset, whatever the seed, and what callers create gets ids after them.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import yaml

from specmock.mocks.assine.settings import AssineUser
from specmock.mocks.config import MockConfig
from specmock.specs import path as spec_path
from tests.mocks.assine.support import (
    API,
    BASE,
    PJ,
    USER_ID_FILTER,
    bearer,
    client_for,
    documented,
    make_app,
    token,
)

SPEC_HOST = "https://api-v1.assine.online"


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return yaml.safe_load(spec_path("assine").read_text(encoding="utf-8"))


def example_login(spec: dict[str, Any]) -> tuple[str, str]:
    body = spec["paths"]["/oauth"]["post"]["requestBody"]["content"]["application/json"]
    value = body["examples"]["passwordGrant"]["value"]
    return value["username"], value["password"]


def example_ids(spec: dict[str, Any]) -> dict[str, Any]:
    """Each path parameter of the spec and its example (the id of one entity)."""
    return {name: p["example"] for name, p in spec["components"]["parameters"].items() if p["in"] == "path"}


def entity_example(spec: dict[str, Any], response: str) -> Any:
    """A ``components/responses`` example with the spec's host swapped for the mock's."""
    media = spec["components"]["responses"][response]["content"]["application/hal+json"]
    text = yaml.safe_dump(media["example"], allow_unicode=True)
    return yaml.safe_load(text.replace(SPEC_HOST, f"{BASE}{API}"))


@pytest.fixture
def client() -> httpx.Client:
    return client_for(make_app())


def test_the_spec_login_example_works_on_the_defaults_and_is_the_documented_user(
    spec: dict[str, Any], client: httpx.Client
) -> None:
    auth = bearer(token(client, example_login(spec)))
    body = client.get(f"{API}/v1/user", params=USER_ID_FILTER, headers=auth).json()
    expected = documented("user_page.json")
    text = yaml.safe_dump(expected, allow_unicode=True).replace("https://api.assine.online", f"{BASE}{API}")
    assert body["_embedded"] == yaml.safe_load(text)["_embedded"]


def test_each_path_parameter_example_names_a_record_of_the_example_login(
    spec: dict[str, Any], client: httpx.Client
) -> None:
    auth = bearer(token(client, example_login(spec)))
    ids = example_ids(spec)
    assert ids == {"userId": 474, "businessUnitId": 24, "fileId": 5577, "folderId": 12, "workflowId": 3101,
                   "workflowStepId": 7001, "workflowTemplateId": 88, "webhookId": 50, "accessTokenId": "5347"}
    reads = {"userId": "/v1/user/{}", "businessUnitId": "/v1/business-unit/{}", "fileId": "/v1/file/{}",
             "folderId": "/v1/folder/{}", "workflowId": "/v1/workflow/{}",
             "workflowStepId": "/v1/workflow-step/{}",
             "workflowTemplateId": "/v1/workflow-template/{}", "webhookId": "/webhook-business-unit/{}"}
    for name, template in reads.items():
        response = client.get(API + template.format(ids[name]), headers=auth)
        assert response.status_code == 200, (name, response.text)
        assert response.json()["id"] == ids[name]
    tokens = client.get(f"{API}/v1/access-token", headers=auth).json()["_embedded"]["access_token"]
    assert ids["accessTokenId"] in [t["id"] for t in tokens]
    demo = bearer(token(client, PJ))
    for name, template in reads.items():
        if name not in ("userId", "businessUnitId"):
            assert client.get(API + template.format(ids[name]), headers=demo).status_code == 404, name


@pytest.mark.parametrize(("path", "response"), [
    ("/v1/folder/12", "FolderEntity"),
    ("/v1/workflow/3101", "WorkflowEntity"),
    ("/v1/workflow-step/7001", "WorkflowStepEntity"),
    ("/v1/workflow-template/88", "WorkflowTemplateEntity"),
])
def test_example_records_are_the_spec_examples(spec: dict[str, Any], client: httpx.Client, path: str,
                                               response: str) -> None:
    auth = bearer(token(client, example_login(spec)))
    assert client.get(API + path, headers=auth).json() == entity_example(spec, response)


def test_the_file_and_webhook_examples_keep_their_documented_members(spec: dict[str, Any],
                                                                       client: httpx.Client) -> None:
    auth = bearer(token(client, example_login(spec)))
    file = client.get(f"{API}/v1/file/5577", headers=auth).json()
    doc = documented("file_upload.json")
    assert {k: file[k] for k in ("id", "name", "mimeType", "description", "uuid")} == {
        k: doc[k] for k in ("id", "name", "mimeType", "description", "uuid")}
    download = client.get(f"{API}/v1/file/5577/download", headers=auth)
    assert download.content.startswith(b"%PDF-") and len(download.content) == file["size"]
    hook = client.get(f"{API}/webhook-business-unit/50", headers=auth).json()
    example = entity_example(spec, "WebhookEntity")
    assert (hook["id"], hook["url"], hook["_links"]) == (example["id"], example["url"], example["_links"])
    assert hook["_embedded"]["user"]["id"] == 474


def test_the_documented_application_token_is_token_5347_and_can_be_revoked(spec: dict[str, Any],
                                                                           client: httpx.Client) -> None:
    created = spec["paths"]["/v1/access-token"]["post"]["responses"]["201"]
    body = created["content"]["application/problem+json"]
    value = body["examples"]["plainId"]["value"]["accessToken"]
    documented_auth = bearer(value)
    page = client.get(f"{API}/v1/user", params=USER_ID_FILTER, headers=documented_auth).json()
    (user,) = page["_embedded"]["user"]
    assert user["id"] == 474
    login = bearer(token(client, example_login(spec)))
    assert client.delete(f"{API}/v1/access-token/5347", headers=login).status_code == 204
    assert client.get(f"{API}/v1/user", headers=documented_auth).status_code == 401


def test_the_refresh_grant_example_logs_in_as_the_documented_user(spec: dict[str, Any],
                                                                   client: httpx.Client) -> None:
    body = spec["paths"]["/oauth"]["post"]["requestBody"]["content"]["application/json"]
    refreshed = client.post(f"{API}/oauth", json=body["examples"]["refreshGrant"]["value"])
    assert refreshed.status_code == 200, refreshed.text
    auth = bearer(refreshed.json()["access_token"])
    page = client.get(f"{API}/v1/user", params=USER_ID_FILTER, headers=auth).json()
    assert [user["id"] for user in page["_embedded"]["user"]] == [474]


def test_reset_brings_the_records_back_and_new_ids_come_after_them(spec: dict[str, Any],
                                                                   client: httpx.Client) -> None:
    auth = bearer(token(client, example_login(spec)))
    for path in ("/v1/folder/12", "/v1/file/5577", "/v1/workflow-template/88", "/webhook-business-unit/50",
                 "/v1/access-token/5347"):
        assert client.delete(API + path, headers=auth).status_code == 204, path
    assert client.patch(f"{API}/v1/workflow/3101", json={"status": 3}, headers=auth).json()["status"] == 3
    folder = client.post(f"{API}/v1/folder", json={"name": "Nova"}, headers=auth).json()
    template_body = {"type": 1, "name": "T", "template": {"files": [{"idFile": 5583}]}}
    template = client.post(f"{API}/v1/workflow-template", json=template_body, headers=auth).json()
    from_template = {"idWorkflowTemplate": template["id"]}
    workflow = client.post(f"{API}/v1/workflow", json=from_template, headers=auth).json()
    hook_body = {"url": "https://example.com/x"}
    hook = client.post(f"{API}/webhook-business-unit", json=hook_body, headers=auth).json()
    token_body = {"password": example_login(spec)[1], "expires": "2099-01-01 00:00:00"}
    created = client.post(f"{API}/v1/access-token", json=token_body, headers=auth).json()
    assert (folder["id"], template["id"], workflow["id"], hook["id"]) == (13, 89, 3102, 51)
    assert int(created["id"]) > 5347
    assert client.post("/__mock__/reset").status_code == 200
    auth = bearer(token(client, example_login(spec)))
    for path in ("/v1/folder/12", "/v1/file/5577", "/v1/workflow-template/88", "/webhook-business-unit/50"):
        assert client.get(API + path, headers=auth).status_code == 200, path
    workflow_back = client.get(f"{API}/v1/workflow/3101", headers=auth).json()
    assert workflow_back == entity_example(spec, "WorkflowEntity")
    assert client.get(f"{API}/v1/folder/13", headers=auth).status_code == 404
    file = client.post(f"{API}/v1/file", files={"file": ("a.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")},
                       headers=auth).json()
    assert file["id"] == 5584


def test_the_example_records_do_not_depend_on_the_seed(spec: dict[str, Any]) -> None:
    bodies = []
    for seed in (1, 2024):
        client = client_for(make_app(MockConfig(seed=seed)))
        auth = bearer(token(client, example_login(spec)))
        bodies.append([client.get(f"{API}{path}", headers=auth).json()
                       for path in ("/v1/folder", "/v1/file", "/v1/workflow", "/v1/workflow-step",
                                    "/v1/workflow-template", "/webhook-business-unit")])
    first, second = bodies
    assert first == second and all(page["total_items"] >= 1 for page in first)


def test_without_the_documented_account_nothing_is_seeded() -> None:
    client = client_for(make_app(MockConfig(assine_users={})))
    assert client.get(f"{API}/v1/folder/12").status_code == 403
    # the only account is then user 474, but not the documented one: it owns nothing
    other = MockConfig(assine_users={"x@y.example": AssineUser("x@y.example", "pw", "X", True)})
    client = client_for(make_app(other))
    auth = bearer(token(client, ("x@y.example", "pw")))
    (me,) = client.get(f"{API}/v1/user", params=USER_ID_FILTER, headers=auth).json()["_embedded"]["user"]
    assert me["id"] == 474
    for path in ("/v1/folder", "/v1/file", "/v1/workflow", "/v1/workflow-template", "/v1/access-token"):
        items = client.get(f"{API}{path}", headers=auth).json()["_embedded"]
        assert all(int(item["id"]) not in (12, 5577, 5583, 3101, 88, 5347) for rows in items.values()
                   for item in rows), path
