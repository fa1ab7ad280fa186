"""Rules every bundled OpenAPI spec keeps: valid, every operation named, every example valid,
every error in the API's own error shape, every 429 with ``Retry-After``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from openapi_spec_validator import validate

from specmock import specs
from specmock.mocks.core.openapi import OpenApiSpec
from tests.specs.openapi_doc import operations, resolve

API_NAMES = sorted(specs.OPENAPI_SPECS)


def responses(doc: dict[str, Any]) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    for path, method, op in operations(doc):
        for status, response in op["responses"].items():
            yield f"{method.upper()} {path}", method, str(status), resolve(doc, response)


@pytest.fixture(params=API_NAMES)
def api(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_spec_passes_openapi_spec_validator(api: str) -> None:
    doc = specs.load(api)
    assert doc["openapi"].startswith("3.1")
    validate(doc)


def test_every_operation_has_a_unique_operation_id(api: str) -> None:
    ids = [op.get("operationId") for _, _, op in operations(specs.load(api))]
    assert all(ids), f"operations without operationId in {api}"
    assert len(ids) == len(set(ids))


def test_every_response_with_content_has_an_example_valid_against_its_schema(api: str) -> None:
    doc = specs.load(api)
    compiled = OpenApiSpec(doc)
    checked = 0
    for label, _, status, response in responses(doc):
        for media_type, media in (response.get("content") or {}).items():
            examples = []
            if "example" in media:
                examples.append(media["example"])
            examples += [resolve(doc, ex)["value"] for ex in (media.get("examples") or {}).values()]
            assert examples, f"{label} {status} {media_type}: no example"
            if "schema" not in media or "json" not in media_type:
                continue
            validator = compiled.validator(media["schema"])
            for example in examples:
                errors = sorted(validator.iter_errors(example), key=str)
                assert not errors, f"{label} {status} {media_type}: example invalid: {errors[0].message}"
                checked += 1
    assert checked > 0


def _schema_names(doc: dict[str, Any], schema: Any) -> set[str]:
    names: set[str] = set()
    if isinstance(schema, dict):
        if "$ref" in schema:
            names.add(schema["$ref"].rsplit("/", 1)[-1])
        for key in ("allOf", "oneOf", "anyOf"):
            for part in schema.get(key, []):
                names |= _schema_names(doc, part)
    return names


def test_every_error_response_uses_the_api_error_shape(api: str) -> None:
    doc = specs.load(api)
    allowed = set(doc["x-specmock-error-schemas"])
    assert allowed and allowed <= set(doc["components"]["schemas"])
    for label, _, status, response in responses(doc):
        if status[0] not in "45":
            continue
        for media_type, media in (response.get("content") or {}).items():
            names = _schema_names(doc, media.get("schema"))
            assert names & allowed, (
                f"{label} {status} {media_type}: error schema {names} not one of {allowed}"
            )


def test_every_operation_declares_its_errors(api: str) -> None:
    for path, method, op in operations(specs.load(api)):
        statuses = {str(s) for s in op["responses"]}
        assert any(s.startswith("4") for s in statuses), f"{method.upper()} {path} declares no 4xx"
        assert "429" in statuses, f"{method.upper()} {path} does not declare 429"
        assert any(s.startswith("5") for s in statuses), f"{method.upper()} {path} declares no 5xx"


def test_every_429_declares_retry_after(api: str) -> None:
    doc = specs.load(api)
    found = 0
    for label, _, status, response in responses(doc):
        if status == "429":
            headers = {k.lower(): resolve(doc, v) for k, v in (response.get("headers") or {}).items()}
            assert "retry-after" in headers, f"{label} 429 without Retry-After"
            assert resolve(doc, headers["retry-after"]["schema"])["type"] == "integer"
            found += 1
    assert found


def test_assumptions_are_marked(api: str) -> None:
    text = specs.read_text(api)
    assert "x-specmock-assumed: true" in text
