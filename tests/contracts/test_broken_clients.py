"""Deliberately broken clients must fail the consumer contract, each with the title of its rule.

Each client below has exactly one defect. The contract has to find it, shrink the server script
to a minimal one, and raise a ``ContractViolation`` (an ``AssertionError``) whose text names the
broken rule (its title in ``contract.RULES``) and shows that script with a Received/Expected body.
Broken clients are either :class:`MiniBanqer` (a compact client with switchable defects) or a
reference client changed the way a team would: a subclass, or a ``RetryPolicy`` passed in.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from specmock.contracts.clients import (
    AssineClient,
    AssineProblem,
    BanqerClient,
    BanqerError,
    ClientError,
    PbmClient,
    RetryPolicy,
    parse_retry_after,
)
from specmock.contracts.consumer import ContractViolation
from specmock.contracts.consumer import assine as assine_contract
from specmock.contracts.consumer import banqer as banqer_contract
from specmock.contracts.consumer import pbm as pbm_contract
from specmock.contracts.consumer.banqer import BanqerAdapter
from specmock.contracts.consumer.contract import RULES
from specmock.contracts.consumer.reference import (
    ReferenceAssineAdapter,
    ReferenceBanqerAdapter,
    ReferencePbmAdapter,
)

SUITES = {"Banqer": banqer_contract.SUITE, "PBM": pbm_contract.SUITE, "Assine": assine_contract.SUITE}


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
        random: Callable[[], float] = lambda: 0.5,
        max_attempts: int = 3,
        **defects: Any,
    ) -> None:
        self.api_base, self.token_url, self.form = api_base, token_url, form
        self.sleep, self.now, self.http, self.random = sleep, now, http, random
        self.max_attempts = max_attempts
        self.defects = defects
        self.token: str | None = None
        self.old_token: str | None = None
        self.renew_at = 0.0

    def _on(self, name: str, value: Any = True) -> bool:
        return self.defects.get(name) == value

    def _token(self) -> str | None:
        if self.token is None or self.now() >= self.renew_at:
            attempts = 0
            while True:
                attempts += 1
                response = self.http.post(self.token_url, data=self.form)
                if response.is_success or self._on("token_crash"):
                    break
                refused = response.status_code in (400, 401)
                retry = self.defects.get("token_retry")
                outage_again = retry == "forever" and not refused and attempts < 10
                if outage_again or (retry == "refused" and attempts < 3):
                    continue
                if self._on("token_failure", "api-anyway"):
                    return None
                if self._on("token_failure", "return"):
                    raise _Return()
                detail = f" with {self.form}" if self._on("token_failure", "leak") else ""
                raise ClientError(f"token request failed: {response.status_code}{detail}")
            body = response.json()
            if not self._on("token_crash") and not (isinstance(body, dict) and "access_token" in body):
                raise ClientError("token response without access_token")
            if self.old_token is not None and self._on("token_failure", "second"):  # a renewal
                raise ClientError("could not renew the token")
            self.old_token = self.old_token or body["access_token"]  # the first token
            self.token = body["access_token"]
            self.renew_at = self.now() + self.defects.get("renew_share", 0.8) * body["expires_in"]
        return self.old_token if self._on("keep_old_token") else self.token

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        try:
            return self._get(path, params)
        except _Return:
            return None

    def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        attempt, refreshed = 0, 0
        while True:
            attempt += 1
            token = self._token()
            scheme = "Token" if self._on("auth_scheme") else "Bearer"
            headers = {"Authorization": f"{scheme} {token}"} if token else {}
            response = self.http.get(self.api_base + path, params=params, headers=headers)
            status = response.status_code
            if status == 401 and refreshed < self.defects.get("refreshes", 1):
                refreshed += 1
                self.token = None
                continue
            will_retry = (status == 429 or status >= 500) and attempt < self.max_attempts
            if self._on("refetch_on_retry") and will_retry:
                self.token = None  # a new token for every retry
            if status == 429 and attempt < self.max_attempts:
                wait = parse_retry_after(response.headers.get("Retry-After"), self.now())
                self.sleep(0.0 if self._on("ignore_retry_after") else wait)
                continue
            retried = 500 <= status < 600 or (self._on("retry_4xx") and 400 <= status < 500)
            if retried and attempt < self.max_attempts:
                self.sleep(min(2**attempt + self.random(), 30))
                continue
            if not response.is_success:
                if self._on("errors", "returned"):
                    return None
                raise _error(response, self.defects)
            body = response.json()
            if self._on("value", "unwrapped") and isinstance(body, dict) and "credores" in body:
                return body["credores"]
            if self._on("value", "raise-empty") and body == {"credores": []}:
                raise ClientError("no credores")
            return body

    def paginate(self, path: str, params: dict[str, Any]) -> Iterator[Any]:
        token, sent, filters = "", set(), dict(params)
        first = True
        while True:
            sent.add(token)
            query = {**filters, "pageSize": 200}
            if not (first and self._on("pages", "no-first-token")):
                query["pageToken"] = token
            body = self.get(path, query)
            first = False
            if self._on("pages", "filters-once"):
                filters = {}
            items = body["fichas"]
            yield from (items[1:] if self._on("pages", "skip-first") else items)
            token = body.get("nextPageToken")
            if self._on("pages", "stop-on-none-only"):
                if token is None:
                    return
            elif self._on("pages", "extra"):
                if not token:
                    self.get(path, {**filters, "pageSize": 200, "pageToken": ""})
                    return
            elif not token or self._on("pages", "first-only"):
                return
            if token in sent and not self._on("pages", "loop"):
                raise ClientError("repeated page token")


class _Return(Exception):
    """Makes a broken MiniBanqer return normally from a failed token request."""


def _error(response: httpx.Response, defects: dict[str, Any]) -> Exception:
    try:
        body = response.json()
    except ValueError:
        body = None
    body = body if isinstance(body, dict) else {}
    details = body.get("details")
    index = defects.get("reason_from", 0)
    first = (
        details[index] if isinstance(details, list) and details and isinstance(details[index], dict) else {}
    )
    fallback_reason = "" if defects.get("errors") == "no-unknown" else "UNKNOWN"
    reason = first.get("reason") if isinstance(first.get("reason"), str) else fallback_reason
    message = body.get("message") if isinstance(body.get("message"), str) else None
    if message is None and defects.get("errors") != "no-message":
        message = response.reason_phrase
    if defects.get("errors") == "untyped":
        return RuntimeError(f"HTTP {response.status_code}")
    status = 500 if defects.get("errors") == "status" else response.status_code
    return BanqerError(status, reason, message)  # type: ignore[arg-type]


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
        if self.defects.get("form_style") == "basic":
            form.pop("client_secret")
        return MiniBanqer(token_url=token_url, form=form, http=self.http, **clock_and_api, **self.defects)

    def call_get(self, client: MiniBanqer, path: str) -> Any:
        return client.get(path)

    def list_all(self, client: MiniBanqer, path: str, params: dict[str, str]) -> list[Any]:
        return list(client.paginate(path, params))


# -- reference clients with one change, as a team would write it ----------------------------------


class NoJitter(RetryPolicy):
    def backoff(self, attempt: int) -> float:
        return min(2.0**attempt, 30.0)


class NoCap(RetryPolicy):
    def backoff(self, attempt: int) -> float:
        return 2.0**attempt + self.random()


class SleepsForAges(RetryPolicy):
    def backoff(self, attempt: int) -> float:
        return 3000.0


class BaseThree(RetryPolicy):
    def backoff(self, attempt: int) -> float:
        return min(3.0**attempt + self.random(), 30.0)


class SecondsOnly(RetryPolicy):
    """Reads ``Retry-After`` like the vendor's ``Number()``: an HTTP date gives no wait."""

    def retry_after(self, value: str | None) -> float:
        if value is not None and value[:1].isalpha() and "," in value:
            return 0.0
        return super().retry_after(value)


