"""What a finding says it saw: a shape, never a value that could identify someone or open a door."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from specmock.mocks.proxy.findings import describe
from specmock.mocks.proxy.spec_walk import SpecDocument

PERSONAL = st.one_of(
    st.from_regex(r"\A[0-9]{11}\Z|\A[0-9]{14}\Z"),  # CPF / CNPJ digits
    st.from_regex(r"\A[0-9]{3}\.[0-9]{3}\.[0-9]{3}-[0-9]{2}\Z"),  # formatted CPF
    st.from_regex(r"\A[A-Z][a-z]{2,12}( [A-Z][a-z]{1,12}){1,3}\Z"),  # a name
    st.text(string.ascii_letters + string.digits + "._-", min_size=8, max_size=80).filter(
        lambda t: any(c.isupper() for c in t) and any(c.islower() for c in t)
    ),  # a token, mixed case
    st.from_regex(r"\A[A-Z]{2,12}\Z"),  # a name in capitals
)


@given(PERSONAL)
def test_a_seen_string_is_told_by_its_shape(value: str) -> None:
    told = describe(value)
    assert value not in told
    assert told.startswith("a string of ")


@given(st.integers(min_value=10**6, max_value=10**15))
def test_large_numbers_are_told_by_their_digits(value: int) -> None:
    assert str(value) not in describe(value)


def test_secret_keys_and_listed_values() -> None:
    assert describe("whatever-it-is", key="client_secret") == "a secret (***)"
    assert describe("Maria", allowed=["Maria"]) == '"Maria"'  # the spec lists it: nothing personal
    assert describe("MISSING_SCOPE") == '"MISSING_SCOPE"' and describe("invalid_token") == '"invalid_token"'
    assert describe("UNAUTHENTICATED") == "a string of 15 characters"
    assert describe("UNAUTHENTICATED", allowed=["UNAUTHENTICATED"]) == '"UNAUTHENTICATED"'
    assert describe({"nome": "x", "cpfCnpj": "1"}) == "an object with members {nome, cpfCnpj}"


DOC = {
    "components": {
        "schemas": {
            "Page": {
                "type": "object",
                "required": ["items"],
                "properties": {
                    "items": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/Item"},
                        "x-specmock-assumed": True,
                    }
                },
            },
            "Item": {
                "type": "object",
                "properties": {"amount": {"$ref": "#/components/schemas/Money"}, "name": {"type": "string"}},
            },
            "Money": {"type": "number", "x-specmock-assumed": True},
        }
    }
}


def test_schema_pointers_follow_references_to_where_the_keyword_is_written() -> None:
    doc = SpecDocument("x.yaml", DOC)
    # jsonschema's path for items/0/amount failing "type": no "$ref" steps in it
    path = ["properties", "items", "items", "properties", "amount", "type"]
    assert doc.schema_pointer("/components/schemas/Page", path) == "/components/schemas/Money/type"
    assert doc.assumption("/components/schemas/Money/type") == "/components/schemas/Money"
    assert doc.assumption("/components/schemas/Item/properties/name/type") is None


def test_touched_assumptions_are_the_parts_the_value_used() -> None:
    doc = SpecDocument("x.yaml", DOC)
    page = {"items": [{"name": "a"}]}
    assert doc.touched_assumptions("/components/schemas/Page", page) == {
        "/components/schemas/Page/properties/items"
    }
    page = {"items": [{"name": "a", "amount": 1.5}]}
    assert doc.touched_assumptions("/components/schemas/Page", page) == {
        "/components/schemas/Page/properties/items",
        "/components/schemas/Money",
    }
    assert doc.touched_assumptions("/components/schemas/Page", {}) == set()
