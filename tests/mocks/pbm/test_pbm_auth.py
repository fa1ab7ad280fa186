"""createToken and the bearer check: claims, lifetimes, and the exact documented UNAUTHENTICATED body."""

from __future__ import annotations

import base64
import json
import string
import uuid
from dataclasses import replace

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from specmock.mocks.config import MockConfig
from specmock.mocks.pbm.data import cpf_is_valid
from specmock.mocks.pbm.settings import PbmAccount
from tests.mocks.pbm.support import (
    CREATE_TOKEN,
    Mock,
    assert_def,
    expected_unauthenticated,
    make_mock,
    minified,
    read_data,
)

MEDICINES = read_data("get-medicines-for-treatment-start.graphql")
CLAIM_ORDER = [
    "iat",
    "exp",
    "jti",
    "iss",
    "sub",
    "profiles",
    "name",
    "identity",
    "uuid",
    "email",
    "mobile_number",
    "authorized_app",
]


@pytest.fixture(scope="module")
def mock() -> Mock:
    return make_mock()


@pytest.fixture(autouse=True)
def _fresh(mock: Mock) -> None:
    mock.state.reset()


def _payload(token: str) -> dict[str, object]:
    segment = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))))


def test_documented_create_token_request_returns_an_rs256_jwt_with_the_public_claim_set(mock: Mock) -> None:
    response = mock.graphql(read_data("create-token.graphql"))
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["data"] and list(body["data"]) == ["createToken"]
    assert_def("CreateTokenSuccessResponse", body)
    token = body["data"]["createToken"]["token"]
    # The documented token's header, byte for byte: typ before alg, no kid.
    header = token.split(".")[0]
    assert base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)) == b'{"typ":"JWT","alg":"RS256"}'
    claims = mock.state.keys.verify(token)
    assert list(_payload(token)) == CLAIM_ORDER
    assert claims["iss"] == "SSO"
    assert claims["exp"] - claims["iat"] == 3600
    assert abs(claims["iat"] - mock.state.clock.now()) < 5
    assert len(claims["jti"]) == 16 and set(claims["jti"]) <= set(string.ascii_letters + string.digits)
    assert claims["sub"] == claims["uuid"] and uuid.UUID(claims["uuid"]).version == 4
    assert claims["profiles"]["master"] == []
    (cnpj,) = claims["profiles"]["point_of_sales_buyer"]
    assert len(cnpj) == 14 and cnpj.isdigit()
    assert cpf_is_valid(claims["identity"])
    assert len(claims["mobile_number"]) == 11 and claims["mobile_number"].isdigit()
    assert "@" in claims["email"] and claims["name"].count(" ") >= 1
    assert claims["authorized_app"] is True
    record = mock.state.tokens.active("pbm", claims["jti"], mock.state.clock.now())
    assert record is not None and record.expires_at == claims["exp"]


def test_claims_decode_with_the_public_key_alone(mock: Mock) -> None:
    token = mock.token()
    jwk = mock.state.keys.jwk()
    key = jwt.PyJWK(jwk).key
    claims = jwt.decode(token, key, algorithms=["RS256"], options={"verify_exp": False, "verify_iat": False})
    assert claims == mock.state.keys.verify(token)


def test_identity_claims_are_deterministic_per_account_and_seed_and_jti_is_not(mock: Mock) -> None:
    first, second = _payload(mock.token()), _payload(mock.token())
    assert first["jti"] != second["jti"]
    personal = ("sub", "uuid", "name", "identity", "email", "mobile_number", "profiles")
    assert {k: first[k] for k in personal} == {k: second[k] for k in personal}
    other_seed = make_mock(MockConfig(seed=7))
    assert _payload(other_seed.token())["uuid"] != first["uuid"]
    again = make_mock()
    assert {k: _payload(again.token())[k] for k in personal} == {k: first[k] for k in personal}


