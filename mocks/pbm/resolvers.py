"""The eight root fields: ``createToken`` and the seven ``WsAcesso_*`` operations.

Each resolver is a plain callable in the root value (graphql-core's default resolver calls it
with ``info`` and the arguments), so the schema built from the SDL stays untouched. Business
outcomes are answered inside ``data`` in the ``code``/``message``/``status`` envelope — success
``0``/``null``/``"00"`` (public), failures ``1``/``"01"`` with the Portuguese text of the spec's
``x-specmock-business-errors`` table, the one catalogue of business failures. Only a missing or
bad token becomes a GraphQL error (:class:`~specmock.mocks.pbm.errors.FieldError`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from graphql import GraphQLResolveInfo

from specmock import specs
from specmock.mocks.core.state import MockState
from specmock.mocks.core.tokens import TokenRecord
from specmock.mocks.pbm import auth, data
from specmock.mocks.pbm.errors import FieldError
from specmock.mocks.pbm.store import OptIn, Patient, PbmStore

__all__ = ["BUSINESS_ERRORS", "SUCCESS", "BusinessFailure", "RequestContext", "Resolvers"]

#: Business failures by key, from the response schema (the spec is the catalogue).
BUSINESS_ERRORS: dict[str, dict[str, Any]] = {
    row["key"]: row for row in specs.load("pbm.responses.schema.json")["x-specmock-business-errors"]
}
SUCCESS: dict[str, Any] = {"code": 0, "message": None, "status": "00"}


class BusinessFailure(Exception):
    """A business rule said no: answered as the failure envelope of ``key``."""

    def __init__(self, key: str, **values: Any) -> None:
        row = BUSINESS_ERRORS[key]
        super().__init__(row["message"])
        message = row["message"].format(**values)
        self.envelope = {"code": row["code"], "message": message, "status": row["status"]}


class RequestContext:
    """Per-request context: the ``Authorization`` header, checked once, on first use."""

    __slots__ = ("_checked", "_record", "authorization", "refused", "state", "token_field")

    def __init__(self, state: MockState, authorization: str | None) -> None:
        self.state = state
        self.authorization = authorization
        self._checked = False
        self._record: TokenRecord | None = None
        #: The first root field that asked for the token (what a cached result must check again).
        self.token_field: str | None = None
        #: The token check that failed, if one did (a key of ``core.why.TOKEN_CHECKS``).
        self.refused: str | None = None

    def require_token(self, field_name: str) -> TokenRecord:
        if not self._checked:
            self.token_field = field_name
            found = auth.check_token(self.state, self.authorization)
            self._record, self.refused = (found, None) if isinstance(found, TokenRecord) else (None, found)
            self._checked = True
        if self._record is None:
            raise FieldError.unauthenticated(field_name)
        return self._record


def _check_program(program: int, origin: int | None = None) -> None:
    if program not in data.PROGRAM_ORIGINS:
        raise BusinessFailure("PROGRAM_NOT_FOUND")
    if origin is not None and origin not in data.PROGRAM_ORIGINS[program]:
        raise BusinessFailure("ORIGIN_NOT_ALLOWED")


def _check_cpf(cpf: str) -> None:
    if not data.cpf_is_valid(cpf):
        raise BusinessFailure("INVALID_CPF")


def _check_ean(ean: str | None) -> None:
    if ean is not None and ean not in data.MEDICINE_EANS:
        raise BusinessFailure("PRODUCT_NOT_IN_PROGRAM")


def _blank(value: str | None) -> bool:
    return value is None or not value.strip()


def _field_values(items: list[dict[str, Any]] | None) -> dict[str, str | None]:
    return {item["fieldName"]: item.get("value") for item in items or []}


def _check_answers(items: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The dynamic answers, each naming a question of the program and one of its answers."""
    chosen: dict[int, set[int]] = {}
    answers = []
    for item in items or []:
        code, response = item["codeQuestion"], item["responseCode"]
        question = data.QUESTIONS.get(code)
        answers_of = question["answers"] if question else []
        answer = next((a for a in answers_of if a["responseCode"] == response), None)
        entered = item.get("enteredValue")
        if question is None or answer is None or (entered is not None and (
                not answer["allowTypedValue"] or len(entered) > answer["maximumSizeTypedValue"])):
            raise BusinessFailure("INVALID_DYNAMIC_ANSWER", codeQuestion=code)
        chosen.setdefault(code, set()).add(response)
        if len(chosen[code]) > 1 and not question["multipleChoice"]:
            raise BusinessFailure("INVALID_DYNAMIC_ANSWER", codeQuestion=code)
        answers.append({"codeQuestion": code, "responseCode": response, "enteredValue": entered})
    for question in data.QUESTIONNAIRE:
        if question["required"] and question["questionCode"] not in chosen:
            raise BusinessFailure("REQUIRED_FIELD_MISSING", fieldName=question["titleDisplay"])
    return answers


def _acceptance_ok(text: str, now: float) -> bool:
    """ISO-8601 date or date-time, not in the future (naive values are taken as UTC)."""
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp() <= now
    except (ValueError, OverflowError):
        return False


