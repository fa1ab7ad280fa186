"""Shared set-up for the Banqer mock tests: an app hosting the API and its realm, spec-checked clients."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette

from specmock.mocks.app import create_app, create_state
from specmock.mocks.banqer import BanqerApi, BanqerAuthApi
from specmock.mocks.config import MockConfig, parse_config
from specmock.mocks.core.openapi import OpenApiSpec
from specmock.mocks.core.state import MockState
from specmock.mocks.transport import sync_transport
from specmock.specs import load as load_spec
from tests.conformance import conforming_client

DATA = Path(__file__).resolve().parents[2] / "data" / "banqer"
BASE = "http://mock.test"
REALM = "/banqer-auth/realms/demo"
TOKEN_PATH = f"{REALM}/protocol/openid-connect/token"
API = "/banqer/demo"
DOCUMENTED_FICHA_ID = "8aa4b425-5fed-4cea-b970-044b36ea9d73"


def make_state(config: MockConfig | None = None) -> MockState:
    return create_state(config, apis=[BanqerAuthApi, BanqerApi])


def make_app(config: MockConfig | None = None) -> Starlette:
    return create_app(make_state(config))


def client_for(app: Starlette, base_url: str = BASE) -> httpx.Client:
    """An in-process client whose every Banqer / realm response is validated against the specs."""
    return conforming_client(sync_transport(app), base_url)


def raw_client(app: Starlette, base_url: str = BASE) -> httpx.Client:
    """An in-process client without spec checks, for paths and methods the specs do not describe."""
    return httpx.Client(transport=sync_transport(app), base_url=base_url)


def two_tenant_config(**overrides: Any) -> MockConfig:
    data: dict[str, Any] = {
        "banqer": {"tenants": {"acme": {"clients": {"acme-client": {"secret": "acme-secret"}}}}}
    }
    data.update(overrides)
    return parse_config(data)


def fetch_token(
    client: httpx.Client, client_id: str = "demo-client", secret: str = "demo-secret", tenant: str = "demo"
) -> str:
    response = client.post(
        f"/banqer-auth/realms/{tenant}/protocol/openid-connect/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def walk(
    client: httpx.Client,
    token: str,
    path: str,
    params: Mapping[str, Any],
    page_size: int,
    key: str = "fichas",
) -> tuple[list[dict[str, Any]], int]:
    """Every item of a paginated collection, as Banqer's ``paginar`` walks it; and the page count."""
    items: list[dict[str, Any]] = []
    page_token = ""
    pages = 0
    while True:
        response = client.get(
            f"{API}{path}",
            params={**params, "pageSize": page_size, "pageToken": page_token},
            headers=bearer(token),
        )
        assert response.status_code == 200, response.text
        body = response.json()
        pages += 1
        array_key = next(k for k, v in body.items() if isinstance(v, list))
        assert array_key == key
        items += body[array_key]
        page_token = body.get("nextPageToken") or ""
        if not page_token:
            return items, pages
        assert pages < 10_000


def error_validator() -> Any:
    spec = OpenApiSpec(load_spec("banqer"))
    return spec.validator({"$ref": "#/components/schemas/Error"})


def documented(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))
