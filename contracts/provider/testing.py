"""The pytest entry: call the provider suite from a team's own tests.

from specmock.contracts.provider import assert_provider_conforms

def test_sandbox_still_matches_the_contract():
    assert_provider_conforms("banqer")          # URLs and credentials from BANQER_* variables

def test_our_gateway_in_process(app):
    assert_provider_conforms("assine", app=app)  # any ASGI app with the mock's layout
"""

from __future__ import annotations

from typing import Any

from specmock.contracts.provider.report import Report
from specmock.contracts.provider.runner import verify

__all__ = ["ProviderContractError", "assert_provider_conforms"]


class ProviderContractError(AssertionError):
    """The server does not honour the contract; ``.report`` holds every finding."""

    def __init__(self, report: Report) -> None:
        super().__init__(report.render())
        self.report = report


def assert_provider_conforms(api: str = "all", base_url: str | None = None, **options: Any) -> Report:
    """Run :func:`verify` and raise :class:`ProviderContractError` unless every check holds.

    Takes the same arguments as :func:`verify`; returns the report when it is clean.
    """
    __tracebackhide__ = True
    report = verify(api, base_url, **options)
    if not report.ok:
        raise ProviderContractError(report)
    return report
