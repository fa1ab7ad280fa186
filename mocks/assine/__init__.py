"""The Assine Online mock (``/assine``): see :mod:`specmock.mocks.assine.api`."""

from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["AssineApi"]

# Imported on first use: the package's descriptor module is read without building the mock.
_LAZY = {"AssineApi": "specmock.mocks.assine.api"}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(module), name)
