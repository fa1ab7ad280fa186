"""``GET /__mock__/`` gives a browser the page and every other client the JSON it always gave; the
page is three files shipped with the package that load nothing from elsewhere; ``--no-admin`` serves
neither."""

from __future__ import annotations

import re
from importlib import resources

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from specmock.mocks.app import create_app, create_state
from specmock.mocks.page import ASSETS, wants_page
from specmock.mocks.transport import sync_transport
from tests.mocks.toy_api import ToyApi

#: What browsers send when they navigate to a page.
BROWSERS = [
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,"
    "application/signed-exchange;v=b3;q=0.7",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "text/html, application/xhtml+xml, image/jxr, */*",
]
#: What scripts and HTTP clients send.
CLIENTS = ["", "*/*", "application/json", "application/json, text/plain, */*",
           "text/html;q=0.5, application/json", "text/html;q=0, */*", "text/html, application/json",
           "text/html;q=abc", "text/*"]


def client(admin: bool = True) -> httpx.Client:
    app = create_app(create_state(apis=[ToyApi]), admin=admin)
    return httpx.Client(transport=sync_transport(app), base_url="http://mock.test")


@pytest.mark.parametrize("accept", BROWSERS)
def test_a_browser_gets_the_page(accept: str) -> None:
    response = client().get("/__mock__/", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "<title>specmock</title>" in response.text
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["vary"] == "Accept"


@pytest.mark.parametrize("accept", CLIENTS)
def test_json_clients_keep_the_json_answer(accept: str) -> None:
    response = client().get("/__mock__/", headers={"Accept": accept})
    assert response.status_code == 200
    assert set(response.json()) == {"apis", "clock_offset", "journal"}


@given(st.text(max_size=200))
def test_only_html_preferred_to_json_gets_the_page(accept: str) -> None:
    if "html" not in accept.lower():
        assert not wants_page(accept)
    assert not wants_page(f"{accept}, application/json")  # JSON at full weight: never below HTML


@pytest.mark.parametrize("name", sorted(ASSETS))
def test_every_page_file_is_served_and_loads_nothing_from_elsewhere(name: str) -> None:
    response = client().get(f"/__mock__/page/{name}")
    assert response.status_code == 200 and response.headers["content-type"] == ASSETS[name]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert not re.search(r"(?i)\b(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", response.text), "an outside address"


def test_the_page_calls_only_the_admin_api_with_json() -> None:
    script = resources.files("specmock.mocks.page").joinpath("page.js").read_text("utf-8")
    called = set(re.findall(r'call\("(?:GET|POST|DELETE)", [`"]([a-z./-]+)', script))
    assert called == {"./", "requests", "requests/", "faults", "tokens", "rate-limit", "clock/advance",
                      "tokens/expire", "reset"}
    assert script.count("fetch(") == 1  # in call(), which sends and reads JSON only
    assert "innerHTML" not in script and "eval(" not in script


def test_an_unknown_page_file_is_a_404_naming_the_files() -> None:
    response = client().get("/__mock__/page/../admin.py")
    assert response.status_code == 404
    missing = client().get("/__mock__/page/secret.txt")
    assert missing.status_code == 404 and "index.html" in missing.json()["error"]


def test_without_the_admin_api_there_is_no_page() -> None:
    off = client(admin=False)
    for path in ("/__mock__/", "/__mock__/page/index.html", "/__mock__/page/page.js"):
        assert off.get(path, headers={"Accept": BROWSERS[0]}).status_code == 404
