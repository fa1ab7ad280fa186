"""A failure of the suite itself (a handler of its fake server raising) is an error of the suite,
never a verdict on the client."""

from __future__ import annotations

import pytest

from specmock.contracts.consumer import ContractViolation, SuiteError
from specmock.contracts.consumer import banqer as banqer_contract
from specmock.contracts.consumer.fake_server import Answer, Exchange
from specmock.contracts.consumer.properties import ContractSuite, retried
from specmock.contracts.consumer.reference import ReferenceBanqerAdapter


class BrokenTokenEndpoint(banqer_contract._Run):
    """The suite's own token endpoint has a bug."""

    def answer_token(self, ex: Exchange) -> Answer:
        raise LookupError("a bug of the suite")


def test_a_handler_that_raises_is_a_suite_error_not_a_contract_violation() -> None:
    suite = ContractSuite("banqer", ("api", "auth"), {"retries": retried(BrokenTokenEndpoint)})
    with pytest.raises(SuiteError, match="a bug of the suite") as info:
        suite.run(ReferenceBanqerAdapter())
    assert not isinstance(info.value, ContractViolation)
    assert "not of the client" in str(info.value)
