"""Contract tests for the Funcional PBM specs: ``specs/pbm.graphql`` and ``specs/pbm.responses.schema.json``.

The documented bodies and query documents used here are copies of the public examples, kept in
``tests/data/pbm/``.
"""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import graphql
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis_graphql import mutations, queries
from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parents[2]
SDL_PATH = ROOT / "specs" / "pbm.graphql"
SCHEMA_PATH = ROOT / "specs" / "pbm.responses.schema.json"
DATA = ROOT / "tests" / "data" / "pbm"

SDL = SDL_PATH.read_text(encoding="utf-8")
SCHEMA = graphql.build_schema(SDL)
RESPONSES: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))

QUERY_ROOT_FIELDS = {
    "WsAcesso_consultProgramForm",
    "WsAcesso_listDynamicsFieldsOrigin",
    "WsAcesso_listNestedQuestions",
    "WsAcesso_getMedicinesForTreatmentStart",
}
MUTATION_ROOT_FIELDS = {
    "createToken",
    "WsAcesso_registerPatient",
    "WsAcesso_updatePatient",
    "WsAcesso_insertOptinExternal",
}
ROOT_FIELDS = QUERY_ROOT_FIELDS | MUTATION_ROOT_FIELDS

DOCUMENTED_QUERY_FILES = sorted(DATA.glob("*.graphql"))


