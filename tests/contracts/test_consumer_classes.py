"""The ``...ConsumerContract`` classes: one test per property, sharing one class-scoped harness."""

from __future__ import annotations

import pytest

from specmock.contracts.consumer import AssineConsumerContract, BanqerConsumerContract, PbmConsumerContract

STANDARD = ["retries", "backoff", "token_failures", "error_bodies", "malformed_bodies"]
RENEWAL = ["token_renewal"]
PAGES = ["pagination", "pagination_loop"]


@pytest.mark.parametrize(
    ("contract", "fixture", "properties"),
    [
        (BanqerConsumerContract, "banqer_harness", [*PAGES, *RENEWAL]),
        (PbmConsumerContract, "pbm_harness", RENEWAL),
        (AssineConsumerContract, "assine_harness", [*PAGES, *RENEWAL]),
    ],
)
def test_one_test_per_property(contract: type, fixture: str, properties: list[str]) -> None:
    expected = [*STANDARD, *properties]
    assert sorted(name for name in dir(contract) if name.startswith("test_")) == sorted(
        f"test_{name}" for name in expected
    )
    assert list(contract.suite.properties) == sorted(expected, key=expected.index)
    assert fixture in vars(contract)
    mine = type("TestMine", (contract,), {"adapter": None})  # a team's subclass inherits them all
    assert not {fixture, "test_retries"} & set(vars(mine))
    assert hasattr(mine, fixture) and hasattr(mine, "test_retries")
