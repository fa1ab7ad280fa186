"""Banqer-specific checks of ``banqer.openapi.yaml`` and ``banqer-auth.openapi.yaml``.

Generic rules shared by every spec (validator, examples, error schemas, Retry-After) live in
``test_openapi_specs.py``; this module pins what Banqer's public material shows and the design
choices the mock and the contract suite rely on.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import yaml
from jsonschema import Draft202012Validator

from tests.specs.openapi_doc import operations, validator

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs"
DATA = ROOT / "tests" / "data" / "banqer"

DOCUMENTED_FICHA_ID = "8aa4b425-5fed-4cea-b970-044b36ea9d73"


def _load(name: str) -> dict[str, Any]:
    with (SPECS / name).open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


@pytest.fixture(scope="module")
def api() -> dict[str, Any]:
    return _load("banqer.openapi.yaml")


@pytest.fixture(scope="module")
def auth() -> dict[str, Any]:
    return _load("banqer-auth.openapi.yaml")


def _data(name: str) -> Any:
    text = (DATA / name).read_text(encoding="utf-8")
    return json.loads(text) if name.endswith(".json") else text.strip()


def resolve(spec: dict[str, Any], node: Any) -> Any:
    """Follow local ``$ref`` chains (only the ``$ref`` itself; siblings are dropped)."""
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), ref
        node = spec
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def operation(spec: dict[str, Any], operation_id: str) -> dict[str, Any]:
    for _, _, op in operations(spec):
        if op["operationId"] == operation_id:
            return op
    raise KeyError(operation_id)


def parameter(spec: dict[str, Any], op: dict[str, Any], name: str) -> dict[str, Any]:
    for param in op.get("parameters", []):
        param = resolve(spec, param)
        if param["name"] == name:
            return param
    raise KeyError(name)


def json_media(spec: dict[str, Any], operation_id: str, status: str) -> dict[str, Any]:
    """The ``application/json`` media type object of one response of one operation."""
    response = resolve(spec, operation(spec, operation_id)["responses"][status])
    return response["content"]["application/json"]


def media_examples(media: dict[str, Any]) -> list[Any]:
    if "example" in media:
        return [media["example"]]
    return [ex["value"] for ex in media.get("examples", {}).values()]


def first_array_key(body: dict[str, Any]) -> str | None:
    """What Banqer's Node.js `paginar` function does: the first array-valued key, in JSON order."""
    return next((key for key, value in body.items() if isinstance(value, list)), None)


# --- documented bodies ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec_name", "pointer", "data_file"),
    [
        ("banqer-auth.openapi.yaml", "/components/schemas/TokenResponse", "token-response.json"),
        ("banqer-auth.openapi.yaml", "/components/schemas/OAuthError", "token-error-invalid-client.json"),
        (
            "banqer-auth.openapi.yaml",
            "/components/schemas/OAuthError",
            "token-error-unauthorized-client.json",
        ),
        ("banqer.openapi.yaml", "/components/schemas/Error", "error-minimal.json"),
        ("banqer.openapi.yaml", "/components/schemas/Error", "error-403-missing-scope.json"),
        ("banqer.openapi.yaml", "/components/schemas/FichaPage", "fichas-page-usage.json"),
        ("banqer.openapi.yaml", "/components/schemas/CredorPage", "credores-usage.json"),
    ],
)
def test_documented_body_validates(spec_name: str, pointer: str, data_file: str) -> None:
    body = _data(data_file)
    errors = [e.message for e in validator(_load(spec_name), pointer).iter_errors(body)]
    assert errors == [], f"{data_file} rejected by {pointer}: {errors}"


def test_documented_list_bodies_keep_item_array_first() -> None:
    assert first_array_key(_data("fichas-page-usage.json")) == "fichas"
    assert first_array_key(_data("credores-usage.json")) == "credores"


def test_documented_ficha_item_validates_as_ficha(api: dict[str, Any]) -> None:
    item = _data("fichas-page-usage.json")["fichas"][0]
    assert validator(api, "/components/schemas/Ficha").is_valid(item)


