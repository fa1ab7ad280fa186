"""Fresh mocks for the provider tests, hosting only the APIs a test needs."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from specmock.mocks.app import create_app, create_state
from specmock.mocks.config import parse_config
from specmock.mocks.registry import descriptor, mounts


def _cls(target: str) -> Any:
    module, _, name = target.partition(":")
    return getattr(import_module(module), name)


def mock_app(*apis: str, config: dict[str, Any] | None = None) -> Any:
    """A fresh in-process mock (``create_app(create_state(...))``) hosting ``apis`` (all when empty),
    set up by ``config`` (the YAML file's content) when given."""
    # An API is every mount of its descriptor (the Banqer API needs its realm for tokens).
    chosen = [m for api in apis for m in descriptor(api).mounts] if apis else list(mounts())
    targets = [mount.target for mount in chosen]
    parsed = parse_config(config) if config is not None else None
    return create_app(create_state(parsed, apis=[_cls(target) for target in targets]))
