"""The pytest plugin: the registered APIs' mocks as fixtures, in any repository that installs specmock.

Registered through the ``pytest11`` entry point ``specmock``; disable it with ``-p no:specmock``.
This module stays light on purpose (pytest loads it in every session of every repository that has
the kit installed): uvicorn, starlette, graphql-core and schemathesis are imported by the fixtures
on first use, never here.

Fixtures, in layers (as pytest-httpserver does):

======================  ========  ==================================================================
``specmock_config``     session   the :class:`~specmock.mocks.config.MockConfig` of the default
                                  server, from ``--specmock-*`` options / ``specmock_*`` ini keys;
                                  override it in a ``conftest.py``
``specmock_host``       session   the loopback address the servers bind (``127.0.0.1``)
``specmock_server``     session   the server factory: ``specmock_server()`` is the running server
                                  for ``specmock_config``, ``specmock_server(config)`` one for
                                  another config (started once, kept for the session)
``specmock``            function  every API of the server this test uses, reset before the test
``<api>_mock``          function  ``specmock.<api>``, one per registered API: ``banqer_mock``,
                                  ``pbm_mock``, ``assine_mock`` (and any API registered by the
                                  time the session is configured, e.g. from a ``conftest.py``)
======================  ========  ==================================================================

A test that needs another seed, token lifetime or config says so with
``@pytest.mark.specmock(seed=..., token_ttl=..., config=...)``: its server is started on first use
and kept for the rest of the session, so every test with the same marker shares one.

Exceptions the mock raises while handling a request fail the test that sent it, with the request
and the server-side traceback; a server thread that died makes the next use of a fixture raise
``RuntimeError("specmock: the mock server stopped: ...")``.
"""

from __future__ import annotations

import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from specmock.contracts.fixtures import ApiMock, ServerFactory, SpecMock, TestRun
    from specmock.mocks import ApiDescriptor, MockConfig

__all__ = [
    "api_fixture",
    "specmock",
    "specmock_config",
    "specmock_consumer_contract",
    "specmock_host",
    "specmock_server",
]

MARKER = (
    "specmock(seed=None, token_ttl=None, config=None): run this test against a mock with another seed, "
    "token lifetime (seconds, every API) or config (a MockConfig, a dict shaped like the YAML config file, "
    "or the path of one, relative to the rootdir); that server is started once and shared by every test "
    "asking for the same config. See the specmock README, section 'pytest plugin'."
)
_MARKER_KEYS = ("seed", "token_ttl", "config")


@dataclass(frozen=True)
class Options:
    """The ``--specmock-*`` options / ``specmock_*`` ini keys, validated."""

    seed: int | None = None
    token_ttl: int | None = None
    config_file: Path | None = None
    host: str = "127.0.0.1"


_OPTIONS = pytest.StashKey[Options]()
_RUN: pytest.StashKey[TestRun] = pytest.StashKey()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("specmock",
                            "specmock mock servers (fixtures specmock, banqer_mock, pbm_mock, assine_mock)")
    group.addoption("--specmock-seed", dest="specmock_seed", default=None, metavar="N",
                    help="seed of the mocks' generated data (ini: specmock_seed; default: the config's, "
                    "2024)")
    group.addoption("--specmock-token-ttl", dest="specmock_token_ttl", default=None, metavar="S",
                    help="lifetime in seconds of every token the mocks issue (ini: specmock_token_ttl; "
                    "default: 300 Banqer, 3600 PBM and Assine)")
    group.addoption("--specmock-config", dest="specmock_config", default=None, metavar="FILE",
                    help="YAML config of the mocks: tenants, clients, accounts, token lifetimes, rate limits "
                    "(ini: specmock_config, relative to the ini file)")
    group.addoption("--specmock-host", dest="specmock_host", default=None, metavar="HOST",
                    help="address the mock servers bind (ini: specmock_host; default: 127.0.0.1)")
    group.addoption("--specmock-examples", dest="specmock_examples", default=None, metavar="N",
                    help="examples per consumer contract property (ini: specmock_examples; default: the "
                    "Hypothesis profile's; profiles specmock (25), specmock-ci (100), specmock-quick (5) are "
                    "registered; HYPOTHESIS_PROFILE=<name> loads one)")
    parser.addini("specmock_examples", "examples per consumer contract property", default="")
    parser.addini("specmock_seed", "seed of the mocks' generated data", default="")
    parser.addini("specmock_token_ttl", "lifetime in seconds of every token the mocks issue", default="")
    parser.addini("specmock_config", "YAML config file of the mocks, relative to the ini file", default="")
    parser.addini("specmock_host", "address the mock servers bind (default: 127.0.0.1)", default="")


