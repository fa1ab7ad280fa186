"""Funcional PBM as the kit knows it: one GraphQL endpoint at ``/pbm``."""

from __future__ import annotations

from specmock.mocks.descriptor import ApiDescriptor, ApiMount, ApiSpec
from specmock.mocks.pbm.settings import PbmSettings

__all__ = ["DESCRIPTOR"]

DESCRIPTOR = ApiDescriptor(
    name="pbm",
    title="Funcional PBM",
    mounts=(ApiMount("pbm", "/pbm", "specmock.mocks.pbm.api:PbmApi"),),
    specs=(
        ApiSpec("pbm.graphql", "pbm.graphql", "graphql"),
        ApiSpec("pbm.responses.schema.json", "pbm.responses.schema.json", "json-schema"),
    ),
    settings=PbmSettings,
    provider="specmock.contracts.provider.plans:PBM",
    fixture="specmock.contracts.fixtures.handles:PbmMock",
    consumer="specmock.contracts.consumer.pbm:PbmConsumerContract",
)
