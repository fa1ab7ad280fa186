"""Prints how many generated requests the robustness suite checked per API (xdist workers summed)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.robustness.support import CASES

_KEY = "robustness_cases"


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:  # an xdist worker: hand the counts to the controller
        workeroutput[_KEY] = dict(CASES)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    CASES.update(getattr(node, "workeroutput", {}).get(_KEY, {}))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if CASES:
        counts = ", ".join(f"{api} {count}" for api, count in sorted(CASES.items()))
        terminalreporter.write_line(f"robustness: requests checked per API: {counts}")
