"""Shared set-up for the Assine mock tests: an app hosting only Assine, spec-checked clients, logins."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette

from specmock.mocks.app import create_app, create_state
from specmock.mocks.assine import AssineApi
from specmock.mocks.config import MockConfig
from specmock.mocks.transport import sync_transport
from tests.conformance import conforming_client

DATA = Path(__file__).resolve().parents[2] / "data" / "assine"
BASE = "http://mock.test"
API = "/assine"
PJ = ("demo@empresa.example", "demo-password")
PF = ("pf@pessoa.example", "demo-password")
CLIENT = {"client_id": "app", "client_secret": "app"}
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
USER_ID_FILTER = {"filter[0][field]": "id", "filter[0][type]": "eq", "filter[0][value]": "$USER_ID"}


def make_app(config: MockConfig | None = None) -> Starlette:
    return create_app(create_state(config, apis=[AssineApi]))


def api_of(app: Starlette) -> AssineApi:
    api: AssineApi = app.state.mock.apis["assine"]
    return api


def client_for(app: Starlette, base_url: str = BASE) -> httpx.Client:
    """An in-process client whose every Assine response is validated against ``assine.openapi.yaml``."""
    return conforming_client(sync_transport(app), base_url)


def raw_client(app: Starlette, base_url: str = BASE) -> httpx.Client:
    """An in-process client without spec checks, for what the spec does not describe (405, mock-only)."""
    return httpx.Client(transport=sync_transport(app), base_url=base_url)


def login(client: httpx.Client, account: tuple[str, str] = PJ) -> dict[str, Any]:
    response = client.post(f"{API}/oauth", json={"grant_type": "password", **CLIENT,
                                                 "username": account[0], "password": account[1]})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def token(client: httpx.Client, account: tuple[str, str] = PJ) -> str:
    value: str = login(client, account)["access_token"]
    return value


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def documented(name: str) -> Any:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


def all_users(client: httpx.Client, auth: dict[str, str]) -> list[dict[str, Any]]:
    """Every user of the directory, through the listing itself (pages of 100)."""
    users: list[dict[str, Any]] = []
    page = 1
    while True:
        response = client.get(f"{API}/v1/user", params={"page_size": 100, "page": page}, headers=auth)
        assert response.status_code == 200, response.text
        body = response.json()
        users += body["_embedded"]["user"]
        if page >= body["page_count"]:
            return users
        page += 1


def upload(client: httpx.Client, auth: dict[str, str], content: bytes = PDF, name: str = "contrato.pdf",
           **fields: str) -> httpx.Response:
    return client.post(f"{API}/v1/file", files={"file": (name, content, "application/pdf")}, data=fields,
                       headers=auth)


def new_file(client: httpx.Client, auth: dict[str, str]) -> int:
    response = upload(client, auth)
    assert response.status_code == 201, response.text
    file_id: int = response.json()["id"]
    return file_id


def signer(n: int) -> dict[str, Any]:
    return {"user": {"name": f"Signatário {n}", "email": f"signatario{n}@exemplo.example"}, "action": 1}


def workflow_body(file_ids: list[int], steps_per_file: int = 1, **options: Any) -> dict[str, Any]:
    counter = iter(range(1, 1000))
    return {**options, "files": [{"idFile": file_id, "name": f"Documento {file_id}",
                                  "workflowSteps": [signer(next(counter)) for _ in range(steps_per_file)]}
                                 for file_id in file_ids]}
