"""Reference client for the Assine Online v1 API (REST/HAL; sync, httpx).

* login: ``POST {base}/oauth`` with JSON ``{grant_type: "password", client_id,
  client_secret, username, password}``; the login token is renewed once 80 % of
  ``expires_in`` (an int or a numeric string) has elapsed. A failing login raises
  :class:`AssineAuthError` (fatal).
* on a 401 the client renews once per call: first a ``refresh_token`` grant, and only if that
  fails a new password login; then it retries the request. A second 401 is raised.
  With a fixed application token (``access_token=``) a 401 is raised at once.
* 429 and 5xx are retried like the Banqer client (``Retry-After``; backoff
  ``min(2**attempt + random(), 30)``; ``max_attempts`` counted the same way).
* errors are API Problem bodies raised as :class:`AssineProblem` (``status``, ``title``,
  ``detail``, ``type``, ``validation_messages``); a body that is not a problem gives
  ``title="UNKNOWN"`` and the HTTP reason phrase as ``detail``.
* :meth:`AssineClient.iterate` walks a HAL collection through ``_links.next.href``. Only the
  path and query of a link are used, on the configured base URL (the API renders links with
  whatever host sits in front of it, e.g. ``http://localhost``), so the bearer token never goes
  to another host; a link that was already followed raises :class:`PaginationLoopError`.
* filters: see :mod:`.assine_filters` (``F.eq("id", "$USER_ID")`` ...).

Environment (read by :meth:`AssineClient.from_env`):

=========================  ====================================================================
``ASSINE_BASE_URL``        optional, default ``https://api-v1.assine.online``
``ASSINE_USERNAME``        account e-mail (password grant)
``ASSINE_PASSWORD``        account password
``ASSINE_CLIENT_ID``       optional, default ``app``
``ASSINE_CLIENT_SECRET``   optional, default ``app``
``ASSINE_ACCESS_TOKEN``    optional application token; used instead of username/password
=========================  ====================================================================
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Mapping, Sequence
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
from .assine_filters import F, Filter, OrderBy, to_params

__all__ = ["AssineAuthError", "AssineClient", "AssineProblem", "F", "to_params"]

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api-v1.assine.online"
RENEW_FRACTION = 0.8


def _problem_fields(response: httpx.Response) -> dict[str, Any]:
    body = json_body(response)
    body = body if isinstance(body, dict) else {}
    text = {k: body.get(k) if isinstance(body.get(k), str) else None for k in ("title", "detail", "type")}
    messages = body.get("validation_messages")
    return {
        "title": text["title"] if text["title"] is not None else "UNKNOWN",
        "detail": text["detail"] if text["detail"] is not None else response.reason_phrase,
        "type": text["type"],
        "validation_messages": messages if isinstance(messages, dict) else None,
    }


class AssineProblem(ApiError):
    """An API Problem answer: ``[status title] detail``."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        type: str | None = None,
        validation_messages: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(f"[{status} {title}] {detail}", status=status)
        self.title = title
        self.detail = detail
        self.type = type
        self.validation_messages = validation_messages


class AssineAuthError(AuthError):
    """``POST /oauth`` refused the login (``title`` is the OAuth2 error, e.g. ``invalid_grant``)."""

    def __init__(self, message: str, *, status: int | None = None, title: str = "UNKNOWN") -> None:
        super().__init__(message, status=status)
        self.title = title


