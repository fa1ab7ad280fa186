"""Bad input on every Banqer endpoint (the API and its realm) never breaks the mock.

Requests come from schemathesis's negative mode (schema-violating parameters and bodies) and from
the suite's own strategies: odd query values, forged or mangled tokens, hostile ids and tenants,
other methods with arbitrary bodies, token requests with any form, content type or Basic header.
Every answer is a bounded non-5xx in Banqer's ``{message, details[{reason}]}`` shape (the realm's
``{error, error_description}`` under ``/banqer-auth``); see :func:`support.check`.
"""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from tests.robustness import support
from tests.robustness.support import REALM_TOKEN, Served, bearer, checked

API = "/banqer/demo"
API_OPERATIONS = {"listCredores": "/v1/credores", "listFichas": "/v1/fichas", "getFicha": "/v1/fichas/{id}"}
REALM_OPERATIONS = ["createToken", "getOpenidConfiguration", "getJwks"]
QUERY_NAMES = ["pageSize", "pageToken", "atrasoMin", "PageSize", "page_size", "filter", "id", "tenant", ""]
REALM_PATHS = [
    "/protocol/openid-connect/token",
    "/.well-known/openid-configuration",
    "/protocol/openid-connect/certs",
    "",
    "/protocol/openid-connect/token/introspect",
    "/protocol/openid-connect/revoke",
    "/protocol/openid-connect/logout",
    "/protocol/openid-connect/userinfo",
]
FORM_KEYS = ["grant_type", "client_id", "client_secret", "scope", "audience", "refresh_token", "username"]
HOSTILE_IDS = [
    "..%2F..%2F__mock__%2Freset",
    "..%2F..%2F..%2F__mock__%2Freset",
    "%2e%2e%2f%2e%2e%2f__mock__%2freset",
    "%00",
    "a%00b",
    "%0d%0aSet-Cookie:%20x=1",
    "%ff%fe",
    "%C0%AE%C0%AE",
    "%25",
    "%2F",
    "%5C..%5C",
    "a" * 8000,
    "8aa4b425-5fed-4cea-b970-044b36ea9d73%00",
    quote("😀" * 500, safe=""),
    "%E2%80%AE",
]


@pytest.fixture(scope="module")
def token(client: httpx.Client) -> str:
    return support.banqer_token(client)


@pytest.fixture(scope="module")
def forged(token: str) -> list[str]:
    """Tokens that look right but must be refused: other key, other algorithm, other tenant, expired."""
    claims = jwt.decode(token, options={"verify_signature": False})
    header = jwt.get_unverified_header(token)
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    variants = [
        jwt.encode(claims, other_key, algorithm="RS256", headers=header),
        jwt.encode(claims, "s" * 64, algorithm="HS256", headers={"kid": header["kid"]}),
        jwt.encode({**claims, "iss": claims["iss"].replace("/demo", "/outro")}, other_key, algorithm="RS256"),
        jwt.encode({**claims, "exp": now - 10}, other_key, algorithm="RS256", headers=header),
    ]
    head, payload, signature = token.split(".")
    unsigned = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    variants += [
        f"{unsigned}.{payload}.",
        f"{head}.{payload}.{signature[:-4]}AAAA",
        f"{head}.{payload}",
        f"{head}..{signature}",
        token[::-1],
        token + ".",
        token.upper(),
    ]
    return variants


# -- schemathesis negative mode ----------------------------------------------------------------------


def _negative(spec: str, operation_ids: list[str]) -> dict[str, Any]:
    operations = support.openapi_operations(spec)
    return {op: operations[op].as_strategy(generation_mode=GenerationMode.NEGATIVE) for op in operation_ids}


#: Built at import: schemathesis imports parts of itself lazily, which must not happen inside a test.
NEGATIVE = {
    "banqer": _negative("banqer", list(API_OPERATIONS)),
    "banqer-auth": _negative("banqer-auth", REALM_OPERATIONS),
}