def test_documented_token_request_is_a_valid_form_body(auth: dict[str, Any]) -> None:
    op = operation(auth, "createToken")
    content = op["requestBody"]["content"]
    assert list(content) == ["application/x-www-form-urlencoded"]
    fields = dict(parse_qsl(_data("token-request.form"), keep_blank_values=True))
    assert fields["grant_type"] == "client_credentials"
    schema_validator = validator(auth, "/components/schemas/TokenRequest")
    assert schema_validator.is_valid(fields)
    # client_secret_basic: the credentials travel in the Authorization header instead.
    assert schema_validator.is_valid({"grant_type": "client_credentials"})
    assert not schema_validator.is_valid({"client_id": "x", "client_secret": "y"})
    assert not schema_validator.is_valid({"grant_type": "password"})


# --- realm (banqer-auth.openapi.yaml) ---------------------------------------------------------


def test_realm_paths_and_operation_ids(auth: dict[str, Any]) -> None:
    found = {(path, method): op["operationId"] for path, method, op in operations(auth)}
    assert found == {
        ("/realms/{tenant}/protocol/openid-connect/token", "post"): "createToken",
        ("/realms/{tenant}/.well-known/openid-configuration", "get"): "getOpenidConfiguration",
        ("/realms/{tenant}/protocol/openid-connect/certs", "get"): "getJwks",
        ("/realms/{tenant}", "get"): "getRealm",
        ("/realms/{tenant}/protocol/openid-connect/token/introspect", "post"): "introspectToken",
        ("/realms/{tenant}/protocol/openid-connect/revoke", "post"): "revokeToken",
        ("/realms/{tenant}/protocol/openid-connect/logout", "post"): "logout",
        ("/realms/{tenant}/protocol/openid-connect/userinfo", "get"): "getUserinfo",
        ("/realms/{tenant}/protocol/openid-connect/userinfo", "post"): "postUserinfo",
    }
    assert [s["url"] for s in auth["servers"]] == ["https://auth.banqer.com.br"]
    assert auth["x-specmock-error-schemas"] == ["OAuthError"]


@pytest.mark.parametrize(
    ("value", "ok"), [("sua-empresa", True), ("acme2", True), ("Sua_Empresa", False), ("", False)]
)
def test_tenant_path_parameter_is_a_dns_label_slug(auth: dict[str, Any], value: str, ok: bool) -> None:
    for _, _, op in operations(auth):
        params = [resolve(auth, p) for p in _path_params(auth, op)]
        tenant = next(p for p in params if p["name"] == "tenant")
        assert tenant["in"] == "path"
        assert tenant["required"] is True
        assert Draft202012Validator(tenant["schema"]).is_valid(value) is ok


def _path_params(spec: dict[str, Any], op: dict[str, Any]) -> list[Any]:
    for path, _, candidate in operations(spec):
        if candidate is op:
            return [*spec["paths"][path].get("parameters", []), *op.get("parameters", [])]
    raise AssertionError("operation not in spec")


def test_token_endpoint_accepts_post_and_basic_client_auth(auth: dict[str, Any]) -> None:
    op = operation(auth, "createToken")
    assert {} in op["security"], "client_secret_post needs an alternative without any scheme"
    schemes = auth["components"]["securitySchemes"]
    named = [name for req in op["security"] for name in req]
    assert named, "client_secret_basic alternative missing"
    for name in named:
        assert (schemes[name]["type"], schemes[name]["scheme"]) == ("http", "basic")


def test_token_endpoint_status_codes(auth: dict[str, Any]) -> None:
    responses = operation(auth, "createToken")["responses"]
    assert {"200", "400", "401", "404", "429"} <= set(responses)
    token_ok = resolve(auth, responses["200"])
    assert resolve(auth, token_ok["headers"]["Cache-Control"])["example"] == "no-store"
    assert json_media(auth, "createToken", "401")["example"] == _data("token-error-invalid-client.json")
    bad_request_codes = {body["error"] for body in media_examples(json_media(auth, "createToken", "400"))}
    assert bad_request_codes == {
        "invalid_request", "unsupported_grant_type", "unauthorized_client", "invalid_grant"
    }


def test_token_response_requires_what_banqer_clients_read(auth: dict[str, Any]) -> None:
    required = set(auth["components"]["schemas"]["TokenResponse"]["required"])
    assert {"access_token", "expires_in"} <= required
    token_validator = validator(auth, "/components/schemas/TokenResponse")
    assert not token_validator.is_valid({"access_token": "x", "token_type": "Bearer"})


