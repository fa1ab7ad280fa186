"""Reference client for the Banqer debt-collection API (sync, httpx).

Behaves like Banqer's own Node.js client:

* client-credentials token, form-encoded with ``client_secret_post``, from
  ``{auth_base}/realms/{tenant}/protocol/openid-connect/token``; cached and renewed once 80 %
  of ``expires_in`` has elapsed. A failing token endpoint raises :class:`BanqerAuthError`
  (fatal, never retried).
* a 401 drops the token, fetches a new one and retries once; a second 401 in the same call is
  raised.
* 429: waits ``Retry-After`` (delta-seconds or HTTP date; 5 s when absent or unparseable;
  negative -> 0) and retries; 5xx: waits ``min(2**attempt + random(), 30)`` seconds and retries.
* attempts are counted exactly as the vendor's ``call()`` counts them: every request, the one
  answered 401 included, increments ``attempt``; 429/5xx are retried while
  ``attempt < max_attempts`` (default 3); the one refresh-and-retry after a 401 is not limited by
  ``max_attempts``. So a call sends at most ``max_attempts + 1`` requests, e.g.
  ``429, 429, 401, 200`` succeeds while ``401, 429, 429`` raises the last 429.
* errors are :class:`BanqerError` with ``status``, ``reason`` (``details[0].reason``, else
  ``"UNKNOWN"``) and ``message`` (body ``message``, else the HTTP reason phrase).

Environment (read by :meth:`BanqerClient.from_env`):

=========================  =====================================================
``BANQER_TENANT``          tenant slug (realm name and ``api-{tenant}`` host)
``BANQER_CLIENT_ID``       OAuth2 client id
``BANQER_CLIENT_SECRET``   OAuth2 client secret
``BANQER_API_BASE_URL``    optional, default ``https://api-{tenant}.banqer.com.br``
``BANQER_AUTH_BASE_URL``   optional, default ``https://auth.banqer.com.br``
=========================  =====================================================

Usage::

    with BanqerClient.from_env() as banqer:
        for ficha in banqer.paginate("/v1/fichas", {"atrasoMin": 90}):
            print(ficha["idFichaCobrancaExibicao"], ficha["saldoDevedor"])
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any, Unpack

import httpx

from ._core import (
    NOT_JSON,
    ApiError,
    AuthError,
    ClientOptions,
    PaginationLoopError,
    ReferenceClient,
    first_list_key,
    json_body,
    send_request,
    with_client_options,
)

__all__ = ["BanqerAuthError", "BanqerClient", "BanqerError"]

log = logging.getLogger(__name__)

#: Share of ``expires_in`` after which the cached token is renewed.
RENEW_FRACTION = 0.8


class BanqerError(ApiError):
    """An error answer of the Banqer API: ``[status reason] message``."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(f"[{status} {reason}] {message}", status=status)
        self.reason = reason
        self.message = message


class BanqerAuthError(AuthError):
    """The token endpoint refused the credentials (``error`` is the OAuth2 error code, if any)."""

    def __init__(self, message: str, *, status: int | None = None, error: str | None = None) -> None:
        super().__init__(message, status=status)
        self.error = error


