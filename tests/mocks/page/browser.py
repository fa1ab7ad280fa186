"""Headless Chromium for the page's browser tests, installed by the set-up where it can be.

The distribution's Chromium (``/usr/bin/chromium``) is driven by Playwright's Python package; no
browser is ever downloaded by Playwright. Where Chromium is missing and the tests run as root on a
system with ``apt-get``, it is installed from the distribution's packages. Where that cannot be,
the browser tests are skipped with a message naming what is missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

__all__ = ["FLAGS", "browser_page", "chromium_path"]

#: Nothing reaches the network but the mock on loopback: no updates, sync, QUIC or first-run calls.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
_NAMES = ("chromium", "chromium-browser")
_APT = ["apt-get", "-o", "DPkg::Lock::Timeout=600", "-y", "-q"]


def _found() -> str | None:
    return next((path for name in _NAMES if (path := shutil.which(name))), None)


def chromium_path() -> str:
    """The Chromium executable, installed from the distribution's packages when missing (as root)."""
    found = _found()
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("browser tests skipped: no Chromium executable (Debian package 'chromium'), and it "
                    "cannot be installed here (needs root and apt-get)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    def apt(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*_APT, *args], capture_output=True, text=True, env=env, check=False)

    result = apt("install", "chromium")
    if result.returncode != 0:  # an empty or stale package list: read it once, then try again
        apt("update")
        result = apt("install", "chromium")
    found = _found()
    if not found:
        last = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        pytest.skip("browser tests skipped: Chromium (Debian package 'chromium') could not be installed: "
                    + last[0])
    return found


def browser_page(profile: Path, viewport: dict[str, int] | None = None) -> Iterator[Any]:
    """A Playwright page in a fresh Chromium profile, closed afterwards (a generator for fixtures)."""
    sync_api = pytest.importorskip(
        "playwright.sync_api",
        reason="browser tests skipped: the Python package 'playwright' is not installed "
               "(pip install -e '.[dev]')",
    )
    executable = chromium_path()
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(profile), executable_path=executable, headless=True, args=FLAGS,
            viewport=viewport or {"width": 1600, "height": 900}, service_workers="block",
        )
        try:
            yield context.pages[0] if context.pages else context.new_page()
        finally:
            context.close()
