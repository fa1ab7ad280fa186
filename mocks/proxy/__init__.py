"""The validating proxy: stands where the mock stands, forwards to the real API, reports drift.

It lives beside the API mocks because it reuses what they own: the mount paths, each API's error
shape (502/504 answers) and the request validators compiled from the OpenAPI files
(``mocks/core/openapi.py``); the contract suites must not reach into the mock, and ``specmock/``
holds only what belongs to no layer. ``specmock proxy`` (``specmock/cli.py``) serves it.

Names are imported on first use, so that the CLI can read :func:`api_names` for its ``--help``
without loading the upstream client and the checkers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from specmock.mocks.lazy import lazy_names

if TYPE_CHECKING:
    from specmock.mocks.proxy.app import PROXY_SERVER_OPTIONS, ProxyApp, create_proxy_app
    from specmock.mocks.proxy.drift import DriftReport
    from specmock.mocks.proxy.findings import Finding
    from specmock.mocks.proxy.upstreams import ProxyTarget, UpstreamError, api_names, parse_targets

__all__ = [
    "PROXY_SERVER_OPTIONS",
    "DriftReport",
    "Finding",
    "ProxyApp",
    "ProxyTarget",
    "UpstreamError",
    "api_names",
    "create_proxy_app",
    "parse_targets",
]

_HOME = {
    "PROXY_SERVER_OPTIONS": "app", "ProxyApp": "app", "create_proxy_app": "app",
    "DriftReport": "drift", "Finding": "findings",
    "ProxyTarget": "upstreams", "UpstreamError": "upstreams", "api_names": "upstreams",
    "parse_targets": "upstreams",
}


__getattr__, __dir__ = lazy_names(__name__, _HOME, __all__)
