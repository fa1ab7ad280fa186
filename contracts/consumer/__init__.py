"""Property-based consumer contracts any client of the three APIs can run.

The suite plays the server (pytest-httpserver on 127.0.0.1, a fake clock behind the client's
injected ``sleep``/``now``) and generates its behaviour with Hypothesis: runs of 401/429/5xx,
error bodies drawn from the specs' own error schemas (``hypothesis-jsonschema``), malformed
bodies, pages and page tokens. A broken rule raises :class:`ContractViolation`, an
``AssertionError`` titled like ``"Banqer contract: refreshed the token twice in one call"``
with the property, the (shrunk) server script and a Received/Expected body.

Use it from a test module with an adapter around your own client::

    from specmock.contracts.consumer import BanqerAdapter, BanqerConsumerContract
    from mycompany.banqer import Banqer, BanqerFailure

    class MyBanqer(BanqerAdapter):
        error_types = (BanqerFailure,)
        def make_client(self, *, api_base, auth_base, tenant, client_id, client_secret, sleep, now):
            return Banqer(tenant, client_id, client_secret, api_base=api_base, auth_base=auth_base,
                          sleep=sleep, now=now)
        def call_get(self, client, path):
            return client.get(path)
        def list_all(self, client, path, params):
            return list(client.paginate(path, params))

    class TestMyBanqerClient(BanqerConsumerContract):
        adapter = MyBanqer()

(:class:`PbmAdapter`/:class:`PbmConsumerContract` and
:class:`AssineAdapter`/:class:`AssineConsumerContract` work the same way.) A client built on a
reference client needs no adapter of its own: ``ReferenceBanqerAdapter(MyBanqer)`` (module
``reference``). A client in another language runs behind a driver command:
``BanqerCommandAdapter(["node", "banqer-driver.mjs"])`` and friends (``command.py``; the protocol
is ``docs/driver-protocol.md``). Outside pytest, ``run_banqer_contract(adapter)`` and friends run
every property in turn, and :func:`run_contract` runs the contract of whichever registered API the
adapter is for. The adapter interface is documented in ``properties``; every rule, its
source, title and knob in ``docs/consumer-contract.md`` (``contract.RULES`` in code). Hypothesis
settings: the ``specmock`` profile unless a profile was loaded, ``--specmock-examples N`` (see
``specmock.contracts.profiles``); deadlines are off because every example does real HTTP.
"""

from typing import Any, get_type_hints

from specmock.mocks import descriptors, resolve

from .assine import AssineAdapter, AssineConsumerContract, run_assine_contract
from .banqer import BanqerAdapter, BanqerConsumerContract, run_banqer_contract
from .command import AssineCommandAdapter, BanqerCommandAdapter, DriverError, PbmCommandAdapter
from .fake_server import ContractViolation, FakeClock, SuiteError
from .pbm import PbmAdapter, PbmConsumerContract, run_pbm_contract

__all__ = [
    "AssineAdapter",
    "AssineCommandAdapter",
    "AssineConsumerContract",
    "BanqerAdapter",
    "BanqerCommandAdapter",
    "BanqerConsumerContract",
    "ContractViolation",
    "DriverError",
    "FakeClock",
    "PbmAdapter",
    "PbmCommandAdapter",
    "PbmConsumerContract",
    "SuiteError",
    "registered_contracts",
    "run_assine_contract",
    "run_banqer_contract",
    "run_contract",
    "run_pbm_contract",
]


def registered_contracts() -> list[tuple[type[Any], type[Any]]]:
    """``(adapter class, consumer contract class)`` of every registered API that has a consumer contract."""
    found = []
    for api in descriptors():
        if api.consumer is not None:
            contract = resolve(api.consumer)
            found.append((get_type_hints(contract)["adapter"], contract))
    return found


def run_contract(adapter: Any, only: list[str] | None = None) -> None:
    """Run the consumer contract of the registered API ``adapter`` is for (all properties, or those
    named in ``only``); the first broken property raises its :class:`ContractViolation`."""
    known = registered_contracts()
    for adapter_type, contract in known:
        if isinstance(adapter, adapter_type):
            contract.suite.run(adapter, only)
            return
    names = [adapter_type.__name__ for adapter_type, _ in known]
    expected = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    raise TypeError(f"specmock: {type(adapter).__name__} is not a {expected}")
