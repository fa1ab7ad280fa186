"""Banqer as the kit knows it: the API of each tenant and its Keycloak realm, two mounts, one API."""

from __future__ import annotations

from specmock.mocks.banqer.settings import BanqerSettings
from specmock.mocks.descriptor import ApiDescriptor, ApiMount, ApiSpec

__all__ = ["DESCRIPTOR"]

DESCRIPTOR = ApiDescriptor(
    name="banqer",
    title="Banqer",
    mounts=(
        ApiMount("banqer-auth", "/banqer-auth", "specmock.mocks.banqer.realm:BanqerAuthApi",
                 openapi="banqer-auth"),
        ApiMount("banqer", "/banqer/{tenant}", "specmock.mocks.banqer.api:BanqerApi", openapi="banqer"),
    ),
    specs=(
        ApiSpec("banqer-auth", "banqer-auth.openapi.yaml", "openapi"),
        ApiSpec("banqer", "banqer.openapi.yaml", "openapi"),
    ),
    settings=BanqerSettings,
    provider="specmock.contracts.provider.plans:BANQER",
    fixture="specmock.contracts.fixtures.handles:BanqerMock",
    consumer="specmock.contracts.consumer.banqer:BanqerConsumerContract",
)
