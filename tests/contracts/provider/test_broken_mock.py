"""The suite can fail: each planted bug of :mod:`.broken_mock` is reported by the right check."""

from __future__ import annotations

import re

import pytest

from specmock.contracts.provider import ProviderContractError, assert_provider_conforms, verify

from ._mock import mock_app
from .broken_mock import VARIANTS

#: Few examples suffice: the coverage cases and scenarios alone reach every planted bug.
EXAMPLES = 3


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_a_planted_bug_is_reported_by_its_check(name: str) -> None:
    variant = VARIANTS[name]
    app = variant.build(mock_app(variant.api))
    report = verify(variant.api, app=app, max_examples=EXAMPLES, operations=variant.operations or None)
    assert not report.ok and report.exit_code == 1
    reported = {(finding.operation, finding.check) for finding in report.findings}
    assert (variant.operation, variant.check) in reported, report.render()
    for finding in report.failing(check=variant.check):
        assert finding.curl.startswith("curl ")
        assert finding.api == variant.api


def test_assert_provider_conforms_raises_an_assertion_error_with_the_report() -> None:
    variant = VARIANTS["saldo_devedor_as_string"]
    with pytest.raises(ProviderContractError) as caught:
        assert_provider_conforms(
            "banqer", app=variant.build(mock_app("banqer")), max_examples=EXAMPLES, seed=7
        )
    error = caught.value
    assert isinstance(error, AssertionError)
    text = str(error)
    assert "GET /v1/fichas - response_schema_conformance" in text
    assert "reproduce: curl " in text
    # secrets never reach the report: the client secret, and bearer tokens, are masked
    assert "demo-secret" not in text
    assert not re.search(r"Bearer (?!\*\*\*)", text), text
    assert error.report.seed == 7
