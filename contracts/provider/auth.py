"""Real logins: each API's own token flow, run as a schemathesis case and plugged in as an ``AuthProvider``.

* Banqer: client credentials (``client_secret_post``) at
  ``{auth}/realms/{tenant}/protocol/openid-connect/token`` — the ``createToken`` operation of
  ``banqer-auth.openapi.yaml``.
* PBM: the ``createToken`` mutation of ``pbm.graphql``.
* Assine: ``POST {base}/oauth`` password grant — the ``createToken`` operation of
  ``assine.openapi.yaml``.

The login request goes through the same transport as every other request of the run (a URL or
the in-process app) and its response is validated against the spec like any other, so a broken
token endpoint is a finding, not just an error. Tokens are cached by schemathesis's caching
provider for 80 % of their lifetime and dropped and fetched again when a request answers 401.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    from schemathesis import APIOperation, BaseSchema, Case, Response

__all__ = [
    "LoginFailed",
    "Send",
    "Token",
    "TokenFlow",
    "assine_login",
    "banqer_login",
    "one_line",
    "pbm_login",
    "register_auth",
    "response_json",
    "transport_reason",
]

#: Share of a token's lifetime after which it is renewed before use.
RENEW_AT = 0.8


class LoginFailed(RuntimeError):
    """The API's own login did not give a token (wrong credentials, unreachable, broken answer)."""


@dataclass(frozen=True)
class Token:
    value: str
    expires_in: int


#: Sends a login case and returns its response, after it has been validated against the spec.
Send = Callable[["Case", str], "Response"]


class TokenFlow:
    """Logs in through one API's own flow; remembers every token it got so reports can mask them."""

    api: ClassVar[str]

    def __init__(
        self, operation: APIOperation, base_url: str, send: Send, credentials: dict[str, str]
    ) -> None:
        self.operation = operation
        self.base_url = base_url
        self._send = send
        self._credentials = credentials
        self._lock = threading.Lock()
        self._prefetched: Token | None = None
        self.issued: list[str] = []
        self.logins = 0

    def login(self) -> Token:
        """One login request; raises :class:`LoginFailed` with a one-line reason."""
        case = self.build_case()
        try:
            response = self._send(case, self.base_url)
        except LoginFailed:
            raise
        except Exception as exc:  # transport errors: connection refused, timeout, TLS …
            raise LoginFailed(f"cannot log in at {self.describe()}: {transport_reason(exc)}") from exc
        self.logins += 1
        token = self.parse(response)
        self.issued.append(token.value)
        return token

    def first(self) -> Token:
        """Log in once up front, so bad credentials stop the run before any generation starts."""
        token = self.login()
        self._prefetched = token
        return token

    def get(self) -> str:
        with self._lock:
            if self._prefetched is not None:
                token, self._prefetched = self._prefetched, None
                return token.value
        return self.login().value

    def describe(self) -> str:
        return f"{self.operation.label} on {self.base_url}"

    def build_case(self) -> Case:
        raise NotImplementedError

    def parse(self, response: Response) -> Token:
        raise NotImplementedError

    def _refused(self, response: Response) -> LoginFailed:
        body = (response.text or "").strip().replace("\n", " ")
        return LoginFailed(f"login refused by {self.describe()}: HTTP {response.status_code} {body[:200]}")


class _OAuthLogin(TokenFlow):
    """A flow answered by an OAuth 2.0 token response: ``access_token`` and ``expires_in``."""

    #: Seconds a token lives when the answer does not say.
    default_lifetime: ClassVar[int]

    def parse(self, response: Response) -> Token:
        data = response_json(response)
        if response.status_code != 200 or not isinstance(data, dict) or not data.get("access_token"):
            raise self._refused(response)
        return Token(str(data["access_token"]), _seconds(data.get("expires_in"), self.default_lifetime))


class BanqerLogin(_OAuthLogin):
    api = "banqer"
    default_lifetime = 300

    def build_case(self) -> Case:
        creds = self._credentials
        return self.operation.Case(
            path_parameters={"tenant": creds["BANQER_TENANT"]},
            body={
                "grant_type": "client_credentials",
                "client_id": creds["BANQER_CLIENT_ID"],
                "client_secret": creds["BANQER_CLIENT_SECRET"],
            },
            media_type="application/x-www-form-urlencoded",
        )


