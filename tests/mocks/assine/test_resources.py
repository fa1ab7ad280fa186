"""Files, folders, templates and webhooks: what is created can be read back, listed and deleted."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from typing import Any

import httpx
import pytest

from tests.mocks.assine.support import (
    API,
    PDF,
    PF,
    bearer,
    documented,
    new_file,
    token,
    upload,
)

# -- files ------------------------------------------------------------------------------------------------


def test_upload_answers_the_documented_shape(client: httpx.Client, auth: dict[str, str]) -> None:
    response = upload(client, auth, name="file-sample.pdf", description="Contrato social")
    assert response.status_code == 201
    body, doc = response.json(), documented("file_upload.json")
    assert set(doc) <= set(body)
    assert (body["name"], body["mimeType"], body["description"]) == ("file-sample.pdf", "application/pdf",
                                                                     "Contrato social")
    assert body["checksum"] == hashlib.sha1(PDF).hexdigest() and body["size"] == len(PDF)
    decoded = base64.b64decode(body["uuid"])
    assert decoded.startswith(b"{good_look}")
    inner = json.loads(decoded[len(b"{good_look}"):])
    assert re.fullmatch(r"[0-9a-f-]{36}", inner["data"]["uuid"])
    assert re.fullmatch(r"[0-9a-f]{64}", inner["hmac"])
    assert response.headers["location"] == body["_links"]["self"]["href"]
    assert client.get(body["_links"]["self"]["href"], headers=auth).json() == body


def test_download_and_delete(client: httpx.Client, auth: dict[str, str]) -> None:
    file_id = upload(client, auth, name="Relatório final.pdf").json()["id"]
    response = client.get(f"{API}/v1/file/{file_id}/download", headers=auth)
    assert response.status_code == 200 and response.content == PDF
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"].startswith('attachment; filename="Relat_rio final.pdf"')
    assert client.delete(f"{API}/v1/file/{file_id}", headers=auth).status_code == 204
    assert client.get(f"{API}/v1/file/{file_id}", headers=auth).status_code == 404


@pytest.mark.parametrize(("content", "fields", "messages"), [
    (b"GIF89a not a pdf", {}, {"file": {"fileMimeTypeFalse": "O arquivo deve ser um PDF"}}),
    (b"", {}, {"file": {"fileMimeTypeFalse": "O arquivo deve ser um PDF"}}),
    (PDF, {"idFolder": "77"}, {"idFolder": {"noRecordFound": "Pasta não encontrada"}}),
    (PDF, {"idFolder": "abc"}, {"idFolder": {"notDigits": "Informe apenas dígitos"}}),
])
def test_upload_validation(client: httpx.Client, auth: dict[str, str], content: bytes, fields: dict[str, str],
                           messages: dict[str, Any]) -> None:
    response = upload(client, auth, content, **fields)
    assert response.status_code == 422
    assert response.json()["validation_messages"] == messages


def test_upload_needs_multipart_and_a_file(client: httpx.Client, auth: dict[str, str]) -> None:
    response = client.post(f"{API}/v1/file", content=PDF, headers={**auth, "Content-Type": "application/pdf"})
    assert response.status_code == 415
    response = client.post(f"{API}/v1/file", files={"other": ("x.pdf", PDF)}, headers=auth)
    assert response.json()["validation_messages"] == {"file": {"isEmpty": "Campo obrigatório"}}
    response = client.post(f"{API}/v1/file", content=b"--x\r\nbroken", headers={
        **auth, "Content-Type": "multipart/form-data; boundary=x"})
    assert response.status_code in (400, 422)


def test_files_are_private_and_filterable(client: httpx.Client, auth: dict[str, str]) -> None:
    mine = [upload(client, auth, name=f"doc-{n}.pdf").json()["id"] for n in range(3)]
    other = bearer(token(client, PF))
    assert client.get(f"{API}/v1/file/{mine[0]}", headers=other).status_code == 404
    assert client.get(f"{API}/v1/file", headers=other).json()["total_items"] == 0
    found = client.get(f"{API}/file", params={"filter[0][field]": "name", "filter[0][type]": "like",
                                              "filter[0][value]": "DOC-%", "filter[1][field]": "id",
                                              "filter[1][type]": "neq", "filter[1][value]": str(mine[1])},
                       headers=auth).json()
    assert [f["id"] for f in found["_embedded"]["file"]] == [mine[0], mine[2]]


# -- folders -----------------------------------------------------------------------------------------------


def folder(client: httpx.Client, auth: dict[str, str], **body: Any) -> dict[str, Any]:
    response = client.post(f"{API}/v1/folder", json=body, headers=auth)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_folders_nest_move_and_refuse_loops(client: httpx.Client, auth: dict[str, str]) -> None:
    root = folder(client, auth, name="Contratos", idParent=0)
    child = folder(client, auth, name="2024", idParent=root["id"])
    assert (root["idParent"], child["idParent"]) == (None, root["id"])
    response = client.patch(f"{API}/v1/folder/{root['id']}", json={"idParent": child["id"]}, headers=auth)
    assert response.status_code == 422 and "idParent" in response.json()["validation_messages"]
    response = client.patch(f"{API}/v1/folder/{child['id']}", json={"name": "2025", "idParent": None},
                            headers=auth)
    assert (response.json()["name"], response.json()["idParent"]) == ("2025", None)
    response = client.patch(f"{API}/v1/folder/{child['id']}", json={"colour": "red"}, headers=auth)
    assert (response.status_code, response.json()["detail"]) == (400, 'Unrecognized field "colour"')
    listed = client.get(f"{API}/v1/folder", headers=auth).json()
    assert [f["name"] for f in listed["_embedded"]["folder"]] == ["Contratos", "2025"]


def test_only_empty_folders_can_be_deleted(client: httpx.Client, auth: dict[str, str]) -> None:
    box = folder(client, auth, name="Caixa")
    file_id = upload(client, auth, idFolder=str(box["id"])).json()["id"]
    response = client.delete(f"{API}/v1/folder/{box['id']}", headers=auth)
    assert (response.status_code, response.json()["detail"]) == (409, "Folder is not empty")
    client.delete(f"{API}/v1/file/{file_id}", headers=auth)
    assert client.delete(f"{API}/v1/folder/{box['id']}", headers=auth).status_code == 204


def test_folder_validation(client: httpx.Client, auth: dict[str, str]) -> None:
    response = client.post(f"{API}/v1/folder", json={"name": ""}, headers=auth)
    assert response.json()["validation_messages"] == {"name": {"isEmpty": "Campo obrigatório"}}
    response = client.post(f"{API}/v1/folder", json={"name": "x", "idParent": 999}, headers=auth)
    assert response.json()["validation_messages"] == {"idParent": {"noRecordFound": "Pasta não encontrada"}}


# -- templates ---------------------------------------------------------------------------------------------


def test_template_token_and_edit_link(client: httpx.Client, auth: dict[str, str]) -> None:
    file_id = new_file(client, auth)
    payload = {"type": 1, "name": "Nome do template",
               "settings": {"canAddSigners": True, "redirectUrl": "https://exemplo.example/fim?x=1"},
               "template": {"message": "Comentário opcional",
                            "files": [{"idFile": file_id, "name": "Meu documento", "specialFields": [],
                                       "workflowSteps": []}]}}
    response = client.post(f"{API}/v1/workflow-template", json=payload, headers=auth)
    assert response.status_code == 201
    created = response.json()
    assert re.fullmatch(r"[0-9a-f]{40}", created["token"])
    assert created["template"] == payload["template"] and created["settings"] == payload["settings"]
    assert created["_links"]["edit"]["href"] == (
        f"https://app.assine.online/integration?id={created['id']}&token={created['token']}"
        "&redirectUrl=https%3A%2F%2Fexemplo.example%2Ffim%3Fx%3D1")
    patched = client.patch(f"{API}/v1/workflow-template/{created['id']}", json={"name": "Outro nome"},
                           headers=auth).json()
    assert (patched["name"], patched["token"]) == ("Outro nome", created["token"])
    assert client.get(f"{API}/v1/workflow-template", headers=auth).json()["total_items"] == 1
    assert client.delete(f"{API}/v1/workflow-template/{created['id']}", headers=auth).status_code == 204
    assert client.get(f"{API}/v1/workflow-template/{created['id']}", headers=auth).status_code == 404


def test_template_validation_and_temporary_templates(client: httpx.Client, auth: dict[str, str]) -> None:
    response = client.post(f"{API}/v1/workflow-template", json={
        "type": 1, "name": "x", "template": {"files": [{"idFile": 31337}]}}, headers=auth)
    assert response.json()["validation_messages"] == {
        "template": {"files": {"0": {"idFile": {"noRecordFound": "Arquivo não encontrado"}}}}}
    response = client.post(f"{API}/v1/workflow-template", json={"type": 3, "template": {}}, headers=auth)
    assert set(response.json()["validation_messages"]) == {"type", "name", "template"}
    file_id = new_file(client, auth)
    temporary = client.post(f"{API}/v1/workflow-template", json={
        "type": 0, "name": "tmp", "template": {"files": [{"idFile": file_id}]}}, headers=auth).json()
    client.post("/__mock__/clock/advance", json={"seconds": 86400 + 1})
    fresh = bearer(token(client))
    assert client.get(f"{API}/v1/workflow-template/{temporary['id']}", headers=fresh).status_code == 404


# -- webhooks ----------------------------------------------------------------------------------------------


def test_webhooks_of_the_business_unit(client: httpx.Client, auth: dict[str, str]) -> None:
    url = "https://webhook.site/b2350d9a-5476-425b-bc98-7028fb8f1ee6 Menguin"
    response = client.post(f"{API}/webhook-business-unit", json={"url": url}, headers=auth)
    assert response.status_code == 201
    created = response.json()
    assert created["url"] == url and created["_embedded"]["user"]["username"] == "demo@empresa.example"
    assert created["_links"]["self"]["href"].endswith(f"{API}/webhook-business-unit/{created['id']}")
    body = client.get(f"{API}/webhook-business-unit", headers=auth).json()
    doc = documented("webhook_list.json")
    assert list(body) == list(doc) and list(body["_embedded"]) == ["webhook_business_unit"]
    (item,) = body["_embedded"]["webhook_business_unit"]
    assert set(doc["_embedded"]["webhook_business_unit"][0]) <= set(item)
    assert client.get(f"{API}/webhook-business-unit/{created['id']}", headers=auth).json() == created
    assert client.delete(f"{API}/webhook-business-unit/{created['id']}", headers=auth).status_code == 204
    response = client.post(f"{API}/webhook-business-unit", json={"url": ""}, headers=auth)
    assert response.json()["validation_messages"] == {"url": {"isEmpty": "Campo obrigatório"}}


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/webhook-business-unit"), ("POST", "/webhook-business-unit"),
    ("GET", "/webhook-business-unit/49"),
    ("DELETE", "/webhook-business-unit/49"),
])
def test_personal_accounts_have_no_webhooks(client: httpx.Client, method: str, path: str) -> None:
    body = {"url": "https://x.example"} if method == "POST" else None
    response = client.request(method, f"{API}{path}", json=body, headers=bearer(token(client, PF)))
    assert response.status_code == 403
    assert response.json()["detail"] == "Only business (PJ) accounts may use this resource"


def test_users_and_business_units_by_id(client: httpx.Client, auth: dict[str, str]) -> None:
    me = client.get(f"{API}/v1/user", params={"filter[0][field]": "id", "filter[0][type]": "eq",
                                              "filter[0][value]": "$USER_ID"}, headers=auth).json()
    user = me["_embedded"]["user"][0]
    assert client.get(user["_links"]["self"]["href"], headers=auth).json() == user
    unit = user["_embedded"]["businessUnit"]
    assert client.get(unit["_links"]["self"]["href"], headers=auth).json() == unit
    for path in ("/v1/user/1", "/v1/user/abc", "/v1/business-unit/0", "/user/99999999999999999999"):
        assert client.get(f"{API}{path}", headers=auth).status_code == 404


def test_a_patch_without_body_changes_nothing_as_the_spec_says(
    client: httpx.Client, auth: dict[str, str]
) -> None:
    from specmock.specs import load

    spec = load("assine")
    for path, operation_id in (("/v1/folder/{id}", "updateFolder"),
                               ("/v1/workflow-template/{id}", "updateWorkflowTemplate")):
        operation = spec["paths"][path]["patch"]
        assert operation["operationId"] == operation_id
        assert operation["requestBody"].get("required", False) is False, operation_id
    created = folder(client, auth, name="Intacta", idParent=0)
    for kwargs in ({}, {"content": b"", "headers": {**auth, "Content-Type": "application/json"}}):
        response = client.patch(f"{API}/v1/folder/{created['id']}", **({"headers": auth} | kwargs))
        assert response.status_code == 200, response.text
        assert response.json() == created


def test_a_parser_log_line_names_the_request(client: httpx.Client, auth: dict[str, str],
                                              caplog: pytest.LogCaptureFixture) -> None:
    # python-multipart logs a bad part header bare ("Found invalid character 13 in header at ..")
    body = (b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n"
            b"Bad\rName: x\r\n\r\n%PDF-1.4\r\n--b--\r\n")
    with caplog.at_level("WARNING", logger="python_multipart"):
        response = client.post(f"{API}/v1/file", content=body,
                               headers={**auth, "Content-Type": "multipart/form-data; boundary=b"})
    assert response.status_code == 400
    lines = [record.getMessage() for record in caplog.records if record.name.startswith("python_multipart")]
    assert lines, "python-multipart logged nothing"
    assert all(line.startswith(f"assine POST {API}/v1/file: ") for line in lines), lines
