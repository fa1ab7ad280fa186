"""Deliberately broken Banqer clients must fail the consumer contract, and say why.

Each client below has exactly one defect. The contract has to find it, shrink the server script
to a minimal one, and raise a ``ContractViolation`` (an ``AssertionError``) whose text names the
broken rule and shows that script with a Received/Expected body.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from specmock.contracts.clients import AssineClient, BanqerError, ClientError, parse_retry_after
from specmock.contracts.consumer import ContractViolation, run_assine_contract, run_banqer_contract
from specmock.contracts.consumer.banqer import BanqerAdapter
from specmock.contracts.consumer.reference import ReferenceAssineAdapter


class MiniBanqer:
    """A compact Banqer client with switchable defects (all off: it follows the contract)."""

    def __init__(
        self,
        api_base: str,
        token_url: str,
        form: dict[str, str],
        sleep: Callable[[float], None],
        now: Callable[[], float],
        http: httpx.Client,
        *,
        refreshes: int = 1,
        honour_retry_after: bool = True,
        pages: str = "guarded",
        reason_from: int = 0,
    ) -> None:
        self.api_base, self.token_url, self.form = api_base, token_url, form
        self.sleep, self.now, self.http = sleep, now, http
        self.refreshes, self.honour_retry_after, self.pages = refreshes, honour_retry_after, pages
        self.reason_from = reason_from
        self.token: str | None = None
        self.renew_at = 0.0

    def _token(self) -> str:
        if self.token is None or self.now() >= self.renew_at:
            body = self.http.post(self.token_url, data=self.form).json()
            self.token, self.renew_at = body["access_token"], self.now() + 0.8 * body["expires_in"]
        return self.token

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        attempt, refreshed = 0, 0
        while True:
            attempt += 1
            response = self.http.get(
                self.api_base + path, params=params, headers={"Authorization": f"Bearer {self._token()}"}
            )
            if response.status_code == 401 and refreshed < self.refreshes:
                refreshed += 1
                self.token = None
                continue
            if response.status_code == 429 and attempt < 3:
                wait = parse_retry_after(response.headers.get("Retry-After"), self.now())
                self.sleep(wait if self.honour_retry_after else 0.0)
                continue
            if 500 <= response.status_code < 600 and attempt < 3:
                self.sleep(min(2**attempt + 0.5, 30))
                continue
            if not response.is_success:
                raise _error(response, self.reason_from)
            return response.json()

    def paginate(self, path: str, params: dict[str, Any]) -> Iterator[Any]:
        token, sent = "", set()
        while True:
            sent.add(token)
            body = self.get(path, {**params, "pageSize": 200, "pageToken": token})
            yield from body["fichas"]
            token = body.get("nextPageToken") or ""
            if not token or self.pages == "first-only":
                return
            if token in sent and self.pages == "guarded":
                raise ClientError("repeated page token")


def _error(response: httpx.Response, index: int) -> BanqerError:
    try:
        body = response.json()
    except ValueError:
        body = None
    body = body if isinstance(body, dict) else {}
    details = body.get("details")
    first = (
        details[index] if isinstance(details, list) and details and isinstance(details[index], dict) else {}
    )
    reason = first.get("reason") if isinstance(first.get("reason"), str) else "UNKNOWN"
    message = body.get("message") if isinstance(body.get("message"), str) else response.reason_phrase
    return BanqerError(response.status_code, reason, message)


class MiniAdapter(BanqerAdapter):
    error_types = (ClientError,)

    def __init__(self, **defects: Any) -> None:
        self.defects = defects
        self.http = httpx.Client(timeout=10.0)

    def make_client(
        self, *, auth_base: str, tenant: str, client_id: str, client_secret: str, **clock_and_api: Any
    ) -> MiniBanqer:
        token_url = f"{auth_base}/realms/{tenant}/protocol/openid-connect/token"
        form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}
        return MiniBanqer(token_url=token_url, form=form, http=self.http, **clock_and_api, **self.defects)

    def call_get(self, client: MiniBanqer, path: str) -> Any:
        return client.get(path)

    def list_all(self, client: MiniBanqer, path: str, params: dict[str, str]) -> list[Any]:
        return list(client.paginate(path, params))


def violation(adapter: BanqerAdapter, prop: str) -> str:
    with pytest.raises(ContractViolation) as info:
        run_banqer_contract(adapter, only=[prop])
    text = str(info.value)
    assert isinstance(info.value, AssertionError)
    assert "\n  Received: " in text and "\n  Expected: " in text
    assert f"property: {prop}" in text
    return text


def test_the_mini_client_without_defects_passes() -> None:
    run_banqer_contract(MiniAdapter(), only=["retries", "pagination", "pagination_loop", "token_renewal"])


def test_retrying_twice_on_401_is_reported_with_the_minimal_script() -> None:
    text = violation(MiniAdapter(refreshes=2), "retries")
    assert text.startswith("Banqer contract: refreshed the token twice in one call")
    # Shrunk: two 401s in a row, then whatever ends the call.
    assert re.search(r"server script: 401 [^\n]*, 401 ", text), text
    assert "Received: 3 token requests" in text


def test_ignoring_retry_after_is_reported_with_the_minimal_script() -> None:
    text = violation(MiniAdapter(honour_retry_after=False), "retries")
    assert text.startswith("Banqer contract: did not wait Retry-After before retrying after a 429"), text
    assert re.search(r"server script: 429 [^\n]*\((Retry-After: |no Retry-After)", text), text
    assert "Expected: a wait of at least" in text


def test_following_a_repeated_page_token_is_reported() -> None:
    text = violation(MiniAdapter(pages="loop"), "pagination_loop")
    assert text.startswith("Banqer contract: followed a page token it had already sent (an endless loop)")
    assert "server script: 2 pages; the last one repeats nextPageToken" in text


def test_stopping_after_the_first_page_is_reported() -> None:
    text = violation(MiniAdapter(pages="first-only"), "pagination")
    assert text.startswith("Banqer contract: stopped before the last page")
    assert "server script: 2 pages" in text
    assert "Received: 1 requests" in text


class LoginAgainAssine(ReferenceAssineAdapter):
    """Skips the refresh_token grant: on a 401 it logs in with the password straight away."""

    def make_client(self, **kwargs: Any) -> AssineClient:
        client = super().make_client(**kwargs)
        client._renew = client.login  # type: ignore[method-assign]
        return client


def test_assine_client_that_skips_the_refresh_grant_is_reported() -> None:
    with pytest.raises(ContractViolation) as info:
        run_assine_contract(LoginAgainAssine(), only=["retries"])
    text = str(info.value)
    assert text.startswith("Assine contract: logged in again without trying the refresh_token grant first"), (
        text
    )
    assert re.search(r"server script: 401 ", text)


def test_a_defect_only_some_spec_bodies_reveal_is_shrunk_to_a_minimal_body() -> None:
    text = violation(MiniAdapter(reason_from=-1), "error_bodies")
    assert text.startswith("Banqer contract: did not carry the body's reason"), text
    # Hypothesis shrank the spec-generated body to two details with different reasons.
    script = text.split("server script: ", 1)[1].split("\n", 1)[0]
    assert script.count("'reason'") == 2, script