def test_discovery_example_matches_the_realm(auth: dict[str, Any]) -> None:
    media = json_media(auth, "getOpenidConfiguration", "200")
    doc = media["example"]
    issuer = auth["servers"][0]["url"] + "/realms/sua-empresa"
    assert doc["issuer"] == issuer
    assert doc["token_endpoint"] == issuer + "/protocol/openid-connect/token"
    assert doc["jwks_uri"] == issuer + "/protocol/openid-connect/certs"
    schema_validator = validator(auth, "/components/schemas/OpenidConfiguration")
    assert not schema_validator.is_valid(
        {**doc, "token_endpoint_auth_methods_supported": ["client_secret_post"]}
    )
    assert not schema_validator.is_valid({**doc, "grant_types_supported": ["authorization_code"]})


def test_jwks_example_is_an_rs256_signing_key(auth: dict[str, Any]) -> None:
    media = json_media(auth, "getJwks", "200")
    (key,) = media["example"]["keys"]
    assert (key["kty"], key["use"], key["alg"], key["e"]) == ("RSA", "sig", "RS256", "AQAB")
    assert len(key["n"]) == 342  # 2048-bit modulus, base64url without padding
    assert not validator(auth, "/components/schemas/JsonWebKey").is_valid({"kty": "RSA", "kid": "k"})


# --- API (banqer.openapi.yaml) ----------------------------------------------------------------


def test_api_paths_and_operation_ids(api: dict[str, Any]) -> None:
    found = {(path, method): op["operationId"] for path, method, op in operations(api)}
    assert found == {
        ("/v1/credores", "get"): "listCredores",
        ("/v1/fichas", "get"): "listFichas",
        ("/v1/fichas/{id}", "get"): "getFicha",
    }
    (server,) = api["servers"]
    assert server["url"] == "https://api-{tenant}.banqer.com.br"
    assert server["variables"]["tenant"]["default"] == "sua-empresa"
    assert api["x-specmock-error-schemas"] == ["Error"]


def test_every_operation_requires_an_oauth2_scope(api: dict[str, Any]) -> None:
    schemes = api["components"]["securitySchemes"]
    for path, method, op in operations(api):
        assert op.get("security"), f"{method.upper()} {path} has no security requirement"
        for requirement in op["security"]:
            assert requirement, f"{method.upper()} {path} allows anonymous access"
            for name, scopes in requirement.items():
                scheme = schemes[name]
                assert scheme["type"] == "oauth2"
                assert scopes, f"{method.upper()} {path} names no scope"
                assert set(scopes) <= set(scheme["flows"]["clientCredentials"]["scopes"])


def test_scope_per_operation(api: dict[str, Any]) -> None:
    scopes = {op["operationId"]: op["security"][0]["banqerOAuth"] for _, _, op in operations(api)}
    assert scopes == {
        "listCredores": ["credores:read"],
        "listFichas": ["fichas:read"],
        "getFicha": ["fichas:read"],
    }


def test_token_url_is_the_realm_token_endpoint(api: dict[str, Any], auth: dict[str, Any]) -> None:
    token_url = api["components"]["securitySchemes"]["banqerOAuth"]["flows"]["clientCredentials"]["tokenUrl"]
    parts = urlsplit(token_url)
    assert f"{parts.scheme}://{parts.netloc}" == auth["servers"][0]["url"]
    token_path = next(path for path, _, op in operations(auth) if op["operationId"] == "createToken")
    assert parts.path == token_path.replace("{tenant}", api["servers"][0]["variables"]["tenant"]["default"])


def _schema_property(api: dict[str, Any], schema_name: str) -> list[tuple[str, dict[str, Any]]]:
    schema = api["components"]["schemas"][schema_name]
    return [(name, resolve(api, prop)) for name, prop in schema["properties"].items()]


@pytest.mark.parametrize(("schema_name", "items_key"), [("FichaPage", "fichas"), ("CredorPage", "credores")])
def test_item_array_is_the_first_array_property(
    api: dict[str, Any], schema_name: str, items_key: str
) -> None:
    arrays = [name for name, prop in _schema_property(api, schema_name) if prop.get("type") == "array"]
    assert arrays[0] == items_key
    schema = api["components"]["schemas"][schema_name]
    assert items_key in schema["required"]
    assert "nextPageToken" in schema["properties"]
    assert "nextPageToken" not in schema["required"]


