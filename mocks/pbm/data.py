"""The seeded PBM catalogue: program 126 / origin 37, its forms, questionnaire and medicines.

Everything public is copied from the portal's examples (field names, the W3 simplified forms,
question and answer codes of program 126, the three MICARDIS presentations, exact values); the
rest is designed and kept small. The catalogue is immutable and shared by every request, so the
read operations answer without copying anything. Identities (the claims of the demo accounts)
and the seeded patients are synthetic and derived from ``config.seed``, so two mocks with the
same seed hand out the same people.
"""

from __future__ import annotations

import random
import unicodedata
import uuid
from dataclasses import dataclass
from typing import Any

__all__ = [
    "FORMS",
    "MEDICINES",
    "MEDICINE_EANS",
    "MEDICINE_FORM",
    "ORIGIN_CODE",
    "PATIENT_FIELDS",
    "PATIENT_FORM",
    "PRODUCT_KEYS",
    "PROGRAM_CODE",
    "PROGRAM_ORIGINS",
    "QUESTIONNAIRE",
    "QUESTIONS",
    "REQUIRED_FIELDS",
    "Identity",
    "cpf_is_valid",
    "identity_for",
    "make_cnpj",
    "make_cpf",
    "nested_questions",
    "seeded_patients",
]

PROGRAM_CODE = 126
ORIGIN_CODE = 37
#: Program code -> the registration origins enabled for it.
PROGRAM_ORIGINS: dict[int, frozenset[int]] = {PROGRAM_CODE: frozenset({ORIGIN_CODE})}

_SINCE = "2020-01-01T00:00:00"


def _field(name: str, display: str, required: bool, sequence: int, *, type_: str = "texto",
           fmt: str | None = None, regex: str | None = None, mask: str | None = None, size: int = 200,
           options: list[dict[str, Any]] | None = None, description: str | None = None) -> dict[str, Any]:
    return {
        "optionFields": options or [],
        "fieldName": name,
        "valueField": None,
        "displayName": display,
        "description": description or display,
        "type": type_,
        "format": fmt,
        "displayConfiguration": "Obrigatório" if required else "Opcional",
        "regex": regex,
        "mask": mask,
        "pixelFieldSize": size,
        "sequence": sequence,
        "intialValue": None,
    }


def _option(code: int, value: str, text: str) -> dict[str, Any]:
    return {"fieldCode": code, "value": value, "text": text, "inclusionDate": _SINCE}


#: Public (W3, simplified example): formType "Paciente" with Nome, DataNascimento, TelefoneCelular
#: (required) and Email (optional); Sexo is designed, to show ``optionFields``.
PATIENT_FORM: dict[str, Any] = {
    "formType": "Paciente",
    "fields": [
        _field("Nome", "Nome completo", True, 1, regex=r"^.{3,100}$", size=300),
        _field("DataNascimento", "Data de nascimento", True, 2, type_="data", fmt="yyyy-MM-dd",
               regex=r"^\d{4}-\d{2}-\d{2}$", mask="9999-99-99", size=120),
        _field("TelefoneCelular", "Telefone celular", True, 3, fmt="DDD + número",
               regex=r"^\d{10,11}$", mask="(99) 99999-9999", size=150),
        _field("Email", "E-mail", False, 4, regex=r"^[^@\s]+@[^@\s]+$", size=250),
        _field("Sexo", "Sexo", False, 5, type_="lista",
               options=[_option(1, "M", "Masculino"), _option(2, "F", "Feminino")], size=120),
    ],
    "dynamicFields": [],
}

#: Public (W3, simplified example): formType "Medicamento" with CRM and CRMUF (both required).
MEDICINE_FORM: dict[str, Any] = {
    "formType": "Medicamento",
    "fields": [
        _field("CRM", "CRM do médico", True, 1, regex=r"^\d{1,10}$", size=150),
        _field("CRMUF", "UF do CRM", True, 2, regex=r"^[A-Z]{2}$", mask="AA", size=60),
    ],
    "dynamicFields": [
        {"responseCode": 942, "enteredValue": None, "codeQuestion": 84, "userProgramCode": None,
         "questionTypeFlag": "2", "codeProductRule": None},
        {"responseCode": 943, "enteredValue": None, "codeQuestion": 84, "userProgramCode": None,
         "questionTypeFlag": "2", "codeProductRule": None},
    ],
}