def load_json(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def load_graphql(name: str) -> graphql.DocumentNode:
    return graphql.parse((DATA / name).read_text(encoding="utf-8"))


def validator_for(def_name: str) -> Draft202012Validator:
    """A validator for one ``$defs`` entry, resolving references inside the same document."""
    assert def_name in RESPONSES["$defs"], def_name
    return Draft202012Validator({**RESPONSES, "$ref": f"#/$defs/{def_name}"})


def is_valid(def_name: str, instance: Any) -> bool:
    return validator_for(def_name).is_valid(instance)


# ---------------------------------------------------------------------------------------------
# Names shown by public material, as schema coordinates: everything the documented query documents
# select or pass, plus the public names those documents do not use. Every other named element of the
# SDL must say "Assumed:" in its description.
# ---------------------------------------------------------------------------------------------


def coordinates_used_by(document: graphql.DocumentNode) -> set[str]:
    """Schema coordinates of the fields, arguments and input fields a document uses."""
    type_info = graphql.TypeInfo(SCHEMA)
    used: set[str] = set()

    class Collector(graphql.Visitor):
        def enter_field(self, node: graphql.FieldNode, *_: Any) -> None:
            parent = type_info.get_parent_type()
            assert parent is not None, node.name.value
            used.add(f"{parent.name}.{node.name.value}")

        def enter_argument(self, node: graphql.ArgumentNode, *_: Any) -> None:
            parent, field = type_info.get_parent_type(), type_info.get_field_def()
            assert isinstance(parent, graphql.GraphQLObjectType) and field is not None, node.name.value
            field_name = next(name for name, candidate in parent.fields.items() if candidate is field)
            used.add(f"{parent.name}.{field_name}({node.name.value}:)")

        def enter_object_field(self, node: graphql.ObjectFieldNode, *_: Any) -> None:
            parent = graphql.get_named_type(type_info.get_parent_input_type())
            assert parent is not None, node.name.value
            used.add(f"{parent.name}.{node.name.value}")

    graphql.visit(document, graphql.TypeInfoVisitor(type_info, Collector()))
    return used


PUBLIC_BUT_UNUSED = {
    # Root types: the documents use the `query` / `mutation` keywords.
    "Query",
    "Mutation",
    # Root fields named by the public pages without a usable request example.
    "Query.WsAcesso_listNestedQuestions",
    "Mutation.WsAcesso_registerPatient",
    "Mutation.WsAcesso_updatePatient",
    "Mutation.WsAcesso_insertOptinExternal",
    # Parameter table of the nested-questions page.
    "WsAcesso_NestedQuestionsArgs.programCode",
    "WsAcesso_NestedQuestionsArgs.parentBeneficiaryQuestionCode",
    # The code/message/status envelope every documented result carries.
    "WsAcesso_BaseResponse.code",
    "WsAcesso_BaseResponse.message",
    "WsAcesso_BaseResponse.status",
}

DOCUMENTED = PUBLIC_BUT_UNUSED.union(
    *(coordinates_used_by(graphql.parse(p.read_text(encoding="utf-8"))) for p in DOCUMENTED_QUERY_FILES)
)


def schema_elements() -> list[tuple[str, str | None]]:
    """(coordinate, description) of every named type, field, argument, input field and enum value."""
    out: list[tuple[str, str | None]] = []
    for name, named in SCHEMA.type_map.items():
        if name.startswith("__") or graphql.is_specified_scalar_type(named):
            continue
        out.append((name, named.description))
        if isinstance(named, graphql.GraphQLObjectType | graphql.GraphQLInterfaceType):
            for field_name, field in named.fields.items():
                out.append((f"{name}.{field_name}", field.description))
                for arg_name, arg in field.args.items():
                    out.append((f"{name}.{field_name}({arg_name}:)", arg.description))
        elif isinstance(named, graphql.GraphQLInputObjectType):
            for field_name, input_field in named.fields.items():
                out.append((f"{name}.{field_name}", input_field.description))
        elif isinstance(named, graphql.GraphQLEnumType):
            for value_name, value in named.values.items():
                out.append((f"{name}.{value_name}", value.description))
    return out


# ---------------------------------------------------------------------------------------------
# SDL
# ---------------------------------------------------------------------------------------------


def test_sdl_builds_and_is_valid() -> None:
    graphql.assert_valid_schema(SCHEMA)
    assert SCHEMA.query_type is not None and SCHEMA.query_type.name == "Query"
    assert SCHEMA.mutation_type is not None and SCHEMA.mutation_type.name == "Mutation"
    assert SCHEMA.subscription_type is None


def test_documented_query_files_are_present() -> None:
    names = {p.name for p in DOCUMENTED_QUERY_FILES}
    assert names == {
        "create-token.graphql",
        "consult-program-form.graphql",
        "list-dynamics-fields-origin.graphql",
        "get-medicines-for-treatment-start.graphql",
    }


@pytest.mark.parametrize("path", DOCUMENTED_QUERY_FILES, ids=lambda p: p.name)
def test_documented_query_validates(path: Path) -> None:
    document = graphql.parse(path.read_text(encoding="utf-8"))
    assert graphql.validate(SCHEMA, document) == []


def test_legacy_create_token_envelope_fails_validation() -> None:
    document = load_graphql("invalid/create-token-legacy-envelope.graphql")
    errors = graphql.validate(SCHEMA, document)
    rejected = {e.message for e in errors}
    assert len(errors) == 4, rejected
    for field in ("code", "message", "status", "data"):
        assert any(f"'{field}'" in m and "CreateTokenResponse" in m for m in rejected), field


def test_missing_password_fails_at_the_documented_location() -> None:
    documented = load_json("validation-failed-password-required.json")["errors"][0]
    errors = graphql.validate(SCHEMA, load_graphql("invalid/create-token-missing-password.graphql"))
    assert len(errors) == 1
    assert errors[0].formatted["locations"] == documented["locations"]
    # Same rule, worded differently by graphql-core: the mock has to render the documented
    # graphql-js wording itself.
    assert "password" in errors[0].message and "String!" in errors[0].message
    assert documented["message"] == (
        'Field "createToken" argument "password" of type "String!" is required, but it was not provided.'
    )


def test_root_fields_are_exactly_the_public_ones() -> None:
    assert SCHEMA.query_type is not None and SCHEMA.mutation_type is not None
    assert set(SCHEMA.query_type.fields) == QUERY_ROOT_FIELDS
    assert set(SCHEMA.mutation_type.fields) == MUTATION_ROOT_FIELDS
    prefixed = {f for f in ROOT_FIELDS if f.startswith("WsAcesso_")}
    assert prefixed == ROOT_FIELDS - {"createToken"}
    assert len(ROOT_FIELDS) == 8


def test_root_fields_are_non_null_and_take_the_documented_arguments() -> None:
    assert SCHEMA.query_type is not None and SCHEMA.mutation_type is not None
    roots = {**SCHEMA.query_type.fields, **SCHEMA.mutation_type.fields}
    for name, field in roots.items():
        assert graphql.is_non_null_type(field.type), name
        if name == "createToken":
            assert list(field.args) == ["login", "password"]
            assert all(str(arg.type) == "String!" for arg in field.args.values())
            assert str(field.type) == "CreateTokenResponse!"
        else:
            assert list(field.args) == ["args"], name
            arg_type = field.args["args"].type
            assert graphql.is_non_null_type(arg_type), name
            assert graphql.is_input_object_type(graphql.get_nullable_type(arg_type)), name


def test_program_origin_arguments() -> None:
    args = SCHEMA.get_type("WsAcesso_ProgramOriginArgs")
    assert isinstance(args, graphql.GraphQLInputObjectType)
    assert {k: str(v.type) for k, v in args.fields.items()} == {"programCode": "Int!", "originCode": "Int!"}
    nested = SCHEMA.get_type("WsAcesso_NestedQuestionsArgs")
    assert isinstance(nested, graphql.GraphQLInputObjectType)
    assert {k: str(v.type) for k, v in nested.fields.items()} == {
        "programCode": "Int!",
        "parentBeneficiaryQuestionCode": "Int!",
    }


def test_type_names_are_prefixed() -> None:
    for name, named in SCHEMA.type_map.items():
        if name.startswith("__") or graphql.is_specified_scalar_type(named):
            continue
        assert name in {"Query", "Mutation", "CreateTokenResponse"} or name.startswith("WsAcesso_"), name


def test_irregular_public_spellings_are_kept() -> None:
    def fields(type_name: str) -> set[str]:
        named = SCHEMA.get_type(type_name)
        assert isinstance(named, graphql.GraphQLObjectType)
        return set(named.fields)

    assert "intialValue" in fields("WsAcesso_FormField")
    assert "initialValue" not in fields("WsAcesso_FormField")
    assert "EnteredValue" in fields("WsAcesso_Answer")
    assert "enteredValue" not in fields("WsAcesso_Answer")
    assert "enteredValue" in fields("WsAcesso_FormDynamicField")
    assert {"ean", "EAN"} <= fields("WsAcesso_Medicine")
    assert "EAN" in fields("WsAcesso_Question")


INT_FIELDS = {
    "code",
    "fieldCode",
    "responseCode",
    "codeQuestion",
    "userProgramCode",
    "codeProductRule",
    "questionCode",
    "parentQuestionCode",
    "programCode",
    "parentResponseCode",
    "codeNestedQuestion",
    "lineCode",
    "displayOrder",
    "sequence",
    "pixelFieldSize",
    "maximumSizeTypedValue",
    "typeCouncilAllowed",
}
BOOLEAN_FIELDS = {"multipleChoice", "required", "allowTypedValue", "tarred"}


def test_result_fields_follow_the_scalar_and_nullability_design() -> None:
    for name, named in SCHEMA.type_map.items():
        if not name.startswith("WsAcesso_") or not isinstance(named, graphql.GraphQLObjectType):
            continue
        for field_name, field in named.fields.items():
            coordinate = f"{name}.{field_name}"
            assert graphql.is_nullable_type(field.type), coordinate
            if graphql.is_list_type(field.type):
                item = field.type.of_type
                assert graphql.is_nullable_type(item), coordinate
                assert graphql.is_object_type(item), coordinate
                continue
            if graphql.is_object_type(field.type):
                continue
            expected = "String"
            if field_name in INT_FIELDS:
                expected = "Int"
            elif field_name in BOOLEAN_FIELDS:
                expected = "Boolean"
            assert str(field.type) == expected, coordinate


def test_every_element_has_a_description_and_assumptions_are_marked() -> None:
    elements = schema_elements()
    coordinates = {c for c, _ in elements}
    assert coordinates >= DOCUMENTED, sorted(DOCUMENTED - coordinates)
    missing = [c for c, d in elements if not d or not d.strip()]
    assert missing == []
    unmarked = [c for c, d in elements if c not in DOCUMENTED and "Assumed:" not in (d or "")]
    assert unmarked == []
    unsourced = [c for c, d in elements if c in DOCUMENTED and not (d or "").startswith("Public (")]
    assert unsourced == []
    # The designed parts are really covered by the walk.
    assumed = coordinates - DOCUMENTED
    assert {
        "CreateTokenResponse",
        "WsAcesso_ProgramOriginArgs",
        "Query.WsAcesso_listNestedQuestions(args:)",
        "Mutation.WsAcesso_registerPatient(args:)",
        "WsAcesso_RegisterPatientArgs.cpf",
        "WsAcesso_DynamicFieldInput.codeQuestion",
        "WsAcesso_InsertOptinExternalArgs.acceptanceDate",
    } <= assumed


def test_designed_operations_are_usable() -> None:
    document = graphql.parse(
        """
        query Nested {
          WsAcesso_listNestedQuestions(args: { programCode: 126, parentBeneficiaryQuestionCode: 99 }) {
            code message status questionnaire { questionCode parentQuestionCode titleDisplay }
          }
        }
        mutation Register {
          WsAcesso_registerPatient(args: {
            programCode: 126, originCode: 37, cpf: "52998224725", ean: "7896026304276",
            fields: [{ fieldName: "Nome", value: "Paciente Exemplo" }, { fieldName: "Email", value: null }],
            dynamicFields: [
              { codeQuestion: 99, responseCode: 961 }
              { codeQuestion: 103, responseCode: 965, enteredValue: "Ana" }
            ]
          }) { code message status }
        }
        mutation Update {
          WsAcesso_updatePatient(args: {
            programCode: 126, originCode: 37, cpf: "52998224725"
            fields: [{ fieldName: "Email", value: "a@example.com" }]
          }) { code message status }
        }
        mutation Optin {
          WsAcesso_insertOptinExternal(args: {
            programCode: 126, originCode: 37, cpf: "52998224725", ean: "7896026304276",
            acceptanceDate: "2025-11-20T12:10:05Z", channel: "APP"
          }) { code message status }
        }
        """
    )
    assert graphql.validate(SCHEMA, document) == []


@pytest.mark.parametrize(
    "extra", ['ean: "7896026304276"', "dynamicFields: [{ codeQuestion: 99, responseCode: 961 }]"]
)
def test_update_patient_rejects_product_data(extra: str) -> None:
    document = graphql.parse(
        'mutation { WsAcesso_updatePatient(args: { programCode: 126, originCode: 37, cpf: "52998224725", '
        f"{extra} }}) {{ code }} }}"
    )
    assert graphql.validate(SCHEMA, document) != []


def _execute(document_name: str, root_value: dict[str, Any]) -> graphql.ExecutionResult:
    result = graphql.execute(SCHEMA, load_graphql(document_name), root_value=root_value)
    assert isinstance(result, graphql.ExecutionResult)
    return result


def test_documented_medicines_response_is_what_the_sdl_produces() -> None:
    body = load_json("medicines-response.json")
    result = _execute("get-medicines-for-treatment-start.graphql", body["data"])
    assert result.errors is None
    assert result.data == body["data"]
    assert json.dumps(result.data) == json.dumps(body["data"])  # same key order as the documented example


def test_doc_original_medicines_key_is_not_a_root_field() -> None:
    original = load_json("medicines-doc-original.json")
    corrected = load_json("medicines-response.json")
    assert list(original["data"]) == ["getMedicinesForTreatmentStart"]
    assert list(corrected["data"]) == ["WsAcesso_getMedicinesForTreatmentStart"]
    payload = corrected["data"]["WsAcesso_getMedicinesForTreatmentStart"]
    assert original["data"]["getMedicinesForTreatmentStart"] == payload
    assert SCHEMA.query_type is not None
    assert "getMedicinesForTreatmentStart" not in SCHEMA.query_type.fields
    # A server keyed like the documentation would violate the non-null root field.
    result = _execute("get-medicines-for-treatment-start.graphql", original["data"])
    assert result.data is None and result.errors


def test_documented_create_token_response_is_what_the_sdl_produces() -> None:
    body = load_json("create-token-response-redacted.json")
    result = _execute("create-token.graphql", body["data"])
    assert result.errors is None
    assert result.data == body["data"]


def test_hypothesis_graphql_generates_valid_documents_from_the_sdl() -> None:
    seen: list[str] = []

    @settings(deadline=None, suppress_health_check=list(HealthCheck))  # example count from the active profile
    @given(query=queries(SDL), mutation=mutations(SDL))
    def check(query: str, mutation: str) -> None:
        for text in (query, mutation):
            seen.append(text)
            assert graphql.validate(SCHEMA, graphql.parse(text)) == []

    check()
    assert seen


def test_schemathesis_loads_the_sdl() -> None:
    import schemathesis

    loaded = schemathesis.graphql.from_path(SDL_PATH)
    labels = {result.ok().label for result in loaded.get_all_operations()}  # type: ignore[union-attr]
    expected = {f"Query.{f}" for f in QUERY_ROOT_FIELDS} | {f"Mutation.{f}" for f in MUTATION_ROOT_FIELDS}
    assert labels == expected


# ---------------------------------------------------------------------------------------------
# Response JSON Schema
# ---------------------------------------------------------------------------------------------


def test_response_schema_is_valid_2020_12() -> None:
    assert RESPONSES["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(RESPONSES)


REQUIRED_DEFS = {
    "Response",
    "GraphQLError",
    "UnauthenticatedError",
    "ValidationFailedError",
    "BadRequestError",
    "ForbiddenError",
    "InternalServerError",
    "UnauthenticatedResponse",
    "ValidationFailedResponse",
    "WsAcessoEnvelope",
    "WsAcessoSuccess",
    "WsAcessoBusinessFailure",
}


def test_required_defs_exist() -> None:
    assert set(RESPONSES["$defs"]) >= REQUIRED_DEFS


def test_root_field_enum_matches_the_sdl() -> None:
    assert set(RESPONSES["$defs"]["RootFieldName"]["enum"]) == ROOT_FIELDS


@pytest.mark.parametrize(
    "def_name",
    sorted(name for name, d in RESPONSES["$defs"].items() if "examples" in d),
)
def test_def_examples_validate(def_name: str) -> None:
    validator = validator_for(def_name)
    for example in RESPONSES["$defs"][def_name]["examples"]:
        assert list(validator.iter_errors(example)) == []


@pytest.mark.parametrize("path", sorted(DATA.glob("*.json")), ids=lambda p: p.name)
def test_every_data_body_is_a_graphql_response(path: Path) -> None:
    body = json.loads(path.read_text(encoding="utf-8"))
    assert list(Draft202012Validator(RESPONSES).iter_errors(body)) == []


def test_seed_bodies_validate_against_their_defs() -> None:
    unauth = load_json("unauthenticated-expired-token.json")
    valfail = load_json("validation-failed-password-required.json")
    token = load_json("create-token-response-redacted.json")
    medicines = load_json("medicines-response.json")

    assert is_valid("UnauthenticatedResponse", unauth)
    assert is_valid("ExecutionErrorResponse", unauth)
    assert not is_valid("ValidationFailedResponse", unauth)

    assert is_valid("ValidationFailedResponse", valfail)
    assert not is_valid("UnauthenticatedResponse", valfail)
    assert not is_valid("ExecutionErrorResponse", valfail)

    assert is_valid("CreateTokenSuccessResponse", token)
    payload = medicines["data"]["WsAcesso_getMedicinesForTreatmentStart"]
    assert is_valid("WsAcessoSuccess", payload)
    assert is_valid("WsAcessoEnvelope", payload)
    assert not is_valid("WsAcessoBusinessFailure", payload)


def test_seed_bodies_keep_the_documented_key_order() -> None:
    def keys(obj: Any) -> list[str]:
        return list(obj)

    unauth = load_json("unauthenticated-expired-token.json")
    assert keys(unauth) == ["errors", "data"]
    error = unauth["errors"][0]
    assert keys(error) == ["message", "path", "extensions"]
    assert keys(error["extensions"]) == ["code", "originalError"]
    assert keys(error["extensions"]["originalError"]) == ["message", "statusCode"]
    assert error["path"] == ["WsAcesso_insertOptinExternal"]

    valfail = load_json("validation-failed-password-required.json")
    assert keys(valfail) == ["errors"]
    assert keys(valfail["errors"][0]) == ["message", "locations", "extensions"]
    assert valfail["errors"][0]["locations"] == [{"line": 2, "column": 3}]


def test_seed_expired_token_body_bytes() -> None:
    text = (DATA / "unauthenticated-expired-token.json").read_text(encoding="utf-8")
    assert text == (
        '{\n"errors": [\n{\n"message": "Unauthorized",\n"path": [\n"WsAcesso_insertOptinExternal"\n],\n'
        '"extensions": {\n"code": "UNAUTHENTICATED",\n"originalError": {\n"message": "Unauthorized",\n'
        '"statusCode": 401\n}\n}\n}\n],\n"data": null\n}\n'
    )


def _mutated(body: dict[str, Any], change: Any) -> dict[str, Any]:
    copied = copy.deepcopy(body)
    change(copied)
    return copied


UNAUTH_MUTATIONS = {
    "wrong-code": lambda b: b["errors"][0]["extensions"].update(code="UNAUTHORIZED"),
    "wrong-status-code": lambda b: b["errors"][0]["extensions"]["originalError"].update(statusCode=403),
    "status-code-as-string": lambda b: b["errors"][0]["extensions"]["originalError"].update(statusCode="401"),
    "extra-locations": lambda b: b["errors"][0].update(locations=[{"line": 2, "column": 3}]),
    "extra-error-key": lambda b: b["errors"][0]["extensions"]["originalError"].update(error="Unauthorized"),
    "extra-extensions-key": lambda b: b["errors"][0]["extensions"].update(status=401),
    "lower-case-message": lambda b: b["errors"][0].update(message="unauthorized"),
    "unknown-root-field": lambda b: b["errors"][0].update(path=["getMedicinesForTreatmentStart"]),
    "nested-path": lambda b: b["errors"][0].update(path=["WsAcesso_insertOptinExternal", "code"]),
    "missing-path": lambda b: b["errors"][0].pop("path"),
    "data-not-null": lambda b: b.update(data={"WsAcesso_insertOptinExternal": None}),
    "data-missing": lambda b: b.pop("data"),
    "errors-empty": lambda b: b.update(errors=[]),
}


@pytest.mark.parametrize("name", sorted(UNAUTH_MUTATIONS))
def test_unauthenticated_response_is_strict(name: str) -> None:
    body = _mutated(load_json("unauthenticated-expired-token.json"), UNAUTH_MUTATIONS[name])
    assert not is_valid("UnauthenticatedResponse", body)


VALIDATION_MUTATIONS = {
    "with-data": lambda b: b.update(data=None),
    "without-locations": lambda b: b["errors"][0].pop("locations"),
    "with-path": lambda b: b["errors"][0].update(path=["createToken"]),
    "wrong-code": lambda b: b["errors"][0]["extensions"].update(code="BAD_USER_INPUT"),
    "zero-line": lambda b: b["errors"][0].update(locations=[{"line": 0, "column": 3}]),
}


@pytest.mark.parametrize("name", sorted(VALIDATION_MUTATIONS))
def test_validation_failed_response_is_strict(name: str) -> None:
    body = _mutated(load_json("validation-failed-password-required.json"), VALIDATION_MUTATIONS[name])
    assert not is_valid("ValidationFailedResponse", body)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"data": None},
        {"errors": []},
        {"data": {}, "errors": []},
        {"data": [], "errors": [{"message": "x"}]},
        {"data": None, "errors": [{"message": ""}]},
        {"data": {}, "other": 1},
    ],
    ids=[
        "empty",
        "null-data-without-errors",
        "empty-errors",
        "data-and-empty-errors",
        "data-list",
        "empty-message",
        "unknown-key",
    ],
)
def test_generic_response_rejects_malformed_bodies(body: dict[str, Any]) -> None:
    assert not Draft202012Validator(RESPONSES).is_valid(body)