def _value(config: pytest.Config, name: str) -> tuple[str | None, str]:
    """The option's value and where it came from (CLI wins over ini)."""
    cli = config.getoption(name)
    if cli not in (None, ""):
        return str(cli), f"--{name.replace('_', '-')}"
    ini = config.getini(name)
    if isinstance(ini, str) and ini.strip():
        return ini.strip(), f"ini {name}"
    return None, ""


def _integer(config: pytest.Config, name: str, minimum: int | None) -> int | None:
    raw, source = _value(config, name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or (minimum is not None and value < minimum):
        need = "an integer" if minimum is None else f"a whole number, at least {minimum}"
        raise pytest.UsageError(f"specmock: {source}: invalid value {raw!r}: expected {need}")
    return value


def _read_options(config: pytest.Config) -> Options:
    config_file: Path | None = None
    raw, source = _value(config, "specmock_config")
    if raw is not None:
        path = Path(raw).expanduser()
        if not path.is_absolute():
            base = config.inipath.parent if source.startswith("ini") and config.inipath else Path.cwd()
            path = base / path
        config_file = path
    host, _ = _value(config, "specmock_host")
    return Options(seed=_integer(config, "specmock_seed", None),
                   token_ttl=_integer(config, "specmock_token_ttl", 1),
                   config_file=config_file, host=host or "127.0.0.1")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER)
    _configure_hypothesis(config)
    options = _read_options(config)
    if options.config_file is not None:  # a broken file is one line at start, not an error in every test
        from specmock.mocks import ConfigError, load_config

        try:
            load_config(options.config_file)
        except ConfigError as exc:
            raise pytest.UsageError(f"specmock: {exc}") from None
    config.stash[_OPTIONS] = options
    config.pluginmanager.register(_api_fixtures(), "specmock-api-fixtures")


def _api_fixtures() -> types.ModuleType:
    """The ``<api>_mock`` fixture of every registered API, as a plugin pytest collects fixtures from."""
    from specmock.mocks.registry import descriptors

    holder = types.ModuleType("specmock_api_fixtures")
    for api in descriptors():
        fixture = api_fixture(api)
        setattr(holder, fixture.__name__, fixture)
    return holder


def api_fixture(api: ApiDescriptor) -> Callable[..., Any]:
    """The function-scoped fixture ``<name>_mock``: ``specmock.<name>``, the API's handle."""
    name = f"{api.name.replace('-', '_')}_mock"

    def handle(specmock: SpecMock) -> ApiMock:
        return specmock.apis[api.name]

    handle.__name__ = handle.__qualname__ = name
    handle.__doc__ = f"{api.title} on the mock, reset before the test."
    return pytest.fixture(name=name)(handle)


def _configure_hypothesis(config: pytest.Config) -> None:
    """The ``specmock`` profiles registered, ``HYPOTHESIS_PROFILE`` honoured (unless
    ``--hypothesis-profile`` is given), ``--specmock-examples`` applied to the consumer suites."""
    from specmock.contracts import profiles

    profiles.register()
    if not config.getoption("hypothesis_profile", None):
        try:
            profiles.load_from_environment()
        except ValueError as exc:
            raise pytest.UsageError(f"specmock: {exc}") from None
    profiles.set_examples(_integer(config, "specmock_examples", 1))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """A test whose request made the mock raise fails with that request and the server traceback,
    also when the test itself passed; a test that failed keeps its own error, shown first."""
    __tracebackhide__ = True
    try:
        result = yield
    except BaseException:
        _check_after_call(item)
        raise
    _check_after_call(item)
    return result


