"""Fresh mocks for the provider tests, hosting only the APIs a test needs."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from specmock.mocks.app import API_CLASSES, create_app, create_state

#: API name -> the mock classes that serve it (the Banqer API needs its realm for tokens).
HOSTED = {
    "banqer": ("specmock.mocks.banqer.realm:BanqerAuthApi", "specmock.mocks.banqer.api:BanqerApi"),
    "pbm": ("specmock.mocks.pbm.api:PbmApi",),
    "assine": ("specmock.mocks.assine.api:AssineApi",),
}


def _cls(target: str) -> Any:
    module, _, name = target.partition(":")
    return getattr(import_module(module), name)


def mock_app(*apis: str) -> Any:
    """A fresh in-process mock (``create_app(create_state(...))``) hosting ``apis`` (all when empty)."""
    targets = [t for api in apis for t in HOSTED[api]] if apis else list(API_CLASSES)
    return create_app(create_state(apis=[_cls(target) for target in targets]))