@pytest.mark.parametrize(
    ("operation_id", "items_key"), [("listFichas", "fichas"), ("listCredores", "credores")]
)
def test_list_examples_work_with_banqer_paginar(
    api: dict[str, Any], operation_id: str, items_key: str
) -> None:
    media = json_media(api, operation_id, "200")
    examples = media_examples(media)
    assert examples
    for body in examples:
        assert first_array_key(body) == items_key


def test_fichas_last_page_example_has_empty_array_and_no_token(api: dict[str, Any]) -> None:
    media = json_media(api, "listFichas", "200")
    assert media["examples"]["lastPage"]["value"] == {"fichas": []}


@pytest.mark.parametrize("operation_id", ["listFichas", "listCredores"])
def test_page_token_accepts_empty_string(api: dict[str, Any], operation_id: str) -> None:
    param = parameter(api, operation(api, operation_id), "pageToken")
    assert param["in"] == "query"
    assert not param.get("required", False)
    token_validator = validator(api, param["schema"]["$ref"].removeprefix("#"))
    assert token_validator.is_valid("")
    assert token_validator.is_valid("eyJjIjoiZmljaGFzLzIwMCJ9")


def test_list_fichas_documents_the_first_request_with_empty_token(api: dict[str, Any]) -> None:
    param = parameter(api, operation(api, "listFichas"), "pageToken")
    assert "" in [ex["value"] for ex in param["examples"].values()]


@pytest.mark.parametrize("operation_id", ["listFichas", "listCredores"])
def test_page_size_accepts_client_default_and_larger(api: dict[str, Any], operation_id: str) -> None:
    param = parameter(api, operation(api, operation_id), "pageSize")
    schema_validator = validator(api, "/components/schemas/PageSize")
    assert param["schema"] == {"$ref": "#/components/schemas/PageSize"} or (
        param["schema"]["allOf"] == [{"$ref": "#/components/schemas/PageSize"}]
    )
    assert schema_validator.is_valid(200)
    assert schema_validator.is_valid(1000)  # coerced to 200 by the server, not rejected
    assert not schema_validator.is_valid(0)
    assert not schema_validator.is_valid("200")


def test_atraso_min_is_a_non_negative_integer(api: dict[str, Any]) -> None:
    param = parameter(api, operation(api, "listFichas"), "atrasoMin")
    assert param["example"] == 90
    schema_validator = Draft202012Validator(param["schema"])
    assert schema_validator.is_valid(0)
    assert schema_validator.is_valid(90)
    assert not schema_validator.is_valid(-1)
    assert not schema_validator.is_valid(9.5)


def test_ficha_id_is_a_uuid(api: dict[str, Any]) -> None:
    param = parameter(api, operation(api, "getFicha"), "id")
    assert (param["in"], param["required"], param["example"]) == ("path", True, DOCUMENTED_FICHA_ID)
    checker = Draft202012Validator.FORMAT_CHECKER
    schema_validator = Draft202012Validator(param["schema"], format_checker=checker)
    assert schema_validator.is_valid(DOCUMENTED_FICHA_ID)
    assert not schema_validator.is_valid("104233")


def test_ficha_requires_only_the_public_fields(api: dict[str, Any]) -> None:
    ficha = api["components"]["schemas"]["Ficha"]
    assert sorted(ficha["required"]) == ["idFichaCobrancaExibicao", "saldoDevedor"]
    assert ficha.get("additionalProperties", True) is True
    ficha_validator = validator(api, "/components/schemas/Ficha")
    assert ficha_validator.is_valid({"idFichaCobrancaExibicao": "1", "saldoDevedor": 10.5, "campoNovo": [1]})
    assert not ficha_validator.is_valid({"idFichaCobrancaExibicao": "1"})


def test_get_ficha_returns_the_ficha_unwrapped(api: dict[str, Any]) -> None:
    media = json_media(api, "getFicha", "200")
    assert media["schema"] == {"$ref": "#/components/schemas/Ficha"}
    assert media["example"]["idFichaCobranca"] == DOCUMENTED_FICHA_ID
    assert "saldoDevedor" in media["example"]


def test_error_schema_shape(api: dict[str, Any]) -> None:
    error_validator = validator(api, "/components/schemas/Error")
    assert error_validator.is_valid({"message": "x", "details": [{"reason": "NOT_FOUND"}], "extra": True})
    assert not error_validator.is_valid({"message": "x", "details": []})
    assert not error_validator.is_valid({"message": "x"})
    assert not error_validator.is_valid({"details": [{"reason": "NOT_FOUND"}]})
    assert not error_validator.is_valid({"message": "x", "details": [{"reason": "missing_scope"}]})


