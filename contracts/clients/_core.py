"""Pieces shared by the three reference clients: errors, Retry-After parsing, backoff, redaction,
and their base class.

Exception hierarchy (every error a client raises on purpose is a :class:`ClientError`)::

    ClientError                      base: .status (HTTP status or None), .message
    ├── AuthError                    token endpoint / login failed: fatal, never retried
    │   ├── BanqerAuthError
    │   ├── PbmAuthError
    │   └── AssineAuthError
    ├── ApiError                     the API answered with an error
    │   ├── BanqerError              .reason   (details[0].reason, "UNKNOWN" if absent)
    │   ├── PbmError                 .code     ("UNKNOWN" if the body is not GraphQL)
    │   │   └── PbmGraphQLError      .path, .errors, .data (GraphQL "errors" array)
    │   └── AssineProblem            .title, .detail, .type, .validation_messages
    ├── PaginationLoopError          the server sent a page token / next link already followed
    └── TransportError               no HTTP answer at all (connection refused, timeout, ...)

Messages are built by the clients from server text and pass through a :class:`Redactor`
that masks every credential and token the client knows, so secrets never reach ``str()``,
``repr()`` or log records.

:class:`ReferenceClient` is what the three clients share: the keywords after their own
(:class:`ClientOptions`), the bearer-token cache, the retried authorized request and the lifecycle.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import inspect
import json
import logging
import os
import random as _random
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Self, TypedDict, TypeVar

import httpx

__all__ = [
    "ApiError",
    "AuthError",
    "ClientError",
    "ClientOptions",
    "PaginationLoopError",
    "Redactor",
    "ReferenceClient",
    "RetryPolicy",
    "TransportError",
    "backoff_delay",
    "parse_retry_after",
    "with_client_options",
]

MASK = "***"


class ClientError(Exception):
    """Base of every error the reference clients raise."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class AuthError(ClientError):
    """The token endpoint (or login) refused us. Fatal: the clients never retry it."""


class ApiError(ClientError):
    """The API answered a call with an error status or an error body."""


class PaginationLoopError(ClientError):
    """The server handed back a page token or ``next`` link that was already followed."""


class TransportError(ClientError):
    """The request got no HTTP answer (DNS, connection, timeout)."""


class Redactor:
    """Masks known secret values in text. Holds the secrets; never shows them in ``repr``."""

    def __init__(self, *secrets: str | None) -> None:
        self._secrets: set[str] = set()
        self.add(*secrets)

    def add(self, *secrets: str | None) -> None:
        # Very short values would mask ordinary words; credentials are never that short.
        self._secrets.update(s for s in secrets if isinstance(s, str) and len(s) >= 4)

    def __call__(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, MASK)
        return text

    def __repr__(self) -> str:
        return f"<Redactor {len(self._secrets)} secrets>"


_DELTA_SECONDS = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*$")


def parse_retry_after(value: str | None, now: float, default: float = 5.0) -> float:
    """Seconds to wait for a ``Retry-After`` header value.

    Accepts delta-seconds (``"7"``, also ``"1.5"``) and an HTTP date (``"Wed, 21 Oct 2015
    07:28:00 GMT"``, measured against ``now``, epoch seconds). Absent or unparseable -> ``default``;
    negative results (a date in the past, ``"-3"``) -> 0.
    """
    if value is None:
        return default
    match = _DELTA_SECONDS.match(value)
    if match:
        return max(0.0, float(match.group(1)))
    try:
        when = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return default
    if when.tzinfo is None:  # asctime form, or "-0000": HTTP dates are always GMT
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, when.timestamp() - now)


def backoff_delay(attempt: int, jitter: float, cap: float = 30.0) -> float:
    """Exponential backoff of the vendor's client: ``min(2**attempt + jitter, cap)`` seconds."""
    return min(2.0**attempt + jitter, cap)


