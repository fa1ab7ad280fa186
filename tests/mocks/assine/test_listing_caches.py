"""The listing caches never serve stale data: mutations, resets and clock moves interleaved with listings.

Every listing is asked three times: with the caches (a miss or a hit), with ``cache_listings`` off
(everything computed and encoded from scratch, from the current store) and with the caches again
(now a hit). All three answers must be byte-identical, headers included. A small model of what
each account created checks, independently of the mock, that the collections list exactly that.
Cache bounds are drawn too, down to zero and one entry, so misses and evictions happen all along.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field
from typing import Any

import httpx
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, precondition, rule
from starlette.applications import Starlette

from specmock.mocks.assine import AssineApi
from specmock.mocks.assine.settings import AssineUser
from specmock.mocks.config import MockConfig
from specmock.mocks.core.cache import BoundedCache
from tests.mocks.assine.filtering import encode, encode_order, filter_items, matches, order_entries, ordered
from tests.mocks.assine.support import (
    API,
    PF,
    PJ,
    USER_ID_FILTER,
    api_of,
    bearer,
    make_app,
    raw_client,
    token,
    upload,
    workflow_body,
)
from tests.mocks.assine.test_collections import KINDS, TREE_KINDS

START = 1_900_000_000.0  # 2030-03-17, a fixed "now" the machine moves itself
BASES = ("http://mock.test", "http://proxy.example:8443")
ACCOUNTS = {"pj": PJ, "pf": PF}
USER_PATHS = ("/v1/user", "/user", "/v1/user/")
OTHER_PATHS = ("/v1/file", "/file", "/v1/folder", "/v1/workflow", "/v1/workflow-step",
               "/v1/workflow-step-link-to-sign", "/v1/workflow-template", "/webhook-business-unit",
               "/v1/access-token")
QUERIES: tuple[tuple[tuple[str, str], ...], ...] = (
    (),
    (("page_size", "2"),),
    (("page_size", "2"), ("page", "2")),
    (("page", "99"),),
    tuple(USER_ID_FILTER.items()),
    (("filter[0][field]", "status"), ("filter[0][type]", "eq"), ("filter[0][value]", "1"),
     ("filter[1][field]", "email"), ("filter[1][type]", "like"), ("filter[1][value]", "%example%")),
    (("filter[0][field]", "id"), ("filter[0][type]", "gt"), ("filter[0][value]", "500"),
     ("order-by[0][type]", "field"), ("order-by[0][field]", "id"), ("order-by[0][direction]", "desc")),
    (("filter[0][field]", "status"), ("filter[0][type]", "in"), ("filter[0][values][]", "1"),
     ("filter[0][values][]", "2")),
    (("filter[0][field]", "nope"), ("filter[0][type]", "eq"), ("filter[0][value]", "1")),
    (("filter[0]", "x"),),
)
NAMES = st.text(alphabet="abcçãéÉ xyz-", min_size=1, max_size=10)


class FrozenClock:
    """The mock's clock, stopped: the cached and the uncached answer of a listing see the same instant."""

    def __init__(self) -> None:
        self.moment = START

    def now(self) -> float:
        return self.moment


@functools.cache
def shared() -> tuple[Starlette, AssineApi, FrozenClock]:
    """One app for every example (reset at the start of each), its clock stopped."""
    app = make_app()
    clock = FrozenClock()
    app.state.mock.clock.now = clock.now
    return app, api_of(app), clock


@dataclass
class Owned:
    """What one account created and can see."""

    files: set[int] = field(default_factory=set)
    folders: set[int] = field(default_factory=set)
    workflows: set[int] = field(default_factory=set)
    steps: set[int] = field(default_factory=set)
    #: id -> (type, created)
    templates: dict[int, tuple[int, float]] = field(default_factory=dict)
    access_tokens: set[int] = field(default_factory=set)


