"""The robustness suite's shared mock and client, and its closing count of checked requests per API.

``mock`` serves every API on a loopback port for a whole module; a module that exercises one API
overrides it to serve that API alone. The count sums the xdist workers'.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.robustness import support
from tests.robustness.support import CASES, Served

_KEY = "robustness_cases"


@pytest.fixture(scope="module")
def mock() -> Iterator[Served]:
    with support.serve(support.long_lived()) as served:
        yield served


@pytest.fixture(scope="module")
def client(mock: Served) -> httpx.Client:
    return mock.client()


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
