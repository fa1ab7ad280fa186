"""The seven WsAcesso operations: documented data, business failures in ``data``, and state."""

from __future__ import annotations

import json
from typing import Any

import pytest

from specmock.mocks.pbm.data import cpf_is_valid
from tests.mocks.pbm.support import BUSINESS_TABLE, Mock, business_key, make_mock, minified, read_data

VALID_CPF = "52998224725"
OTHER_CPF = "11144477735"
MICARDIS_80 = "7896026304276"
MICARDIS_40 = "7896026304245"
ENVELOPE = "code message status"
REQUIRED_FIELDS = [
    {"fieldName": "Nome", "value": "Paciente Exemplo"},
    {"fieldName": "DataNascimento", "value": "1980-05-17"},
    {"fieldName": "TelefoneCelular", "value": "11987654321"},
    {"fieldName": "CRM", "value": "123456"},
    {"fieldName": "CRMUF", "value": "SP"},
]
RESPONSAVEL_PACIENTE = [{"codeQuestion": 99, "responseCode": 961}]

REGISTER = (
    f"mutation($a: WsAcesso_RegisterPatientArgs!) {{ WsAcesso_registerPatient(args: $a) {{ {ENVELOPE} }} }}"
)
UPDATE = f"mutation($a: WsAcesso_UpdatePatientArgs!) {{ WsAcesso_updatePatient(args: $a) {{ {ENVELOPE} }} }}"
OPTIN = (
    f"mutation($a: WsAcesso_InsertOptinExternalArgs!) {{ WsAcesso_insertOptinExternal(args: $a) "
    f"{{ {ENVELOPE} }} }}"
)
NESTED = (
    "query($p: Int!, $q: Int!) { WsAcesso_listNestedQuestions(args: {programCode: $p, "
    "parentBeneficiaryQuestionCode: $q}) { code message status questionnaire { questionCode "
    "parentQuestionCode titleDisplay answers { responseCode titleDisplay } } } }"
)
SUCCESS = {"code": 0, "message": None, "status": "00"}


@pytest.fixture(scope="module")
def mock() -> Mock:
    return make_mock()


@pytest.fixture(scope="module")
def token(mock: Mock) -> str:
    return mock.token()


@pytest.fixture(autouse=True)
def _fresh(mock: Mock) -> None:
    mock.api.reset()


