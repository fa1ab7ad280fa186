"""Health check of the consumer suite's own strategies: every error schema it draws bodies from can
produce values, and those values are valid against the spec's schema."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings

from specmock.contracts.consumer.schemas import ERROR_SCHEMAS, component_schema, strategy_for

SCHEMAS = [(spec, pointer) for spec, pointers in ERROR_SCHEMAS.items() for pointer in pointers]


@pytest.mark.parametrize(("spec", "pointer"), SCHEMAS, ids=[p for _, p in SCHEMAS])
def test_every_error_schema_produces_valid_bodies(spec: str, pointer: str) -> None:
    schema = component_schema(spec, pointer)
    validator = jsonschema.Draft202012Validator(schema)

    # No suppressed health check here: a strategy that can produce nothing fails this test.
    @settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(body=strategy_for(spec, pointer))
    def drawn(body: Any) -> None:
        errors = [e.message for e in validator.iter_errors(body)]
        assert not errors, (body, errors)

    drawn()


def test_validation_problems_carry_validation_messages() -> None:
    """The 422 body of Assine (``ApiProblemValidation``, an ``allOf``) is drawable and has them."""

    @settings(max_examples=10, deadline=None)
    @given(body=strategy_for("assine", "components/schemas/ApiProblemValidation"))
    def drawn(body: dict[str, Any]) -> None:
        assert body["status"] == 422
        assert isinstance(body["validation_messages"], dict) and body["validation_messages"]

    drawn()


def test_a_schema_outside_the_checked_list_is_refused() -> None:
    from specmock.contracts.consumer.schemas import spec_bodies

    with pytest.raises(ValueError, match="not listed in ERROR_SCHEMAS"):
        spec_bodies("banqer", "components/schemas/Credor")
