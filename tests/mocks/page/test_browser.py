"""The page in a real browser: a request shows up live, its reason can be read, a fault queued from
the form answers the next call.

Set ``SPECMOCK_PAGE_SCREENSHOT=docs/page.png`` to save the page as the README shows it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from specmock.mocks.app import create_app
from specmock.mocks.server import ServerThread
from tests.mocks.page.browser import browser_page

TOKEN_URL = "/banqer-auth/realms/demo/protocol/openid-connect/token"
#: How long the page may take to show something before the test gives up (not a timing claim: the
#: page polls every 0.4 s; the measured delay is printed).
PATIENCE_MS = 10_000


@pytest.fixture
def server() -> Iterator[ServerThread]:
    with ServerThread(create_app()) as running:
        yield running


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Any]:
    errors: list[str] = []
    for opened in browser_page(tmp_path / "profile"):
        opened.on("pageerror", lambda error: errors.append(str(error)))
        opened.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        yield opened
    assert not errors, f"the page reported errors: {errors}"


@pytest.fixture
def http(server: ServerThread) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=10) as client:
        yield client


def banqer_token(http: httpx.Client) -> str:
    form = {"grant_type": "client_credentials", "client_id": "demo-client", "client_secret": "demo-secret"}
    token: str = http.post(TOKEN_URL, data=form).json()["access_token"]
    return token


def test_watch_a_call_read_why_it_was_refused_and_queue_a_fault(server: ServerThread, page: Any,
                                                                http: httpx.Client) -> None:
    from playwright.sync_api import expect

    page.goto(f"{server.url}/__mock__/")
    expect(page.locator("h1")).to_have_text("specmock")
    expect(page.locator("#live")).to_have_text("live", timeout=PATIENCE_MS)

    bearer = {"Authorization": f"Bearer {banqer_token(http)}"}
    sent = time.monotonic()
    assert http.get("/banqer/demo/v1/fichas?atrasoMin=90&pageSize=2", headers=bearer).status_code == 200
    listed = page.locator("#requests tbody tr[data-api=banqer]")
    expect(listed).to_have_count(1, timeout=PATIENCE_MS)
    print(f"\nthe call showed in the page {time.monotonic() - sent:.2f} s after it was answered")
    expect(listed.first).to_have_attribute("data-status", "200")

    bad = http.get("/banqer/demo/v1/fichas?atrasoMin=-1", headers=bearer)
    assert bad.status_code == 400
    refused = page.locator("#requests tbody tr[data-api=banqer][data-status='400']")
    expect(refused).to_have_count(1, timeout=PATIENCE_MS)
    refused.click()
    expect(page.locator("#why-summary")).to_contain_text("atrasoMin", timeout=PATIENCE_MS)
    expect(page.locator("#why-summary")).to_contain_text("minimum of 0")
    expect(page.locator("#why-problems")).to_contain_text("minimum: 0")
    expect(page.locator("#why-details")).to_contain_text("listFichas")
    expect(page.locator("#curl")).to_contain_text("'Authorization: Bearer ***'")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page.locator("#copy-curl").click()
    expect(page.locator("#toast")).to_contain_text("copied", timeout=PATIENCE_MS)
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == page.locator("#curl").text_content()
    assert copied.startswith(f"curl '{server.url}/banqer/demo/v1/fichas?atrasoMin=-1' ")
    expect(page.locator("#response-body")).to_contain_text("INVALID_ARGUMENT")

    form = page.locator("#fault-form")
    expect(form.locator("select[name=api] option[value=banqer]")).to_have_count(1, timeout=PATIENCE_MS)
    form.locator("select[name=api]").select_option("banqer")
    form.locator("input[name=path]").fill("/v1/fichas")
    form.locator("input[name=status]").fill("503")
    form.locator("input[name=retry_after]").fill("7")
    form.locator("button[type=submit]").click()
    expect(page.locator("#faults")).to_contain_text("/v1/fichas → 503", timeout=PATIENCE_MS)
    expect(page.locator("#faults")).to_contain_text("1 of 1 left")

    answered = http.get("/banqer/demo/v1/fichas", headers=bearer)
    assert (answered.status_code, answered.headers["retry-after"]) == (503, "7")
    faulted = page.locator("#requests tbody tr[data-api=banqer][data-status='503']")
    expect(faulted).to_have_count(1, timeout=PATIENCE_MS)
    expect(faulted.locator("td.why-cell")).to_contain_text("queued fault #1")
    expect(page.locator("#faults")).to_contain_text("No fault queued", timeout=PATIENCE_MS)

    page.locator("#filter-status").select_option("err")
    expect(page.locator("#requests tbody tr")).to_have_count(2)
    page.locator("#filter-status").select_option("")
    page.locator("#filter-api").select_option("banqer-auth")
    expect(page.locator("#requests tbody tr")).to_have_count(1)
    page.locator("#filter-api").select_option("")

    shot = os.environ.get("SPECMOCK_PAGE_SCREENSHOT")
    if shot:
        _screenshot(page, http, bearer, Path(shot))


def _screenshot(page: Any, http: httpx.Client, bearer: dict[str, str], out: Path) -> None:
    """A few more calls across the APIs, the refused one opened, the page saved as a PNG."""
    from playwright.sync_api import expect

    http.get("/banqer/demo/v1/credores", headers=bearer)
    http.get("/banqer/demo/v1/fichas", headers={"Authorization": "Bearer not-a-token"})
    http.post("/pbm/graphql", json={"query": "{ __typename }"})
    http.get("/assine/v1/user")
    expect(page.locator("#requests tbody tr")).to_have_count(8, timeout=PATIENCE_MS)
    page.locator("#requests tbody tr[data-status='400']").click()
    expect(page.locator("#why-summary")).to_contain_text("atrasoMin", timeout=PATIENCE_MS)
    page.wait_for_timeout(1500)  # the row highlight fades
    out.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out))


def test_the_steering_forms_show_the_state_they_change(server: ServerThread, page: Any, http: httpx.Client
                                                       ) -> None:
    from playwright.sync_api import expect

    bearer = {"Authorization": f"Bearer {banqer_token(http)}"}
    page.goto(f"{server.url}/__mock__/")
    issued = page.locator("#tokens tr[data-api=banqer] td:nth-child(2)")
    expect(issued).to_have_text("1", timeout=PATIENCE_MS)

    page.locator("#clock-form input[name=seconds]").fill("7200")
    page.locator("#clock-form button[type=submit]").click()
    expect(page.locator("#clock")).to_have_text("clock +2 h", timeout=PATIENCE_MS)
    assert http.get("/__mock__/clock").json()["offset"] == 7200

    page.locator("#rate-form select[name=api]").select_option("pbm")
    page.locator("#rate-form input[name=limit]").fill("3")
    page.locator("#rate-form button[type=submit]").click()
    expect(page.locator("#limits")).to_contain_text("pbm: 3 per 1 s", timeout=PATIENCE_MS)

    # Two hours on, the first token (five minutes to live) has expired on the mock's clock.
    assert http.get("/banqer/demo/v1/fichas", headers=bearer).status_code == 401
    page.locator("#requests tbody tr[data-status='401']").click()
    expect(page.locator("#why-details")).to_contain_text("expired", timeout=PATIENCE_MS)

    fresh = {"Authorization": f"Bearer {banqer_token(http)}"}
    page.locator("#tokens-form button[type=submit]").click()
    expect(page.locator("#toast")).to_contain_text("1 token expired", timeout=PATIENCE_MS)
    assert http.get("/banqer/demo/v1/fichas", headers=fresh).status_code == 401

    page.locator("#reset").click()
    expect(page.locator("#clock")).to_have_text("clock +0 s", timeout=PATIENCE_MS)
    expect(page.locator("#requests tbody tr")).to_have_count(0, timeout=PATIENCE_MS)
    expect(page.locator("#limits")).to_contain_text("No rate limit set.")