def test_token_lifetime_follows_the_config() -> None:
    short = make_mock(MockConfig(pbm_token_ttl=120))
    claims = _payload(short.token())
    assert claims["exp"] - claims["iat"] == 120
    token = short.token()
    exp = _payload(token)["exp"]
    # Move the clock relative to exp right before each call, so slow machines cannot blur the edge.
    short.state.clock.advance(max(0.0, exp - 0.5 - short.state.clock.now()))
    assert short.graphql(MEDICINES, token=token).json()["data"] is not None
    short.state.clock.advance(max(0.0, exp - short.state.clock.now()))
    assert short.graphql(MEDICINES, token=token).content == expected_unauthenticated(
        "WsAcesso_getMedicinesForTreatmentStart"
    )


def test_accounts_from_the_config_can_log_in() -> None:
    config = MockConfig()
    config = replace(
        config, pbm_accounts={**config.pbm_accounts, "farmacia": PbmAccount("farmacia", "s3gr3do")}
    )
    mock = make_mock(config)
    assert _payload(mock.token("farmacia", "s3gr3do"))["uuid"] != _payload(mock.token())["uuid"]
    assert "farmacia" in "\n".join(mock.api.banner("http://127.0.0.1:9"))


@pytest.mark.parametrize(
    ("login", "password"),
    [
        ("usuario_exemplo", "errada"),
        ("ninguem", "senha_exemplo"),
        ("", ""),
        ("usuario_exemplo", "senha_exemplo "),
    ],
)
def test_wrong_credentials_get_the_documented_shape_on_create_token(
    mock: Mock, login: str, password: str
) -> None:
    response = mock.graphql(CREATE_TOKEN, {"login": login, "password": password})
    assert response.status_code == 200
    assert response.content == expected_unauthenticated("createToken")
    assert password not in response.text or not password


def test_create_token_needs_no_authorization_and_ignores_a_bad_one(mock: Mock) -> None:
    response = mock.graphql(read_data("create-token.graphql"), headers={"Authorization": "Bearer nonsense"})
    assert response.status_code == 200 and response.json()["data"]["createToken"]["token"]


def test_documented_expired_token_body_is_reproduced_byte_for_byte(mock: Mock) -> None:
    """The seed's example, for its own root field: identical bytes (the doc's line breaks aside)."""
    token = mock.token()
    mock.state.clock.advance(3600)
    query = (
        "mutation { WsAcesso_insertOptinExternal(args: {programCode: 126, originCode: 37, "
        'cpf: "52998224725"}) { code message status } }'
    )
    response = mock.graphql(query, token=token)
    assert response.status_code == 200
    assert response.content == minified(read_data("unauthenticated-expired-token.json"))


def _other_key_token(claims: dict[str, object]) -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return jwt.encode(claims, pem, algorithm="RS256", headers={"typ": "JWT"})


@pytest.mark.parametrize(
    "case",
    [
        "absent",
        "empty",
        "basic-scheme",
        "no-scheme",
        "not-a-jwt",
        "garbage-segments",
        "expired",
        "expire-hook",
        "after-reset",
        "foreign-key",
        "other-api-token",
        "unsigned",
        "lower-case-bearer-of-expired",
    ],
)
def test_every_bad_token_gets_exactly_the_documented_body(mock: Mock, case: str) -> None:
    token = mock.token()
    headers: dict[str, str] = {}
    if case == "empty":
        headers["Authorization"] = ""
    elif case == "basic-scheme":
        headers["Authorization"] = f"Basic {token}"
    elif case == "no-scheme":
        headers["Authorization"] = token
    elif case == "not-a-jwt":
        headers["Authorization"] = "Bearer abc"
    elif case == "garbage-segments":
        headers["Authorization"] = "Bearer a.b.c"
    elif case in ("expired", "lower-case-bearer-of-expired"):
        mock.state.clock.advance(3600)
        scheme = "bearer" if case.startswith("lower") else "Bearer"
        headers["Authorization"] = f"{scheme} {token}"
    elif case == "expire-hook":
        assert mock.client.post("/__mock__/tokens/expire", json={"api": "pbm"}).json()["expired"] >= 1
        headers["Authorization"] = f"Bearer {token}"
    elif case == "after-reset":
        assert mock.client.post("/__mock__/reset").status_code == 200
        headers["Authorization"] = f"Bearer {token}"
    elif case == "foreign-key":
        headers["Authorization"] = f"Bearer {_other_key_token(mock.state.keys.verify(token))}"
    elif case == "other-api-token":
        claims = {**mock.state.keys.verify(token), "jti": "x" * 16}
        headers["Authorization"] = f"Bearer {mock.state.keys.sign(claims)}"
    elif case == "unsigned":
        claims = mock.state.keys.verify(token)
        headers["Authorization"] = f"Bearer {jwt.encode(claims, None, algorithm='none')}"
    response = mock.client.post("/pbm/graphql", json={"query": MEDICINES}, headers=headers)
    assert response.status_code == 200
    assert response.content == expected_unauthenticated("WsAcesso_getMedicinesForTreatmentStart")