class NoDefaultWait(RetryPolicy):
    def retry_after(self, value: str | None) -> float:
        return 0.0 if value is None else super().retry_after(value)


class IgnoresUnauthorized(BanqerClient):
    def _is_unauthorized(self, response: httpx.Response) -> bool:
        return False


class LateBanqer(BanqerClient):
    renew_fraction = 0.95


class NeverRenewedAssine(AssineClient):
    renew_fraction = math.inf


class LoginAgainAssine(AssineClient):
    """Skips the refresh_token grant: on a 401 it logs in with the password straight away."""

    def refresh(self) -> str | None:
        return None


class NoFallbackAssine(AssineClient):
    """Gives up when the refresh grant is refused instead of logging in with the password."""

    def refresh(self) -> str | None:
        had = self.has_refresh_token
        token = super().refresh()
        if token is None and had:
            raise ClientError("refresh refused", status=400)
        return token


class DropsValidationMessages(AssineClient):
    def request(self, *args: Any, **kwargs: Any) -> httpx.Response:
        try:
            return super().request(*args, **kwargs)
        except AssineProblem as problem:
            problem.validation_messages = None
            raise


class EarlyPbm(PbmClient):
    renew_before_exp = 900.0


class LatePbm(PbmClient):
    renew_before_exp = 0.0