class BanqerClient(ReferenceClient):
    """Banqer API client. ``sleep``, ``now`` (epoch seconds) and ``random`` are injectable."""

    _log = log
    #: Share of ``expires_in`` after which the cached token is renewed.
    renew_fraction: float = RENEW_FRACTION

    @with_client_options
    def __init__(
        self,
        tenant: str,
        client_id: str,
        client_secret: str,
        *,
        api_base: str | None = None,
        auth_base: str | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        super().__init__(client_secret, **options)
        self.tenant = tenant
        self.client_id = client_id
        self._client_secret = client_secret
        self.api_base = (api_base or f"https://api-{tenant}.banqer.com.br").rstrip("/")
        self.auth_base = (auth_base or "https://auth.banqer.com.br").rstrip("/")
        self.token_url = f"{self.auth_base}/realms/{tenant}/protocol/openid-connect/token"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **kwargs: Any) -> BanqerClient:
        """Build a client from ``BANQER_*`` variables; keyword arguments override them."""
        env = cls._environ(environ, "BANQER_TENANT", "BANQER_CLIENT_ID", "BANQER_CLIENT_SECRET")
        kwargs.setdefault("api_base", env.get("BANQER_API_BASE_URL") or None)
        kwargs.setdefault("auth_base", env.get("BANQER_AUTH_BASE_URL") or None)
        return cls(env["BANQER_TENANT"], env["BANQER_CLIENT_ID"], env["BANQER_CLIENT_SECRET"], **kwargs)

    def __repr__(self) -> str:
        return (
            f"BanqerClient(tenant={self.tenant!r}, client_id={self.client_id!r}, "
            f"client_secret='***', api_base={self.api_base!r})"
        )

    # -- token --------------------------------------------------------------------------------

    def _new_token(self) -> str:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.client_id,
            "client_secret": self._client_secret,
        }
        response = send_request(self._http, self._redact, "POST", self.token_url, data=form)
        body = json_body(response)
        if not response.is_success:
            error = body.get("error") if isinstance(body, dict) else None
            text = response.text[:300]
            raise BanqerAuthError(
                self._redact(f"Token request failed: {response.status_code} {text}"),
                status=response.status_code,
                error=error if isinstance(error, str) else None,
            )
        token = body.get("access_token") if isinstance(body, dict) else None
        try:
            expires_in = float(body["expires_in"])
        except (KeyError, TypeError, ValueError):
            expires_in = -1.0
        if not isinstance(token, str) or not token or expires_in < 0:
            raise BanqerAuthError("Token response lacks access_token/expires_in", status=response.status_code)
        self._keep_token(token, self.retry.now() + expires_in * self.renew_fraction)
        log.debug("new access token for tenant %s, expires_in=%s s", self.tenant, expires_in)
        return token

    # -- calls --------------------------------------------------------------------------------

    def call(self, method: str, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """One API call with the retry rules above; returns the parsed JSON body."""
        url = self.api_base + path
        query = [(k, _param(v)) for k, v in (params or {}).items() if v is not None]
        response = self._authorized(method, url, params=query)
        if not response.is_success:
            raise self._error(response)
        body = json_body(response)
        if body is NOT_JSON:
            raise BanqerError(response.status_code, "UNKNOWN", "response body is not JSON")
        return body

    def _error(self, response: httpx.Response) -> BanqerError:
        body = json_body(response)
        reason, message = "UNKNOWN", response.reason_phrase
        if isinstance(body, dict):
            details = body.get("details")
            first = details[0] if isinstance(details, list) and details else None
            if isinstance(first, dict) and isinstance(first.get("reason"), str):
                reason = first["reason"]
            if isinstance(body.get("message"), str):
                message = body["message"]
        return BanqerError(response.status_code, self._redact(reason), self._redact(message))

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self.call("GET", path, params)

    def list_credores(self) -> list[dict[str, Any]]:
        """``GET /v1/credores`` -> the ``credores`` array."""
        body = self.get("/v1/credores")
        if not isinstance(body, dict) or not isinstance(body.get("credores"), list):
            raise BanqerError(200, "UNKNOWN", "response has no 'credores' array")
        return body["credores"]

    def get_ficha(self, ficha_id: str) -> dict[str, Any]:
        """``GET /v1/fichas/{id}`` -> the ficha object."""
        return self.get(f"/v1/fichas/{ficha_id}")

    def paginate(
        self, path: str, params: Mapping[str, Any] | None = None, page_size: int = 200, key: str | None = None
    ) -> Iterator[Any]:
        """Every item of a ``pageToken``/``nextPageToken`` collection, in order.

        The first request sends ``pageToken=`` (empty); the filters are repeated on every page;
        items come from ``key`` or the first array-valued member of each page. Iteration ends
        when ``nextPageToken`` is absent, null or empty. A token that was already sent raises
        :class:`PaginationLoopError` instead of looping forever.
        """
        token = ""
        sent: set[str] = set()
        pages = 0
        while True:
            sent.add(token)
            body = self.get(path, {**(params or {}), "pageSize": page_size, "pageToken": token})
            pages += 1
            array_key = key or (first_list_key(body) if isinstance(body, dict) else None)
            if array_key is None or not isinstance(body.get(array_key), list):
                raise BanqerError(200, "UNKNOWN", f"page {pages} of {path} has no item array")
            yield from body[array_key]
            next_token = body.get("nextPageToken")
            if not next_token:
                return
            token = _param(next_token)
            if token in sent:
                raise PaginationLoopError(f"{path}: page {pages} repeats an earlier page token", status=200)


def _param(value: Any) -> str:
    """Query value as JavaScript's ``String(v)`` would write it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
