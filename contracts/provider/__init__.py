"""Provider contract suite: schemathesis checks a server against the bundled specs.

Requests are generated from the specs (positive, negative, coverage and stateful), sent to the
target with credentials obtained through each API's own login, and every answer is checked by
schemathesis's response checks plus the suite's own. The target is the mock (in-process or on a
port) or any other server: a vendor sandbox, a gateway, a recorded replay.

    from specmock.contracts.provider import verify
    report = verify("banqer", "http://127.0.0.1:8080")
    assert report.ok, report

or, in a test, :func:`assert_provider_conforms` (raises :class:`ProviderContractError`, an
``AssertionError`` carrying the report). From a shell: ``specmock verify --api all --base-url URL``.
"""

from typing import Any

from specmock.contracts.provider.checks import DISABLED_CHECKS, ENABLED_CHECKS, OWN_CHECKS
from specmock.contracts.provider.context import RunContext
from specmock.contracts.provider.plan import ProviderPlan, verifiable
from specmock.contracts.provider.report import ApiResult, Finding, Report
from specmock.contracts.provider.runner import verify
from specmock.contracts.provider.targets import TargetError
from specmock.contracts.provider.testing import ProviderContractError, assert_provider_conforms

__all__ = [
    "APIS",
    "DISABLED_CHECKS",
    "ENABLED_CHECKS",
    "OWN_CHECKS",
    "ApiResult",
    "Finding",
    "ProviderContractError",
    "ProviderPlan",
    "Report",
    "RunContext",
    "TargetError",
    "assert_provider_conforms",
    "verify",
]


def __getattr__(name: str) -> Any:
    if name == "APIS":  # the registered APIs with a provider plan, read when asked for
        return verifiable()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