#: (rule, API, property, adapter): every rule of the contract, broken by one client.
BROKEN: list[tuple[str, str, str, Callable[[], Any]]] = [
    ("too-many-attempts", "Banqer", "retries", lambda: ReferenceBanqerAdapter(max_attempts=5)),
    ("too-few-attempts", "Banqer", "retries", lambda: ReferenceBanqerAdapter(max_attempts=1)),
    ("retry-after-seconds", "Banqer", "retries", lambda: MiniAdapter(ignore_retry_after=True)),
    ("retry-after-date", "Banqer", "retries", lambda: ReferenceBanqerAdapter(retry_policy=SecondsOnly)),
    ("retry-after-date", "PBM", "retries", lambda: ReferencePbmAdapter(retry_policy=SecondsOnly)),
    ("retry-after-date", "Assine", "retries", lambda: ReferenceAssineAdapter(retry_policy=SecondsOnly)),
    ("retry-after-default", "Banqer", "retries", lambda: ReferenceBanqerAdapter(retry_policy=NoDefaultWait)),
    ("retry-after-default", "PBM", "retries", lambda: ReferencePbmAdapter(retry_policy=NoDefaultWait)),
    ("retry-after-default", "Assine", "retries", lambda: ReferenceAssineAdapter(retry_policy=NoDefaultWait)),
    ("backoff", "Banqer", "retries", lambda: ReferenceBanqerAdapter(retry_policy=BaseThree)),
    ("jitter", "Banqer", "backoff", lambda: ReferenceBanqerAdapter(retry_policy=NoJitter)),
    ("jitter", "PBM", "backoff", lambda: ReferencePbmAdapter(retry_policy=NoJitter)),
    ("cap", "Banqer", "backoff", lambda: ReferenceBanqerAdapter(retry_policy=NoCap)),
    ("cap", "Assine", "backoff", lambda: ReferenceAssineAdapter(retry_policy=NoCap)),
    ("cap", "Banqer", "retries", lambda: ReferenceBanqerAdapter(retry_policy=SleepsForAges)),
    ("bearer", "Banqer", "retries", lambda: MiniAdapter(auth_scheme=True)),
    ("newest-token", "Banqer", "retries", lambda: MiniAdapter(keep_old_token=True)),
    ("token-twice", "Banqer", "retries", lambda: MiniAdapter(refreshes=2)),
    ("token-unexpected", "Banqer", "retries", lambda: MiniAdapter(refetch_on_retry=True)),
    ("token-missing", "Banqer", "retries", lambda: ReferenceBanqerAdapter(IgnoresUnauthorized)),
    ("token-request", "Banqer", "retries", lambda: MiniAdapter(form_style="basic")),
    ("refresh-first", "Assine", "retries", lambda: ReferenceAssineAdapter(LoginAgainAssine)),
    ("password-fallback", "Assine", "retries", lambda: ReferenceAssineAdapter(NoFallbackAssine)),
    ("renew-early", "Banqer", "token_renewal", lambda: MiniAdapter(renew_share=0.5)),
    ("renew-late", "Banqer", "token_renewal", lambda: ReferenceBanqerAdapter(LateBanqer)),
    ("renew-late", "Assine", "token_renewal", lambda: ReferenceAssineAdapter(NeverRenewedAssine)),
    ("renew-early-exp", "PBM", "token_renewal", lambda: ReferencePbmAdapter(EarlyPbm)),
    ("renew-late-exp", "PBM", "token_renewal", lambda: ReferencePbmAdapter(LatePbm)),
    ("token-failure-typed", "Banqer", "token_failures", lambda: MiniAdapter(token_crash=True)),
    ("token-failure-returned", "Banqer", "token_failures", lambda: MiniAdapter(token_failure="return")),
    ("token-failure-bounded", "Banqer", "token_failures", lambda: MiniAdapter(token_retry="forever")),
    ("token-refused-retried", "Banqer", "token_failures", lambda: MiniAdapter(token_retry="refused")),
    ("token-failure-api", "Banqer", "token_failures", lambda: MiniAdapter(token_failure="api-anyway")),
    ("secret-in-error", "Banqer", "token_failures", lambda: MiniAdapter(token_failure="leak")),
    ("value", "Banqer", "retries", lambda: MiniAdapter(value="unwrapped")),
    ("raised-on-success", "Banqer", "retries", lambda: MiniAdapter(value="raise-empty")),
    ("plain-call", "Banqer", "token_renewal", lambda: MiniAdapter(token_failure="second")),
    ("error-returned", "Banqer", "error_bodies", lambda: MiniAdapter(errors="returned")),
    ("error-typed", "Banqer", "error_bodies", lambda: MiniAdapter(errors="untyped")),
    ("error-status", "Banqer", "error_bodies", lambda: MiniAdapter(errors="status")),
    ("error-field", "Banqer", "error_bodies", lambda: MiniAdapter(reason_from=-1)),
    ("error-field", "Assine", "error_bodies", lambda: ReferenceAssineAdapter(DropsValidationMessages)),
    ("error-fallback", "Banqer", "malformed_bodies", lambda: MiniAdapter(errors="no-unknown")),
    ("error-text", "Banqer", "malformed_bodies", lambda: MiniAdapter(errors="no-message")),
    ("not-retried", "Banqer", "error_bodies", lambda: MiniAdapter(retry_4xx=True)),
    ("first-page-token", "Banqer", "pagination", lambda: MiniAdapter(pages="no-first-token")),
    ("filters", "Banqer", "pagination", lambda: MiniAdapter(pages="filters-once")),
    ("too-many-pages", "Banqer", "pagination", lambda: MiniAdapter(pages="extra")),
    ("too-few-pages", "Banqer", "pagination", lambda: MiniAdapter(pages="first-only")),
    ("every-item", "Banqer", "pagination", lambda: MiniAdapter(pages="skip-first")),
    ("page-raised", "Banqer", "pagination", lambda: MiniAdapter(pages="stop-on-none-only")),
    ("page-loop", "Banqer", "pagination_loop", lambda: MiniAdapter(pages="loop")),
]


