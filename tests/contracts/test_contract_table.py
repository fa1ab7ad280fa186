"""The contract written down: the table of ``docs/consumer-contract.md`` is the table in code, and
the error oracle reads only fields the specs' error schemas define."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from specmock.contracts.consumer import assine, banqer, pbm
from specmock.contracts.consumer.contract import RULES, markdown_table, title
from specmock.contracts.consumer.schemas import component_schema

DOC = Path(__file__).resolve().parents[2] / "docs" / "consumer-contract.md"


def test_the_docs_hold_the_table_of_the_code() -> None:
    assert markdown_table() in DOC.read_text(encoding="utf-8")


def test_every_title_is_distinct() -> None:
    titles = [rule.title for rule in RULES.values()]
    assert len(set(titles)) == len(titles)


def test_a_title_with_a_missing_value_is_refused() -> None:
    with pytest.raises(KeyError):
        title("filters")


def _subschema(schema: dict[str, Any], token: str) -> list[dict[str, Any]]:
    """The schemas a member ``token`` of a value of ``schema`` is valid against (any branch)."""
    found: list[dict[str, Any]] = []
    for branch in [schema, *schema.get("allOf", []), *schema.get("anyOf", []), *schema.get("oneOf", [])]:
        if token.isdigit():
            prefix = branch.get("prefixItems", [])
            item = prefix[int(token)] if int(token) < len(prefix) else branch.get("items")
            if isinstance(item, dict):
                found.append(item)
        elif token in branch.get("properties", {}):
            found.append(branch["properties"][token])
    return found


def _defined(schema: dict[str, Any], pointer: str) -> bool:
    level = [schema]
    for token in pointer.split("/")[1:]:
        level = [sub for s in level for sub in _subschema(s, token)]
    return bool(level)


@pytest.mark.parametrize(
    ("run", "spec", "pointer"),
    [
        (banqer._Run, "banqer", "components/schemas/Error"),
        (assine._Run, "assine", "components/schemas/ApiProblemValidation"),
        (pbm._Run, "pbm.responses.schema.json", "$defs/ExecutionErrorResponse"),
    ],
)
def test_the_error_oracle_reads_fields_the_spec_defines(run: Any, spec: str, pointer: str) -> None:
    schema = component_schema(spec, pointer)
    for rule in run.error_rules:
        assert _defined(schema, rule.pointer), (rule.name, rule.pointer)
    assert run.error_guard is None or _defined(schema, run.error_guard)
