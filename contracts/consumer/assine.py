"""Consumer contract for Assine Online clients.

Point it at your client with an :class:`AssineAdapter` and subclass
:class:`AssineConsumerContract` in a test module, or call :func:`run_assine_contract`.

Properties (error bodies come from the ``ApiProblem`` / ``ApiProblemValidation`` components of
``assine.openapi.yaml`` or are malformed on purpose):

``retries``           any run of 401/429/5xx answers, then a final answer: one login renewal per
                      call (a ``refresh_token`` grant first, a password login only if that is
                      refused), the new token used, 429/5xx handled like Banqer (attempts counted
                      the same way), and the last answer's value or error.
``backoff``           runs of 503s: backoff, jitter and the 30 s cap, as for Banqer.
``token_failures``    ``/oauth`` answers 5xx, 429, 400/401 ``invalid_client`` or garbage to the
                      login: a typed error without the password, no API request, bounded retries
                      (none after a refusal).
``error_bodies``      every spec problem body gives a typed error with the status, ``title``,
                      ``detail`` and ``validation_messages``.
``malformed_bodies``  empty, HTML, truncated or wrong-shaped bodies: a typed error with the
                      status and title ``"UNKNOWN"``.
``pagination``        a HAL collection walked through ``_links.next.href``: filters kept, every
                      item exactly once, stop when there is no ``next``.
``pagination_loop``   a ``next`` link that was already followed ends in a typed error.
``token_renewal``     the login token is renewed ahead of its expiry, like Banqer's (``renew_window``).

Every rule, its source and its title: ``docs/consumer-contract.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import urlencode

from hypothesis import strategies as st

from . import paging, rules
from . import properties as props
from .contract import title
from .fake_server import Answer, Checker, Exchange, Harness, json_answer
from .schemas import spec_bodies

__all__ = ["AssineAdapter", "AssineConsumerContract", "run_assine_contract"]

PROBLEM_TYPE = "http://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html"


class AssineAdapter(paging.PagedAdapter):
    """How the contract drives your Assine client. Implement the three abstract methods.

    ``make_client`` gets ``base_url``, ``username``, ``password``, ``client_id``,
    ``client_secret``, ``sleep`` and ``now`` (and ``random``/``max_attempts`` when it takes them)."""

    error_attributes = ("status", "title", "detail", "validation_messages")
    client_keywords = ("base_url", "username", "password", "client_id", "client_secret")
    username = "contract@example.com"
    password = "contract-password-3a9b7c1d"
    client_id = "app"
    client_secret = "app"


#: Bodies close to an API Problem that no schema allows.
WRONG_SHAPES: list[Any] = [
    {"title": 5, "detail": "x"},
    {"error": "invalid_grant"},
    {"message": "Internal Server Error"},
    {"errors": [{"title": "aninhado"}]},
]


def _problem(status: int, problem_title: str, detail: str) -> Answer:
    return rules.labelled(
        status, {"type": PROBLEM_TYPE, "title": problem_title, "status": status, "detail": detail}
    )


def _spec_problems(statuses: list[int], schema: str = "ApiProblem") -> st.SearchStrategy[Answer]:
    return st.builds(
        rules.labelled, st.sampled_from(statuses), spec_bodies("assine", f"components/schemas/{schema}")
    )


def _problems(statuses: list[int]) -> st.SearchStrategy[Answer]:
    return st.one_of(_spec_problems(statuses), rules.malformed_answers(statuses, WRONG_SHAPES))


def _entity() -> Answer:
    return json_answer(
        200, {"id": 474, "name": "Jhon Doe", "_links": {"self": {"href": "/v1/user/474"}}}, "200 user"
    )


def _grant(ex: Exchange) -> str | None:
    body = ex.json
    return body.get("grant_type") if isinstance(body, dict) else None


class _Run(props.ContractRun[AssineAdapter]):
    """The API on server ``api``; its ``/oauth`` logs in, and refreshes when ``refresh_ok``."""

    api_name = "Assine"
    counted_like = "Banqer's client"
    words: ClassVar[Mapping[str, str]] = {
        "requests": "/oauth requests",
        "renewed": "renewed the login",
        "fetched": "logged in",
        "renew": "renew the login",
        "unauthorized": "a 401",
        "renewal": "one renewal after a 401",
        "login_request": "password login",
        "token": "login token",
        "endpoint": "login",
    }
    error_rules = (
        rules.FieldRule("title", "/title", str, "UNKNOWN"),
        rules.FieldRule("detail", "/detail", str, rules.ANY_TEXT),
        rules.FieldRule("validation_messages", "/validation_messages", dict),
    )
    ok = _entity()
    unauthorized_answer = _problem(401, "invalid_token", "The access token provided has expired")
    rate_limited = _problem(429, "Too Many Requests", "Rate limit exceeded")
    unavailable = _problem(503, "Service Unavailable", "Try again later")

    def __init__(
        self,
        adapter: AssineAdapter,
        harness: Harness,
        route_api: props.Route,
        expires_in: float | None = None,
        **options: Any,
    ) -> None:
        self.refresh_ok = True
        self.expires_in = expires_in
        self.logins = 0
        super().__init__(adapter, harness, route_api, **options)

    def connection(self) -> dict[str, Any]:
        a = self.adapter
        return {
            "base_url": self.harness.url("api"),
            "username": a.username,
            "password": a.password,
            "client_id": a.client_id,
            "client_secret": a.client_secret,
        }

    def secrets(self) -> list[str]:
        return [self.adapter.password]

    variant_values = (None, False)

    def set_variant(self, variant: Any) -> None:
        self.refresh_ok = variant is not False

    @staticmethod
    def describe_variant(variant: Any) -> list[str]:
        return [f"refresh grant {'refused' if variant is False else 'accepted'}"]

    def is_token(self, ex: Exchange) -> bool:
        return ex.path == "/oauth"

    def answer_token(self, ex: Exchange) -> Answer:
        body = ex.json if isinstance(ex.json, dict) else {}
        if body.get("grant_type") == "refresh_token" and not self.refresh_ok:
            return json_answer(
                400,
                {
                    "type": PROBLEM_TYPE,
                    "title": "invalid_grant",
                    "status": 400,
                    "detail": "Invalid refresh token",
                },
                "refresh refused",
            )
        self.logins += 1
        n = self.logins
        ex.issued = f"{n:04d}f82054011fb69e6baeccbd4adb54103b07"
        lifetime: Any = self.expires_in if self.expires_in is not None else (3600 if n % 2 else "86400")
        return json_answer(
            200,
            {
                "access_token": ex.issued,
                "expires_in": lifetime,
                "token_type": "Bearer",
                "scope": "",
                "refresh_token": f"{n:04d}ref0e296daacc854ac391e3f",
            },
            "login",
        )

    def call(self) -> Any:
        return self.adapter.call_get(self.client, "/v1/user/474")

    @staticmethod
    def extra() -> Answer:
        return _problem(400, "CONTRACT_SUITE_EXTRA", "contract suite: request not in the script")

    @classmethod
    def error_answers(cls) -> st.SearchStrategy[Answer]:
        return st.one_of(
            _spec_problems([400, 403, 404, 405, 409]),
            _spec_problems([422], "ApiProblemValidation"),
        )

    @classmethod
    def malformed_answers(cls) -> st.SearchStrategy[Answer]:
        return rules.malformed_answers([400, 403, 404, 409, 422], WRONG_SHAPES)

    @classmethod
    def retry_scripts(cls, max_attempts: int) -> st.SearchStrategy[list[rules.Step]]:
        retryable = st.one_of(
            _problems([401]).map(rules.Step),
            st.builds(rules.Step, _problems([429]), rules.retry_afters()),
            _problems([500, 502, 503]).map(rules.Step),
        )
        final = st.one_of(st.just(_entity()), _problems([400, 403, 404, 409, 422])).map(rules.Step)
        return rules.step_scripts(retryable, final, max_attempts)

    @classmethod
    def token_failures(cls) -> list[tuple[Answer, bool]]:
        def problem(status: int, name: str, detail: str) -> dict[str, Any]:
            return {"type": PROBLEM_TYPE, "title": name, "status": status, "detail": detail}

        return [
            props.refusal(
                400,
                problem(400, "invalid_client", "The client credentials are invalid"),
                "400 invalid_client",
            ),
            props.refusal(
                401,
                problem(401, "invalid_grant", "Invalid username and password combination"),
                "401 invalid_grant",
            ),
            props.outage(503, problem(503, "Service Unavailable", "Try again later"), "503"),
            props.outage(502, "<html>502 Bad Gateway</html>", "502 HTML"),
            props.outage(429, problem(429, "Too Many Requests", "Slow down"), "429", **{"Retry-After": "1"}),
            props.outage(200, {"token_type": "Bearer"}, "200 without access_token"),
        ]

    def check_logins(self, c: Checker, renewals: int) -> None:
        a = self.adapter
        calls = self.tokens()
        login = {
            "grant_type": "password",
            "username": a.username,
            "password": a.password,
            "client_id": a.client_id,
            "client_secret": a.client_secret,
        }
        want = 1 + (0 if not renewals else 1 if self.refresh_ok else 2)
        grants = [_grant(e) for e in calls]
        if calls:
            body = calls[0].json if isinstance(calls[0].json, dict) else {}
            c.check(
                {k: body.get(k) for k in login} == login,
                title("token-request", **self.words),
                sorted(body),
                f"JSON {sorted(login)}",
            )
        if len(calls) >= 2:
            body = calls[1].json if isinstance(calls[1].json, dict) else {}
            c.check(
                body.get("grant_type") == "refresh_token"
                and body.get("refresh_token") == "0001ref0e296daacc854ac391e3f",
                title("refresh-first"),
                grants[1],
                "grant_type=refresh_token with the refresh_token of the login",
            )
        if renewals and not self.refresh_ok and grants[1:2] == ["refresh_token"]:
            c.check(
                grants[2:3] == ["password"],
                title("password-fallback"),
                grants,
                "['password', 'refresh_token', 'password']",
            )
        c.check(
            len(calls) <= want,
            title("token-twice", **self.words),
            grants,
            f"{want} /oauth requests (login, then after a 401: refresh_token grant"
            f"{'' if self.refresh_ok else ', refused, then password login'})",
        )
        c.check(len(calls) >= want, title("token-missing", **self.words), grants, f"{want} requests")


FILTERS = [("filter[0][field]", "id"), ("filter[0][type]", "eq"), ("filter[0][value]", "$USER_ID")]


def _hal_route(base: str, pages: list[list[dict[str, Any]]], loop_to: int | None) -> props.Route:
    """``/v1/user`` as HAL ``pages`` whose links start with ``base``; the last page's ``next``
    goes back to page ``loop_to``, if any."""

    def href(page: int) -> str:
        return f"{base}/v1/user?{urlencode([*FILTERS, ('page', str(page))])}"

    def route(ex: Exchange) -> Answer:
        page = int(ex.param("page") or 1)
        if not 1 <= page <= len(pages):
            return _problem(409, "Conflict", "Invalid page provided")
        links: dict[str, Any] = {
            "self": {"href": href(page)},
            "first": {"href": href(1)},
            "last": {"href": href(len(pages))},
        }
        if page < len(pages):
            links["next"] = {"href": href(page + 1)}
        elif loop_to is not None:
            links["next"] = {"href": href(loop_to)}
        body = {
            "_links": links,
            "_embedded": {"user": pages[page - 1]},
            "page_count": len(pages),
            "page_size": 25,
            "total_items": sum(map(len, pages)),
            "page": page,
        }
        return json_answer(200, body, f"page {page}")

    return route


def _list_users(adapter: AssineAdapter, harness: Harness, walk: paging.Walk) -> tuple[_Run, Any]:
    """The run and outcome of listing ``/v1/user`` with the walk's filters over its pages."""
    run = _Run(adapter, harness, _hal_route(harness.url("api"), walk.pages, walk.last))
    return run, run.finish(lambda: adapter.list_all(run.client, "/v1/user", list(walk.params)))