def _check_after_call(item: pytest.Item) -> None:
    __tracebackhide__ = True
    run = item.stash.get(_RUN, None)
    if run is not None:
        run.raise_server_errors()
        run.server.check_alive()


# -- fixtures ----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def specmock_config(pytestconfig: pytest.Config) -> MockConfig:
    """Config of the default mock server: the built-in demo set-up, the ``--specmock-config`` file,
    then ``--specmock-seed`` / ``--specmock-token-ttl``. Override this fixture to build your own."""
    from dataclasses import replace

    from specmock.mocks import MockConfig, load_config

    options = pytestconfig.stash.get(_OPTIONS, Options())
    config = load_config(options.config_file) if options.config_file else MockConfig()
    if options.seed is not None:
        config = replace(config, seed=options.seed)
    if options.token_ttl is not None:
        config = config.with_token_ttl(options.token_ttl)
    return config


@pytest.fixture(scope="session")
def specmock_host(pytestconfig: pytest.Config) -> str:
    """Address the mock servers bind: ``127.0.0.1`` unless ``--specmock-host`` says otherwise."""
    return pytestconfig.stash.get(_OPTIONS, Options()).host


@pytest.fixture(scope="session")
def specmock_server(specmock_config: MockConfig, specmock_host: str) -> Iterator[ServerFactory]:
    """The session's server factory (one per xdist worker): ``specmock_server()`` is the running
    :class:`~specmock.contracts.fixtures.MockServer` for ``specmock_config``; ``specmock_server(config)``
    starts (once) and returns the one for another config. Every server stops at the end of the session."""
    from specmock.contracts.fixtures import ServerFactory

    factory = ServerFactory(specmock_config, specmock_host)
    try:
        yield factory
    finally:
        factory.close()


@pytest.fixture
def specmock(request: pytest.FixtureRequest, specmock_server: ServerFactory,
             specmock_config: MockConfig) -> Iterator[SpecMock]:
    """Every API of the mock this test uses, reset to the seeded start before the test."""
    __tracebackhide__ = True
    from specmock.contracts.fixtures import TestRun, marker_config

    config = specmock_config
    marker = request.node.get_closest_marker("specmock")
    if marker is not None:
        if marker.args:
            pytest.fail("specmock: @pytest.mark.specmock takes keyword arguments only "
                        f"({', '.join(_MARKER_KEYS)})", pytrace=False)
        unknown = sorted(set(marker.kwargs) - set(_MARKER_KEYS))
        if unknown:
            pytest.fail(f"specmock: @pytest.mark.specmock got unknown argument {unknown[0]!r}; "
                        f"it takes {', '.join(_MARKER_KEYS)}", pytrace=False)
        try:
            config = marker_config(specmock_config, root=request.config.rootpath, **marker.kwargs)
        except (TypeError, ValueError) as exc:  # ConfigError is a ValueError
            pytest.fail(f"specmock: @pytest.mark.specmock: {exc}", pytrace=False)
    server = specmock_server(config)
    server.check_alive()
    run = TestRun(server)
    run.raise_server_errors("after the previous test ended, answering a request it had sent")
    server.reset()
    request.node.stash[_RUN] = run
    try:
        yield run.mock
    finally:
        run.close()
    run.raise_server_errors("while this test was ending")


@pytest.fixture
def specmock_consumer_contract() -> Any:
    """``specmock_consumer_contract(adapter, only=None)`` runs the consumer contract of the adapter's API
    (:class:`~specmock.contracts.consumer.BanqerAdapter`, ``PbmAdapter`` or ``AssineAdapter``) in
    this test; the first broken property raises its ``ContractViolation``. Subclassing
    ``BanqerConsumerContract`` & co. gives one test per property instead."""
    from specmock.contracts.consumer import run_contract

    return run_contract
