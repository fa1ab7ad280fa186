"""Credores, fichas and pagination; parameter validation; routes the spec does not describe; faults."""

from __future__ import annotations

import base64
import json
import re
import uuid
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette

from specmock.mocks.config import MockConfig
from tests.mocks.banqer.support import (
    API,
    DOCUMENTED_FICHA_ID,
    bearer,
    client_for,
    error_validator,
    fetch_token,
    make_app,
    raw_client,
    two_tenant_config,
    walk,
)

INT32_MAX = 2**31 - 1


@pytest.fixture(scope="module")
def app() -> Starlette:
    return make_app(two_tenant_config())


@pytest.fixture(scope="module")
def client(app: Starlette) -> httpx.Client:
    return client_for(app)


@pytest.fixture(scope="module")
def token(client: httpx.Client) -> str:
    return fetch_token(client)


@pytest.fixture(scope="module")
def everything(client: httpx.Client, token: str) -> list[dict[str, Any]]:
    items, _ = walk(client, token, "/v1/fichas", {}, 200)
    return items


# --- the documented usage ----------------------------------------------------------------------


def test_vendor_paginar_flow_with_atraso_min_90(
    client: httpx.Client, token: str, everything: list[dict[str, Any]]
) -> None:
    # paginar('/v1/fichas', {atrasoMin: 90}): pageSize=200&pageToken= first, then the filters again
    first = client.get(f"{API}/v1/fichas?atrasoMin=90&pageSize=200&pageToken=", headers=bearer(token))
    assert first.status_code == 200
    assert next(k for k, v in first.json().items() if isinstance(v, list)) == "fichas"
    items, _ = walk(client, token, "/v1/fichas", {"atrasoMin": 90}, 200)
    assert items == [f for f in everything if f["diasAtraso"] >= 90]
    assert items and all(f["idFichaCobrancaExibicao"] and isinstance(f["saldoDevedor"], float) for f in items)


def test_vendor_detail_call_of_the_documented_id(client: httpx.Client, token: str) -> None:
    response = client.get(f"{API}/v1/fichas/{DOCUMENTED_FICHA_ID}", headers=bearer(token))
    assert response.status_code == 200
    assert response.json()["idFichaCobranca"] == DOCUMENTED_FICHA_ID
    assert isinstance(response.json()["saldoDevedor"], float)


def test_vendor_credores_call_fits_one_page(client: httpx.Client, token: str) -> None:
    body = client.get(f"{API}/v1/credores", headers=bearer(token)).json()
    assert list(body) == ["credores"]
    assert len(body["credores"]) >= 6


def test_every_listed_ficha_has_the_same_detail(
    client: httpx.Client, token: str, everything: list[dict[str, Any]]
) -> None:
    for ficha in everything[::37]:
        detail = client.get(f"{API}/v1/fichas/{ficha['idFichaCobranca']}", headers=bearer(token))
        assert detail.json() == ficha
    upper = everything[5]["idFichaCobranca"].upper()
    assert client.get(f"{API}/v1/fichas/{upper}", headers=bearer(token)).json() == everything[5]


def test_list_order_is_most_overdue_first(everything: list[dict[str, Any]]) -> None:
    keys = [(-f["diasAtraso"], int(f["idFichaCobrancaExibicao"])) for f in everything]
    assert keys == sorted(keys)
    assert len(everything) == 360


# --- pagination ---------------------------------------------------------------------------------


_SMALL: dict[str, Any] = {}


