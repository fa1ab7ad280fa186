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
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ._common import Step, capture, check_bearer, check_typed_error, check_waits, retry_afters, vendor_model
from ._harness import Answer, Checker, Exchange, Harness, json_answer, property_settings
from .schemas import answer_from_malformed, malformed_bodies, spec_bodies

__all__ = ["AssineAdapter", "AssineConsumerContract", "run_assine_contract"]

API = "Assine"
PROBLEM_TYPE = "http://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html"


class AssineAdapter(abc.ABC):
    """How the contract drives your Assine client. Implement the three abstract methods."""

    error_types: tuple[type[BaseException], ...] = (Exception,)
    max_attempts: int = 3
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

    def error_fields(self, error: BaseException) -> dict[str, Any]:
        """``status``, ``title``, ``detail`` and ``validation_messages`` of one of your errors."""
        return {k: getattr(error, k, None) for k in ("status", "title", "detail", "validation_messages")}

    def close(self, client: Any) -> None:
        close = getattr(client, "close", None)
        if callable(close):
            close()


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


def _problem_answer(status: int, body: Any) -> Answer:
    text = repr(body)
    return json_answer(status, body, f"{status} {text[:90]}{'...' if len(text) > 90 else ''}")


def problem_answers(statuses: list[int]) -> st.SearchStrategy[Answer]:
    status = st.sampled_from(statuses)
    return st.one_of(
        st.builds(_problem_answer, status, spec_bodies("assine", "components/schemas/ApiProblem")),
        st.builds(answer_from_malformed, status, malformed_bodies(WRONG_SHAPES)),
    )


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
    return st.builds(
        lambda steps, last: [*steps, last], st.lists(retryable, max_size=max_attempts + 2), final
    )


class _Run:
    def __init__(
        self,
        adapter: AssineAdapter,
        harness: Harness,
        route_api: Callable[[Exchange], Answer],
        refresh_ok: bool = True,
    ) -> None:
        self.adapter, self.harness, self.refresh_ok = adapter, harness, refresh_ok
        self.logins = 0
        self.clock = harness.reset(lambda ex: self._oauth(ex) if ex.path == "/oauth" else route_api(ex))
        self.client = adapter.make_client(
            base_url=harness.url("api"),
            username=adapter.username,
            password=adapter.password,
            client_id=adapter.client_id,
            client_secret=adapter.client_secret,
            sleep=self.clock.sleep,
            now=self.clock.now,
        )

    def _oauth(self, ex: Exchange) -> Answer:
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

    def api(self) -> list[Exchange]:
        return self.harness.requests(lambda e: e.path != "/oauth")

    def oauth(self) -> list[Exchange]:
        return self.harness.requests(lambda e: e.path == "/oauth")


def _grant(ex: Exchange) -> str | None:
    body = ex.json
    return body.get("grant_type") if isinstance(body, dict) else None


def _check_oauth(c: Checker, run: _Run, renewals: int) -> None:
    a = run.adapter
    calls = run.oauth()
    login = {
        "grant_type": "password",
        "username": a.username,
        "password": a.password,
        "client_id": a.client_id,
        "client_secret": a.client_secret,
    }
    want = 1 + (0 if not renewals else 1 if run.refresh_ok else 2)
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
        f"{'' if run.refresh_ok else ', refused, then password login'})",
    )
    c.check(
        len(calls) >= want,
        "did not renew the login after a 401",
        [_grant(e) for e in calls],
        f"{want} requests",
    )


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


