"""Fixtures shared by the API mock tests.

``client`` works on the ``app`` fixture of the test's package (``tests/mocks/assine``,
``tests/mocks/banqer``); a module may override ``app`` with its own configuration.
"""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette

from specmock.mocks.transport import sync_transport
from tests.conformance import conforming_client


@pytest.fixture
def client(app: Starlette) -> httpx.Client:
    """A spec-checked in-process client on ``app``, whose mock state is reset first."""
    app.state.mock.reset()
    return conforming_client(sync_transport(app))