FORMS: tuple[dict[str, Any], ...] = (PATIENT_FORM, MEDICINE_FORM)
PATIENT_FIELDS: frozenset[str] = frozenset(f["fieldName"] for f in PATIENT_FORM["fields"])
#: Required form fields in the order a registration is checked.
REQUIRED_FIELDS: tuple[str, ...] = tuple(
    f["fieldName"] for form in FORMS for f in form["fields"] if f["displayConfiguration"] == "Obrigatório"
)
#: Public (W3): product data, EAN, prescriber, rule codes and lines cannot be changed by
#: updatePatient. The Medicamento form's fields plus these names (compared case-insensitively).
PRODUCT_KEYS: frozenset[str] = frozenset(
    {f["fieldName"].casefold() for f in MEDICINE_FORM["fields"]}
    | {k.casefold() for k in ("EAN", "CodigoProduto", "Produto", "CodigoRegra", "CodigosRegra",
                              "RegraProduto", "Linha", "Linhas", "CodigoLinha", "Medicamento", "Prescritor")}
)


def _answer(code: int, title: str, order: int, typed: int | None = None) -> dict[str, Any]:
    return {
        "responseCode": code,
        "titleDisplay": title,
        "allowTypedValue": typed is not None,
        "maximumSizeTypedValue": typed,
        "EnteredValue": None,
        "displayOrder": order,
        "effectiveDateStart": _SINCE,
        "effectiveDateEnd": None,
    }


def _question(code: int, title: str, order: int, answers: list[dict[str, Any]], *, parent: int | None = None,
              required: bool = False, multiple: bool = False, control: str = "radiobuttonlist",
              flag: str = "1", nested: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "code": 0,
        "message": None,
        "status": "00",
        "questionCode": code,
        "parentQuestionCode": parent,
        "programCode": PROGRAM_CODE,
        "titleDisplay": title,
        "multipleChoice": multiple,
        "required": required,
        "displayOrder": order,
        "tipQuestion": None,
        "answers": answers,
        "lineCode": None,
        "effectiveDateStart": _SINCE,
        "effectiveDateEnd": None,
        "typeControl": control,
        "flagQuestionType": flag,
        "nestedQuestion": nested or [],
        "productName": None,
        "EAN": None,
    }


def _nested(parent_response: int, child: int) -> dict[str, Any]:
    return {"parentQuestionCode": 99, "parentResponseCode": parent_response, "codeNestedQuestion": child}


#: Public (credenciados analogue of program 126): question 99 "Responsável Cadastro" (answers 960
#: Cuidador, 961 Paciente, 962 Responsável Legal) with questions 103-105 nested under it, and 84
#: "Indicação" (942 Diabetes - Tipo 2, 943 Insuficiência Cardíaca). Designed: which answers open
#: the nested questions (Cuidador, Responsável Legal) and the title of 105.
QUESTIONNAIRE: tuple[dict[str, Any], ...] = (
    _question(99, "Responsável Cadastro", 1,
              [_answer(960, "Cuidador", 1), _answer(961, "Paciente", 2),
               _answer(962, "Responsável Legal", 3)],
              required=True, nested=[_nested(r, c) for r in (960, 962) for c in (103, 104, 105)]),
    _question(103, "Nome", 2, [_answer(965, "Nome", 1, typed=50)], parent=99, control="textbox"),
    _question(104, "Celular", 3, [_answer(966, "Celular", 1, typed=13)], parent=99, control="textbox"),
    _question(105, "Responsável autoriza contato do programa?", 4,
              [_answer(963, "Sim", 1), _answer(964, "Não", 2)], parent=99),
    _question(84, "Indicação", 5,
              [_answer(942, "Diabetes - Tipo 2", 1), _answer(943, "Insuficiência Cardíaca", 2)],
              multiple=True, control="checkboxlist", flag="2"),
)
QUESTIONS: dict[int, dict[str, Any]] = {q["questionCode"]: q for q in QUESTIONNAIRE}


def nested_questions(parent: int) -> list[dict[str, Any]]:
    return [q for q in QUESTIONNAIRE if q["parentQuestionCode"] == parent]


def _medicine(line: int, description: str, ean: str, presentation: str) -> dict[str, Any]:
    return {
        "lineCode": line,
        "description": description,
        "lineDescription": description,
        "ean": ean,
        "EAN": None,
        "displayMessage": f"{description}: -, {presentation}",
        "typeCouncilAllowed": 0,
        "productCode": None,
        "tarred": True,
    }