@pytest.mark.parametrize("operation_id", list(API_OPERATIONS))
@settings(max_examples=support.examples(), suppress_health_check=support.SUPPRESS)
@given(data=st.data())
def test_negative_cases_on_the_api(
    mock: Served, client: httpx.Client, token: str, operation_id: str, data: st.DataObject
) -> None:
    case = data.draw(NEGATIVE["banqer"][operation_id])
    response = support.send_case(client, case, f"{mock.url}{API}", bearer(token))
    checked(mock, response, "banqer")
    assert response.status_code in (200, 400, 404), response.text


@pytest.mark.parametrize("operation_id", REALM_OPERATIONS)
@settings(max_examples=support.examples(), suppress_health_check=support.SUPPRESS)
@given(data=st.data())
def test_negative_cases_on_the_realm(
    mock: Served, client: httpx.Client, operation_id: str, data: st.DataObject
) -> None:
    case = data.draw(NEGATIVE["banqer-auth"][operation_id])
    response = support.send_case(client, case, f"{mock.url}/banqer-auth")
    checked(mock, response, "banqer-auth")


# -- the API ----------------------------------------------------------------------------------------


def _path(template: str, ficha_id: str = "8aa4b425-5fed-4cea-b970-044b36ea9d73") -> str:
    return API + template.replace("{id}", ficha_id)


@pytest.mark.parametrize("operation_id", list(API_OPERATIONS))
@settings(max_examples=support.examples(), suppress_health_check=support.SUPPRESS)
@given(
    params=st.lists(
        st.tuples(st.sampled_from(QUERY_NAMES) | support.text_values(10), support.text_values()), max_size=6
    )
)
def test_any_query_string(
    mock: Served, client: httpx.Client, token: str, operation_id: str, params: list[tuple[str, str]]
) -> None:
    response = client.get(_path(API_OPERATIONS[operation_id]), params=params, headers=bearer(token))
    checked(mock, response)
    assert response.status_code in (200, 400, 404), response.text


@pytest.mark.parametrize("operation_id", list(API_OPERATIONS))
@settings(max_examples=support.examples(), suppress_health_check=support.SUPPRESS)
@given(data=st.data())
def test_any_authorization_is_refused_with_401(
    mock: Served, client: httpx.Client, forged: list[str], operation_id: str, data: st.DataObject
) -> None:
    value = data.draw(
        st.one_of(
            support.header_values(),
            st.sampled_from(forged).map(lambda t: f"Bearer {t}".encode()),
            st.sampled_from(forged)
            .flatmap(
                lambda t: st.sampled_from(
                    [f"bearer  {t}", f"Bearer {t} x", f"Token {t}", f"Basic {t}", f"Bearer\t{t}"]
                )
            )
            .map(str.encode),
        )
    )
    response = client.get(_path(API_OPERATIONS[operation_id]), headers={"Authorization": value})
    checked(mock, response)
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"].startswith("Bearer ")


@settings(max_examples=support.examples(), suppress_health_check=support.SUPPRESS)
@given(
    ficha_id=st.sampled_from(HOSTILE_IDS) | st.text(min_size=1, max_size=300).map(lambda t: quote(t, safe=""))
)
def test_any_ficha_id(mock: Served, client: httpx.Client, token: str, ficha_id: str) -> None:
    response = client.get(httpx.URL(f"{mock.url}{API}/v1/fichas/{ficha_id}"), headers=bearer(token))
    checked(mock, response)
    assert response.status_code in (200, 400, 404), response.text
    if "__mock__" in ficha_id:
        assert response.status_code == 404
        assert mock.state.journal.total > 0  # the admin reset (which empties the journal) was not reached


@settings(max_examples=support.examples(), suppress_health_check=support.SUPPRESS)
@given(
    tenant=st.sampled_from(
        [
            "%00",
            "%0d%0a",
            "%22",
            "%5C",
            "%ff",
            "DEMO",
            "demo%20",
            "a" * 3000,
            "%E2%80%AE",
            "x%0d%0aSet-Cookie:%20a=1",
            "%7F",
            "%09",
        ]
    )
    | st.text(min_size=1, max_size=80).map(lambda t: quote(t, safe="")),
    template=st.sampled_from(list(API_OPERATIONS.values())),
    authenticated=st.booleans(),
)
def test_any_tenant_on_the_api(
    mock: Served, client: httpx.Client, token: str, tenant: str, template: str, authenticated: bool
) -> None:
    url = httpx.URL(f"{mock.url}/banqer/{tenant}{template.replace('{id}', str(uuid.uuid4()))}")
    response = client.get(url, headers=bearer(token) if authenticated else {})
    checked(mock, response)
    assert response.status_code in (200, 401, 404), response.text


