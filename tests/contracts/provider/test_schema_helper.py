"""specmock.contracts.schema(): a ready schemathesis schema per API, logged in, with the shipped config."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from specmock.contracts import schema
from specmock.contracts.provider.auth import LoginFailed
from specmock.mocks.app import create_app, create_state
from specmock.mocks.config import parse_config
from specmock.mocks.server import ServerThread


def _draw(strategy: Any) -> Any:
    drawn: list[Any] = []

    @settings(max_examples=1, database=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck))
    @given(strategy)
    def take(case: Any) -> None:
        drawn.append(case)

    take()
    return drawn[0]


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    with ServerThread(create_app(create_state())) as running:
        yield running


@pytest.mark.parametrize(
    ("api", "path", "method"),
    [("banqer", "/v1/credores", "GET"), ("assine", "/v1/user", "GET")],
)
def test_generated_calls_are_authenticated_and_pass_every_check(
    server: ServerThread, api: str, path: str, method: str
) -> None:
    case = _draw(schema(api, server.url)[path][method].as_strategy())
    assert case.headers["Authorization"].startswith("Bearer ")
    case.call_and_validate()


def test_the_token_is_renewed_before_it_expires() -> None:
    config = parse_config({"banqer": {"token_ttl": 2}})  # renewed after 80 %: about every second
    with ServerThread(create_app(create_state(config))) as short:
        strategy = schema("banqer", short.url)["/v1/credores"]["GET"].as_strategy()
        first = _draw(strategy)
        time.sleep(2.1)
        assert first.call().status_code == 401  # the first token has expired on the server
        again = _draw(strategy)
        assert again.headers["Authorization"] != first.headers["Authorization"]
        assert again.call().status_code == 200


def test_pbm_schema_logs_in_with_the_mutation(server: ServerThread) -> None:
    loaded = schema("pbm", server.url)
    names = {result.ok().label for result in loaded.get_all_operations()}
    assert "Mutation.createToken" in names


def test_the_shipped_config_rides_along(server: ServerThread) -> None:
    loaded = schema("banqer", server.url)
    operation = loaded["/v1/fichas"]["GET"]
    from schemathesis.generation.overrides import for_operation

    assert for_operation(loaded.config, operation=operation).query == {"pageToken": ""}


def test_wrong_credentials_and_unknown_apis_are_refused(server: ServerThread) -> None:
    with pytest.raises(LoginFailed, match="login refused"):
        schema("banqer", server.url, credentials={"BANQER_CLIENT_SECRET": "wrong"})
    with pytest.raises(ValueError, match="unknown API"):
        schema("nope", server.url)