def call(mock: Mock, token: str, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    data = mock.data(query, variables, token)
    (value,) = data.values()
    return dict(value)


def register(mock: Mock, token: str, **args: Any) -> dict[str, Any]:
    full = {
        "programCode": 126,
        "originCode": 37,
        "cpf": VALID_CPF,
        "ean": MICARDIS_80,
        "fields": REQUIRED_FIELDS,
        "dynamicFields": RESPONSAVEL_PACIENTE,
        **args,
    }
    return call(mock, token, REGISTER, {"a": {k: v for k, v in full.items() if v is not ...}})


def update(mock: Mock, token: str, **args: Any) -> dict[str, Any]:
    return call(mock, token, UPDATE, {"a": {"programCode": 126, "originCode": 37, "cpf": VALID_CPF, **args}})


def optin(mock: Mock, token: str, **args: Any) -> dict[str, Any]:
    return call(mock, token, OPTIN, {"a": {"programCode": 126, "originCode": 37, "cpf": VALID_CPF, **args}})


def failure(result: dict[str, Any], operation: str) -> str:
    assert result["code"] == 1 and result["status"] == "01", result
    return business_key(result["message"], operation)


# -- reads --------------------------------------------------------------------------------------


def test_documented_medicines_query_answers_the_documented_example_exactly(mock: Mock, token: str) -> None:
    response = mock.graphql(read_data("get-medicines-for-treatment-start.graphql"), token=token)
    assert response.content == minified(read_data("medicines-response.json"))


def test_program_form_has_the_documented_forms_and_fields(mock: Mock, token: str) -> None:
    result = call(mock, token, read_data("consult-program-form.graphql"))
    assert {k: result[k] for k in ("code", "message", "status")} == SUCCESS
    forms = {form["formType"]: form for form in result["forms"]}
    assert list(forms) == ["Paciente", "Medicamento"]
    display = {f["fieldName"]: f["displayConfiguration"] for f in forms["Paciente"]["fields"]}
    assert {k: display[k] for k in ("Nome", "DataNascimento", "TelefoneCelular", "Email")} == {
        "Nome": "Obrigatório",
        "DataNascimento": "Obrigatório",
        "TelefoneCelular": "Obrigatório",
        "Email": "Opcional",
    }
    assert [(f["fieldName"], f["displayConfiguration"]) for f in forms["Medicamento"]["fields"]] == [
        ("CRM", "Obrigatório"),
        ("CRMUF", "Obrigatório"),
    ]
    sexo = next(f for f in forms["Paciente"]["fields"] if f["fieldName"] == "Sexo")
    assert [o["value"] for o in sexo["optionFields"]] == ["M", "F"]


def test_questionnaire_of_program_126(mock: Mock, token: str) -> None:
    result = call(mock, token, read_data("list-dynamics-fields-origin.graphql"))
    questions = {q["questionCode"]: q for q in result["questionnaire"]}
    assert list(questions) == [99, 103, 104, 105, 84]
    assert {c: q["parentQuestionCode"] for c, q in questions.items()} == {
        99: None,
        103: 99,
        104: 99,
        105: 99,
        84: None,
    }
    assert all(q["programCode"] == 126 and q["code"] == 0 and q["status"] == "00" for q in questions.values())
    answers = {a["responseCode"]: a["titleDisplay"] for q in questions.values() for a in q["answers"]}
    assert answers == {
        960: "Cuidador",
        961: "Paciente",
        962: "Responsável Legal",
        963: "Sim",
        964: "Não",
        965: "Nome",
        966: "Celular",
        942: "Diabetes - Tipo 2",
        943: "Insuficiência Cardíaca",
    }
    assert questions[99]["titleDisplay"] == "Responsável Cadastro" and questions[99]["required"] is True
    assert questions[84]["titleDisplay"] == "Indicação" and questions[84]["multipleChoice"] is True
    typed = {
        a["responseCode"]: a["maximumSizeTypedValue"]
        for q in questions.values()
        for a in q["answers"]
        if a["allowTypedValue"]
    }
    assert typed == {965: 50, 966: 13}
    nested = {(n["parentQuestionCode"], n["codeNestedQuestion"]) for n in questions[99]["nestedQuestion"]}
    assert nested == {(99, 103), (99, 104), (99, 105)}


def test_nested_questions_of_99_are_103_to_105(mock: Mock, token: str) -> None:
    result = call(mock, token, NESTED, {"p": 126, "q": 99})
    assert [q["questionCode"] for q in result["questionnaire"]] == [103, 104, 105]
    assert {q["parentQuestionCode"] for q in result["questionnaire"]} == {99}
    assert call(mock, token, NESTED, {"p": 126, "q": 84})["questionnaire"] == []
    missing = call(mock, token, NESTED, {"p": 126, "q": 12345})
    assert failure(missing, "WsAcesso_listNestedQuestions") == "PARENT_QUESTION_NOT_FOUND"
    assert missing["questionnaire"] is None
    assert failure(call(mock, token, NESTED, {"p": 1, "q": 99}), "WsAcesso_listNestedQuestions") == (
        "PROGRAM_NOT_FOUND"
    )


@pytest.mark.parametrize(
    ("field", "payload"),
    [
        ("WsAcesso_consultProgramForm", "forms { formType }"),
        ("WsAcesso_listDynamicsFieldsOrigin", "questionnaire { questionCode }"),
        ("WsAcesso_getMedicinesForTreatmentStart", "medicines { ean }"),
    ],
)
@pytest.mark.parametrize(
    ("program", "origin", "key"),
    [(1, 37, "PROGRAM_NOT_FOUND"), (126, 1, "ORIGIN_NOT_ALLOWED"), (-5, -5, "PROGRAM_NOT_FOUND")],
)
def test_unknown_program_or_origin_is_a_business_error_inside_data(
    mock: Mock, token: str, field: str, payload: str, program: int, origin: int, key: str
) -> None:
    query = (
        f"{{ {field}(args: {{programCode: {program}, originCode: {origin}}}) {{ {ENVELOPE} {payload} }} }}"
    )
    response = mock.graphql(query, token=token)
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body
    result = body["data"][field]
    assert failure(result, field) == key
    assert result[payload.split()[0]] is None


# -- registerPatient ------------------------------------------------------------------------------


def test_register_then_update_then_optin(mock: Mock, token: str) -> None:
    assert register(mock, token) == SUCCESS
    assert update(mock, token, fields=[{"fieldName": "Email", "value": "novo@example.com"}]) == SUCCESS
    assert mock.api.store.patient(126, VALID_CPF).fields["Email"] == "novo@example.com"
    assert (
        optin(mock, token, ean=MICARDIS_80, acceptanceDate="2024-03-01T10:00:00-03:00", channel="APP")
        == SUCCESS
    )
    assert mock.api.info("http://x")["optins"] == 1


@pytest.mark.parametrize(
    "cpf",
    [
        "52998224724",
        "00000000000",
        "11111111111",
        "529.982.247-25",
        "5299822472",
        "529982247250",
        "abcdefghijk",
        "",
        "５２９９８２２４７２５",
    ],
)
def test_invalid_cpfs_are_business_errors(mock: Mock, token: str, cpf: str) -> None:
    assert not cpf_is_valid(cpf)
    assert failure(register(mock, token, cpf=cpf), "WsAcesso_registerPatient") == "INVALID_CPF"
    assert failure(update(mock, token, cpf=cpf), "WsAcesso_updatePatient") == "INVALID_CPF"
    assert failure(optin(mock, token, cpf=cpf), "WsAcesso_insertOptinExternal") == "INVALID_CPF"


def test_register_checks_program_origin_product_and_required_data(mock: Mock, token: str) -> None:
    op = "WsAcesso_registerPatient"
    assert failure(register(mock, token, programCode=9), op) == "PROGRAM_NOT_FOUND"
    assert failure(register(mock, token, originCode=9), op) == "ORIGIN_NOT_ALLOWED"
    assert failure(register(mock, token, ean="7890000000000"), op) == "PRODUCT_NOT_IN_PROGRAM"
    missing = register(mock, token, fields=REQUIRED_FIELDS[1:])
    assert failure(missing, op) == "REQUIRED_FIELD_MISSING"
    assert missing["message"] == "Campo obrigatório não informado: Nome."
    blank = register(mock, token, fields=[*REQUIRED_FIELDS[:-1], {"fieldName": "CRMUF", "value": "  "}])
    assert blank["message"] == "Campo obrigatório não informado: CRMUF."
    no_answer = register(mock, token, dynamicFields=[])
    assert no_answer["message"] == "Campo obrigatório não informado: Responsável Cadastro."
    assert mock.api.store.patient(126, VALID_CPF) is None


@pytest.mark.parametrize(
    "answers",
    [
        [{"codeQuestion": 77, "responseCode": 961}],
        [{"codeQuestion": 99, "responseCode": 942}],
        [{"codeQuestion": 99, "responseCode": 960}, {"codeQuestion": 99, "responseCode": 961}],
        [{"codeQuestion": 99, "responseCode": 961, "enteredValue": "x"}],
        [
            {"codeQuestion": 99, "responseCode": 960},
            {"codeQuestion": 103, "responseCode": 965, "enteredValue": "x" * 51},
        ],
    ],
    ids=[
        "unknown-question",
        "foreign-answer",
        "two-answers-single-choice",
        "typed-not-allowed",
        "typed-too-long",
    ],
)
def test_invalid_dynamic_answers(mock: Mock, token: str, answers: list[dict[str, Any]]) -> None:
    result = register(mock, token, dynamicFields=answers)
    assert failure(result, "WsAcesso_registerPatient") == "INVALID_DYNAMIC_ANSWER"
    assert result["message"] == f"Resposta inválida para a questão {answers[-1]['codeQuestion']}."


def test_register_accepts_nested_and_multiple_choice_answers(mock: Mock, token: str) -> None:
    answers = [
        {"codeQuestion": 99, "responseCode": 960},
        {"codeQuestion": 103, "responseCode": 965, "enteredValue": "Maria Cuidadora"},
        {"codeQuestion": 104, "responseCode": 966, "enteredValue": "11987654321"},
        {"codeQuestion": 84, "responseCode": 942},
        {"codeQuestion": 84, "responseCode": 943},
    ]
    assert register(mock, token, dynamicFields=answers) == SUCCESS


def test_registering_twice_is_refused_but_another_ean_re_registers(mock: Mock, token: str) -> None:
    assert register(mock, token) == SUCCESS
    assert failure(register(mock, token), "WsAcesso_registerPatient") == "PATIENT_ALREADY_REGISTERED"
    assert failure(register(mock, token, ean=...), "WsAcesso_registerPatient") == "PATIENT_ALREADY_REGISTERED"
    assert register(mock, token, ean=MICARDIS_40) == SUCCESS  # the full flow resent with new product data
    assert mock.api.store.patient(126, VALID_CPF).ean == MICARDIS_40


# -- updatePatient ---------------------------------------------------------------------------------


def test_updating_an_unknown_patient_is_a_business_error(mock: Mock, token: str) -> None:
    assert failure(update(mock, token, cpf=OTHER_CPF), "WsAcesso_updatePatient") == "PATIENT_NOT_FOUND"


@pytest.mark.parametrize("key", ["CRM", "crmuf", "EAN", "CodigoRegra", "Linhas", "codigoproduto"])
def test_update_refuses_product_related_keys(mock: Mock, token: str, key: str) -> None:
    assert register(mock, token) == SUCCESS
    result = update(
        mock, token, fields=[{"fieldName": "Email", "value": "a@b.c"}, {"fieldName": key, "value": "1"}]
    )
    assert failure(result, "WsAcesso_updatePatient") == "PRODUCT_DATA_NOT_UPDATABLE"
    assert mock.api.store.patient(126, VALID_CPF).fields.get("Email") is None


def test_update_cannot_clear_a_required_field_but_can_clear_an_optional_one(mock: Mock, token: str) -> None:
    assert register(
        mock, token, fields=[*REQUIRED_FIELDS, {"fieldName": "Email", "value": "x@example.com"}]
    ) == (SUCCESS)
    result = update(mock, token, fields=[{"fieldName": "Nome", "value": None}])
    assert failure(result, "WsAcesso_updatePatient") == "REQUIRED_FIELD_MISSING"
    assert update(mock, token, fields=[{"fieldName": "Email", "value": None}]) == SUCCESS
    assert update(mock, token) == SUCCESS


def test_seeded_patients_can_be_updated_at_once(mock: Mock, token: str) -> None:
    seeded = sorted(cpf for (_, cpf) in mock.api.store.patients)
    assert len(seeded) == 3 and all(cpf_is_valid(cpf) for cpf in seeded)
    assert (
        update(mock, token, cpf=seeded[0], fields=[{"fieldName": "Email", "value": "s@example.com"}])
        == SUCCESS
    )
    assert seeded == sorted(cpf for (_, cpf) in make_mock().api.store.patients)  # same seed, same people


# -- insertOptinExternal --------------------------------------------------------------------------


def test_opting_in_twice_is_refused(mock: Mock, token: str) -> None:
    op = "WsAcesso_insertOptinExternal"
    assert failure(optin(mock, token), op) == "PATIENT_NOT_FOUND"
    assert register(mock, token) == SUCCESS
    assert optin(mock, token, ean=MICARDIS_80) == SUCCESS
    assert failure(optin(mock, token, ean=MICARDIS_80), op) == "OPTIN_ALREADY_REGISTERED"
    assert failure(optin(mock, token), op) == "OPTIN_ALREADY_REGISTERED"  # any opt-in of the cpf
    assert optin(mock, token, ean=MICARDIS_40) == SUCCESS
    assert failure(optin(mock, token, ean="123"), op) == "PRODUCT_NOT_IN_PROGRAM"


@pytest.mark.parametrize("date", ["ontem", "2024-13-01", "2024-02-30T10:00:00", "", "9999-01-01"])
def test_acceptance_date_must_be_iso_and_not_in_the_future(mock: Mock, token: str, date: str) -> None:
    assert register(mock, token) == SUCCESS
    result = optin(mock, token, acceptanceDate=date)
    assert failure(result, "WsAcesso_insertOptinExternal") == "INVALID_ACCEPTANCE_DATE"


def test_acceptance_date_follows_the_mock_clock(mock: Mock, token: str) -> None:
    assert register(mock, token) == SUCCESS
    tomorrow_seconds = mock.state.clock.now() + 86_400
    from datetime import UTC, datetime

    tomorrow = datetime.fromtimestamp(tomorrow_seconds, UTC).date().isoformat()
    assert failure(optin(mock, token, acceptanceDate=tomorrow), "WsAcesso_insertOptinExternal") == (
        "INVALID_ACCEPTANCE_DATE"
    )
    mock.state.clock.advance(2 * 86_400)
    fresh = mock.token()
    assert optin(mock, fresh, acceptanceDate=tomorrow) == SUCCESS
    mock.state.clock.reset()


def test_reset_forgets_registrations_and_optins(mock: Mock, token: str) -> None:
    assert register(mock, token) == SUCCESS
    assert optin(mock, token) == SUCCESS
    mock.api.reset()
    assert mock.api.store.patient(126, VALID_CPF) is None and mock.api.store.optins == []
    assert register(mock, token) == SUCCESS


def test_every_business_error_of_the_table_is_reachable_with_its_spec_message() -> None:
    mock = make_mock()
    token = mock.token()
    seen = set()
    for result in (
        call(mock, token, NESTED, {"p": 1, "q": 99}),
        register(mock, token, originCode=1),
        call(mock, token, NESTED, {"p": 126, "q": 1}),
        register(mock, token, cpf="1"),
        register(mock, token, fields=[]),
        register(mock, token, ean="1"),
        register(mock, token, dynamicFields=[{"codeQuestion": 1, "responseCode": 1}]),
        register(mock, token),
        register(mock, token),
        update(mock, token, cpf=OTHER_CPF),
        update(mock, token, fields=[{"fieldName": "CRM", "value": "1"}]),
        optin(mock, token),
        optin(mock, token),
        optin(mock, token, acceptanceDate="x"),
    ):
        if result["code"] != 0:
            (operation,) = [
                row for row in BUSINESS_TABLE if row["message"].split("{")[0] in result["message"]
            ]
            seen.add(operation["key"])
    assert seen == {row["key"] for row in BUSINESS_TABLE}


def test_business_messages_are_utf8_on_the_wire(mock: Mock, token: str) -> None:
    response = mock.graphql(
        "{ WsAcesso_getMedicinesForTreatmentStart(args: {programCode: 1, originCode: 1}) { message } }",
        token=token,
    )
    assert "Programa não encontrado.".encode() in response.content
    assert json.loads(response.content)["data"]["WsAcesso_getMedicinesForTreatmentStart"]["message"] == (
        "Programa não encontrado."
    )