@settings(max_examples=support.examples(), suppress_health_check=support.SUPPRESS)
@given(
    method=st.sampled_from(["POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "TRACE", "PROPFIND", "GET"]),
    template=st.sampled_from(
        [*API_OPERATIONS.values(), "/v1", "/", "/v1/fichas/", "/v2/fichas", "/v1/credores/x"]
    ),
    body=support.json_bodies(["pageSize", "atrasoMin"]),
    content_type=support.content_types(),
    authenticated=st.booleans(),
)
def test_any_method_and_body(
    mock: Served,
    client: httpx.Client,
    token: str,
    method: str,
    template: str,
    body: bytes,
    content_type: str | None,
    authenticated: bool,
) -> None:
    headers = {"Content-Type": content_type} if content_type is not None else {}
    if authenticated:
        headers.update(bearer(token))
    response = client.request(method, _path(template), content=body, headers=headers)
    checked(mock, response)


HEADER_NAMES = [
    "Accept",
    "Prefer",
    "Content-Type",
    "Host",
    "X-Forwarded-For",
    "X-Forwarded-Proto",
    "Forwarded",
    "Cookie",
    "Origin",
    "If-None-Match",
    "Range",
    "Accept-Language",
    "X-Request-Id",
    "Authorization",
]
PREFER = [
    "code=429",
    "code=0429",
    "code=99999",
    "code=abc",
    "code=",
    "code=100",
    "code=204",
    "code=599",
    "code=429;code=503",
    "return=minimal, code=503",
    "CODE=503",
    "code = 503",
    "code=5e2",
]
ALL_OPERATIONS = [
    *(("GET", _path(t)) for t in API_OPERATIONS.values()),
    ("POST", REALM_TOKEN),
    ("GET", "/banqer-auth/realms/demo/.well-known/openid-configuration"),
    ("GET", "/banqer-auth/realms/demo/protocol/openid-connect/certs"),
]


@pytest.mark.parametrize(("method", "path"), ALL_OPERATIONS)
@settings(max_examples=support.examples(), suppress_health_check=support.SUPPRESS)
@given(
    headers=st.dictionaries(
        st.sampled_from(HEADER_NAMES),
        st.sampled_from(PREFER).map(str.encode) | support.header_values(),
        max_size=4,
    )
)
def test_any_headers(
    mock: Served, client: httpx.Client, token: str, method: str, path: str, headers: dict[str, bytes]
) -> None:
    sent: dict[str, Any] = {"Authorization": f"Bearer {token}", **headers}
    form = {"grant_type": "client_credentials", "client_id": "demo-client", "client_secret": "demo-secret"}
    response = client.request(method, path, headers=sent, data=form if method == "POST" else None)
    prefer = headers.get("Prefer", b"").decode("latin-1").replace(" ", "").lower()
    if response.status_code >= 500 and f"code={response.status_code}" in prefer:  # asked for: still its shape
        support.ERROR_SHAPES[support.api_of(path)](response)
        mock.assert_no_server_errors()
    else:
        checked(mock, response)


# -- the realm --------------------------------------------------------------------------------------


@settings(max_examples=support.examples(), suppress_health_check=support.SUPPRESS)
@given(
    pairs=st.lists(
        st.tuples(
            st.sampled_from(FORM_KEYS) | support.text_values(10),
            st.sampled_from(["client_credentials", "demo-client", "demo-secret", "password"])
            | support.text_values(),
        ),
        max_size=8,
    ),
    basic=st.none() | support.header_values(),
)
def test_any_token_form(
    mock: Served, client: httpx.Client, pairs: list[tuple[str, str]], basic: bytes | None
) -> None:
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        **({"Authorization": basic} if basic else {}),
    }
    response = client.post(REALM_TOKEN, content=urlencode(pairs), headers=headers)
    checked(mock, response)
    assert response.status_code in (200, 400, 401), response.text


@settings(max_examples=support.examples(), suppress_health_check=support.SUPPRESS)
@given(body=support.json_bodies(FORM_KEYS) | st.binary(max_size=200), content_type=support.content_types())
def test_any_token_body_and_content_type(
    mock: Served, client: httpx.Client, body: bytes, content_type: str | None
) -> None:
    headers = {"Content-Type": content_type} if content_type is not None else {}
    response = client.post(REALM_TOKEN, content=body, headers=headers)
    checked(mock, response)
    assert response.status_code in (400, 401), response.text


@settings(max_examples=support.examples(), suppress_health_check=support.SUPPRESS)
@given(
    credentials=st.tuples(
        st.sampled_from(["demo-client", "demo-credores", ""]) | st.text(max_size=30),
        st.sampled_from(["demo-secret", ""]) | st.text(max_size=30),
    ),
    separator=st.sampled_from([":", "", "::", "%3A"]),
    encode=st.sampled_from(["utf-8", "latin-1", "raw"]),
    grant=st.sampled_from(["client_credentials", "", "password", "client_credentials\x00"]),
)
def test_any_basic_credentials(
    mock: Served, client: httpx.Client, credentials: tuple[str, str], separator: str, encode: str, grant: str
) -> None:
    text = f"{credentials[0]}{separator}{credentials[1]}"
    value = text if encode == "raw" else base64.b64encode(text.encode(encode, "replace")).decode("ascii")
    header = support.sendable_header(f"Basic {value}".encode().decode("latin-1"))
    response = client.post(REALM_TOKEN, data={"grant_type": grant}, headers={"Authorization": header})
    checked(mock, response)
    assert response.status_code in (200, 400, 401), response.text


@settings(max_examples=support.examples(), suppress_health_check=support.SUPPRESS)
@given(
    tenant=st.sampled_from(["%00", "%0d%0a", "%22", "%ff", "DEMO", "a" * 3000, "x%0d%0aSet-Cookie:%20a=1"])
    | st.text(min_size=1, max_size=80).map(lambda t: quote(t, safe="")),
    suffix=st.sampled_from(REALM_PATHS),
    method=st.sampled_from(["GET", "POST", "DELETE", "PUT"]),
    query=st.lists(st.tuples(support.text_values(10), support.text_values()), max_size=3),
)
def test_any_realm_and_method(
    mock: Served, client: httpx.Client, tenant: str, suffix: str, method: str, query: list[tuple[str, str]]
) -> None:
    url = httpx.URL(f"{mock.url}/banqer-auth/realms/{tenant}{suffix}")
    response = client.request(
        method,
        url,
        params=query,
        data={"grant_type": "client_credentials", "client_id": "demo-client", "client_secret": "demo-secret"}
        if method == "POST"
        else None,
    )
    checked(mock, response)
    # 405: a method the path does not take (with Allow)
    assert response.status_code in (200, 400, 401, 404, 405), response.text


# -- explicit hostile requests ------------------------------------------------------------------------


@pytest.mark.parametrize("ficha_id", HOSTILE_IDS)
def test_hostile_ids_are_the_apis_own_404(
    mock: Served, client: httpx.Client, token: str, ficha_id: str
) -> None:
    before = mock.state.journal.total
    response = checked(
        mock, client.get(httpx.URL(f"{mock.url}{API}/v1/fichas/{ficha_id}"), headers=bearer(token))
    )
    assert response.status_code in (400, 404), response.text
    assert mock.state.journal.total >= before  # the admin reset (which empties the journal) was not reached


@pytest.mark.parametrize("tenant", ["%00", "%0d%0aX-Injected:%201", "%22%2C%20error%3D%22x", "%ff", "%7F"])
def test_tenant_in_the_challenge_cannot_inject_headers(
    mock: Served, client: httpx.Client, tenant: str
) -> None:
    response = checked(mock, client.get(httpx.URL(f"{mock.url}/banqer/{tenant}/v1/fichas")))
    assert response.status_code in (401, 404)
    assert "x-injected" not in response.headers
    challenge = response.headers.get("www-authenticate", "")
    assert all(" " <= c <= "~" for c in challenge), challenge