class AssineLogin(_OAuthLogin):
    api = "assine"
    default_lifetime = 3600

    def build_case(self) -> Case:
        creds = self._credentials
        return self.operation.Case(
            body={
                "grant_type": "password",
                "client_id": creds["ASSINE_CLIENT_ID"],
                "client_secret": creds["ASSINE_CLIENT_SECRET"],
                "username": creds["ASSINE_USERNAME"],
                "password": creds["ASSINE_PASSWORD"],
            },
            media_type="application/json",
        )


class PbmLogin(TokenFlow):
    api = "pbm"

    def build_case(self) -> Case:
        creds = self._credentials
        login, password = json.dumps(creds["PBM_LOGIN"]), json.dumps(creds["PBM_PASSWORD"])
        return self.operation.Case(
            body=f"mutation {{ createToken(login: {login}, password: {password}) {{ token }} }}"
        )

    def parse(self, response: Response) -> Token:
        data = response_json(response)
        token = None
        if isinstance(data, dict) and isinstance(data.get("data"), dict):
            created = data["data"].get("createToken")
            if isinstance(created, dict):
                token = created.get("token")
        if response.status_code != 200 or not isinstance(token, str) or not token:
            raise self._refused(response)
        return Token(token, _jwt_lifetime(token, 3600))


def banqer_login(schema: BaseSchema, base_url: str, send: Send, credentials: dict[str, str]) -> BanqerLogin:
    return BanqerLogin(
        schema["/realms/{tenant}/protocol/openid-connect/token"]["POST"], base_url, send, credentials
    )


def pbm_login(schema: BaseSchema, base_url: str, send: Send, credentials: dict[str, str]) -> PbmLogin:
    return PbmLogin(schema["Mutation"]["createToken"], base_url, send, credentials)


def assine_login(schema: BaseSchema, base_url: str, send: Send, credentials: dict[str, str]) -> AssineLogin:
    return AssineLogin(schema["/oauth"]["POST"], base_url, send, credentials)


def register_auth(
    schema: BaseSchema, flow: TokenFlow, first: Token, applies: Callable[[APIOperation], bool]
) -> None:
    """Plug ``flow`` into ``schema`` as a schemathesis ``AuthProvider``.

    schemathesis's caching provider keeps the token for 80 % of the lifetime the first login
    announced and drops it when a request answers 401 (the request is then replayed once with a
    fresh token); ``applies`` picks the operations that need the bearer token.
    """

    class BearerToken:
        """Bearer token from the API's own login flow."""

        def get(self, case: Case, context: Any) -> str:
            return flow.get()

        def set(self, case: Case, data: str, context: Any) -> None:
            if case.headers is None:
                case.headers = {}
            case.headers["Authorization"] = f"Bearer {data}"

    BearerToken.__name__ = BearerToken.__qualname__ = f"{flow.api.capitalize()}BearerToken"
    refresh = max(1, int(first.expires_in * RENEW_AT))
    schema.auth(refresh_interval=refresh, retry_on=[401]).apply_to(lambda ctx: applies(ctx.operation))(
        BearerToken
    )


def response_json(response: Response) -> Any:
    """The response's JSON body, or ``None`` when it has none."""
    try:
        return response.json()
    except Exception:
        return None


def _seconds(value: Any, default: int) -> int:
    """``expires_in`` as whole seconds; Assine publishes it both as a number and as a numeric string."""
    try:
        seconds = int(float(value))
    except (TypeError, ValueError):
        return default
    return seconds if seconds > 0 else default


def _jwt_lifetime(token: str, default: int) -> int:
    """Seconds a JWT stays valid (``exp - iat``, else ``exp - now``), read without verifying it."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        exp = int(claims["exp"])
        start = int(claims.get("iat") or dt.datetime.now(dt.UTC).timestamp())
    except (IndexError, KeyError, TypeError, ValueError):
        return default
    return exp - start if exp > start else default


def transport_reason(exc: BaseException) -> str:
    """Why a request got no answer, in a few words (``connection refused``, ``timed out`` …)."""
    import requests

    if isinstance(exc, requests.Timeout | TimeoutError):
        return "no answer in time (timed out)"
    match = re.search(r"\[Errno -?\d+\] ([^'\")\]]+)", str(exc))
    if match:
        return match.group(1).strip().lower()
    return one_line(exc)


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