def answer(response: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    return response.status_code, response.headers.multi_items(), response.content


def php_input(moment: float) -> str:
    return dt.datetime.fromtimestamp(moment, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


class ListingMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.app, self.api, self.clock = shared()
        self.client = raw_client(self.app)
        self.rows = [dict(user.row) for user in self.api.directory.users]
        self.ids = {name: self.api.directory.logins[email].id for name, (email, _) in ACCOUNTS.items()}
        self.start_over()

    def start_over(self) -> None:
        self.app.state.mock.reset()
        self.clock.moment = START
        self.owned = {name: Owned() for name in ACCOUNTS}
        self.webhooks: set[int] = set()
        self.log_in()

    def log_in(self) -> None:
        self.auth = {name: bearer(token(self.client, account)) for name, account in ACCOUNTS.items()}

    def teardown(self) -> None:
        self.api.cache_listings = True
        self.client.close()

    # -- the check every listing goes through -----------------------------------------------------

    def listed(self, account: str, path: str, params: Any, base: str = BASES[0]) -> httpx.Response:
        """``GET path``: cached, uncached and cached again give the same bytes; returns the answer."""

        def get() -> httpx.Response:
            return self.client.get(f"{base}{API}{path}", params=params, headers=self.auth[account])

        first = get()
        self.api.cache_listings = False
        try:
            fresh = get()
        finally:
            self.api.cache_listings = True
        again = get()
        assert answer(first) == answer(fresh), (path, params)
        assert answer(again) == answer(fresh), (path, params)
        return fresh

    def ids_of(self, account: str, path: str, name: str) -> set[int]:
        response = self.listed(account, path, {"page_size": "100"})
        assert response.status_code == 200, response.text
        return {int(item["id"]) for item in response.json()["_embedded"][name]}

    # -- cache bounds ---------------------------------------------------------------------------------

    @initialize(entries=st.sampled_from([0, 1, 3, 512]), budget=st.sampled_from([1 << 40, 0, 3000, 1 << 22]))
    def bounds(self, entries: int, budget: int) -> None:
        self.api.plans = BoundedCache(entries, budget)
        self.api.user_pages = BoundedCache(entries, budget)
        self.api.user_entities = BoundedCache(entries * 10, budget)

    # -- listings ----------------------------------------------------------------------------------------

    @rule(account=st.sampled_from(sorted(ACCOUNTS)), path=st.sampled_from(USER_PATHS + OTHER_PATHS),
          query=st.sampled_from(QUERIES), base=st.sampled_from(BASES))
    def list_anything(self, account: str, path: str, query: tuple[tuple[str, str], ...], base: str) -> None:
        self.listed(account, path, list(query), base)

    @rule(account=st.sampled_from(sorted(ACCOUNTS)), path=st.sampled_from(USER_PATHS), data=st.data())
    def list_users_with_a_random_filter(self, account: str, path: str, data: st.DataObject) -> None:
        me = self.ids[account]
        items = data.draw(filter_items(self.rows, TREE_KINDS, me, max_size=2))
        entries = data.draw(order_entries(KINDS))
        response = self.listed(account, path, [*encode(items), *encode_order(entries), ("page_size", "100")])
        assert response.status_code == 200, response.text
        expected = ordered([r for r in self.rows if matches(items, r, TREE_KINDS, me)], entries, KINDS)
        assert [u["id"] for u in response.json()["_embedded"]["user"]] == [r["id"] for r in expected]

    @rule(account=st.sampled_from(sorted(ACCOUNTS)), base=st.sampled_from(BASES))
    def each_caller_finds_itself(self, account: str, base: str) -> None:
        response = self.listed(account, "/v1/user", USER_ID_FILTER, base)
        assert [u["id"] for u in response.json()["_embedded"]["user"]] == [self.ids[account]]
        user = self.listed(account, f"/v1/user/{self.ids[account]}", None, base).json()
        assert user == response.json()["_embedded"]["user"][0]

    @rule(account=st.sampled_from(sorted(ACCOUNTS)))
    def collections_list_what_the_store_holds(self, account: str) -> None:
        owned = self.owned[account]
        now = self.clock.moment
        assert self.ids_of(account, "/v1/file", "file") == owned.files
        assert self.ids_of(account, "/v1/folder", "folder") == owned.folders
        assert self.ids_of(account, "/v1/workflow", "workflow") == owned.workflows
        assert self.ids_of(account, "/v1/workflow-step", "workflow_step") == owned.steps
        live = {i for i, (kind, created) in owned.templates.items() if kind == 1 or now < created + 86400}
        assert self.ids_of(account, "/v1/workflow-template", "workflow_template") == live
        owned.templates = {i: owned.templates[i] for i in live}
        tokens = self.ids_of(account, "/v1/access-token", "access_token")
        assert owned.access_tokens <= tokens
        if account == "pj":
            assert self.ids_of(account, "/webhook-business-unit", "webhook_business_unit") == self.webhooks

    # -- mutations --------------------------------------------------------------------------------------

    @rule()
    def reset(self) -> None:
        self.start_over()

    @rule(seconds=st.sampled_from([1, 3599, 3601, 86_399, 86_401, 3 * 86_400]))
    def advance_the_clock(self, seconds: int) -> None:
        self.clock.moment += seconds
        self.owned["pj"].access_tokens = set()  # may have expired; checked again once re-created
        self.log_in()

    @rule(account=st.sampled_from(sorted(ACCOUNTS)))
    def log_in_again(self, account: str) -> None:
        self.auth[account] = bearer(token(self.client, ACCOUNTS[account]))

    @rule(account=st.sampled_from(sorted(ACCOUNTS)), name=NAMES)
    def upload_a_file(self, account: str, name: str) -> None:
        response = upload(self.client, self.auth[account], name=f"{name}.pdf")
        assert response.status_code == 201, response.text
        self.owned[account].files.add(response.json()["id"])

    @precondition(lambda self: any(o.files for o in self.owned.values()))
    @rule(data=st.data())
    def delete_a_file(self, data: st.DataObject) -> None:
        account = data.draw(st.sampled_from([a for a, o in sorted(self.owned.items()) if o.files]))
        file_id = data.draw(st.sampled_from(sorted(self.owned[account].files)))
        response = self.client.delete(f"{API}/v1/file/{file_id}", headers=self.auth[account])
        assert response.status_code == 204, response.text
        self.owned[account].files.discard(file_id)

    @rule(account=st.sampled_from(sorted(ACCOUNTS)), name=NAMES, data=st.data())
    def create_a_folder(self, account: str, name: str, data: st.DataObject) -> None:
        parent = data.draw(st.sampled_from([0, *sorted(self.owned[account].folders)]))
        response = self.client.post(f"{API}/v1/folder", json={"name": name, "idParent": parent},
                                    headers=self.auth[account])
        assert response.status_code == 201, response.text
        self.owned[account].folders.add(response.json()["id"])

    @precondition(lambda self: any(o.folders for o in self.owned.values()))
    @rule(name=NAMES, delete=st.booleans(), data=st.data())
    def rename_or_delete_a_folder(self, name: str, delete: bool, data: st.DataObject) -> None:
        account = data.draw(st.sampled_from([a for a, o in sorted(self.owned.items()) if o.folders]))
        folder_id = data.draw(st.sampled_from(sorted(self.owned[account].folders)))
        url, auth = f"{API}/v1/folder/{folder_id}", self.auth[account]
        if not delete:
            assert self.client.patch(url, json={"name": name}, headers=auth).status_code == 200
            return
        response = self.client.delete(url, headers=auth)
        assert response.status_code in (204, 409), response.text
        if response.status_code == 204:
            self.owned[account].folders.discard(folder_id)

    @precondition(lambda self: any(o.files for o in self.owned.values()))
    @rule(steps=st.integers(1, 2), start=st.booleans(), due=st.none() | st.sampled_from([60, 7200]),
          data=st.data())
    def create_a_workflow(self, steps: int, start: bool, due: int | None, data: st.DataObject) -> None:
        account = data.draw(st.sampled_from([a for a, o in sorted(self.owned.items()) if o.files]))
        owned = self.owned[account]
        files = data.draw(st.lists(st.sampled_from(sorted(owned.files)), min_size=1, max_size=2))
        options: dict[str, Any] = {"autoInitiate": 1} if start else {}
        if due is not None:
            options["dueDate"] = php_input(self.clock.moment + due)
        response = self.client.post(f"{API}/v1/workflow", json=workflow_body(files, steps, **options),
                                    headers=self.auth[account])
        assert response.status_code == 201, response.text
        created = response.json()
        owned.workflows.add(created["id"])
        owned.steps |= {step["id"] for step in created["_embedded"]["workflowSteps"]}

    @precondition(lambda self: any(o.workflows for o in self.owned.values()))
    @rule(status=st.sampled_from([1, 3]), data=st.data())
    def start_or_cancel_a_workflow(self, status: int, data: st.DataObject) -> None:
        account = data.draw(st.sampled_from([a for a, o in sorted(self.owned.items()) if o.workflows]))
        workflow_id = data.draw(st.sampled_from(sorted(self.owned[account].workflows)))
        response = self.client.patch(f"{API}/v1/workflow/{workflow_id}", json={"status": status},
                                     headers=self.auth[account])
        assert response.status_code in (200, 409), response.text

    @precondition(lambda self: any(o.steps for o in self.owned.values()))
    @rule(action=st.sampled_from(["sign", "reject"]), data=st.data())
    def sign_or_reject_a_step(self, action: str, data: st.DataObject) -> None:
        steps = sorted(set().union(*(o.steps for o in self.owned.values())))
        step_id = data.draw(st.sampled_from(steps))
        response = self.client.post(f"{API}/__mock__/workflow-step/{step_id}/{action}")
        assert response.status_code in (200, 409), response.text

    @precondition(lambda self: any(o.files for o in self.owned.values()))
    @rule(kind=st.sampled_from([0, 1]), name=NAMES, data=st.data())
    def create_a_template(self, kind: int, name: str, data: st.DataObject) -> None:
        account = data.draw(st.sampled_from([a for a, o in sorted(self.owned.items()) if o.files]))
        owned = self.owned[account]
        file_id = data.draw(st.sampled_from(sorted(owned.files)))
        body = {"type": kind, "name": name, "template": {"files": [{"idFile": file_id}]}}
        response = self.client.post(f"{API}/v1/workflow-template", json=body, headers=self.auth[account])
        assert response.status_code == 201, response.text
        owned.templates[response.json()["id"]] = (kind, self.clock.moment)

    @precondition(lambda self: any(o.templates for o in self.owned.values()))
    @rule(name=NAMES, delete=st.booleans(), data=st.data())
    def rename_or_delete_a_template(self, name: str, delete: bool, data: st.DataObject) -> None:
        account = data.draw(st.sampled_from([a for a, o in sorted(self.owned.items()) if o.templates]))
        owned = self.owned[account]
        template_id = data.draw(st.sampled_from(sorted(owned.templates)))
        kind, created = owned.templates[template_id]
        url, auth = f"{API}/v1/workflow-template/{template_id}", self.auth[account]
        response = self.client.delete(url, headers=auth) if delete else self.client.patch(
            url, json={"name": name}, headers=auth)
        if kind == 0 and self.clock.moment >= created + 86400:
            assert response.status_code == 404, response.text
        else:
            assert response.status_code == (204 if delete else 200), response.text
        if delete or response.status_code == 404:
            del owned.templates[template_id]

    @rule(url=NAMES)
    def create_a_webhook(self, url: str) -> None:
        response = self.client.post(f"{API}/webhook-business-unit", json={"url": f"https://{url}"},
                                    headers=self.auth["pj"])
        assert response.status_code == 201, response.text
        self.webhooks.add(response.json()["id"])

    @precondition(lambda self: bool(self.webhooks))
    @rule(data=st.data())
    def delete_a_webhook(self, data: st.DataObject) -> None:
        hook = data.draw(st.sampled_from(sorted(self.webhooks)))
        response = self.client.delete(f"{API}/webhook-business-unit/{hook}", headers=self.auth["pj"])
        assert response.status_code == 204, response.text
        self.webhooks.discard(hook)

    @rule(days=st.integers(1, 400))
    def create_an_access_token(self, days: int) -> None:
        body = {"password": PJ[1], "expires": php_input(self.clock.moment + days * 86400)}
        response = self.client.post(f"{API}/v1/access-token", json=body, headers=self.auth["pj"])
        assert response.status_code == 201, response.text
        self.owned["pj"].access_tokens.add(int(response.json()["id"]))

    @precondition(lambda self: bool(self.owned["pj"].access_tokens))
    @rule(data=st.data())
    def revoke_an_access_token(self, data: st.DataObject) -> None:
        token_id = data.draw(st.sampled_from(sorted(self.owned["pj"].access_tokens)))
        response = self.client.delete(f"{API}/v1/access-token/{token_id}", headers=self.auth["pj"])
        assert response.status_code == 204, response.text
        self.owned["pj"].access_tokens.discard(token_id)


ListingMachine.TestCase.settings = settings(ListingMachine.TestCase.settings, stateful_step_count=30)
TestListingsAgainstTheStore = ListingMachine.TestCase


# -- single cases ------------------------------------------------------------------------------------------


def test_a_text_that_is_not_utf8_gives_the_same_ascii_page_with_or_without_caches() -> None:
    accounts = {**MockConfig().assine_users,
                "x@y.example": AssineUser("x@y.example", "pw", "Ana \ud800 Lima", True)}
    app = make_app(MockConfig(assine_users=accounts))
    api, client = api_of(app), raw_client(app)
    auth = bearer(token(client))
    answers = []
    for cached in (True, False, True):
        api.cache_listings = cached
        answers.append(answer(client.get(f"{API}/v1/user", params={"page_size": "5"}, headers=auth)))
    assert answers[0] == answers[1] == answers[2]
    assert answers[0][0] == 200 and answers[0][2].isascii() and b"\\ud800" in answers[0][2]


def test_the_page_cache_stays_within_its_bounds() -> None:
    app = make_app()
    api, client = api_of(app), raw_client(app)
    auth = bearer(token(client))
    api.user_pages = BoundedCache(8, 200_000)
    api.user_entities = BoundedCache(30, 1 << 20)
    for size in range(1, 60):
        response = client.get(f"{API}/v1/user", params={"page_size": str(size)}, headers=auth)
        assert response.status_code == 200
        assert len(api.user_pages) <= 8 and api.user_pages.bytes <= 200_000
        assert len(api.user_entities) <= 30


def test_errors_are_not_kept() -> None:
    app = make_app()
    api, client = api_of(app), raw_client(app)
    auth = bearer(token(client))
    for params in ({"page": "99"}, {"filter[0][field]": "nope", "filter[0][type]": "eq",
                                    "filter[0][value]": "1"}):
        statuses = {client.get(f"{API}/v1/user", params=params, headers=auth).status_code for _ in range(3)}
        assert statuses <= {400, 409} and len(statuses) == 1
    assert len(api.user_pages) == 0


def test_user_pages_survive_a_reset_unchanged() -> None:
    app = make_app()
    api, client = api_of(app), raw_client(app)
    before = client.get(f"{API}/v1/user", params=USER_ID_FILTER, headers=bearer(token(client))).content
    app.state.mock.reset()
    assert len(api.user_pages) == 1
    after = client.get(f"{API}/v1/user", params=USER_ID_FILTER, headers=bearer(token(client))).content
    api.cache_listings = False
    fresh = client.get(f"{API}/v1/user", params=USER_ID_FILTER, headers=bearer(token(client))).content
    assert before == after == fresh
