"""A throwaway project that uses the plugin the way another repository would, and runs pytest in it."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

#: Seconds one pytest run of a throwaway project may take before it counts as hung.
RUN_TIMEOUT = 180
#: Hypothesis settings of the throwaway projects: few examples, so the contract suites stay quick.
QUICK_PROFILE = """\
from hypothesis import settings

settings.register_profile("plugin-tests", max_examples=5, deadline=None)
settings.load_profile("plugin-tests")
"""


class Project:
    """Files of a project plus ``run()``; by default the plugin is loaded explicitly with ``-p specmock``
    and entry-point autoloading is off, so nothing else in the environment takes part."""

    def __init__(self, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
        self.pytester = pytester
        self.monkeypatch = monkeypatch
        pytester.makeini("[pytest]\n")

    @property
    def path(self) -> Path:
        return self.pytester.path

    def write(self, name: str, text: str) -> Path:
        path = self.pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    def run(
        self, *args: str, autoload: bool = False, subprocess: bool = True, env: dict[str, str] | None = None
    ) -> pytest.RunResult:
        """pytest in the project; ``autoload=True`` runs it as an installed plugin is normally used:
        entry points loaded, no ``-p``. ``env``: environment variables of that run."""
        if autoload:
            self.monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", raising=False)
            argv = list(args)
        else:
            self.monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
            argv = ["-p", "specmock", *args]
        self.monkeypatch.delenv("HYPOTHESIS_PROFILE", raising=False)
        self.monkeypatch.delenv("CI", raising=False)  # else Hypothesis loads its own "ci" profile
        for name, value in (env or {}).items():
            self.monkeypatch.setenv(name, value)
        if subprocess:
            return self.pytester.runpytest_subprocess(*argv, timeout=RUN_TIMEOUT)
        return self.pytester.runpytest(*argv)