@pytest.mark.parametrize(
    "envelope, success, failure",
    [
        ({"code": 0, "message": None, "status": "00"}, True, False),
        ({"code": 1, "message": "CPF inválido.", "status": "01"}, False, True),
        ({"code": 0, "message": None, "status": "0"}, False, False),
        ({"code": "0", "message": None, "status": "00"}, False, False),
        ({"code": 1, "message": None, "status": "01"}, False, False),
        ({"code": 1, "message": "", "status": "01"}, False, False),
        ({"code": 1, "message": "Programa não encontrado.", "status": "01", "medicines": []}, False, False),
    ],
)
def test_wsacesso_envelope(envelope: dict[str, Any], success: bool, failure: bool) -> None:
    assert is_valid("WsAcessoSuccess", envelope) is success
    assert is_valid("WsAcessoBusinessFailure", envelope) is failure
    assert is_valid("WsAcessoEnvelope", envelope) is (success or failure)


def test_business_error_table() -> None:
    table = RESPONSES["x-specmock-business-errors"]
    assert len(table) >= 5
    keys = [row["key"] for row in table]
    assert len(set(keys)) == len(keys)
    messages = [row["message"] for row in table]
    assert len(set(messages)) == len(messages)
    assert {
        "PROGRAM_NOT_FOUND",
        "INVALID_CPF",
        "PATIENT_NOT_FOUND",
        "OPTIN_ALREADY_REGISTERED",
        "PATIENT_ALREADY_REGISTERED",
    } <= set(keys)
    row_validator = validator_for("BusinessError")
    for row in table:
        assert list(row_validator.iter_errors(row)) == [], row["key"]
        assert "createToken" not in row["operations"], row["key"]
        envelope = {"code": row["code"], "message": row["message"], "status": row["status"]}
        assert is_valid("WsAcessoBusinessFailure", envelope), row["key"]
        assert not is_valid("WsAcessoSuccess", envelope), row["key"]


