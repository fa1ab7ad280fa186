"""Reference clients, consumer and provider contract suites, pytest plugin.

:func:`schema` gives a ready schemathesis schema for one API (imported on first use: the pytest
plugin imports this package and must stay light).
"""

from __future__ import annotations

from typing import Any

__all__ = ["schema"]


def __getattr__(name: str) -> Any:
    if name == "schema":
        from specmock.contracts.schemathesis_schema import schema

        return schema
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
