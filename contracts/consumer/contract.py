"""The consumer contract as one table: every rule the suite enforces, where it comes from, the title
a failure carries and the adapter attribute (knob) that tunes it.

``docs/consumer-contract.md`` holds the same table (:func:`markdown_table` writes it; a test keeps the
two equal). Every failure title of the suite is :func:`title` of a row here, so a title always names
the rule it belongs to.

Sources: *vendor* is Banqer's published Node.js client (the retry loop ``call()``, ``paginar()``,
``fetchToken()``), which the other two APIs' reference clients follow; *spec* is the API's spec
in ``specs/``; *kit* marks a rule the kit adds where the vendor's client is silent or wrong (it is
said why in the table).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RULES", "Rule", "markdown_table", "title"]


@dataclass(frozen=True)
class Rule:
    key: str
    apis: str  # "all", or the APIs it applies to
    title: str  # with ``{placeholders}`` filled by the property
    source: str
    knob: str = ""


_ROWS = (
    # -- attempts and waits ----------------------------------------------------------------------
    Rule(
        "too-many-attempts",
        "all",
        "retried more than the contract allows",
        "vendor `call()`: 429/5xx retried while `attempt < maxAttempts`; the request answered 401 "
        "counts, the one refresh after it is not limited",
        "`max_attempts` (3)",
    ),
    Rule("too-few-attempts", "all", "gave up before the contract allows", "as above", "`max_attempts` (3)"),
    Rule(
        "retry-after-seconds",
        "all",
        "did not wait Retry-After before retrying after a 429",
        "vendor: `sleep(Retry-After * 1000)`; a negative value waits 0 s",
    ),
    Rule(
        "retry-after-date",
        "all",
        "did not wait until the HTTP-date Retry-After before retrying after a 429",
        "kit: RFC 9110 allows an HTTP date (the vendor's `Number()` reads it as NaN and does not wait)",
    ),
    Rule(
        "retry-after-default",
        "all",
        "did not wait the default 5 s after a 429 without a usable Retry-After",
        "vendor: `Number(Retry-After || 5)`; an unparseable value also waits 5 s (kit)",
    ),
    Rule(
        "backoff",
        "all",
        "did not back off exponentially after a 5xx",
        "vendor: `min(2**attempt + random(), 30)` s after the 5xx of attempt `attempt`",
        "`backoff_base` (2.0)",
    ),
    Rule(
        "jitter",
        "all",
        "backed off without jitter after a 5xx",
        "vendor: the `random()` term; identical waits over runs of the same script fail",
    ),
    Rule(
        "cap",
        "all",
        "waited longer than the 30 s cap",
        "vendor: `Math.min(..., 30000)`; reached by clients that take `max_attempts=` (6 attempts)",
    ),
    # -- tokens ----------------------------------------------------------------------------------
    Rule("bearer", "all", "did not send the bearer token", "vendor: `Authorization: Bearer <token>`"),
    Rule(
        "newest-token", "all", "did not send the newest token", "vendor: the refreshed token is used at once"
    ),
    Rule(
        "token-twice", "all", "{renewed} twice in one call", "vendor: `refreshed` flag, one refresh per call"
    ),
    Rule(
        "token-unexpected",
        "all",
        "{fetched} the contract does not call for",
        "vendor: the token is cached (`tokenCache`) and fetched only when missing or due",
    ),
    Rule(
        "token-missing",
        "all",
        "did not {renew} after {unauthorized}",
        "vendor: a 401 drops the token and retries once; PBM also on `UNAUTHENTICATED` in a 200",
    ),
    Rule(
        "token-request",
        "all",
        "sent a malformed {login_request}",
        "spec: Banqer client-credentials form (`client_secret_post`), PBM `createToken(login, password)`, "
        "Assine JSON password grant",
    ),
    Rule(
        "refresh-first",
        "Assine",
        "logged in again without trying the refresh_token grant first",
        "reference client: after a 401, a `refresh_token` grant before a password login",
    ),
    Rule(
        "password-fallback",
        "Assine",
        "did not fall back to a password login after the refresh grant failed",
        "reference client: a refused refresh grant is followed by one password login",
    ),
    Rule(
        "renew-early",
        "Banqer, Assine",
        "renewed the {token} before {low:.0%} of its lifetime",
        "vendor: `exp = now + expires_in * 0.8`",
        "`renew_window` ((0.8, 0.8); any part of 0.5-0.8)",
    ),
    Rule(
        "renew-late",
        "Banqer, Assine",
        "did not renew the {token} by {high:.0%} of its lifetime",
        "as above; Assine's reference client promises the same",
        "`renew_window`",
    ),
    Rule(
        "renew-early-exp",
        "PBM",
        "renewed the token earlier than 60 s before exp",
        "reference client: the JWT `exp` claim, renewed 60 s before it",
    ),
    Rule("renew-late-exp", "PBM", "did not renew the token 60 s before exp", "as above"),
    Rule("plain-call", "all", "failed a plain call", "a 200 answer is a value"),
    # -- a failing token endpoint ----------------------------------------------------------------
    Rule(
        "token-failure-typed",
        "all",
        "crashed with an untyped error when the {endpoint} failed",
        "vendor: `throw new Error('Token request failed: ...')`; kit: one of the client's error types",
    ),
    Rule(
        "token-failure-returned",
        "all",
        "returned normally although the {endpoint} failed",
        "vendor: the token failure is thrown",
    ),
    Rule(
        "token-failure-bounded",
        "all",
        "retried the failing {endpoint} more than max_attempts times",
        "vendor: never retried; kit: up to `max_attempts` requests allowed",
        "`max_attempts` (3)",
    ),
    Rule(
        "token-refused-retried",
        "all",
        "retried a {endpoint} request that refused the credentials",
        "vendor: never retried; a 400/401 `invalid_client` cannot succeed on retry",
    ),
    Rule("token-failure-api", "all", "called the API without a token", "vendor: no token, no API request"),
    Rule(
        "secret-in-error",
        "all",
        "showed a secret in the error of a failed {endpoint}",
        "kit: secrets (client secret, password, tokens) never in messages or `repr()`",
    ),
    # -- outcome of a call -----------------------------------------------------------------------
    Rule("value", "all", "returned something else than {noun}", "vendor: `return res.json()`"),
    Rule("raised-on-success", "all", "raised on {what}", "vendor: a 2xx is a value"),
    Rule("error-returned", "all", "returned normally on {what}", "vendor: `if (!res.ok) throw`"),
    Rule(
        "error-typed",
        "all",
        "crashed with an untyped error on {what}",
        "vendor: `BanqerError`; kit: one of the adapter's `error_types`",
        "`error_types`",
    ),
    Rule("error-status", "all", "raised an error with the wrong status", "vendor: `status: res.status`"),
    Rule(
        "error-field",
        "all",
        "did not carry the body's {field}",
        "spec error schema + vendor: Banqer `details[0].reason`, `message`; PBM first error's "
        "`extensions.code`, `message`, `path`; Assine problem `title`, `detail`, `validation_messages`",
    ),
    Rule(
        "error-fallback",
        "all",
        "did not report {field} {value} for a body without one",
        "vendor: `?? 'UNKNOWN'`; PBM: `GRAPHQL_VALIDATION_FAILED` for a 400 without a code",
    ),
    Rule(
        "error-text",
        "all",
        "has no {field} for an error body without one",
        "vendor: `?? res.statusText`: a text, e.g. the HTTP reason phrase",
    ),
    Rule("not-retried", "all", "retried a {status}", "vendor: only 401 (once), 429 and 5xx are retried"),
    # -- pagination ------------------------------------------------------------------------------
    Rule(
        "first-page-token",
        "Banqer",
        "did not send an empty pageToken on the first page",
        "vendor `paginar()`: `token = ''` on the first request",
    ),
    Rule(
        "filters",
        "Banqer, Assine",
        "dropped the filters on page {page}",
        "vendor: `{ ...params, pageSize, pageToken }` on every page; Assine: the `next` link keeps them",
    ),
    Rule(
        "too-many-pages",
        "Banqer, Assine",
        "requested more pages than the {holder} has",
        "vendor: stop on an absent, null or empty `nextPageToken`; Assine: no `_links.next`",
    ),
    Rule("too-few-pages", "Banqer, Assine", "stopped before the last page", "as above"),
    Rule(
        "every-item",
        "Banqer, Assine",
        "did not yield every item exactly once",
        "vendor: `for (const item of body[arrayKey]) yield item`",
    ),
    Rule("page-raised", "Banqer, Assine", "raised on a well-formed collection", "as above"),
    Rule(
        "page-loop",
        "Banqer, Assine",
        "followed a {link} it had already {sent} (an endless loop)",
        "kit: the vendor's `paginar()` loops forever on a repeated token",
    ),
)

RULES: dict[str, Rule] = {rule.key: rule for rule in _ROWS}


def title(key: str, **values: object) -> str:
    """The failure title of rule ``key`` with its placeholders filled."""
    return RULES[key].title.format(**values)


def markdown_table() -> str:
    """The table of ``docs/consumer-contract.md``."""
    lines = ["| rule | APIs | failure title | source | knob (default) |", "|---|---|---|---|---|"]
    for r in _ROWS:
        cells = (f"`{r.key}`", r.apis, r.title.replace("|", "\\|"), r.source, r.knob or "-")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
