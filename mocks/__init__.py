"""Mock servers for the registered APIs: the one surface other layers (the pytest plugin, the CLI,
benchmarks, your own code) use.

=========================  =========================================================================
create / serve             :func:`create_state`, :func:`create_app`, :func:`warm_up`,
                           :class:`ServerThread` (uvicorn in a daemon thread), :func:`serve_in_thread`
in-process transports      :func:`sync_transport`, :func:`async_transport` (httpx)
control plane              :class:`MockControl` (``app.state.control``), :class:`Fault`
config                     :class:`MockConfig`, :func:`load_config`, :func:`parse_config`,
                           :class:`ConfigError`
the registry               :class:`ApiDescriptor` & co., :func:`register`, :func:`descriptors`,
                           :func:`resolve` (a ``"module:attribute"`` name)
=========================  =========================================================================

Every name is imported on first use: ``import specmock.mocks`` loads nothing else, so a server
still answers before it has imported any API (or uvicorn, before it serves).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from specmock.mocks.app import create_app, create_state, warm_up
    from specmock.mocks.config import ConfigError, MockConfig, load_config, parse_config
    from specmock.mocks.control_plane import MockControl
    from specmock.mocks.core.faults import Fault
    from specmock.mocks.core.state import ApiLoadError, MockApi, MockState
    from specmock.mocks.descriptor import ApiDescriptor, ApiMount, ApiSettings, ApiSpec, resolve
    from specmock.mocks.registry import descriptors, register
    from specmock.mocks.server import ServerThread, serve_in_thread
    from specmock.mocks.transport import async_transport, sync_transport

__all__ = [
    "ApiDescriptor",
    "ApiLoadError",
    "ApiMount",
    "ApiSettings",
    "ApiSpec",
    "ConfigError",
    "Fault",
    "MockApi",
    "MockConfig",
    "MockControl",
    "MockState",
    "ServerThread",
    "async_transport",
    "create_app",
    "create_state",
    "descriptors",
    "load_config",
    "parse_config",
    "register",
    "resolve",
    "serve_in_thread",
    "sync_transport",
    "warm_up",
]

_HOME = {
    "create_app": "app", "create_state": "app", "warm_up": "app",
    "ConfigError": "config", "MockConfig": "config", "load_config": "config", "parse_config": "config",
    "MockControl": "control_plane", "Fault": "core.faults",
    "ApiLoadError": "core.state", "MockApi": "core.state", "MockState": "core.state",
    "ApiDescriptor": "descriptor", "ApiMount": "descriptor", "ApiSettings": "descriptor",
    "ApiSpec": "descriptor", "resolve": "descriptor", "descriptors": "registry", "register": "registry",
    "ServerThread": "server", "serve_in_thread": "server",
    "async_transport": "transport", "sync_transport": "transport",
}


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
