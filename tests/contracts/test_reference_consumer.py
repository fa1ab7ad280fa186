"""The consumer contracts, run against the three reference clients through their adapters.

This is also what a team's own test module looks like: an adapter and one subclass per API.
"""

from specmock.contracts.consumer import AssineConsumerContract, BanqerConsumerContract, PbmConsumerContract
from specmock.contracts.consumer.reference import (
    ReferenceAssineAdapter,
    ReferenceBanqerAdapter,
    ReferencePbmAdapter,
)


class TestReferenceBanqerClient(BanqerConsumerContract):
    adapter = ReferenceBanqerAdapter()


class TestReferencePbmClient(PbmConsumerContract):
    adapter = ReferencePbmAdapter()


class TestReferenceAssineClient(AssineConsumerContract):
    adapter = ReferenceAssineAdapter()
