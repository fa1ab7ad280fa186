"""Fixtures of the plugin tests."""

from __future__ import annotations

import pytest

from tests.plugin.project import Project


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Project:
    """An empty throwaway project (``pytester``) with the plugin loaded explicitly when run."""
    return Project(pytester, monkeypatch)
