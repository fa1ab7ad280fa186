"""Why the mock answered a request as it did, kept as data in the request's journal entry.

An API that refuses a request says why where it refuses: it puts a small dict under
``scope[WHY]`` (:func:`explain`), or raises its error carrying one, and its dispatcher puts it
there. The control layer copies it into the journal entry once the answer is sent. On the
``DirectAnswer`` path (Banqer's hot path) it looks only when the status is 400 or more, so a
request that passes costs nothing more; nothing is computed for a request that passes anywhere.
Answers the control layer gives itself (a queued fault, ``Prefer: code=``, the rate limit, the
body limit) are explained by the control layer.

Every ``why`` has ``by`` (who answered: ``api``, ``fault``, ``prefer``, ``rate_limit``,
``body_limit``) and ``summary`` (one sentence); an API's refusal also has ``check``
(``validation``, ``token``, ``scope``, ``route``, ``graphql``, ``page_token``, ``client``,
``oauth``, ``request``) and the details of that check.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from starlette.types import Scope

__all__ = [
    "TOKEN_CHECKS",
    "WHY",
    "explain",
    "refused",
    "spec_violation",
    "token_refused",
]

#: The scope key an API puts its reason under.
WHY = "specmock.why"

#: The token checks a bearer token can fail, by the name ``why["token"]`` gives them.
TOKEN_CHECKS = {
    "missing": "no bearer token was sent",
    "malformed": "the Authorization header is not 'Bearer <token>'",
    "bad_signature": "the token is malformed or not signed by this mock's key",
    "expired": "the token has expired on the mock's clock",
    "revoked": "the token was revoked",
    "unknown": "this mock never issued the token, or forgot it at a reset",
    "other_tenant": "the token was issued for another tenant",
    "unknown_issuer": "the token's issuer is not a realm URL under a host this server answers to",
    "other_api": "the token was issued by another API",
    "unknown_tenant": "no tenant of that name is configured",
    "refresh_token": "a refresh token cannot call a resource",
    "missing_scope": "the token lacks the scope the operation needs",
    "bad_credentials": "the login or password is wrong",
}


class _Problem(Protocol):
    location: str
    name: str
    message: str
    rule: str


def explain(scope: Scope, why: dict[str, Any] | None) -> None:
    """Say why the request of ``scope`` is answered as it is (``None``: nothing to say)."""
    if why:
        scope[WHY] = why


def refused(check: str, summary: str, **details: Any) -> dict[str, Any]:
    """An API's refusal by one of its own checks."""
    return {"by": "api", "check": check, "summary": summary, **details}


def token_refused(token: str, summary: str | None = None, **details: Any) -> dict[str, Any]:
    """A refusal by a token check: ``token`` is a key of :data:`TOKEN_CHECKS`."""
    check = "scope" if token == "missing_scope" else "token"
    return refused(check, summary or TOKEN_CHECKS[token], token=token, **details)


def spec_violation(operation: str, problems: Iterable[_Problem], method: str = "", path: str = ""
                   ) -> dict[str, Any]:
    """A request that does not fit its operation in the spec: each parameter or field, and the rule."""
    listed = [{"location": p.location, "field": p.name, "rule": p.rule, "message": p.message}
              for p in problems]
    first = listed[0] if listed else {"location": "", "field": "", "message": "does not fit the spec"}
    where = f"{first['location']} parameter '{first['field']}' " if first["field"] else ""
    summary = f"{where}{first['message']} (operation {operation})"
    details: dict[str, Any] = {"operation": operation, "problems": listed}
    if method:
        details["spec_path"] = f"{method} {path}"
    return refused("validation", summary, **details)
