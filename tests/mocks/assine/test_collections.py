"""HAL collections over HTTP: ``$USER_ID``, filters and ``order-by`` on the seeded users, pages and links."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.applications import Starlette

from specmock.mocks.assine.data import build_directory
from specmock.mocks.config import MockConfig
from tests.mocks.assine.filtering import encode, encode_order, filter_items, matches, order_entries, ordered
from tests.mocks.assine.support import (
    API,
    USER_ID_FILTER,
    all_users,
    bearer,
    client_for,
    documented,
    make_app,
    token,
)

#: The user fields a filter may name, with their kinds (restated here, not imported from the mock).
KINDS = {"id": "int", "username": "str", "status": "str", "name": "str", "email": "str", "cellphone": "str",
         "document": "str", "country": "str", "state": "str", "city": "str", "address": "str",
         "zipCode": "str",
         "position": "str", "whatsappNumber": "str", "notifyWhatsapp": "bool", "roleDefault": "str",
         "dateCreated": "date", "dateLastUpdated": "date", "businessUnit": "int"}
#: A subset for generated trees: every kind, with fields that have NULLs and repeated values.
TREE_FIELDS = ("id", "name", "state", "city", "status", "position", "notifyWhatsapp", "dateCreated",
               "dateLastUpdated", "businessUnit")
TREE_KINDS = {name: KINDS[name] for name in TREE_FIELDS}


def row_of(user: dict[str, Any]) -> dict[str, Any]:
    row = {name: user.get(name) for name, kind in KINDS.items() if kind != "date"}
    row["dateCreated"] = user["dateCreated"]["date"]
    row["dateLastUpdated"] = (user.get("dateLastUpdated") or {}).get("date")
    row["businessUnit"] = ((user.get("_embedded") or {}).get("businessUnit") or {}).get("id")
    return row


@pytest.fixture(scope="module")
def app() -> Starlette:
    return make_app()


@pytest.fixture(scope="module")
def client(app: Starlette) -> httpx.Client:
    return client_for(app)


@pytest.fixture(scope="module")
def auth(client: httpx.Client) -> dict[str, str]:
    return bearer(token(client))


@pytest.fixture(scope="module")
def rows(client: httpx.Client, auth: dict[str, str]) -> list[dict[str, Any]]:
    return [row_of(user) for user in all_users(client, auth)]


@pytest.fixture(scope="module")
def me(rows: list[dict[str, Any]]) -> int:
    return next(r["id"] for r in rows if r["username"] == "demo@empresa.example")


def listing(client: httpx.Client, auth: dict[str, str], params: Any,
            path: str = "/v1/user") -> httpx.Response:
    return client.get(f"{API}{path}", params=params, headers=auth)


def walk(client: httpx.Client, auth: dict[str, str], params: list[tuple[str, str]]) -> tuple[list[int], int]:
    """Ids of every page reached through ``_links.next`` from the first page, and the page count."""
    response = listing(client, auth, params)
    assert response.status_code == 200, response.text
    ids: list[int] = []
    pages = 0
    while True:
        body = response.json()
        pages += 1
        ids += [user["id"] for user in body["_embedded"]["user"]]
        nxt = body["_links"].get("next")
        if nxt is None:
            assert pages == max(body["page_count"], 1)
            return ids, pages
        response = client.get(nxt["href"], headers=auth)
        assert response.status_code == 200, response.text


# -- the documented $USER_ID query ---------------------------------------------------------------------


def test_user_id_filter_answers_like_the_documented_page(client: httpx.Client, auth: dict[str, str],
                                                         me: int) -> None:
    response = listing(client, auth, USER_ID_FILTER)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/hal+json"
    body, doc = response.json(), documented("user_page.json")
    assert list(body) == list(doc)
    query = "filter%5B0%5D%5Bfield%5D=id&filter%5B0%5D%5Btype%5D=eq&filter%5B0%5D%5Bvalue%5D=$USER_ID"
    url = f"http://mock.test{API}/v1/user?{query}"
    assert body["_links"] == {"self": {"href": f"{url}&page=1"}, "first": {"href": url},
                              "last": {"href": f"{url}&page=1"}}
    assert (body["page_count"], body["page_size"], body["total_items"], body["page"]) == (1, 25, 1, 1)
    (user,) = body["_embedded"]["user"]
    (doc_user,) = doc["_embedded"]["user"]
    assert user["id"] == me and user["username"] == "demo@empresa.example"
    assert set(doc_user) <= set(user)
    assert set(doc_user["_embedded"]["businessUnit"]) <= set(user["_embedded"]["businessUnit"])
    assert isinstance(user["status"], str) and user["status"] in ("0", "1")
    assert user["_links"]["self"]["href"] == f"http://mock.test{API}/v1/user/{me}"


def test_the_personal_account_has_no_business_unit(client: httpx.Client) -> None:
    pf = bearer(token(client, ("pf@pessoa.example", "demo-password")))
    (user,) = listing(client, pf, USER_ID_FILTER).json()["_embedded"]["user"]
    assert user["username"] == "pf@pessoa.example" and "businessUnit" not in (user.get("_embedded") or {})


def test_seeded_users_look_brazilian_and_are_deterministic(rows: list[dict[str, Any]]) -> None:
    assert len(rows) == 63  # the three accounts and the 60 seeded users
    assert all(len(r["document"]) == 11 and r["document"].isdigit() for r in rows)
    assert all(r["cellphone"].startswith("+55") and len(r["state"]) == 2 for r in rows)
    accounts = tuple((email, account.password, account.name, account.business_unit)
                     for email, account in MockConfig().assine_users.items())
    first, again = build_directory(2024, accounts, 60), build_directory(2024, accounts, 60)
    assert [u.row for u in first.users] == [u.row for u in again.users] == rows
    assert [u.row for u in build_directory(7, accounts, 60).users] != rows


# -- properties against the reference ------------------------------------------------------------------


@given(data=st.data())
def test_random_filters_match_the_reference(client: httpx.Client, auth: dict[str, str],
                                            rows: list[dict[str, Any]], me: int, data: st.DataObject) -> None:
    items = data.draw(filter_items(rows, TREE_KINDS, me))
    expected = [r["id"] for r in rows if matches(items, r, TREE_KINDS, me)]
    response = listing(client, auth, [*encode(items), ("page_size", "100")])
    assert response.status_code == 200, response.text
    assert [u["id"] for u in response.json()["_embedded"]["user"]] == expected


@given(data=st.data())
def test_next_links_visit_every_match_once_in_order(client: httpx.Client, auth: dict[str, str],
                                                    rows: list[dict[str, Any]], me: int,
                                                    data: st.DataObject) -> None:
    items = data.draw(filter_items(rows, TREE_KINDS, me, max_size=2))
    entries = data.draw(order_entries(KINDS))
    size = data.draw(st.integers(1, 30))
    matching = [r for r in rows if matches(items, r, TREE_KINDS, me)]
    expected = [r["id"] for r in ordered(matching, entries, KINDS)]
    ids, pages = walk(client, auth, [*encode(items), *encode_order(entries), ("page_size", str(size))])
    assert ids == expected
    assert pages == max(-(-len(expected) // size), 1)


@given(field=st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,12}", fullmatch=True).filter(lambda f: f not in KINDS))
def test_an_unknown_field_is_a_400_naming_it(client: httpx.Client, auth: dict[str, str], field: str) -> None:
    for params in ({"filter[0][field]": field, "filter[0][type]": "eq", "filter[0][value]": "1"},
                   {"order-by[0][type]": "field", "order-by[0][field]": field,
                    "order-by[0][direction]": "asc"}):
        response = listing(client, auth, params)
        assert response.status_code == 400
        assert f"[{field}]" in response.json()["detail"]


@given(op=st.from_regex(r"[a-z]{1,10}", fullmatch=True).filter(
    lambda o: o not in {"eq", "neq", "lt", "lte", "gt", "gte", "in", "notin", "between", "like", "notlike",
                        "isnull", "isnotnull", "andx", "orx"}))
def test_an_unknown_operator_is_a_400_naming_it(client: httpx.Client, auth: dict[str, str], op: str) -> None:
    params = {"filter[0][field]": "id", "filter[0][type]": op, "filter[0][value]": "1"}
    response = listing(client, auth, params)
    assert response.status_code == 400
    assert f"[{op}]" in response.json()["detail"]


TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=12)
KEYS = st.one_of(
    TEXT,
    st.from_regex(r"(filter|order-by)(\[[a-z0-9\]\[]{0,8}\]){0,7}", fullmatch=True),
    st.sampled_from(["page", "page_size", "filter[0][type]", "filter[0][values][]",
                     "filter[0][conditions][0]"]),
)


@given(pairs=st.lists(st.tuples(KEYS, TEXT), max_size=8))
def test_garbage_queries_never_fail_the_server(client: httpx.Client, auth: dict[str, str],
                                               pairs: list[tuple[str, str]]) -> None:
    response = listing(client, auth, pairs)
    assert response.status_code in (200, 400, 409), response.text


# -- pages and links -----------------------------------------------------------------------------------


def test_middle_page_links(client: httpx.Client, auth: dict[str, str]) -> None:
    body = listing(client, auth, {"page_size": 10, "page": 3, "order-by[0][type]": "field",
                                  "order-by[0][field]": "name", "order-by[0][direction]": "desc"}).json()
    links = {name: urlsplit(link["href"]) for name, link in body["_links"].items()}
    assert list(links) == ["self", "first", "last", "prev", "next"]
    pages = {name: dict(parse_qsl(link.query)).get("page") for name, link in links.items()}
    assert pages == {"self": "3", "first": None, "last": "7", "prev": "2", "next": "4"}
    for link in links.values():
        assert link.path == f"{API}/v1/user"
        query = dict(parse_qsl(link.query))
        assert query["page_size"] == "10" and query["order-by[0][field]"] == "name"
    assert (body["page_count"], body["page_size"], body["total_items"], body["page"]) == (7, 10, 63, 3)
    assert len(body["_embedded"]["user"]) == 10


def test_links_follow_the_host_and_path_the_request_used(app: Starlette, auth: dict[str, str]) -> None:
    other = client_for(app, "http://proxy.example:8443")
    body = other.get(f"{API}/user", params={"page_size": 60}, headers=auth).json()
    assert body["_links"]["self"]["href"] == f"http://proxy.example:8443{API}/user?page_size=60&page=1"
    assert body["_links"]["next"]["href"] == f"http://proxy.example:8443{API}/user?page_size=60&page=2"
    assert body["_embedded"]["user"][0]["_links"]["self"]["href"].startswith(f"http://proxy.example:8443{API}/v1/")


def test_an_empty_result_has_only_a_self_link(client: httpx.Client, auth: dict[str, str]) -> None:
    body = listing(client, auth, {"filter[0][field]": "id", "filter[0][type]": "lt",
                                  "filter[0][value]": "0"}).json()
    assert list(body["_links"]) == ["self"]
    assert (body["page_count"], body["total_items"], body["_embedded"]) == (0, 0, {"user": []})


@pytest.mark.parametrize(("params", "status", "detail"), [
    ({"page": 99}, 409, "Invalid page provided"),
    # the spec allows any integer >= 1: a page past the last one is 409, however many digits it has
    ({"page": 13445969286}, 409, "Invalid page provided"),
    ({"page": "9" * 2000}, 409, "Invalid page provided"),
    ({"page_size": "1" * 2000}, 400, "page_size"),
    ({"page": 0}, 400, "page"),
    ({"page": "abc"}, 400, "page"),
    ({"page_size": 101}, 400, "page_size"),
    ({"page_size": 0}, 400, "page_size"),
    ({"page_size": "١٠"}, 400, "page_size"),
])
def test_bad_pages(client: httpx.Client, auth: dict[str, str], params: dict[str, Any], status: int,
                   detail: str) -> None:
    response = listing(client, auth, params)
    assert response.status_code == status
    assert detail in response.json()["detail"]


@given(index=st.integers(10**9, 10**40), second=st.integers(0, 10**40))
def test_filter_and_order_by_indexes_are_any_digit_string(
    client: httpx.Client, auth: dict[str, str], index: int, second: int
) -> None:
    # The spec's pattern allows any digits; items are taken in numeric index order.
    response = listing(client, auth, {
        f"filter[{index}][field]": "id", f"filter[{index}][type]": "gt", f"filter[{index}][value]": "0",
        f"order-by[{second}][type]": "field", f"order-by[{second}][field]": "id",
        f"order-by[{second}][direction]": "desc",
    })
    assert response.status_code == 200, response.text
    ids = [user["id"] for user in response.json()["_embedded"]["user"]]
    assert ids == sorted(ids, reverse=True)


def test_page_size_100_is_allowed_and_25_is_the_default(client: httpx.Client, auth: dict[str, str]) -> None:
    assert listing(client, auth, {"page_size": 100}).json()["page_size"] == 100
    assert listing(client, auth, {}).json()["page_size"] == 25


def test_text_compares_without_case_or_accents(client: httpx.Client, auth: dict[str, str],
                                               rows: list[dict[str, Any]]) -> None:
    accented = next(r for r in rows if r["city"] in ("São Paulo", "Goiânia", "Florianópolis", "Belém",
                                                     "João Pessoa", "Maceió", "Cuiabá", "Brasília"))
    plain = accented["city"].upper().replace("Ã", "A").replace("Â", "A").replace("Ó", "O").replace("É", "E") \
        .replace("Á", "A").replace("Í", "I")
    body = listing(client, auth, {"filter[0][field]": "city", "filter[0][type]": "like",
                                  "filter[0][value]": f"%{plain[1:]}", "page_size": 100}).json()
    assert accented["id"] in [u["id"] for u in body["_embedded"]["user"]]


def test_filters_apply_to_other_collections(client: httpx.Client, auth: dict[str, str]) -> None:
    response = listing(client, auth, {"filter[0][field]": "expires", "filter[0][type]": "gt",
                                      "filter[0][value]": "2000-01-01", "filter[0][format]": "Y-m-d"},
                       "/v1/access-token")
    assert response.status_code == 200 and response.json()["total_items"] >= 1
    response = listing(client, auth, {"filter[0][field]": "name", "filter[0][type]": "eq",
                                      "filter[0][value]": "x"}, "/v1/access-token")
    assert response.status_code == 400 and "[name]" in response.json()["detail"]