@dataclass
class RetryPolicy:
    """How a client retries one call. ``sleep``/``now``/``random`` are injectable for tests.

    Pass a subclass to a reference client (``retry_policy=MyPolicy``) to change one rule: override
    :meth:`backoff` (the wait after the 5xx of an attempt) or :meth:`retry_after` (the wait a 429
    asks for); the client builds it with its ``max_attempts``, ``sleep``, ``now`` and ``random``.

    Attempt counting mirrors Banqer's Node.js client exactly: every request, including the one
    answered 401, increments the attempt counter; the single token-refresh retry after a 401 is
    not limited by ``max_attempts``; a 429 or 5xx is retried only while ``attempt < max_attempts``.
    A call therefore sends at most ``max_attempts + 1`` requests (when the 401 comes last).
    """

    max_attempts: int = 3
    backoff_cap: float = 30.0
    default_retry_after: float = 5.0
    #: A 429 asking for a longer wait is raised at once rather than blocking the caller.
    max_retry_after: float = 120.0
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], float] = time.time
    random: Callable[[], float] = _random.random

    def run(
        self,
        send: Callable[[], httpx.Response],
        *,
        is_unauthorized: Callable[[httpx.Response], bool],
        renew: Callable[[], None],
        log: logging.Logger,
    ) -> httpx.Response:
        """Send until an answer that is not retried; return it (the caller raises on errors)."""
        attempt = 0
        refreshed = False
        while True:
            attempt += 1
            response = send()
            status = response.status_code
            if not refreshed and is_unauthorized(response):
                log.info("unauthorized (attempt %d): renewing the token once", attempt)
                refreshed = True
                renew()
                continue
            if status == 429 and attempt < self.max_attempts:
                wait = self.retry_after(response.headers.get("Retry-After"))
                if wait > self.max_retry_after:
                    log.warning("429 asks for %.0f s (> %.0f s): giving up", wait, self.max_retry_after)
                    return response
                log.info("429 (attempt %d): waiting %.1f s", attempt, wait)
                self.sleep(wait)
                continue
            if 500 <= status < 600 and attempt < self.max_attempts:
                wait = self.backoff(attempt)
                log.info("%d (attempt %d): backing off %.1f s", status, attempt, wait)
                self.sleep(wait)
                continue
            return response

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after the 5xx answer of ``attempt`` (1-based)."""
        return backoff_delay(attempt, self.random(), self.backoff_cap)

    def retry_after(self, value: str | None) -> float:
        """Seconds to wait after a 429 whose ``Retry-After`` header is ``value``."""
        return parse_retry_after(value, self.now(), self.default_retry_after)


def send_request(
    client: httpx.Client, redact: Redactor, method: str, url: str, **kwargs: Any
) -> httpx.Response:
    """``client.request`` with transport failures turned into :class:`TransportError`."""
    try:
        return client.request(method, url, **kwargs)
    except httpx.TransportError as exc:
        where = url.split("?", 1)[0]
        raise TransportError(redact(f"{type(exc).__name__} on {method} {where}: {exc}")) from None


#: Returned by :func:`json_body` for an empty or unparseable body.
NOT_JSON: Any = type("NotJson", (), {"__repr__": lambda self: "NOT_JSON", "__bool__": lambda self: False})()


def json_body(response: httpx.Response) -> Any:
    """The parsed JSON body, or :data:`NOT_JSON` (empty, truncated, HTML...). Content type is ignored."""
    try:
        return json.loads(response.content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return NOT_JSON


def first_list_key(obj: dict[str, Any], keys: Iterable[str] | None = None) -> str | None:
    """The first key (in JSON order) whose value is a list."""
    for key in keys if keys is not None else obj:
        if isinstance(obj.get(key), list):
            return key
    return None


def make_http_client(
    http_client: httpx.Client | None, transport: httpx.BaseTransport | None, timeout: float
) -> tuple[httpx.Client, bool]:
    """The injected client, or a new one (owned: closed by the reference client's ``close``)."""
    if http_client is not None:
        return http_client, False
    return httpx.Client(transport=transport, timeout=timeout), True


class ClientOptions(TypedDict, total=False):
    """The keywords every reference client takes after its own; see :class:`ReferenceClient`."""

    max_attempts: int
    timeout: float
    http_client: httpx.Client | None
    transport: httpx.BaseTransport | None
    sleep: Callable[[float], None]
    now: Callable[[], float]
    random: Callable[[], float]
    retry_policy: type[RetryPolicy]


class ReferenceClient:
    """Base of the reference clients: construction from :class:`ClientOptions`, the bearer-token
    cache, the retried authorized request and the lifecycle.

    A subclass's ``__init__`` takes its own parameters and ``**options: Unpack[ClientOptions]``,
    passes the secrets to mask and the options to ``super().__init__`` and is decorated with
    :func:`with_client_options`. It sets ``_log`` and implements :meth:`_new_token`;
    :meth:`_authorized` sends a request under the :class:`RetryPolicy`.
    """

    _log: ClassVar[logging.Logger]
    #: The cached bearer token and when to renew it (epoch seconds), as :meth:`_get_token` reads them.
    _token: str | None = None
    _token_renew_at: float = 0.0

    def __init__(
        self,
        *secrets: str | None,
        max_attempts: int = 3,
        timeout: float = 30.0,
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], float] = time.time,
        random: Callable[[], float] = _random.random,
        retry_policy: type[RetryPolicy] = RetryPolicy,
    ) -> None:
        self.retry = retry_policy(max_attempts=max_attempts, sleep=sleep, now=now, random=random)
        self._redact = Redactor(*secrets)
        self._http, self._owns_http = make_http_client(http_client, transport, timeout)

    @staticmethod
    def _environ(environ: Mapping[str, str] | None, *required: str) -> Mapping[str, str]:
        """``environ`` (default ``os.environ``) once every ``required`` variable is set in it."""
        env = os.environ if environ is None else environ
        missing = [name for name in required if not env.get(name)]
        if missing:
            raise ValueError(f"missing environment variables: {', '.join(missing)}")
        return env

    # -- token --------------------------------------------------------------------------------

    def _new_token(self) -> str:
        """Fetch a token and keep it with :meth:`_keep_token`; return it."""
        raise NotImplementedError

    def _keep_token(self, token: str, renew_at: float) -> None:
        """Cache ``token`` (masked from now on) until ``renew_at`` (epoch seconds)."""
        self._redact.add(token)
        self._token = token
        self._token_renew_at = renew_at

    def _get_token(self) -> str:
        if self._token is not None and self.retry.now() < self._token_renew_at:
            return self._token
        return self._new_token()

    def _renew(self) -> None:
        """After an unauthorized answer (once per call): the next request gets a new token."""
        self.forget_token()

    def forget_token(self) -> None:
        """Drop the cached token: the next request fetches (or renews) one."""
        self._token = None

    def _is_unauthorized(self, response: httpx.Response) -> bool:
        return response.status_code == 401

    def _authorized(
        self, method: str, url: str, *, headers: Mapping[str, str] | None = None, **kwargs: Any
    ) -> httpx.Response:
        """``method url`` with the current bearer token, retried by :attr:`retry`; the last answer."""

        def send() -> httpx.Response:
            auth = {"Authorization": f"Bearer {self._get_token()}", **(headers or {})}
            return send_request(self._http, self._redact, method, url, headers=auth, **kwargs)

        return self.retry.run(send, is_unauthorized=self._is_unauthorized, renew=self._renew, log=self._log)

    # -- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_Init = TypeVar("_Init", bound=Callable[..., None])


def with_client_options(init: _Init) -> _Init:
    """Show a client's ``__init__`` with the keywords of :class:`ClientOptions` written out.

    ``inspect.signature`` and ``help()`` then list them, with their defaults, in place of
    ``**options``; type checkers read them from ``Unpack[ClientOptions]``.
    """
    shared = [
        p for p in inspect.signature(ReferenceClient.__init__).parameters.values() if p.kind is p.KEYWORD_ONLY
    ]
    own = inspect.signature(init)
    kept = [p for p in own.parameters.values() if p.kind is not p.VAR_KEYWORD]
    init.__signature__ = own.replace(parameters=[*kept, *shared])  # type: ignore[attr-defined]
    return init