def violation(api: str, adapter: Any, prop: str) -> str:
    with pytest.raises(ContractViolation) as info:
        SUITES[api].run(adapter, only=[prop])
    text = str(info.value)
    assert isinstance(info.value, AssertionError)
    assert "\n  Received: " in text and "\n  Expected: " in text
    assert f"property: {prop}" in text
    return text


def _title_pattern(rule: str) -> str:
    """The rule's title as a regular expression, any value in its placeholders."""
    parts = re.split(r"\{[^}]*\}", RULES[rule].title)
    return ".+?".join(re.escape(p) for p in parts)


@pytest.mark.parametrize(
    ("rule", "api", "prop", "make"), BROKEN, ids=[f"{api}-{rule}-{prop}" for rule, api, prop, _ in BROKEN]
)
def test_a_broken_client_fails_with_the_title_of_its_rule(
    rule: str, api: str, prop: str, make: Callable[[], Any]
) -> None:
    text = violation(api, make(), prop)
    assert re.match(rf"{api} contract: {_title_pattern(rule)}\n", text), text


def test_every_rule_of_the_contract_has_a_broken_client() -> None:
    untested = sorted(set(RULES) - {rule for rule, *_ in BROKEN})
    assert not untested


def test_the_mini_client_without_defects_passes() -> None:
    banqer_contract.SUITE.run(MiniAdapter())