def _kept(ex: Exchange, params: list[tuple[str, str]]) -> tuple[bool, Any, Any]:
    return all(pair in ex.query for pair in params), ex.query, params


def _back(pages: list[list[dict[str, Any]]], n: int) -> tuple[int, str]:
    loop_to = 2 + n % (len(pages) - 1)  # a page reached through a next link before
    return loop_to, f"links back to page {loop_to}"


PAGING = paging.Paging(
    walk=_list_users,
    item=lambda n: {"id": 1000 + n, "_links": {"self": {"href": f"/v1/user/{1000 + n}"}}},
    id_key="id",
    params=st.just(FILTERS),
    ends=st.just(None),
    back=_back,
    asked=lambda ex: ex.param("page") or "1",
    kept=_kept,
    holder="collection",
    link="next link",
    shown="pages requested",
    example_params=FILTERS,
    example_end=None,
)


_OWN = {**paging.paging_properties(PAGING), "token_renewal": props.renewal_by_share(_Run)}
SUITE = props.api_suite("assine", ("api",), _Run, _OWN)
run_assine_contract = SUITE.run


class AssineConsumerContract(props.ConsumerContract, suite=SUITE):
    """Subclass for your Assine client's tests: set ``adapter``; each property is one ``test_...``."""

    adapter: AssineAdapter
