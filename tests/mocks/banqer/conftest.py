"""Fixtures of the Banqer mock tests: one app per module, hosting the API and its realm."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette

from tests.mocks.banqer.support import make_app


@pytest.fixture(scope="module")
def app() -> Starlette:
    return make_app()
