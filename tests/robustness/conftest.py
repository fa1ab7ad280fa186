"""Prints how many generated requests the robustness suite checked per API."""

from __future__ import annotations

from typing import Any

from tests.robustness.support import CASES


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if CASES:
        counts = ", ".join(f"{api} {count}" for api, count in sorted(CASES.items()))
        terminalreporter.write_line(f"robustness: requests checked per API: {counts}")