def test_the_reference_adapter_passes_with_a_subclass_of_the_client() -> None:
    class Mine(BanqerClient):
        """A team's client: the reference one plus its own methods."""

    banqer_contract.SUITE.run(ReferenceBanqerAdapter(Mine), only=["retries", "backoff", "token_failures"])


def test_retrying_twice_on_401_is_reported_with_the_minimal_script() -> None:
    text = violation("Banqer", MiniAdapter(refreshes=2), "retries")
    assert re.search(r"server script: 401 [^\n]*, 401 ", text), text
    assert "Received: 3 token requests" in text


def test_ignoring_an_http_date_retry_after_names_the_date_in_the_script() -> None:
    text = violation("PBM", ReferencePbmAdapter(retry_policy=SecondsOnly), "retries")
    assert "server script: 429 {} (Retry-After: <HTTP date +4s>)" in text, text
    assert "Expected: a wait of at least 4 s" in text


def test_a_client_without_a_cap_is_driven_past_30_seconds() -> None:
    text = violation("Banqer", ReferenceBanqerAdapter(retry_policy=NoCap), "backoff")
    assert "(max_attempts=6)" in text, text
    assert re.search(r"Received: sleep\(3[2-3]\.\d\d\)", text), text


def test_a_crash_on_a_failing_token_endpoint_is_reported_with_the_answer() -> None:
    text = violation("Banqer", MiniAdapter(token_crash=True), "token_failures")
    assert "server script: every token endpoint request answered" in text
    assert "Received: KeyError" in text or "Received: JSONDecodeError" in text, text


def test_a_defect_only_some_spec_bodies_reveal_is_shrunk_to_a_minimal_body() -> None:
    text = violation("Banqer", MiniAdapter(reason_from=-1), "error_bodies")
    assert text.startswith("Banqer contract: did not carry the body's reason"), text
    # Hypothesis shrank the spec-generated body to two details with different reasons.
    script = text.split("server script: ", 1)[1].split("\n", 1)[0]
    assert script.count("'reason'") == 2, script


class WindowAdapter(MiniAdapter):
    renew_window = (0.5, 0.8)


class FiveAttempts(ReferenceBanqerAdapter):
    max_attempts = 5


def test_the_knobs_let_a_team_differ_from_the_vendor_where_the_contract_allows() -> None:
    banqer_contract.SUITE.run(WindowAdapter(renew_share=0.6), only=["token_renewal"])
    text = violation("Banqer", WindowAdapter(renew_share=0.9), "token_renewal")
    assert text.startswith("Banqer contract: did not renew the token by 80% of its lifetime"), text
    banqer_contract.SUITE.run(FiveAttempts(max_attempts=5), only=["retries"])


def test_a_renewal_window_outside_the_lifetime_is_refused() -> None:
    class Backwards(MiniAdapter):
        renew_window = (0.8, 0.5)

    with pytest.raises(ValueError, match="renew_window"):
        banqer_contract.SUITE.run(Backwards(), only=["token_renewal"])
