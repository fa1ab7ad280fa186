"""Assine-specific checks of ``assine.openapi.yaml``.

Generic rules shared by every spec (validator, examples, error schemas, Retry-After) live in
``test_openapi_specs.py``; this module pins what Assine Online's public documentation shows (the
bodies copied under ``tests/data/assine``) and the design choices the mock and the contract suites
rely on: paths, collection names, content types, status codes and the filter grammar.

About ``webhook_list.json``: the public "Webhook" page's example is cut off inside the embedded
user (after the business unit's ``segmentMarket``). The copy keeps the published beginning
verbatim (``http://localhost`` links, the URL with its trailing word, ids 49 and 40) and fills the
rest minimally: placeholder user and business-unit values (with the user fields that page names:
``position``, ``whatsappNumber``, ``notifyWhatsapp``, ``roleDefault``), the closing ``_links`` and
the page counters.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator

from tests.specs.openapi_doc import operations, resolve, validator

ROOT = Path(__file__).resolve().parents[2]
SPEC_FILE = ROOT / "specs" / "assine.openapi.yaml"
DATA = ROOT / "tests" / "data" / "assine"

PROBLEM = "application/problem+json"
HAL = "application/hal+json"
JSON = "application/json"
UNPREFIXED = {"/oauth", "/oauth/revoke", "/webhook-business-unit", "/webhook-business-unit/{id}"}
OAUTH_OPS = {"createToken", "revokeToken"}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    with SPEC_FILE.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def data(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def escape(part: str) -> str:
    return part.replace("~", "~0").replace("/", "~1")


def schema_validator(spec: dict[str, Any], name: str) -> Draft202012Validator:
    return validator(spec, f"/components/schemas/{name}")


def find(spec: dict[str, Any], operation_id: str) -> tuple[str, str, dict[str, Any]]:
    for path, method, op in operations(spec):
        if op["operationId"] == operation_id:
            return path, method, op
    raise KeyError(operation_id)


def response(spec: dict[str, Any], operation_id: str, status: str) -> dict[str, Any]:
    return resolve(spec, find(spec, operation_id)[2]["responses"][status])


def response_pointer(spec: dict[str, Any], operation_id: str, status: str, media_type: str) -> str:
    """JSON pointer of the schema of one response media type (through a ``components/responses`` ref)."""
    path, method, op = find(spec, operation_id)
    node = op["responses"][status]
    if "$ref" in node:
        base = node["$ref"].removeprefix("#")
    else:
        base = f"/paths/{escape(path)}/{method}/responses/{status}"
    return f"{base}/content/{escape(media_type)}/schema"


def response_validator(
    spec: dict[str, Any], operation_id: str, status: str, media_type: str
) -> Draft202012Validator:
    return validator(spec, response_pointer(spec, operation_id, status, media_type))


def examples(media: dict[str, Any]) -> dict[str, Any]:
    if "example" in media:
        return {"example": media["example"]}
    return {name: ex["value"] for name, ex in media.get("examples", {}).items()}


def errors_of(v: Draft202012Validator, body: Any) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in v.iter_errors(body)]


# --- documented bodies ------------------------------------------------------------------------------

DOCUMENTED = [
    ("user_page.json", "listUsers", "200", HAL),
    ("access_token_created.json", "createAccessToken", "201", PROBLEM),
    ("access_token_list.json", "listAccessTokens", "200", HAL),
    ("oauth_token_sessao.json", "createToken", "200", JSON),
    ("oauth_token_quickstart.json", "createToken", "200", JSON),
    ("oauth_invalid_grant.json", "createToken", "401", PROBLEM),
    ("file_upload.json", "uploadFile", "201", HAL),
    ("file_upload.json", "getFile", "200", HAL),
    ("webhook_list.json", "listWebhooks", "200", HAL),
]


@pytest.mark.parametrize(("data_file", "operation_id", "status", "media_type"), DOCUMENTED)
def test_documented_body_validates_against_its_response_schema(
    spec: dict[str, Any], data_file: str, operation_id: str, status: str, media_type: str
) -> None:
    v = response_validator(spec, operation_id, status, media_type)
    assert errors_of(v, data(data_file)) == []


@pytest.mark.parametrize(("data_file", "operation_id", "status", "media_type"), DOCUMENTED)
def test_spec_keeps_the_documented_body_as_an_example(
    spec: dict[str, Any], data_file: str, operation_id: str, status: str, media_type: str
) -> None:
    media = response(spec, operation_id, status)["content"][media_type]
    assert data(data_file) in examples(media).values()


def test_documented_quirks_are_kept() -> None:
    created = data("access_token_created.json")
    assert created["id"].split("?", 1)[0] == "5347" and "?q=verify&" in created["id"]
    assert list(created)[-4:] == ["type", "title", "status", "detail"]
    listing = data("access_token_list.json")
    assert listing["total_items"] == 3 and len(listing["_embedded"]["access_token"]) == 2
    assert [t["id"] for t in listing["_embedded"]["access_token"]] == ["5320", "5347"]
    assert data("oauth_token_sessao.json")["expires_in"] == 3600
    assert data("oauth_token_quickstart.json")["expires_in"] == "86400"
    user = data("user_page.json")["_embedded"]["user"][0]
    assert user["status"] == "1" and user["_embedded"]["businessUnit"]["status"] is None
    assert data("webhook_list.json")["_embedded"]["webhook_business_unit"][0]["url"].endswith(" Menguin")


# --- hosts, paths, operations -----------------------------------------------------------------------


def test_servers_are_the_current_production_and_homologation_hosts(spec: dict[str, Any]) -> None:
    assert [s["url"] for s in spec["servers"]] == [
        "https://api-v1.assine.online",
        "https://api-v1-hom.assine.online",
    ]
    assert spec["openapi"] == "3.1.0"
    assert spec["x-specmock-error-schemas"] == ["ApiProblem", "ApiProblemValidation"]


def test_paths_carry_v1_except_oauth_and_webhooks(spec: dict[str, Any]) -> None:
    for path in spec["paths"]:
        assert path.startswith("/v1/") or path in UNPREFIXED, path
        assert "assine.online" not in path
    assert set(spec["paths"]) >= UNPREFIXED


def test_operation_inventory(spec: dict[str, Any]) -> None:
    found = {(method.upper(), path) for path, method, _ in operations(spec)}
    assert found == {
        ("POST", "/oauth"),
        ("POST", "/oauth/revoke"),
        ("GET", "/v1/access-token"),
        ("POST", "/v1/access-token"),
        ("DELETE", "/v1/access-token/{id}"),
        ("GET", "/v1/user"),
        ("GET", "/v1/user/{id}"),
        ("GET", "/v1/business-unit/{id}"),
        ("GET", "/v1/file"),
        ("POST", "/v1/file"),
        ("GET", "/v1/file/{id}"),
        ("DELETE", "/v1/file/{id}"),
        ("GET", "/v1/file/{id}/download"),
        ("GET", "/v1/folder"),
        ("POST", "/v1/folder"),
        ("GET", "/v1/folder/{id}"),
        ("PATCH", "/v1/folder/{id}"),
        ("DELETE", "/v1/folder/{id}"),
        ("GET", "/v1/workflow"),
        ("POST", "/v1/workflow"),
        ("GET", "/v1/workflow/{id}"),
        ("PATCH", "/v1/workflow/{id}"),
        ("GET", "/v1/workflow-step"),
        ("GET", "/v1/workflow-step/{id}"),
        ("GET", "/v1/workflow-step-link-to-sign"),
        ("GET", "/v1/workflow-template"),
        ("POST", "/v1/workflow-template"),
        ("GET", "/v1/workflow-template/{id}"),
        ("PATCH", "/v1/workflow-template/{id}"),
        ("DELETE", "/v1/workflow-template/{id}"),
        ("GET", "/webhook-business-unit"),
        ("POST", "/webhook-business-unit"),
        ("GET", "/webhook-business-unit/{id}"),
        ("DELETE", "/webhook-business-unit/{id}"),
    }


def test_operation_ids_are_camel_case(spec: dict[str, Any]) -> None:
    for _, _, op in operations(spec):
        op_id = op["operationId"]
        assert op_id[0].islower() and op_id.isalnum(), op_id


# --- authentication ---------------------------------------------------------------------------------


def test_bearer_scheme_guards_every_resource_operation(spec: dict[str, Any]) -> None:
    scheme = spec["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert spec["security"] == [{"bearerAuth": []}]
    for path, method, op in operations(spec):
        label = f"{method.upper()} {path}"
        if op["operationId"] in OAUTH_OPS:
            assert op["security"] == [], label
            continue
        assert op.get("security", spec["security"]) == [{"bearerAuth": []}], label
        unauthorized = resolve(spec, op["responses"]["401"])
        assert unauthorized["headers"]["WWW-Authenticate"], label
        assert resolve(spec, unauthorized["headers"]["WWW-Authenticate"])["required"] is True
        assert "403" in op["responses"], label


def test_invalid_token_and_forbidden_bodies(spec: dict[str, Any]) -> None:
    invalid = response_validator(spec, "getUser", "401", PROBLEM)
    body = {
        "type": "http://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html",
        "title": "invalid_token",
        "status": 401,
        "detail": "The access token provided is invalid",
    }
    assert invalid.is_valid(body)
    assert not invalid.is_valid({**body, "title": "Unauthorized"})
    forbidden = response(spec, "getUser", "403")["content"][PROBLEM]
    assert examples(forbidden)["example"]["detail"] == "Forbidden"


def test_token_request_grants(spec: dict[str, Any]) -> None:
    schema = spec["components"]["schemas"]["TokenRequest"]
    assert schema["properties"]["grant_type"]["enum"] == ["password", "refresh_token"]
    assert schema["else"]["properties"]["refresh_token"]["x-specmock-assumed"] is True
    v = schema_validator(spec, "TokenRequest")
    documented = {
        "grant_type": "password",
        "client_id": "app",
        "client_secret": "app",
        "username": "user@example.com",
        "password": "secret",
    }
    assert v.is_valid(documented)
    refresh = {"grant_type": "refresh_token", "client_id": "app", "client_secret": "app",
               "refresh_token": "ff0e296daaccc854ac391e3f22620e9ab7c8c178"}
    assert v.is_valid(refresh)
    # each grant's own fields are required, non-empty, and the client always (as the mock asks)
    assert not v.is_valid({**documented, "password": ""})
    assert not v.is_valid({k: val for k, val in documented.items() if k != "username"})
    assert not v.is_valid({k: val for k, val in refresh.items() if k != "refresh_token"})
    assert not v.is_valid({k: val for k, val in refresh.items() if k != "client_id"})
    assert not v.is_valid({"grant_type": "client_credentials"})
    assert not v.is_valid({"username": "user@example.com", "password": "secret"})
    # a grant's fields are not read by the other grant, so anything there is as good as nothing
    assert v.is_valid({**documented, "refresh_token": "", "scope": 7})
    assert v.is_valid({**refresh, "username": None, "password": ""})


def test_token_response_types(spec: dict[str, Any]) -> None:
    v = response_validator(spec, "createToken", "200", JSON)
    base = data("oauth_token_quickstart.json")
    assert v.is_valid({**base, "expires_in": 86400})
    assert not v.is_valid({**base, "expires_in": "1 day"})
    assert not v.is_valid({**base, "access_token": "not-a-token"})
    headers = response(spec, "createToken", "200")["headers"]
    assert {"Cache-Control", "Pragma"} <= set(headers)


def test_token_endpoint_errors(spec: dict[str, Any]) -> None:
    responses = find(spec, "createToken")[2]["responses"]
    assert {"400", "401", "405", "415", "429", "500"} <= set(responses)
    bad = examples(response(spec, "createToken", "400")["content"][PROBLEM])
    assert {b["title"] for b in bad.values()} == {
        "invalid_request",
        "unsupported_grant_type",
        "invalid_client",
        "invalid_grant",
    }
    unauthorized = examples(response(spec, "createToken", "401")["content"][PROBLEM])
    assert data("oauth_invalid_grant.json") in unauthorized.values()
    allow = resolve(spec, response(spec, "createToken", "405")["headers"]["Allow"])
    assert allow["required"] is True


def test_revoke(spec: dict[str, Any]) -> None:
    op = find(spec, "revokeToken")[2]
    body = op["requestBody"]["content"][JSON]
    assert resolve(spec, body["schema"])["required"] == ["token"]
    ok = response(spec, "revokeToken", "200")["content"][JSON]
    assert examples(ok) == {"example": {"revoked": True}}
    missing = examples(response(spec, "revokeToken", "400")["content"][PROBLEM])
    assert missing["missingToken"]["detail"] == "Missing token parameter to revoke"


# --- application tokens -----------------------------------------------------------------------------


def test_access_token_create_request(spec: dict[str, Any]) -> None:
    v = schema_validator(spec, "AccessTokenCreateRequest")
    assert v.is_valid({"password": "INFORME_SENHA", "expires": "2021-01-01 23:59:00"})
    assert not v.is_valid({"password": "INFORME_SENHA", "expires": "2021-01-01T23:59:00Z"})
    assert not v.is_valid({"password": "INFORME_SENHA"})
    assert not v.is_valid({"expires": "2021-01-01 23:59:00"})


def test_access_token_created_is_problem_shaped(spec: dict[str, Any]) -> None:
    v = response_validator(spec, "createAccessToken", "201", PROBLEM)
    body = data("access_token_created.json")
    assert v.is_valid({**body, "id": "5347"})
    assert not v.is_valid({**body, "title": "Created"})
    assert not v.is_valid({k: body[k] for k in body if k != "accessToken"})
    assert response(spec, "createAccessToken", "403") == resolve(
        spec, {"$ref": "#/components/responses/ForbiddenPf"}
    )


def test_access_token_listing_masks_the_token(spec: dict[str, Any]) -> None:
    v = response_validator(spec, "listAccessTokens", "200", HAL)
    body = data("access_token_list.json")
    body["_embedded"]["access_token"][0]["accessToken"] = "5499d5cac5d19926adcbcda7987c01854065554f"
    assert not v.is_valid(body)


def test_delete_access_token_answers_204_without_content(spec: dict[str, Any]) -> None:
    path, method, op = find(spec, "deleteAccessToken")
    assert (path, method) == ("/v1/access-token/{id}", "delete")
    assert "content" not in op["responses"]["204"]
    assert "404" in op["responses"]
    param = resolve(spec, op["parameters"][0])
    assert param["schema"] == {"type": "string", "pattern": "^[0-9]+$"}


def test_every_delete_answers_204_without_content(spec: dict[str, Any]) -> None:
    for path, method, op in operations(spec):
        if method == "delete":
            assert set(op["responses"]) & {"200", "201", "202"} == set(), path
            assert "content" not in resolve(spec, op["responses"]["204"]), path


# --- collections ------------------------------------------------------------------------------------

COLLECTIONS = {
    "listUsers": "user",
    "listAccessTokens": "access_token",
    "listWebhooks": "webhook_business_unit",
    "listFiles": "file",
    "listFolders": "folder",
    "listWorkflows": "workflow",
    "listWorkflowSteps": "workflow_step",
    "listWorkflowStepLinksToSign": "workflow_step_link_to_sign",
    "listWorkflowTemplates": "workflow_template",
}


@pytest.mark.parametrize(("operation_id", "name"), sorted(COLLECTIONS.items()))
def test_collection_name_and_paging(spec: dict[str, Any], operation_id: str, name: str) -> None:
    v = response_validator(spec, operation_id, "200", HAL)
    media = response(spec, operation_id, "200")["content"][HAL]
    for example in examples(media).values():
        assert list(example["_embedded"]) == [name]
    empty = {
        "_links": {"self": {"href": "https://api-v1.assine.online/v1/x?page=1"}},
        "_embedded": {name: []},
        "page_count": 0,
        "page_size": 25,
        "total_items": 0,
        "page": 1,
    }
    assert errors_of(v, empty) == []
    assert not v.is_valid({**empty, "_embedded": {"items": []}})
    assert not v.is_valid({k: empty[k] for k in empty if k != "total_items"})
    _, _, op = find(spec, operation_id)
    names = {resolve(spec, p)["name"] for p in op["parameters"]}
    assert names == {"filter", "order-by", "page", "page_size"}
    assert "409" in op["responses"]


def test_known_collection_names_match_the_documentation() -> None:
    assert list(data("user_page.json")["_embedded"]) == ["user"]
    assert list(data("access_token_list.json")["_embedded"]) == ["access_token"]
    assert list(data("webhook_list.json")["_embedded"]) == ["webhook_business_unit"]


def test_invalid_page_is_409(spec: dict[str, Any]) -> None:
    media = spec["components"]["responses"]["InvalidPage"]["content"][PROBLEM]
    assert media["example"]["status"] == 409
    assert media["example"]["detail"] == "Invalid page provided"
    for operation_id in COLLECTIONS:
        conflict = response(spec, operation_id, "409")["content"][PROBLEM]
        details = {ex["detail"] for ex in examples(conflict).values()}
        assert "Invalid page provided" in details, operation_id


def test_paging_parameters(spec: dict[str, Any]) -> None:
    params = spec["components"]["parameters"]
    assert params["page"]["schema"] == {"type": "integer", "minimum": 1, "default": 1}
    assert params["pageSize"]["name"] == "page_size"
    assert params["pageSize"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 100, "default": 25}
    assert params["pageSize"]["x-specmock-assumed"] is True


# --- filter and order-by ----------------------------------------------------------------------------

OPERATORS = [
    "eq",
    "neq",
    "lt",
    "lte",
    "gt",
    "gte",
    "isnull",
    "isnotnull",
    "in",
    "notin",
    "between",
    "like",
    "notlike",
    "andx",
    "orx",
]


def test_filter_parameter_declares_the_grammar(spec: dict[str, Any]) -> None:
    param = spec["components"]["parameters"]["filter"]
    assert (param["in"], param["style"], param["explode"]) == ("query", "deepObject", True)
    grammar = param["x-specmock-filter-grammar"]
    assert sorted(grammar["operators"]) == sorted(OPERATORS)
    assert grammar["userIdAlias"] == "$USER_ID"
    for key in ("field", "type", "value", "values", "from", "to", "where", "format", "conditions"):
        assert key in grammar["keys"]
        assert f"`{key}" in param["description"]
    for op in OPERATORS:
        assert f"`{op}`" in param["description"], op
    assert "$USER_ID" in param["description"]


@pytest.mark.parametrize(
    "value",
    [
        {"0": {"field": "id", "type": "eq", "value": "$USER_ID"}},
        {"0": {"field": "status", "type": "in", "values": ["1", "2"]}},
        {"0": {"field": "status", "type": "in", "values": {"0": "1", "1": "2"}}},
        {
            "0": {
                "field": "dateCreated",
                "type": "between",
                "from": "2020-01-01",
                "to": "2020-12-31",
                "format": "Y-m-d",
            }
        },
        {"0": {"field": "name", "type": "like", "value": "%Doe%", "where": "or"}},
        {"0": {"field": "document", "type": "isnull"}, "1": {"field": "email", "type": "isnotnull"}},
        {
            "0": {
                "type": "orx",
                "conditions": {
                    "0": {"field": "status", "type": "eq", "value": "1"},
                    "1": {"field": "status", "type": "eq", "value": "2"},
                },
            }
        },
        {
            "0": {
                "type": "andx",
                "conditions": [
                    {"field": "priority", "type": "gte", "value": "1"},
                    {"type": "orx", "conditions": [{"field": "status", "type": "eq", "value": "1"}]},
                ],
            }
        },
    ],
)
def test_filter_schema_accepts_real_queries(spec: dict[str, Any], value: dict[str, Any]) -> None:
    assert errors_of(schema_validator(spec, "Filter"), value) == []


@pytest.mark.parametrize(
    "value",
    [
        {"0": {"field": "id", "value": "1"}},
        {"0": {"field": "id", "type": "regex", "value": "1"}},
        {"0": {"field": "id", "type": "in"}},
        {"0": {"field": "id", "type": "between", "from": "1"}},
        {"0": {"type": "orx"}},
        {"first": {"field": "id", "type": "eq", "value": "1"}},
        {"0": {"field": "id", "type": "eq", "value": "1", "colour": "red"}},
    ],
)
def test_filter_schema_rejects_malformed_items(spec: dict[str, Any], value: dict[str, Any]) -> None:
    assert not schema_validator(spec, "Filter").is_valid(value)


def test_order_by_parameter(spec: dict[str, Any]) -> None:
    param = spec["components"]["parameters"]["orderBy"]
    assert (param["name"], param["style"], param["explode"]) == ("order-by", "deepObject", True)
    v = schema_validator(spec, "OrderBy")
    assert v.is_valid({"0": {"type": "field", "field": "id", "direction": "desc"}})
    assert v.is_valid({"0": {"type": "field", "field": "name", "direction": "ASC"}})
    assert not v.is_valid({"0": {"type": "field", "field": "id"}})
    assert not v.is_valid({"0": {"type": "field", "field": "id", "direction": "up"}})


# --- errors -----------------------------------------------------------------------------------------


def test_validation_problem_has_validation_messages(spec: dict[str, Any]) -> None:
    v = schema_validator(spec, "ApiProblemValidation")
    body = {
        "validation_messages": {
            "password": {"isEmpty": "Value is required and can't be empty"},
            "expires": {"dateInvalidDate": "The input does not appear to be a valid date"},
        },
        "type": "http://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html",
        "title": "Unprocessable Entity",
        "status": 422,
        "detail": "Failed Validation",
    }
    assert errors_of(v, body) == []
    assert not v.is_valid({k: body[k] for k in body if k != "validation_messages"})
    assert not v.is_valid({**body, "validation_messages": {"password": "wrong"}})
    for operation_id in (
        "createAccessToken",
        "uploadFile",
        "createFolder",
        "createWorkflow",
        "createWorkflowTemplate",
        "createWebhook",
    ):
        media = response(spec, operation_id, "422")["content"][PROBLEM]
        assert media["schema"] == {"$ref": "#/components/schemas/ApiProblemValidation"}, operation_id


def test_access_token_422_covers_password_and_expires(spec: dict[str, Any]) -> None:
    media = response(spec, "createAccessToken", "422")["content"][PROBLEM]
    fields = {field for ex in examples(media).values() for field in ex["validation_messages"]}
    assert fields == {"password", "expires"}


def test_error_responses_are_problem_json(spec: dict[str, Any]) -> None:
    for path, method, op in operations(spec):
        for status, node in op["responses"].items():
            if status[0] in "45":
                content = resolve(spec, node)["content"]
                assert list(content) == [PROBLEM], f"{method.upper()} {path} {status}"


def test_429_declares_integer_retry_after(spec: dict[str, Any]) -> None:
    too_many = spec["components"]["responses"]["TooManyRequests"]
    header = resolve(spec, too_many["headers"]["Retry-After"])
    assert header["schema"] == {"type": "integer", "minimum": 0}
    assert header["required"] is True
    for _, _, op in operations(spec):
        assert op["responses"]["429"] == {"$ref": "#/components/responses/TooManyRequests"}


# --- content types ----------------------------------------------------------------------------------


def test_success_content_types(spec: dict[str, Any]) -> None:
    for path, method, op in operations(spec):
        for status, node in op["responses"].items():
            if not status.startswith("2"):
                continue
            content = resolve(spec, node).get("content")
            label = f"{method.upper()} {path} {status}"
            if op["operationId"] in OAUTH_OPS:
                assert list(content) == [JSON], label
            elif op["operationId"] == "createAccessToken":
                assert list(content) == [PROBLEM], label
            elif op["operationId"] == "downloadFile":
                assert list(content) == ["application/pdf"], label
            elif method == "delete":
                assert content is None, label
            else:
                assert list(content) == [HAL], label


def test_file_upload_is_multipart_with_a_required_file(spec: dict[str, Any]) -> None:
    content = find(spec, "uploadFile")[2]["requestBody"]["content"]
    assert list(content) == ["multipart/form-data"]
    schema = resolve(spec, content["multipart/form-data"]["schema"])
    assert schema["required"] == ["file"]
    assert set(schema["properties"]) == {"file", "description", "idFolder"}
    assert schema["properties"]["file"]["format"] == "binary"
    v = response_validator(spec, "uploadFile", "201", HAL)
    assert not v.is_valid({**data("file_upload.json"), "checksum": "abc"})


# --- workflows, steps, templates, webhooks ----------------------------------------------------------


def test_workflow_and_step_status_codes(spec: dict[str, Any]) -> None:
    schemas = spec["components"]["schemas"]
    assert schemas["WorkflowStatus"]["enum"] == [0, 1, 2, 3, 4]
    assert schemas["WorkflowStepStatus"]["enum"] == [0, 1, 2, 3]
    assert schemas["WorkflowStatus"]["x-specmock-assumed"] is True
    update = schema_validator(spec, "WorkflowUpdateRequest")
    assert update.is_valid({"status": 1}) and update.is_valid({"status": 3})
    assert not update.is_valid({"status": 2})
    assert not update.is_valid({"status": 1, "message": "x"})
    responses = find(spec, "updateWorkflow")[2]["responses"]
    assert "409" in responses


def test_workflow_create_body(spec: dict[str, Any]) -> None:
    v = schema_validator(spec, "WorkflowCreateRequest")
    step = {"user": {"name": "Jhon Doe", "email": "siletic225@xhyemail.com"}}
    document = {
        "idFile": 5577,
        "name": "Doc",
        "idFolder": "0",
        "specialFields": [{"type": 9}],
        "workflowSteps": [step],
    }
    body: dict[str, Any] = {
        "autoRemind": 1,
        "autoInitiate": 0,
        "dueDate": "2023-01-01 23:59:59",
        "message": "Assine",
        "priority": 2,
        "sla": "720",
        "files": [document],
    }
    assert errors_of(v, body) == []
    assert v.is_valid({"idWorkflowTemplate": 88})
    assert not v.is_valid({"message": "no files, no template"})
    assert not v.is_valid({**body, "sla": "721"})
    assert not v.is_valid({**body, "priority": 3})
    assert not v.is_valid({**body, "files": [{**document, "workflowSteps": []}]})


def test_template_payload_and_entity(spec: dict[str, Any]) -> None:
    request = find(spec, "createWorkflowTemplate")[2]["requestBody"]["content"][JSON]
    documented = request["example"]
    assert documented["template"]["files"][0] == {
        "idFile": 5583,
        "name": "Meu documento",
        "specialFields": [],
        "workflowSteps": [],
    }
    assert errors_of(schema_validator(spec, "WorkflowTemplateCreateRequest"), documented) == []
    v = response_validator(spec, "createWorkflowTemplate", "201", HAL)
    created = response(spec, "createWorkflowTemplate", "201")["content"][HAL]["example"]
    assert errors_of(v, created) == []
    assert created["_links"]["edit"]["href"]
    assert not v.is_valid({**created, "token": "short"})
    links = dict(created["_links"])
    del links["edit"]
    assert not v.is_valid({**created, "_links": links})


def test_link_to_sign_conflict_when_step_not_pending(spec: dict[str, Any]) -> None:
    conflict = response(spec, "listWorkflowStepLinksToSign", "409")["content"][PROBLEM]
    details = {ex["detail"] for ex in examples(conflict).values()}
    assert "Workflow step is not pending" in details


def test_webhooks_are_business_unit_only(spec: dict[str, Any]) -> None:
    for operation_id in ("listWebhooks", "createWebhook", "getWebhook", "deleteWebhook"):
        forbidden = find(spec, operation_id)[2]["responses"]["403"]
        assert forbidden == {"$ref": "#/components/responses/ForbiddenPf"}
    body = find(spec, "createWebhook")[2]["requestBody"]["content"][JSON]
    assert resolve(spec, body["schema"])["required"] == ["url"]


# --- stateful links ---------------------------------------------------------------------------------

CREATE_LINKS = {
    "createAccessToken": {"deleteAccessToken"},
    "uploadFile": {"getFile", "downloadFile", "deleteFile"},
    "createFolder": {"getFolder", "updateFolder", "deleteFolder"},
    "createWorkflow": {"getWorkflow", "updateWorkflow"},
    "createWorkflowTemplate": {"getWorkflowTemplate", "updateWorkflowTemplate", "deleteWorkflowTemplate"},
    "createWebhook": {"getWebhook", "deleteWebhook"},
}


@pytest.mark.parametrize(("operation_id", "targets"), sorted(CREATE_LINKS.items()))
def test_create_responses_link_to_the_created_resource(
    spec: dict[str, Any], operation_id: str, targets: set[str]
) -> None:
    links = response(spec, operation_id, "201")["links"]
    assert {link["operationId"] for link in links.values()} == targets
    for link in links.values():
        assert link["parameters"] == {"path.id": "$response.body#/id"}
        path, _, _ = find(spec, link["operationId"])
        assert "{id}" in path


# --- examples ---------------------------------------------------------------------------------------


def test_own_examples_use_the_current_host(spec: dict[str, Any]) -> None:
    documented_hosts = ("https://api.assine.online/", "http://localhost/")
    for path, method, op in operations(spec):
        for status, node in op["responses"].items():
            for media in (resolve(spec, node).get("content") or {}).values():
                for name, example in examples(media).items():
                    text = json.dumps(example)
                    if name == "documented":
                        continue
                    for host in documented_hosts:
                        assert host not in text, f"{method.upper()} {path} {status} {name}"
