"""Assine Online as the kit knows it: REST/HAL under ``/assine``."""

from __future__ import annotations

from specmock.mocks.assine.settings import AssineSettings
from specmock.mocks.descriptor import ApiDescriptor, ApiMount, ApiSpec

__all__ = ["DESCRIPTOR"]

DESCRIPTOR = ApiDescriptor(
    name="assine",
    title="Assine Online",
    # The mock answers every resource with and without the /v1 prefix; the spec writes it with it.
    mounts=(ApiMount("assine", "/assine", "specmock.mocks.assine.api:AssineApi", openapi="assine",
                     optional_prefixes=("/v1",)),),
    specs=(ApiSpec("assine", "assine.openapi.yaml", "openapi"),),
    settings=AssineSettings,
    provider="specmock.contracts.provider.plans:ASSINE",
    fixture="specmock.contracts.fixtures.handles:AssineMock",
    consumer="specmock.contracts.consumer.assine:AssineConsumerContract",
)
