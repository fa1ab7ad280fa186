"""End to end on a real loopback port: token, query, expiry by the clock, new token."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from specmock.mocks.app import create_app, create_state
from specmock.mocks.pbm.api import PbmApi
from specmock.mocks.server import ServerThread
from tests.mocks.pbm.support import (
    CREATE_TOKEN,
    DEMO,
    check_pbm_response,
    expected_unauthenticated,
    read_data,
)

MEDICINES = read_data("get-medicines-for-treatment-start.graphql")


@pytest.fixture(scope="module")
def server() -> Iterator[ServerThread]:
    with ServerThread(create_app(create_state(apis=[PbmApi]))) as running:
        yield running


def test_token_query_expiry_and_renewal_over_http(server: ServerThread) -> None:
    def checked(response: httpx.Response) -> None:
        if response.request.url.path.startswith("/pbm"):
            response.read()
            check_pbm_response(response)

    with httpx.Client(base_url=server.url, timeout=10, event_hooks={"response": [checked]}) as client:
        url = "/pbm/graphql"
        token = client.post(url, json={"query": CREATE_TOKEN, "variables": DEMO}).json()["data"][
            "createToken"
        ]["token"]
        auth = {"Authorization": f"Bearer {token}"}
        first = client.post(url, json={"query": MEDICINES}, headers=auth)
        assert first.status_code == 200
        assert [
            m["lineCode"] for m in first.json()["data"]["WsAcesso_getMedicinesForTreatmentStart"]["medicines"]
        ] == [6994, 6993, 7002]

        assert client.post("/__mock__/clock/advance", json={"seconds": 3600}).status_code == 200
        expired = client.post(url, json={"query": MEDICINES}, headers=auth)
        assert expired.status_code == 200
        assert expired.content == expected_unauthenticated("WsAcesso_getMedicinesForTreatmentStart")

        renewed = client.post(url, json={"query": CREATE_TOKEN, "variables": DEMO}).json()["data"][
            "createToken"
        ]
        again = client.post(
            url, json={"query": MEDICINES}, headers={"Authorization": f"Bearer {renewed['token']}"}
        )
        assert again.status_code == 200 and again.content == first.content

        index = client.get("/__mock__/").json()["apis"]["pbm"]
        assert index["graphql"] == f"{server.url}/pbm/graphql"
