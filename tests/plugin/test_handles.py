"""The handles the fixtures hand out, used directly: URLs, demo credentials, the shared control plane."""

from __future__ import annotations

import pytest

from specmock.contracts.fixtures import MockServer, SpecMock
from specmock.mocks.config import MockConfig
from specmock.mocks.pbm.settings import PbmAccount


def test_urls_and_reprs_of_the_handles() -> None:
    with MockServer() as server:
        mock = SpecMock(server)
        assert mock.url == mock.base_url == server.url and repr(mock) == f"<SpecMock {server.url}>"
        for handle, path in (
            (mock.banqer, "/banqer/demo"),
            (mock.pbm, "/pbm/graphql"),
            (mock.assine, "/assine"),
        ):
            assert handle.url == handle.base_url == server.url + path
            assert repr(handle) == f"<{type(handle).__name__} {server.url}{path}>"
        assert mock.banqer.advance(30) == mock.advance(0) == 30  # one clock, one offset
        mock.pbm.reset()
        assert mock.assine.advance(0) == 0


def test_credentials_prefer_the_demo_names_then_the_first_name() -> None:
    config = MockConfig(pbm_accounts={"zeca": PbmAccount("zeca", "z"), "ana": PbmAccount("ana", "a")})
    with MockServer(config) as server:
        assert SpecMock(server).pbm.credentials.as_dict() == {"login": "ana", "password": "a"}


@pytest.mark.parametrize(
    ("config", "handle", "message"),
    [
        (MockConfig(banqer_tenants={}), "banqer", "the config has no Banqer tenant"),
        (MockConfig(banqer_tenants={"acme": {}}), "banqer", "the Banqer tenant 'acme' has no client"),
        (MockConfig(pbm_accounts={}), "pbm", "the config has no PBM account"),
        (MockConfig(assine_users={}), "assine", "the config has no Assine user"),
    ],
)
def test_credentials_of_a_config_without_any(config: MockConfig, handle: str, message: str) -> None:
    with MockServer(config) as server, pytest.raises(LookupError, match=f"^specmock: {message}$"):
        getattr(SpecMock(server), handle).credentials  # noqa: B018
