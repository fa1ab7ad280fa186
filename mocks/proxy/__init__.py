"""The validating proxy: stands where the mock stands, forwards to the real API, reports drift.

It lives beside the API mocks because it reuses what they own: the mount paths, each API's error
shape (502/504 answers) and the request validators compiled from the OpenAPI files
(``mocks/core/openapi.py``); the contract suites must not reach into the mock, and ``specmock/``
holds only what belongs to no layer. ``specmock proxy`` (``specmock/cli.py``) serves it.
"""

from specmock.mocks.proxy.app import PROXY_SERVER_OPTIONS, ProxyApp, create_proxy_app
from specmock.mocks.proxy.drift import DriftReport
from specmock.mocks.proxy.findings import Finding
from specmock.mocks.proxy.upstreams import API_NAMES, ProxyTarget, UpstreamError, parse_targets

__all__ = [
    "API_NAMES",
    "PROXY_SERVER_OPTIONS",
    "DriftReport",
    "Finding",
    "ProxyApp",
    "ProxyTarget",
    "UpstreamError",
    "create_proxy_app",
    "parse_targets",
]