def test_the_same_token_works_again_after_a_good_request(mock: Mock) -> None:
    token = mock.token()
    lower = mock.client.post(
        "/pbm/graphql", json={"query": MEDICINES}, headers={"authorization": f"bearer {token}"}
    )
    assert lower.json()["data"]["WsAcesso_getMedicinesForTreatmentStart"]["code"] == 0
    for _ in range(3):
        assert mock.graphql(MEDICINES, token=token).json()["data"] is not None


def test_several_root_fields_report_the_first_one_that_needs_the_token(mock: Mock) -> None:
    """Documented choice: like graphql-js, execution stops at the first failing non-null root field."""
    query = """
      query {
        __typename
        b: WsAcesso_listNestedQuestions(args: {programCode: 126, parentBeneficiaryQuestionCode: 99}) { code }
        WsAcesso_getMedicinesForTreatmentStart(args: {programCode: 126, originCode: 37}) { code }
      }"""
    response = mock.graphql(query)
    assert response.content == expected_unauthenticated("WsAcesso_listNestedQuestions")


def test_a_mutation_list_fails_at_the_first_protected_field_even_after_create_token(mock: Mock) -> None:
    query = """
      mutation {
        createToken(login: "usuario_exemplo", password: "senha_exemplo") { token }
        WsAcesso_updatePatient(args: {programCode: 126, originCode: 37, cpf: "52998224725"}) { code }
      }"""
    response = mock.graphql(query)
    assert response.content == expected_unauthenticated("WsAcesso_updatePatient")


def test_aliases_still_name_the_root_field_in_the_path(mock: Mock) -> None:
    query = (
        "{ remedios: WsAcesso_getMedicinesForTreatmentStart(args: {programCode: 126, originCode: 37}) "
        "{ code } }"
    )
    assert mock.graphql(query).content == expected_unauthenticated("WsAcesso_getMedicinesForTreatmentStart")
    data = mock.data(query, token=mock.token())
    assert data == {"remedios": {"code": 0}}


def test_introspection_and_typename_need_no_token(mock: Mock) -> None:
    data = mock.data("{ __typename __schema { queryType { name } mutationType { name } } }")
    assert data["__schema"] == {"queryType": {"name": "Query"}, "mutationType": {"name": "Mutation"}}


def test_full_introspection_matches_the_sdl(mock: Mock) -> None:
    import graphql

    from tests.mocks.pbm.support import SDL

    data = mock.data(graphql.get_introspection_query(descriptions=True))
    rebuilt = graphql.build_client_schema(data)
    assert graphql.print_schema(rebuilt) == graphql.print_schema(graphql.build_schema(SDL))


def test_a_cached_query_result_still_checks_the_token(mock: Mock) -> None:
    token = mock.token()
    first = mock.graphql(MEDICINES, token=token)
    assert first.json()["data"] is not None
    mock.state.clock.advance(3600)
    assert mock.graphql(MEDICINES, token=token).content == expected_unauthenticated(
        "WsAcesso_getMedicinesForTreatmentStart"
    )
    assert mock.graphql(MEDICINES, token=mock.token()).content == first.content
