"""Consumer contract for Assine Online clients.

Point it at your client with an :class:`AssineAdapter` and subclass
:class:`AssineConsumerContract` in a test module, or call :func:`run_assine_contract`.

Properties (error bodies come from the ``ApiProblem`` / ``ApiProblemValidation`` components of
``assine.openapi.yaml`` or are malformed on purpose):

``retries``           any run of 401/429/5xx answers, then a final answer: one login renewal per
                      call (a ``refresh_token`` grant first, a password login only if that is
                      refused), the new token used, 429/5xx handled like Banqer (attempts counted
                      the same way), and the last answer's value or error.
``error_bodies``      every spec problem body gives a typed error with the status, ``title``,
                      ``detail`` and ``validation_messages``.
``malformed_bodies``  empty, HTML, truncated or wrong-shaped bodies: a typed error with the
                      status and title ``"UNKNOWN"``.
``pagination``        a HAL collection walked through ``_links.next.href``: filters kept, every
                      item exactly once, stop when there is no ``next``.
``pagination_loop``   a ``next`` link that was already followed ends in a typed error.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from hypothesis import example, given
from hypothesis import strategies as st

from .fake_server import Answer, Checker, Exchange, Harness, json_answer, property_settings
from .properties import (
    ConsumerContract,
    ContractAdapter,
    ContractRun,
    ContractSuite,
    Property,
    Route,
    answered_once,
    check_retry_script,
)
from .rules import (
    Step,
    check_collection,
    check_field,
    check_no_revisit,
    check_text,
    check_value,
    labelled,
    malformed_answers,
    retry_afters,
    step_scripts,
)
from .schemas import spec_bodies

__all__ = ["AssineAdapter", "AssineConsumerContract", "run_assine_contract"]

API = "Assine"
PROBLEM_TYPE = "http://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html"


class AssineAdapter(ContractAdapter):
    """How the contract drives your Assine client. Implement the three abstract methods."""

    error_attributes = ("status", "title", "detail", "validation_messages")
    username = "contract@example.com"
    password = "contract-password-3a9b7c1d"
    client_id = "app"
    client_secret = "app"

    @abc.abstractmethod
    def make_client(
        self,
        *,
        base_url: str,
        username: str,
        password: str,
        client_id: str,
        client_secret: str,
        sleep: Callable[[float], None],
        now: Callable[[], float],
    ) -> Any:
        """A new client (not logged in yet) for the API at ``base_url``."""

    @abc.abstractmethod
    def call_get(self, client: Any, path: str) -> Any:
        """``GET path``; return the parsed JSON body."""

    @abc.abstractmethod
    def list_all(self, client: Any, path: str, params: list[tuple[str, str]]) -> list[Any]:
        """Every item of the HAL collection at ``path`` with query ``params`` (filter pairs)."""


WRONG_SHAPES: list[Any] = [
    [],
    "Erro interno",
    42,
    None,
    {},
    {"title": 5, "detail": "x"},
    {"error": "invalid_grant"},
    {"message": "Internal Server Error"},
    {"errors": [{"title": "aninhado"}]},
]


def _spec_problems(statuses: list[int], schema: str = "ApiProblem") -> st.SearchStrategy[Answer]:
    return st.builds(
        labelled, st.sampled_from(statuses), spec_bodies("assine", f"components/schemas/{schema}")
    )


def problem_answers(statuses: list[int]) -> st.SearchStrategy[Answer]:
    return st.one_of(_spec_problems(statuses), malformed_answers(statuses, WRONG_SHAPES))


def _entity() -> Answer:
    return json_answer(
        200, {"id": 474, "name": "Jhon Doe", "_links": {"self": {"href": "/v1/user/474"}}}, "200 user"
    )


def retry_scripts(max_attempts: int) -> st.SearchStrategy[list[Step]]:
    retryable = st.one_of(
        problem_answers([401]).map(Step),
        st.builds(Step, problem_answers([429]), retry_afters()),
        problem_answers([500, 502, 503]).map(Step),
    )
    final = st.one_of(st.just(_entity()), problem_answers([400, 403, 404, 409, 422])).map(Step)
    return step_scripts(retryable, final, max_attempts)


def _grant(ex: Exchange) -> str | None:
    body = ex.json
    return body.get("grant_type") if isinstance(body, dict) else None


def _expected_problem(answer: Answer) -> dict[str, Any]:
    body = answer.data if answer.content_type == "application/json" else None
    body = body if isinstance(body, dict) else {}
    title = body.get("title")
    detail = body.get("detail")
    messages = body.get("validation_messages")
    return {
        "title": title if isinstance(title, str) else "UNKNOWN",
        "detail": detail if isinstance(detail, str) else None,
        "validation_messages": messages if isinstance(messages, dict) else None,
    }


class _Run(ContractRun[AssineAdapter]):
    """The API on server ``api``; its ``/oauth`` logs in, and refreshes when ``refresh_ok``."""

    api_name = API

    def __init__(
        self, adapter: AssineAdapter, harness: Harness, route_api: Route, refresh_ok: bool = True
    ) -> None:
        self.refresh_ok = refresh_ok
        self.logins = 0
        super().__init__(adapter, harness, route_api)

    def make_client(self) -> Any:
        a = self.adapter
        return a.make_client(
            base_url=self.harness.url("api"),
            username=a.username,
            password=a.password,
            client_id=a.client_id,
            client_secret=a.client_secret,
            sleep=self.clock.sleep,
            now=self.clock.now,
        )

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
        return json_answer(
            200,
            {
                "access_token": ex.issued,
                "expires_in": 3600 if n % 2 else "86400",
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
        return json_answer(
            400,
            {
                "type": PROBLEM_TYPE,
                "title": "CONTRACT_SUITE_EXTRA",
                "status": 400,
                "detail": "contract suite: request not in the script",
            },
            "400 (not scripted)",
        )

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
        if calls:
            body = calls[0].json if isinstance(calls[0].json, dict) else {}
            c.check(
                {k: body.get(k) for k in login} == login,
                "sent a malformed password login",
                sorted(body),
                f"JSON {sorted(login)}",
            )
        if len(calls) >= 2:
            body = calls[1].json if isinstance(calls[1].json, dict) else {}
            c.check(
                body.get("grant_type") == "refresh_token"
                and body.get("refresh_token") == "0001ref0e296daacc854ac391e3f",
                "logged in again without trying the refresh_token grant first",
                _grant(calls[1]),
                "grant_type=refresh_token with the refresh_token of the login",
            )
        if len(calls) >= 3:
            c.check(
                _grant(calls[2]) == "password",
                "did not fall back to a password login after the refresh grant failed",
                _grant(calls[2]),
                "grant_type=password",
            )
        c.check(
            len(calls) <= want,
            "renewed the login more than once in one call",
            [_grant(e) for e in calls],
            f"{want} /oauth requests (login, then after a 401: refresh_token grant"
            f"{'' if self.refresh_ok else ', refused, then password login'})",
        )
        c.check(
            len(calls) >= want,
            "did not renew the login after a 401",
            [_grant(e) for e in calls],
            f"{want} requests",
        )

    def check_outcome(self, c: Checker, outcome: Any, final: Answer, what: str) -> None:
        if final.status < 400:
            check_value(c, outcome, final.data, what, "the body", "the body")
            return
        fields = self.check_error(c, outcome, final, what)
        if fields is None:
            return
        want = _expected_problem(final)
        check_field(
            c,
            fields,
            "title",
            want["title"],
            "did not carry the problem's title"
            if want["title"] != "UNKNOWN"
            else "did not report title UNKNOWN for a body that is not a problem",
        )
        if want["detail"] is not None:
            check_field(c, fields, "detail", want["detail"], "did not carry the problem's detail")
        else:
            check_text(
                c,
                fields,
                "detail",
                "has no detail for a body without one",
                "a text (e.g. the HTTP reason phrase)",
            )
        if want["validation_messages"] is not None:
            check_field(
                c,
                fields,
                "validation_messages",
                want["validation_messages"],
                "did not carry the problem's validation_messages",
                repr(want["validation_messages"]),
            )


_INVALID_TOKEN = {
    "type": PROBLEM_TYPE,
    "title": "invalid_token",
    "status": 401,
    "detail": "The access token provided has expired",
}


def check_retries(adapter: AssineAdapter, harness: Harness) -> None:
    @property_settings()
    @given(script=retry_scripts(adapter.max_attempts), refresh_ok=st.booleans())
    @example(script=[Step(labelled(401, _INVALID_TOKEN)), Step(_entity())], refresh_ok=True)
    @example(script=[Step(labelled(401, _INVALID_TOKEN)), Step(_entity())], refresh_ok=False)
    @example(script=[Step(labelled(401, _INVALID_TOKEN))] * 2 + [Step(_entity())], refresh_ok=True)
    def retries(script: list[Step], refresh_ok: bool) -> None:
        check_retry_script(
            lambda route: _Run(adapter, harness, route, refresh_ok),
            script,
            [*script, f"refresh grant {'accepted' if refresh_ok else 'refused'}"],
        )

    retries()


check_error_bodies = answered_once(
    _Run,
    "error_bodies",
    st.one_of(
        _spec_problems([400, 403, 404, 405, 409]),
        _spec_problems([422], "ApiProblemValidation"),
    ),
)
check_malformed_bodies = answered_once(
    _Run, "malformed_bodies", malformed_answers([400, 403, 404, 409, 422], WRONG_SHAPES)
)


FILTERS = [("filter[0][field]", "id"), ("filter[0][type]", "eq"), ("filter[0][value]", "$USER_ID")]


def _hal_route(base: str, pages: list[list[dict[str, Any]]], loop_to: int | None) -> Route:
    """``/v1/user`` as HAL ``pages`` whose links start with ``base``; the last page's ``next``
    goes back to page ``loop_to``, if any."""

    def href(page: int) -> str:
        return f"{base}/v1/user?{urlencode([*FILTERS, ('page', str(page))])}"

    def route(ex: Exchange) -> Answer:
        page = int(ex.param("page") or 1)
        if not 1 <= page <= len(pages):
            return json_answer(
                409,
                {"type": PROBLEM_TYPE, "title": "Conflict", "status": 409, "detail": "Invalid page provided"},
            )
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


def _hal_pages() -> st.SearchStrategy[list[list[dict[str, Any]]]]:
    def build(sizes: list[int]) -> list[list[dict[str, Any]]]:
        n, pages = 0, []
        for size in sizes:
            pages.append(
                [
                    {"id": 1000 + n + i, "_links": {"self": {"href": f"/v1/user/{1000 + n + i}"}}}
                    for i in range(size)
                ]
            )
            n += size
        return pages

    return st.lists(st.integers(0, 3), min_size=1, max_size=5).map(build)


def _list_users(
    adapter: AssineAdapter, harness: Harness, pages: list[list[dict[str, Any]]], loop_to: int | None
) -> tuple[_Run, Any]:
    """The run and outcome of listing ``/v1/user`` with ``FILTERS`` over ``pages``."""
    run = _Run(adapter, harness, _hal_route(harness.url("api"), pages, loop_to))
    return run, run.finish(lambda: adapter.list_all(run.client, "/v1/user", list(FILTERS)))


def _filters(ex: Exchange) -> tuple[bool, Any, Any]:
    return all(pair in ex.query for pair in FILTERS), ex.query, FILTERS


def check_pagination(adapter: AssineAdapter, harness: Harness) -> None:
    @property_settings()
    @given(pages=_hal_pages())
    @example(pages=[[{"id": 1}], [{"id": 2}]])
    def pagination(pages: list[list[dict[str, Any]]]) -> None:
        run, outcome = _list_users(adapter, harness, pages, None)
        c = run.checker("pagination", f"{len(pages)} HAL pages of sizes {[len(p) for p in pages]}")
        check_collection(c, run.api(), pages, outcome, filters=_filters, id_key="id", holder="collection")
        c.raise_if_failed()

    pagination()


def check_pagination_loop(adapter: AssineAdapter, harness: Harness) -> None:
    @property_settings()
    @given(pages=_hal_pages(), back=st.integers(0, 10))
    @example(pages=[[{"id": 1}], [{"id": 2}]], back=0)
    def pagination_loop(pages: list[list[dict[str, Any]]], back: int) -> None:
        if len(pages) < 2:
            pages = [*pages, []]
        loop_to = 2 + back % (len(pages) - 1)  # a page reached through a next link before
        run, outcome = _list_users(adapter, harness, pages, loop_to)
        c = run.checker("pagination_loop", f"{len(pages)} HAL pages; the last links back to page {loop_to}")
        check_no_revisit(
            c,
            [ex.param("page") or "1" for ex in run.api()],
            len(pages),
            outcome,
            adapter.error_types,
            title="followed a next link it had already followed (an endless loop)",
            shown="pages requested",
            what="a next link back to a page already read",
        )
        c.raise_if_failed()

    pagination_loop()


PROPERTIES: dict[str, Property[AssineAdapter]] = {
    "retries": check_retries,
    "error_bodies": check_error_bodies,
    "malformed_bodies": check_malformed_bodies,
    "pagination": check_pagination,
    "pagination_loop": check_pagination_loop,
}

SUITE = ContractSuite("assine", ("api",), PROPERTIES)


def run_assine_contract(adapter: AssineAdapter, only: list[str] | None = None) -> None:
    """Run the properties (all, or those named in ``only``) against ``adapter``."""
    SUITE.run(adapter, only)


class AssineConsumerContract(ConsumerContract):
    """Subclass in a test module (named ``Test...``) and set ``adapter``; one test per property."""

    adapter: AssineAdapter
    suite = SUITE