def test_execution_error_defs_are_distinct() -> None:
    examples = {
        name: RESPONSES["$defs"][name]["examples"][0]
        for name in ("UnauthenticatedError", "BadRequestError", "ForbiddenError", "InternalServerError")
    }
    for name, example in examples.items():
        for other in examples:
            assert is_valid(other, example) is (other == name), (name, other)
        assert is_valid("GraphQLError", example), name
        assert is_valid("ExecutionErrorResponse", {"errors": [example], "data": None}), name


def test_internal_server_error_rejects_mapped_statuses() -> None:
    example = RESPONSES["$defs"]["InternalServerError"]["examples"][0]
    for status in (400, 401, 403, 422):
        body = copy.deepcopy(example)
        body["extensions"]["status"] = status
        assert not is_valid("InternalServerError", body), status


def _b64url_decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def test_create_token_example_has_the_public_jwt_shape() -> None:
    token = load_json("create-token-response-redacted.json")["data"]["createToken"]["token"]
    header, payload, signature = token.split(".")
    assert _b64url_decode(header) == b'{"typ":"JWT","alg":"RS256"}'
    claims = json.loads(_b64url_decode(payload))
    assert list(claims) == [
        "iat",
        "exp",
        "jti",
        "iss",
        "sub",
        "profiles",
        "name",
        "identity",
        "uuid",
        "email",
        "mobile_number",
        "authorized_app",
    ]
    assert claims["exp"] - claims["iat"] == 3600
    assert claims["iss"] == "SSO"
    assert claims["sub"] == claims["uuid"]
    assert list(claims["profiles"]) == ["master", "point_of_sales_buyer"]
    assert claims["authorized_app"] is True
    assert len(_b64url_decode(signature)) == 512