def _business(operation: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """Turns a :class:`BusinessFailure` into the failure envelope (payload field left null)."""

    def wrapped(self: Resolvers, info: GraphQLResolveInfo, **kwargs: Any) -> dict[str, Any]:
        info.context.require_token(info.field_name)
        try:
            return operation(self, **kwargs)
        except BusinessFailure as failure:
            return failure.envelope

    wrapped.__name__ = operation.__name__
    wrapped.__doc__ = operation.__doc__
    return wrapped


class Resolvers:
    """The operations over one mock's state and store."""

    def __init__(self, state: MockState, store: PbmStore) -> None:
        self.state = state
        self.store = store
        forms = {"forms": list(data.FORMS)}
        self._form = {**SUCCESS, **forms}
        self._questionnaire = {**SUCCESS, "questionnaire": list(data.QUESTIONNAIRE)}
        self._medicines = {**SUCCESS, "medicines": list(data.MEDICINES)}
        self._nested = {
            code: {**SUCCESS, "questionnaire": data.nested_questions(code)} for code in data.QUESTIONS
        }

    def root_value(self) -> dict[str, Callable[..., Any]]:
        return {
            "createToken": self.create_token,
            "WsAcesso_consultProgramForm": self.consult_program_form,
            "WsAcesso_listDynamicsFieldsOrigin": self.list_dynamics_fields_origin,
            "WsAcesso_listNestedQuestions": self.list_nested_questions,
            "WsAcesso_getMedicinesForTreatmentStart": self.get_medicines_for_treatment_start,
            "WsAcesso_registerPatient": self.register_patient,
            "WsAcesso_updatePatient": self.update_patient,
            "WsAcesso_insertOptinExternal": self.insert_optin_external,
        }

    def create_token(self, info: GraphQLResolveInfo, login: str, password: str) -> dict[str, Any]:
        """No Authorization needed; wrong credentials get the documented UNAUTHENTICATED error."""
        if not auth.check_credentials(self.state, login, password):
            info.context.refused = "bad_credentials"
            raise FieldError.unauthenticated(info.field_name)
        return {"token": auth.issue_token(self.state, login)}

    # -- reads ---------------------------------------------------------------------------------

    @_business
    def consult_program_form(self, args: dict[str, Any]) -> dict[str, Any]:
        _check_program(args["programCode"], args["originCode"])
        return self._form

    @_business
    def list_dynamics_fields_origin(self, args: dict[str, Any]) -> dict[str, Any]:
        """Every question of the program, nested ones included (they name their parent)."""
        _check_program(args["programCode"], args["originCode"])
        return self._questionnaire

    @_business
    def list_nested_questions(self, args: dict[str, Any]) -> dict[str, Any]:
        _check_program(args["programCode"])
        nested = self._nested.get(args["parentBeneficiaryQuestionCode"])
        if nested is None:
            raise BusinessFailure("PARENT_QUESTION_NOT_FOUND")
        return nested

    @_business
    def get_medicines_for_treatment_start(self, args: dict[str, Any]) -> dict[str, Any]:
        _check_program(args["programCode"], args["originCode"])
        return self._medicines

    # -- writes --------------------------------------------------------------------------------

    @_business
    def register_patient(self, args: dict[str, Any]) -> dict[str, Any]:
        """Registers, or re-registers with another EAN (the W3 way to change product data)."""
        program, cpf, ean = args["programCode"], args["cpf"], args.get("ean")
        _check_program(program, args["originCode"])
        _check_cpf(cpf)
        _check_ean(ean)
        values = _field_values(args.get("fields"))
        for name in data.REQUIRED_FIELDS:
            if _blank(values.get(name)):
                raise BusinessFailure("REQUIRED_FIELD_MISSING", fieldName=name)
        answers = _check_answers(args.get("dynamicFields"))
        now = self.state.clock.now()
        with self.store.lock:
            existing = self.store.patient(program, cpf)
            if existing is not None and (ean is None or ean == existing.ean):
                raise BusinessFailure("PATIENT_ALREADY_REGISTERED")
            patient = Patient(program, args["originCode"], cpf, ean, values, answers, now, now)
            self.store.patients[(program, cpf)] = patient
        return SUCCESS

    @_business
    def update_patient(self, args: dict[str, Any]) -> dict[str, Any]:
        """Patient data only: product-related keys are refused (W3 rule)."""
        program, cpf = args["programCode"], args["cpf"]
        _check_program(program, args["originCode"])
        _check_cpf(cpf)
        values = _field_values(args.get("fields"))
        if any(name.casefold() in data.PRODUCT_KEYS for name in values):
            raise BusinessFailure("PRODUCT_DATA_NOT_UPDATABLE")
        with self.store.lock:
            patient = self.store.patient(program, cpf)
            if patient is None:
                raise BusinessFailure("PATIENT_NOT_FOUND")
            for name in data.REQUIRED_FIELDS:
                if name in values and _blank(values[name]):
                    raise BusinessFailure("REQUIRED_FIELD_MISSING", fieldName=name)
            patient.fields.update(values)
            patient.origin = args["originCode"]
            patient.updated_at = self.state.clock.now()
        return SUCCESS

    @_business
    def insert_optin_external(self, args: dict[str, Any]) -> dict[str, Any]:
        program, cpf, ean = args["programCode"], args["cpf"], args.get("ean")
        _check_program(program, args["originCode"])
        _check_cpf(cpf)
        _check_ean(ean)
        accepted = args.get("acceptanceDate")
        now = self.state.clock.now()
        if accepted is not None and not _acceptance_ok(accepted, now):
            raise BusinessFailure("INVALID_ACCEPTANCE_DATE")
        with self.store.lock:
            if self.store.patient(program, cpf) is None:
                raise BusinessFailure("PATIENT_NOT_FOUND")
            if self.store.has_optin(program, cpf, ean):
                raise BusinessFailure("OPTIN_ALREADY_REGISTERED")
            optin = OptIn(program, args["originCode"], cpf, ean, accepted, args.get("channel"), now)
            self.store.optins.append(optin)
        return SUCCESS