EXPECTED_STATUSES = {"400", "401", "403", "429", "500", "503"}


def test_every_operation_declares_the_error_statuses(api: dict[str, Any]) -> None:
    for path, method, op in operations(api):
        expected = EXPECTED_STATUSES | ({"404"} if "{id}" in path else set())
        assert expected <= set(op["responses"]), f"{method.upper()} {path}"
        for status in expected:
            assert op["responses"][status]["$ref"].startswith("#/components/responses/")


def test_401_declares_www_authenticate(api: dict[str, Any]) -> None:
    for path, method, op in operations(api):
        response = resolve(api, op["responses"]["401"])
        header = resolve(api, response["headers"]["WWW-Authenticate"])
        assert header["required"] is True, f"{method.upper()} {path}"
        assert header["example"] == 'Bearer error="invalid_token"'
        assert re.match(header["schema"]["pattern"], header["example"])


def test_403_example_is_missing_scope_with_required_scope(api: dict[str, Any]) -> None:
    declared_scopes = api["components"]["securitySchemes"]["banqerOAuth"]["flows"]["clientCredentials"][
        "scopes"
    ]
    for _, _, op in operations(api):
        media = resolve(api, op["responses"]["403"])["content"]["application/json"]
        (body,) = media_examples(media)
        detail = body["details"][0]
        assert detail["reason"] == "MISSING_SCOPE"
        assert detail["metadata"]["requiredScope"] in declared_scopes
    assert body == _data("error-403-missing-scope.json")


def test_retry_after_is_integer_seconds_on_429(api: dict[str, Any]) -> None:
    for path, method, op in operations(api):
        header = resolve(api, resolve(api, op["responses"]["429"])["headers"]["Retry-After"])
        assert header["required"] is True, f"{method.upper()} {path}"
        assert header["schema"] == {"type": "integer", "minimum": 0}


def test_reason_catalogue_matches_the_error_examples(api: dict[str, Any]) -> None:
    catalogue = api["x-specmock-reasons"]
    assert catalogue["MISSING_SCOPE"]["status"] == 403
    assert catalogue["MISSING_SCOPE"]["assumed"] is False
    used: set[str] = set()
    for _, _, op in operations(api):
        for status, response in op["responses"].items():
            if not status.startswith(("4", "5")):
                continue
            for body in media_examples(resolve(api, response)["content"]["application/json"]):
                for detail in body["details"]:
                    assert catalogue[detail["reason"]]["status"] == int(status), detail["reason"]
                    used.add(detail["reason"])
    assert used == set(catalogue)
    for reason in catalogue:
        assert re.fullmatch(r"[A-Z][A-Z0-9_]*", reason)


def test_public_facts_are_not_marked_assumed_and_inferences_are(api: dict[str, Any]) -> None:
    schemas = api["components"]["schemas"]
    ficha = schemas["Ficha"]["properties"]
    for known in ("idFichaCobrancaExibicao", "saldoDevedor"):
        assert "x-specmock-assumed" not in ficha[known], known
        assert ficha[known]["description"]
    assert "x-specmock-assumed" not in schemas["CredorPage"]["properties"]["credores"]
    assert "x-specmock-assumed" not in schemas["FichaPage"]["properties"]["nextPageToken"]
    assert "x-specmock-assumed" not in api["components"]["responses"]["MissingScope"]
    assert schemas["FichaPage"]["properties"]["fichas"]["x-specmock-assumed"] is True
    assert api["components"]["securitySchemes"]["banqerOAuth"]["x-specmock-assumed"] is True
    for provisional in ("idFichaCobranca", "diasAtraso", "idCredor", "situacao", "dataVencimento"):
        assert ficha[provisional]["x-specmock-assumed"] is True, provisional
    for schema_name in ("Credor", "Devedor", "Money", "FichaDisplayId"):
        assert schemas[schema_name]["x-specmock-assumed"] is True, schema_name


def test_the_scopes_a_config_may_grant_are_the_specs() -> None:
    from specmock.mocks.banqer.settings import ALL_SCOPES
    from specmock.specs import load

    flows = load("banqer")["components"]["securitySchemes"]["banqerOAuth"]["flows"]
    declared = {scope for flow in flows.values() for scope in flow.get("scopes", {})}
    assert set(ALL_SCOPES) == declared