#: Public (Consultar Medicamentos page), exact values and order.
MEDICINES: tuple[dict[str, Any], ...] = (
    _medicine(6994, "MICARDIS", "7896026304276", "80 mg emb. c/ 30"),
    _medicine(6993, "MICARDIS", "7896026304245", "40 mg emb. c/ 30"),
    _medicine(7002, "MICARDIS ANLO", "7896026305310", "80 mg + 5 mg emb. c/ 30"),
)
MEDICINE_EANS: frozenset[str] = frozenset(m["ean"] for m in MEDICINES)


# ---------------------------------------------------------------------------------------------
# Brazilian document numbers
# ---------------------------------------------------------------------------------------------


def _check_digit(digits: str, weights: range | list[int], cpf: bool) -> int:
    total = sum(int(d) * w for d, w in zip(digits, weights, strict=True))
    if cpf:
        return total * 10 % 11 % 10
    rest = total % 11
    return 0 if rest < 2 else 11 - rest


def cpf_is_valid(cpf: str) -> bool:
    """11 ASCII digits, not all equal, with both check digits right."""
    if len(cpf) != 11 or not cpf.isascii() or not cpf.isdigit() or cpf == cpf[0] * 11:
        return False
    return (_check_digit(cpf[:9], range(10, 1, -1), True) == int(cpf[9])
            and _check_digit(cpf[:10], range(11, 1, -1), True) == int(cpf[10]))


def make_cpf(rng: random.Random) -> str:
    while True:
        base = "".join(str(rng.randrange(10)) for _ in range(9))
        if base != base[0] * 9:
            break
    base += str(_check_digit(base, range(10, 1, -1), True))
    return base + str(_check_digit(base, range(11, 1, -1), True))


def make_cnpj(rng: random.Random) -> str:
    base = "".join(str(rng.randrange(10)) for _ in range(8)) + "0001"
    base += str(_check_digit(base, [5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2], False))
    return base + str(_check_digit(base, [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2], False))


# ---------------------------------------------------------------------------------------------
# Synthetic people
# ---------------------------------------------------------------------------------------------

_FIRST = ("Ana", "Bruno", "Camila", "Diego", "Eduarda", "Felipe", "Gabriela", "Henrique", "Isabela",
          "João", "Larissa", "Marcos", "Natália", "Otávio", "Paula", "Rafael", "Sofia", "Tiago")
_LAST = ("Almeida", "Barbosa", "Cardoso", "Costa", "Ferreira", "Gomes", "Lima", "Martins", "Oliveira",
         "Pereira", "Ribeiro", "Rodrigues", "Santos", "Silva", "Souza", "Teixeira")


def _ascii_slug(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()


@dataclass(frozen=True)
class Identity:
    """The personal claims of one account (all synthetic)."""

    uuid: str
    name: str
    identity: str
    email: str
    mobile_number: str
    cnpj: str


def identity_for(login: str, seed: int) -> Identity:
    """The same person for the same login and seed, on every run."""
    rng = random.Random(f"pbm-identity:{seed}:{login}")
    first, middle, last = rng.choice(_FIRST), rng.choice(_LAST), rng.choice(_LAST)
    return Identity(
        uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        name=f"{first} {middle} {last}",
        identity=make_cpf(rng),
        email=f"{_ascii_slug(first)}.{_ascii_slug(last)}@example.com",
        mobile_number=f"{rng.randrange(11, 100)}9{rng.randrange(10**8):08d}",
        cnpj=make_cnpj(rng),
    )


def seeded_patients(seed: int, count: int = 3) -> list[dict[str, Any]]:
    """Patients already registered in program 126 when the mock starts (and after a reset)."""
    rng = random.Random(f"pbm-patients:{seed}")
    patients = []
    for index in range(count):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        born = f"{rng.randrange(1940, 2005)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
        patients.append({
            "cpf": make_cpf(rng),
            "origin": ORIGIN_CODE,
            "ean": MEDICINES[index % len(MEDICINES)]["ean"],
            "fields": {
                "Nome": f"{first} {last}",
                "DataNascimento": born,
                "TelefoneCelular": f"11{rng.randrange(900000000, 1000000000)}",
                "Email": f"{_ascii_slug(first)}.{_ascii_slug(last)}{index}@example.com",
                "CRM": str(rng.randrange(10000, 999999)),
                "CRMUF": rng.choice(("SP", "RJ", "MG", "PR", "RS")),
            },
            "answers": [{"codeQuestion": 99, "responseCode": 961, "enteredValue": None}],
        })
    return patients