class AssineClient(ReferenceClient):
    """Assine Online v1 client. ``sleep``, ``now`` (epoch seconds) and ``random`` are injectable."""

    _log = log
    #: Share of ``expires_in`` after which the login token is renewed.
    renew_fraction: float = RENEW_FRACTION

    @with_client_options
    def __init__(
        self,
        base_url: str | None = None,
        username: str | None = None,
        password: str | None = None,
        *,
        client_id: str = "app",
        client_secret: str = "app",
        access_token: str | None = None,
        **options: Unpack[ClientOptions],
    ) -> None:
        if access_token is None and (not username or not password):
            raise ValueError("give username and password, or an application access_token")
        super().__init__(password, client_secret if client_secret != "app" else None, access_token, **options)
        self.base_url = (base_url or DEFAULT_BASE_URL).rstrip("/")
        self.username = username
        self.client_id = client_id
        self._password = password
        self._client_secret = client_secret
        self._static_token = access_token
        self._token = access_token
        self._token_renew_at = float("inf") if access_token else 0.0
        self._refresh: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **kwargs: Any) -> AssineClient:
        """Build a client from the ``ASSINE_*`` variables; keyword arguments override them."""
        env = cls._environ(environ)
        token = env.get("ASSINE_ACCESS_TOKEN") or None
        if token is None and not (env.get("ASSINE_USERNAME") and env.get("ASSINE_PASSWORD")):
            raise ValueError(
                "missing environment variables: ASSINE_USERNAME and ASSINE_PASSWORD (or ASSINE_ACCESS_TOKEN)"
            )
        kwargs.setdefault("access_token", token)
        kwargs.setdefault("client_id", env.get("ASSINE_CLIENT_ID") or "app")
        kwargs.setdefault("client_secret", env.get("ASSINE_CLIENT_SECRET") or "app")
        base = env.get("ASSINE_BASE_URL") or None
        return cls(base, env.get("ASSINE_USERNAME"), env.get("ASSINE_PASSWORD"), **kwargs)

    def __repr__(self) -> str:
        return f"AssineClient(base_url={self.base_url!r}, username={self.username!r}, password='***')"

    # -- login token --------------------------------------------------------------------------

    def _oauth(self, grant: dict[str, str]) -> httpx.Response:
        body = {**grant, "client_id": self.client_id, "client_secret": self._client_secret}
        return send_request(
            self._http,
            self._redact,
            "POST",
            f"{self.base_url}/oauth",
            json=body,
            headers={"Accept": "application/json"},
        )

    def _store(self, response: httpx.Response) -> str | None:
        """Keep the login token (and refresh token) of an ``/oauth`` answer; the token, if any."""
        body = json_body(response)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not response.is_success or not isinstance(token, str) or not token:
            return None
        try:
            lifetime = float(body.get("expires_in"))
        except (TypeError, ValueError):
            lifetime = 3600.0
        refresh = body.get("refresh_token")
        self._refresh = refresh if isinstance(refresh, str) and refresh else None
        self._redact.add(self._refresh)
        self._keep_token(token, self.retry.now() + lifetime * self.renew_fraction)
        return token

    def login(self) -> str:
        """Password grant now; raises :class:`AssineAuthError` when refused."""
        grant = {"grant_type": "password", "username": self.username or "", "password": self._password or ""}
        response = self._oauth(grant)
        token = self._store(response)
        if token is None:
            problem = _problem_fields(response)
            raise AssineAuthError(
                self._redact(
                    f"login failed: [{response.status_code} {problem['title']}] {problem['detail']}"
                ),
                status=response.status_code,
                title=self._redact(problem["title"]),
            )
        log.debug("logged in as %s", self.username)
        return token

    @property
    def has_refresh_token(self) -> bool:
        """Whether the last login gave a refresh token (see :meth:`refresh`)."""
        return self._refresh is not None

    def refresh(self) -> str | None:
        """``refresh_token`` grant now: the new login token, or ``None`` when there is no refresh
        token or the grant is refused (the caller then logs in with the password)."""
        if self._refresh is None:
            return None
        response = self._oauth({"grant_type": "refresh_token", "refresh_token": self._refresh})
        token = self._store(response)
        if token is None:
            log.info("refresh grant refused (%d)", response.status_code)
        return token

    def _new_token(self) -> str:
        """``refresh_token`` grant, falling back to a new password login."""
        token = self.refresh()
        return token if token is not None else self.login()

    def _is_unauthorized(self, response: httpx.Response) -> bool:
        return response.status_code == 401 and self._static_token is None

    # -- calls --------------------------------------------------------------------------------

    def request(self, method: str, path: str, *, params: Any = None, json: Any = None) -> httpx.Response:
        """One call with the retry rules above; returns the successful response."""
        url = path if path.startswith(("http://", "https://")) else self.base_url + path
        response = self._authorized(
            method, url, params=params, json=json, headers={"Accept": "application/json"}
        )
        if not response.is_success:
            p = _problem_fields(response)
            raise AssineProblem(
                response.status_code,
                self._redact(p["title"]),
                self._redact(p["detail"]),
                type=p["type"],
                validation_messages=p["validation_messages"],
            )
        return response

    def call(self, method: str, path: str, *, params: Any = None, json: Any = None) -> Any:
        """Like :meth:`request`, returning the JSON body (``None`` for an empty body, e.g. 204)."""
        response = self.request(method, path, params=params, json=json)
        if not response.content:
            return None
        body = json_body(response)
        if body is NOT_JSON:
            raise AssineProblem(response.status_code, "UNKNOWN", "response body is not JSON")
        return body

    def get(self, path: str, params: Any = None) -> Any:
        return self.call("GET", path, params=params)

    def iterate(self, path: str, params: Any = None, key: str | None = None) -> Iterator[Any]:
        """Every item of a HAL collection (``_embedded[key]``, default: its first list), page by page."""
        url = httpx.URL(self.base_url + path, params=params)
        followed = {url.raw_path}
        pages = 0
        while True:
            body = self.get(str(url))
            pages += 1
            embedded = body.get("_embedded") if isinstance(body, dict) else None
            if embedded is not None and not isinstance(embedded, dict):
                raise AssineProblem(200, "UNKNOWN", f"page {pages} of {path}: _embedded is not an object")
            name = key or first_list_key(embedded or {})
            yield from (embedded or {}).get(name, []) if name else []
            links = body.get("_links") if isinstance(body, dict) else None
            nxt = links.get("next") if isinstance(links, dict) else None
            href = nxt.get("href") if isinstance(nxt, dict) else None
            if not isinstance(href, str) or not href:
                return
            target = httpx.URL(href).raw_path
            if target in followed:
                raise PaginationLoopError(f"{path}: page {pages} links to a page already read", status=200)
            followed.add(target)
            url = httpx.URL(self.base_url).copy_with(raw_path=target)

    def find(self, path: str, filters: Sequence[Filter] = (), order_by: Sequence[OrderBy] = ()) -> list[Any]:
        """All items of a collection, filtered and sorted with the :class:`F` builder."""
        return list(self.iterate(path, to_params(filters, order_by) or None))

    # -- application tokens -------------------------------------------------------------------

    def current_user(self) -> dict[str, Any] | None:
        """The user owning the token (``GET /v1/user`` filtered by the ``$USER_ID`` alias)."""
        users = self.find("/v1/user", [F.eq("id", "$USER_ID")])
        return users[0] if users else None

    def create_access_token(self, password: str, expires: dt.datetime) -> dict[str, Any]:
        """``POST /v1/access-token``; the answer holds ``accessToken`` (shown only this once).

        An aware ``expires`` is converted to UTC; a naive one is sent as is.
        """
        self._redact.add(password)
        if expires.tzinfo is not None:
            expires = expires.astimezone(dt.UTC).replace(tzinfo=None)
        body = self.call(
            "POST",
            "/v1/access-token",
            json={"password": password, "expires": expires.strftime("%Y-%m-%d %H:%M:%S")},
        )
        if isinstance(body, dict) and isinstance(body.get("accessToken"), str):
            self._redact.add(body["accessToken"])
        return body

    def list_access_tokens(self) -> list[dict[str, Any]]:
        """``GET /v1/access-token``, all pages (tokens are masked by the API)."""
        return list(self.iterate("/v1/access-token"))

    def revoke_access_token(self, token_id: str | int) -> None:
        """``DELETE /v1/access-token/{id}`` (204)."""
        self.call("DELETE", f"/v1/access-token/{token_id}")
