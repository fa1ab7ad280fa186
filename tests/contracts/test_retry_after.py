"""Retry-After parsing, the backoff formula, and the vendor's attempt counting."""

from __future__ import annotations

import email.utils
import json

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from specmock.contracts.clients import BanqerClient, BanqerError, backoff_delay, parse_retry_after

NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("header", "wait"),
    [
        ("7", 7.0),
        ("0", 0.0),
        (" 12 ", 12.0),
        ("1.5", 1.5),
        ("-3", 0.0),
        (None, 5.0),
        ("", 5.0),
        ("soon", 5.0),
        ("1e3", 5.0),
        ("Wed, 99 Foo 2015 07:28:00 GMT", 5.0),
        ("12 seconds", 5.0),
    ],
)
def test_delta_seconds_and_garbage(header: str | None, wait: float) -> None:
    assert parse_retry_after(header, NOW) == wait


@pytest.mark.parametrize(
    "header",
    ["Tue, 14 Nov 2023 22:13:50 GMT", "Tuesday, 14-Nov-23 22:13:50 GMT", "Tue Nov 14 22:13:50 2023"],
)
def test_the_three_http_date_forms(header: str) -> None:
    assert parse_retry_after(header, NOW) == 30.0


@given(seconds=st.integers(0, 10**7))
def test_any_delta_seconds(seconds: int) -> None:
    assert parse_retry_after(str(seconds), NOW) == seconds


@given(offset=st.integers(-(10**7), 10**7))
def test_any_http_date_is_measured_from_now_and_never_negative(offset: int) -> None:
    header = email.utils.formatdate(NOW + offset, usegmt=True)
    assert parse_retry_after(header, NOW) == max(0, offset)


@given(text=st.text(max_size=30))
def test_never_raises_and_never_negative(text: str) -> None:
    assert parse_retry_after(text, NOW, default=5.0) >= 0


def test_the_default_can_be_changed() -> None:
    assert parse_retry_after(None, NOW, default=1.0) == 1.0


@given(attempt=st.integers(1, 12), jitter=st.floats(0, 1, exclude_max=True))
def test_backoff_is_exponential_with_jitter_and_capped(attempt: int, jitter: float) -> None:
    wait = backoff_delay(attempt, jitter)
    assert min(2**attempt, 30) <= wait <= min(2**attempt + 1, 30)


# -- the vendor's attempt counting, shown on scripted answers -----------------------------------


def scripted(*statuses: int, retry_after: str = "1") -> tuple[BanqerClient, list[str], list[float]]:
    """A Banqer client over an in-memory transport answering ``statuses`` in order."""
    calls: list[str] = []
    sleeps: list[float] = []
    answers = iter(statuses)

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            calls.append("token")
            return httpx.Response(200, json={"access_token": f"tok{len(calls)}", "expires_in": 300})
        status = next(answers)
        calls.append(str(status))
        body = {"credores": []} if status == 200 else {"message": "x", "details": [{"reason": f"R{status}"}]}
        return httpx.Response(status, content=json.dumps(body), headers={"Retry-After": retry_after})

    client = BanqerClient(
        "acme",
        "id",
        "secret-value",
        transport=httpx.MockTransport(handle),
        sleep=sleeps.append,
        now=lambda: NOW,
        random=lambda: 0.25,
    )
    return client, calls, sleeps


def test_a_401_on_the_last_attempt_still_gets_its_refresh() -> None:
    client, calls, sleeps = scripted(429, 429, 401, 200)
    assert client.list_credores() == []
    assert calls == ["token", "429", "429", "401", "token", "200"]
    assert sleeps == [1.0, 1.0]


def test_the_401_request_counts_as_an_attempt() -> None:
    client, calls, _ = scripted(401, 429, 429, 200)
    with pytest.raises(BanqerError) as info:
        client.list_credores()
    assert (info.value.status, info.value.reason) == (429, "R429")
    assert calls == ["token", "401", "token", "429", "429"]


def test_backoff_uses_the_attempt_number_including_the_401() -> None:
    client, _, sleeps = scripted(401, 500, 200)
    client.list_credores()
    assert sleeps == [2**2 + 0.25]


def test_a_second_401_is_raised() -> None:
    client, calls, _ = scripted(401, 401, 200)
    with pytest.raises(BanqerError) as info:
        client.list_credores()
    assert info.value.status == 401
    assert calls == ["token", "401", "token", "401"]


def test_a_retry_after_over_the_limit_is_raised_at_once() -> None:
    client, calls, sleeps = scripted(429, 200, retry_after="3600")
    with pytest.raises(BanqerError):
        client.list_credores()
    assert (calls, sleeps) == (["token", "429"], [])