def _small() -> tuple[httpx.Client, str, list[dict[str, Any]]]:
    if not _SMALL:
        client = client_for(make_app(MockConfig(banqer_fichas_per_tenant=90, seed=7)))
        token = fetch_token(client)
        _SMALL.update(client=client, token=token, all=walk(client, token, "/v1/fichas", {}, 200)[0])
    return _SMALL["client"], _SMALL["token"], _SMALL["all"]


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(atraso_min=st.one_of(st.none(), st.integers(0, 800)), page_size=st.integers(1, 250))
def test_pagination_returns_each_matching_ficha_exactly_once(atraso_min: int | None, page_size: int) -> None:
    client, token, everything = _small()
    params = {} if atraso_min is None else {"atrasoMin": atraso_min}
    items, pages = walk(client, token, "/v1/fichas", params, page_size)
    expected = [f for f in everything if f["diasAtraso"] >= (atraso_min or 0)]
    ids = [f["idFichaCobranca"] for f in items]
    assert len(ids) == len(set(ids))
    assert items == expected
    served = min(page_size, 200)
    assert pages == max(1, -(-len(expected) // served))


def test_walking_the_full_tenant_with_odd_page_sizes(
    client: httpx.Client, token: str, everything: list[dict[str, Any]]
) -> None:
    for page_size in (7, 199, 1000):
        items, _ = walk(client, token, "/v1/fichas", {"atrasoMin": 30}, page_size)
        assert items == [f for f in everything if f["diasAtraso"] >= 30]


def test_page_size_default_max_and_last_page(client: httpx.Client, token: str) -> None:
    default = client.get(f"{API}/v1/fichas", headers=bearer(token)).json()
    assert len(default["fichas"]) == 50 and default["nextPageToken"]
    capped = client.get(f"{API}/v1/fichas", params={"pageSize": INT32_MAX}, headers=bearer(token)).json()
    assert len(capped["fichas"]) == 200
    last = client.get(
        f"{API}/v1/fichas",
        params={"pageSize": 200, "pageToken": capped["nextPageToken"]},
        headers=bearer(token),
    ).json()
    assert len(last["fichas"]) == 160 and "nextPageToken" not in last
    empty = client.get(f"{API}/v1/fichas", params={"atrasoMin": 100_000}, headers=bearer(token)).json()
    assert empty == {"fichas": []}


def test_page_size_may_change_between_pages(
    client: httpx.Client, token: str, everything: list[dict[str, Any]]
) -> None:
    first = client.get(f"{API}/v1/fichas", params={"pageSize": 10}, headers=bearer(token)).json()
    second = client.get(
        f"{API}/v1/fichas",
        params={"pageSize": 25, "pageToken": first["nextPageToken"]},
        headers=bearer(token),
    ).json()
    assert first["fichas"] + second["fichas"] == everything[:35]


def test_credores_paginate_too(client: httpx.Client, token: str) -> None:
    everything = client.get(f"{API}/v1/credores", headers=bearer(token)).json()["credores"]
    items, pages = walk(client, token, "/v1/credores", {}, 3, key="credores")
    assert items == everything and pages == -(-len(everything) // 3)


def _token_for(offset: int, query: str) -> str:
    raw = json.dumps({"o": offset, "q": query}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _invalid_page_token(response: httpx.Response) -> None:
    assert response.status_code == 400, response.text
    assert response.json()["details"][0]["reason"] == "INVALID_PAGE_TOKEN"


def test_a_page_token_only_works_for_its_own_query(client: httpx.Client, token: str) -> None:
    page = client.get(
        f"{API}/v1/fichas", params={"atrasoMin": 90, "pageSize": 10}, headers=bearer(token)
    ).json()
    next_token = page["nextPageToken"]
    ok = client.get(
        f"{API}/v1/fichas", params={"atrasoMin": 90, "pageToken": next_token}, headers=bearer(token)
    )
    assert ok.status_code == 200
    for params in ({"atrasoMin": 91}, {}, {"atrasoMin": 0}):
        _invalid_page_token(
            client.get(f"{API}/v1/fichas", params={**params, "pageToken": next_token}, headers=bearer(token))
        )
    _invalid_page_token(
        client.get(f"{API}/v1/credores", params={"pageToken": next_token}, headers=bearer(token))
    )
    acme = fetch_token(client, "acme-client", "acme-secret", tenant="acme")
    _invalid_page_token(
        client.get(
            "/banqer/acme/v1/fichas", params={"atrasoMin": 90, "pageToken": next_token}, headers=bearer(acme)
        )
    )


def test_a_token_from_another_seed_is_rejected(token: str, client: httpx.Client) -> None:
    other = client_for(make_app(MockConfig(seed=99)))
    foreign = other.get(f"{API}/v1/fichas", params={"pageSize": 5}, headers=bearer(fetch_token(other))).json()
    _invalid_page_token(
        client.get(f"{API}/v1/fichas", params={"pageToken": foreign["nextPageToken"]}, headers=bearer(token))
    )


@pytest.mark.parametrize(
    "page_token",
    [
        "x",
        "!!!",
        "eyJ",
        "e30",
        "bnVsbA",
        "W10",
        "eyJvIjoiMSIsInEiOiJ4In0",
        "not a token",
        "a" * 300,
        "ção",
        "eyJvIjoxMH0=",
        _token_for(0, "q"),
        _token_for(-5, "q"),
        _token_for(10**9, "q"),
    ],
)
def test_an_undecodable_or_forged_page_token_is_400(
    client: httpx.Client, token: str, page_token: str
) -> None:
    _invalid_page_token(
        client.get(f"{API}/v1/fichas", params={"pageToken": page_token}, headers=bearer(token))
    )


def test_forged_offsets_of_the_right_query_are_still_bounded(client: httpx.Client, token: str) -> None:
    page = client.get(f"{API}/v1/fichas", params={"pageSize": 1}, headers=bearer(token)).json()
    query = json.loads(base64.urlsafe_b64decode(page["nextPageToken"] + "=="))["q"]
    _invalid_page_token(
        client.get(f"{API}/v1/fichas", params={"pageToken": _token_for(360, query)}, headers=bearer(token))
    )
    _invalid_page_token(
        client.get(
            f"{API}/v1/fichas",
            params={"pageToken": _token_for(True, query)},
            headers=bearer(token),
        )
    )
    fine = client.get(f"{API}/v1/fichas", params={"pageToken": _token_for(359, query)}, headers=bearer(token))
    assert len(fine.json()["fichas"]) == 1


# --- parameter validation -----------------------------------------------------------------------

_STRICT = re.compile(r"[+-]?[0-9]{1,18}")


def _conforming(name: str, value: str) -> bool:
    if not _STRICT.fullmatch(value):
        return False
    low = 1 if name == "pageSize" else 0
    return low <= int(value) <= INT32_MAX


def _garbage(name: str) -> st.SearchStrategy[str]:
    low = 1 if name == "pageSize" else 0
    text = st.text(st.characters(codec="utf-8"), max_size=24)
    return st.one_of(
        text,
        st.integers(max_value=low - 1).map(str),
        st.integers(min_value=INT32_MAX + 1, max_value=10**40).map(str),
        st.floats().map(repr),
        st.sampled_from(["", " 5", "5 ", "5\n", "٣", "１２", "0x10", "1e3", "9.5", "--1", "+-1", "Infinity"]),
    ).filter(lambda value: not _conforming(name, value))


@given(
    data=st.data(),
    target=st.sampled_from(
        [("/v1/fichas", "pageSize"), ("/v1/fichas", "atrasoMin"), ("/v1/credores", "pageSize")]
    ),
    valid_too=st.booleans(),
)
def test_any_non_conforming_integer_parameter_is_400_naming_it(
    data: st.DataObject, target: tuple[str, str], valid_too: bool
) -> None:
    client, token, _ = _small()
    path, name = target
    value = data.draw(_garbage(name), label=name)
    params = {name: value, "pageToken": ""}
    if valid_too and path == "/v1/fichas":  # a valid neighbour does not hide the invalid one
        params["atrasoMin" if name == "pageSize" else "pageSize"] = "10"
    response = client.get(f"{API}{path}", params=params, headers=bearer(token))
    assert response.status_code == 400, (value, response.text)
    body = response.json()
    assert body["details"][0]["reason"] == "INVALID_ARGUMENT"
    assert body["details"][0]["metadata"]["field"] == name
    assert f"'{name}'" in body["message"] and body["message"].startswith("Parâmetro inválido: ")


@given(value=st.text(st.sampled_from("0123456789abcdefABCDEFxyz-_.~"), min_size=1, max_size=40))
def test_a_ficha_id_that_is_not_a_uuid_is_400(value: str) -> None:
    try:
        is_uuid = len(value) == 36 and str(uuid.UUID(value)) == value.lower()
    except ValueError:
        is_uuid = False
    if is_uuid or value in (".", ".."):
        return
    client, token, _ = _small()
    response = client.get(f"{API}/v1/fichas/{value}", headers=bearer(token))
    assert response.status_code == 400, (value, response.text)
    assert response.json()["details"][0]["metadata"]["field"] == "id"


def test_the_documented_messages(client: httpx.Client, token: str) -> None:
    response = client.get(f"{API}/v1/fichas", params={"pageSize": "abc"}, headers=bearer(token))
    assert response.json()["message"] == (
        "Parâmetro inválido: query parameter 'pageSize' must be an integer, got 'abc'"
    )
    response = client.get(f"{API}/v1/fichas", params={"pageSize": 0}, headers=bearer(token))
    assert "'pageSize'" in response.json()["message"] and "minimum" in response.json()["message"]
    response = client.get(
        f"{API}/v1/fichas", params={"atrasoMin": -1, "pageSize": "x"}, headers=bearer(token)
    )
    assert "'atrasoMin'" in response.json()["message"] and "'pageSize'" in response.json()["message"]


def test_unknown_query_parameters_are_ignored(client: httpx.Client, token: str) -> None:
    assert (
        client.get(f"{API}/v1/fichas", params={"sort": "x", "pageSize": 1}, headers=bearer(token)).status_code
        == 200
    )


def test_well_formed_unknown_ficha_is_404(client: httpx.Client, token: str) -> None:
    response = client.get(f"{API}/v1/fichas/{uuid.UUID(int=1, version=4)}", headers=bearer(token))
    assert response.status_code == 404
    assert response.json()["details"][0]["reason"] == "NOT_FOUND"


# --- what the spec does not describe ------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v2/fichas"), ("GET", "/v1/fichas/"), ("GET", "/v1/fichas/a/b"), ("GET", "/"),
     ("POST", "/v1/x")],
)
def test_unknown_routes_are_404_in_the_banqer_shape(
    app: Starlette, token: str, method: str, path: str
) -> None:
    response = raw_client(app).request(method, f"{API}{path}", headers=bearer(token))
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    body = response.json()
    assert error_validator().is_valid(body)
    assert body["details"][0]["reason"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/fichas"),
        ("DELETE", f"/v1/fichas/{DOCUMENTED_FICHA_ID}"),
        ("PUT", "/v1/credores"),
        ("OPTIONS", "/v1/fichas"),
        ("TRACE", "/v1/credores"),
    ],
)
def test_methods_a_served_path_does_not_take_are_405_with_allow(
    app: Starlette, token: str, method: str, path: str
) -> None:
    # RFC 9110 15.5.6: 405 names the methods the resource serves (schemathesis's unsupported_method).
    response = raw_client(app).request(method, f"{API}{path}", headers=bearer(token))
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"
    body = response.json()
    assert error_validator().is_valid(body)
    assert body["details"][0]["reason"] == "METHOD_NOT_ALLOWED"


def test_head_is_served_like_get(app: Starlette, token: str) -> None:
    response = raw_client(app).head(f"{API}/v1/credores", headers=bearer(token))
    assert response.status_code == 200


# --- faults -------------------------------------------------------------------------------------


@given(
    times=st.integers(1, 5), extra=st.integers(0, 3), status=st.sampled_from([400, 401, 403, 429, 500, 503])
)
def test_a_fault_queued_times_n_on_fichas_fires_exactly_n_times(times: int, extra: int, status: int) -> None:
    client, token, _ = _small()
    client.delete("/__mock__/faults")
    created = client.post(
        "/__mock__/faults", json={"api": "banqer", "path": "/v1/fichas", "status": status, "times": times}
    )
    assert created.status_code == 201
    # the detail path does not match the fault's path
    assert client.get(f"{API}/v1/fichas/{DOCUMENTED_FICHA_ID}", headers=bearer(token)).status_code == 200
    responses = [
        client.get(f"{API}/v1/fichas", params={"pageSize": 1}, headers=bearer(token))
        for _ in range(times + extra + 1)
    ]
    assert [r.status_code for r in responses] == [status] * times + [200] * (extra + 1)
    for response in responses[:times]:
        assert error_validator().is_valid(response.json())
    if status == 429:
        assert responses[0].headers["retry-after"] == "1"
    assert client.get("/__mock__/faults").json()["faults"] == []