def _check_outcome(c: Checker, run: _Run, outcome: Any, final: Answer, what: str) -> None:
    if final.status < 400:
        if outcome.ok:
            c.check(
                outcome.value == final.data,
                "returned something else than the body",
                repr(outcome.value),
                repr(final.data),
            )
        else:
            c.check(False, f"raised on {what}", repr(outcome.error), "the body")
        return
    error = check_typed_error(c, outcome, run.adapter.error_types, what)
    if error is None:
        return
    fields = run.adapter.error_fields(error)
    want = _expected_problem(final)
    c.check(
        fields.get("status") == final.status,
        "raised an error with the wrong status",
        f"status={fields.get('status')!r}",
        f"status={final.status}",
    )
    c.check(
        fields.get("title") == want["title"],
        "did not carry the problem's title"
        if want["title"] != "UNKNOWN"
        else "did not report title UNKNOWN for a body that is not a problem",
        f"title={fields.get('title')!r}",
        f"title={want['title']!r}",
    )
    if want["detail"] is not None:
        c.check(
            fields.get("detail") == want["detail"],
            "did not carry the problem's detail",
            f"detail={fields.get('detail')!r}",
            f"detail={want['detail']!r}",
        )
    else:
        c.check(
            isinstance(fields.get("detail"), str),
            "has no detail for a body without one",
            f"detail={fields.get('detail')!r}",
            "a text (e.g. the HTTP reason phrase)",
        )
    if want["validation_messages"] is not None:
        c.check(
            fields.get("validation_messages") == want["validation_messages"],
            "did not carry the problem's validation_messages",
            f"validation_messages={fields.get('validation_messages')!r}",
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
    @example(script=[Step(_problem_answer(401, _INVALID_TOKEN)), Step(_entity())], refresh_ok=True)
    @example(script=[Step(_problem_answer(401, _INVALID_TOKEN)), Step(_entity())], refresh_ok=False)
    @example(script=[Step(_problem_answer(401, _INVALID_TOKEN))] * 2 + [Step(_entity())], refresh_ok=True)
    def retries(script: list[Step], refresh_ok: bool) -> None:
        queue: Iterator[Step] = iter(script)
        run = _Run(adapter, harness, lambda ex: next(queue, Step(_extra())).serve(run.clock), refresh_ok)
        outcome = capture(lambda: adapter.call_get(run.client, "/v1/user/474"))
        adapter.close(run.client)
        model = vendor_model(script, adapter.max_attempts, lambda a: a.status == 401)
        c = Checker(API, "retries", [*script, f"refresh grant {'accepted' if refresh_ok else 'refused'}"])
        _check_oauth(c, run, model.renewals)
        api = run.api()
        c.check(
            len(api) <= model.requests,
            "retried more than the contract allows",
            f"{len(api)} requests",
            f"{model.requests} (max_attempts={adapter.max_attempts}, counted like Banqer's client)",
        )
        c.check(
            len(api) >= model.requests,
            "gave up before the contract allows",
            f"{len(api)} requests",
            f"{model.requests} (max_attempts={adapter.max_attempts}, counted like Banqer's client)",
        )
        check_bearer(c, run.harness.exchanges, lambda ex: ex.path != "/oauth")
        check_waits(c, api, run.clock, model.reasons)
        _check_outcome(c, run, outcome, model.final.answer, "the last answer")
        c.raise_if_failed()

    retries()


def _extra() -> Answer:
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


def _single(adapter: AssineAdapter, harness: Harness, answer: Answer, prop: str) -> None:
    run = _Run(adapter, harness, lambda ex: answer if len(run.api()) == 1 else _extra())
    outcome = capture(lambda: adapter.call_get(run.client, "/v1/user/474"))
    adapter.close(run.client)
    c = Checker(API, prop, [answer])
    c.check(len(run.api()) == 1, f"retried a {answer.status}", f"{len(run.api())} requests", "1 request")
    _check_outcome(c, run, outcome, answer, f"a {answer.status} answer")
    c.raise_if_failed()


def check_error_bodies(adapter: AssineAdapter, harness: Harness) -> None:
    @property_settings()
    @given(
        answer=st.one_of(
            st.builds(
                _problem_answer,
                st.sampled_from([400, 403, 404, 405, 409]),
                spec_bodies("assine", "components/schemas/ApiProblem"),
            ),
            st.builds(
                _problem_answer,
                st.just(422),
                spec_bodies("assine", "components/schemas/ApiProblemValidation"),
            ),
        )
    )
    def error_bodies(answer: Answer) -> None:
        _single(adapter, harness, answer, "error_bodies")

    error_bodies()


def check_malformed_bodies(adapter: AssineAdapter, harness: Harness) -> None:
    @property_settings()
    @given(status=st.sampled_from([400, 403, 404, 409, 422]), body=malformed_bodies(WRONG_SHAPES))
    def malformed(status: int, body: tuple[str, bytes, str]) -> None:
        _single(adapter, harness, answer_from_malformed(status, body), "malformed_bodies")

    malformed()


FILTERS = [("filter[0][field]", "id"), ("filter[0][type]", "eq"), ("filter[0][value]", "$USER_ID")]


def _hal_route(
    run_box: list[_Run], pages: list[list[dict[str, Any]]], loop_to: int | None
) -> Callable[[Exchange], Answer]:
    def href(page: int) -> str:
        return f"{run_box[0].harness.url('api')}/v1/user?{urlencode([*FILTERS, ('page', str(page))])}"

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


def _has_filters(ex: Exchange) -> bool:
    return all(pair in ex.query for pair in FILTERS)


def check_pagination(adapter: AssineAdapter, harness: Harness) -> None:
    @property_settings()
    @given(pages=_hal_pages())
    @example(pages=[[{"id": 1}], [{"id": 2}]])
    def pagination(pages: list[list[dict[str, Any]]]) -> None:
        box: list[_Run] = []
        box.append(_Run(adapter, harness, lambda ex: _hal_route(box, pages, None)(ex)))
        run = box[0]
        outcome = capture(lambda: adapter.list_all(run.client, "/v1/user", list(FILTERS)))
        adapter.close(run.client)
        c = Checker(API, "pagination", f"{len(pages)} HAL pages of sizes {[len(p) for p in pages]}")
        api = run.api()
        for k, ex in enumerate(api):
            c.check(_has_filters(ex), f"dropped the filters on page {k + 1}", ex.query, FILTERS)
        c.check(
            len(api) <= len(pages),
            "requested more pages than the collection has",
            f"{len(api)} requests",
            f"{len(pages)}",
        )
        c.check(
            len(api) >= len(pages), "stopped before the last page", f"{len(api)} requests", f"{len(pages)}"
        )
        expected = [item for page in pages for item in page]
        if outcome.ok:
            c.check(
                list(outcome.value) == expected,
                "did not yield every item exactly once",
                [i.get("id") if isinstance(i, dict) else i for i in outcome.value],
                [i["id"] for i in expected],
            )
        else:
            c.check(
                False, "raised on a well-formed collection", repr(outcome.error), f"{len(expected)} items"
            )
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
        box: list[_Run] = []
        box.append(_Run(adapter, harness, lambda ex: _hal_route(box, pages, loop_to)(ex)))
        run = box[0]
        outcome = capture(lambda: adapter.list_all(run.client, "/v1/user", list(FILTERS)))
        adapter.close(run.client)
        c = Checker(API, "pagination_loop", f"{len(pages)} HAL pages; the last links back to page {loop_to}")
        seen = [ex.param("page") or "1" for ex in run.api()]
        repeated = sorted({p for p in seen if seen.count(p) > 1})
        c.check(
            not repeated,
            "followed a next link it had already followed (an endless loop)",
            f"pages requested: {seen[:8]}{'...' if len(seen) > 8 else ''}",
            f"stop with a typed error after {len(pages)} pages",
        )
        check_typed_error(c, outcome, adapter.error_types, "a next link back to a page already read")
        c.raise_if_failed()

    pagination_loop()


PROPERTIES: dict[str, Callable[[AssineAdapter, Harness], None]] = {
    "retries": check_retries,
    "error_bodies": check_error_bodies,
    "malformed_bodies": check_malformed_bodies,
    "pagination": check_pagination,
    "pagination_loop": check_pagination_loop,
}


def _new_harness() -> Harness:
    return Harness(["api"])


def run_assine_contract(adapter: AssineAdapter, only: list[str] | None = None) -> None:
    """Run the properties (all, or those named in ``only``) against ``adapter``."""
    with _new_harness().running() as harness:
        for name, check in PROPERTIES.items():
            if only is None or name in only:
                check(adapter, harness)


class AssineConsumerContract:
    """Subclass in a test module (named ``Test...``) and set ``adapter``; one test per property."""

    adapter: AssineAdapter

    @pytest.fixture(scope="class")
    @classmethod
    def assine_harness(cls) -> Iterator[Harness]:
        with _new_harness().running() as harness:
            yield harness

    def test_retries(self, assine_harness: Harness) -> None:
        check_retries(self.adapter, assine_harness)

    def test_error_bodies(self, assine_harness: Harness) -> None:
        check_error_bodies(self.adapter, assine_harness)

    def test_malformed_bodies(self, assine_harness: Harness) -> None:
        check_malformed_bodies(self.adapter, assine_harness)

    def test_pagination(self, assine_harness: Harness) -> None:
        check_pagination(self.adapter, assine_harness)

    def test_pagination_loop(self, assine_harness: Harness) -> None:
        check_pagination_loop(self.adapter, assine_harness)
