"""Fixtures of the Assine mock tests: one app per module, a login per test."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from tests.mocks.assine.support import bearer, make_app, token


@pytest.fixture(scope="module")
def app() -> Starlette:
    return make_app()


@pytest.fixture
def auth(client: httpx.Client) -> dict[str, str]:
    """The ``Authorization`` header of a fresh login to the business (PJ) demo account."""
    return bearer(token(client))
