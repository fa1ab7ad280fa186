"""The seeded data: deterministic bytes, Brazilian-realistic values, one data set per tenant."""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import subprocess
import sys
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from specmock.mocks.banqer import BanqerApi
from specmock.mocks.banqer.data import (
    REFERENCE_DATE,
    cnpj_is_valid,
    cpf_is_valid,
    generate,
    make_cnpj,
    make_cpf,
    tenant_data,
    tenant_seed,
)
from specmock.mocks.config import MockConfig
from tests.mocks.banqer.support import (
    API,
    DOCUMENTED_FICHA_ID,
    bearer,
    client_for,
    fetch_token,
    make_app,
    make_state,
    two_tenant_config,
    walk,
)


def first_page(
    config: MockConfig | None = None,
    tenant: str = "demo",
    client_id: str = "demo-client",
    secret: str = "demo-secret",
) -> bytes:
    client = client_for(make_app(config))
    token = fetch_token(client, client_id, secret, tenant)
    response = client.get(f"/banqer/{tenant}/v1/fichas?pageSize=200", headers=bearer(token))
    assert response.status_code == 200
    return response.content


def test_same_seed_gives_byte_identical_bodies() -> None:
    assert first_page(MockConfig(seed=11)) == first_page(MockConfig(seed=11))


def _digest(seed: int) -> str:
    data = generate(seed, "demo", 360)  # uncached
    text = json.dumps([data.credores, data.fichas], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def test_same_seed_is_identical_even_when_generated_from_scratch() -> None:
    assert _digest(5) == _digest(5) != _digest(6)


def test_same_seed_gives_the_same_bytes_in_another_process() -> None:
    code = "from tests.mocks.banqer.test_data import _digest; print(_digest(2024))"
    root = Path(__file__).resolve().parents[3]
    digests = {
        subprocess.run(
            [sys.executable, "-c", code],
            cwd=root,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for hash_seed in ("1", "2")
    }
    assert digests == {_digest(2024)}


def test_a_different_seed_gives_different_data() -> None:
    assert first_page(MockConfig(seed=11)) != first_page(MockConfig(seed=12))


def test_each_tenant_has_its_own_data() -> None:
    config = two_tenant_config()
    demo = first_page(config)
    acme = first_page(config, "acme", "acme-client", "acme-secret")
    assert demo != acme
    demo_data, acme_data = tenant_data(config.seed, "demo", 360), tenant_data(config.seed, "acme", 360)
    assert {c["idCredor"] for c in demo_data.credores}.isdisjoint(c["idCredor"] for c in acme_data.credores)
    # the documented ficha id is the one the two tenants share, so the vendor example runs on any tenant
    assert set(demo_data.by_id) & set(acme_data.by_id) == {DOCUMENTED_FICHA_ID}


def test_tenant_seed_is_stable_and_not_pythons_hash() -> None:
    assert tenant_seed(2024, "demo") == tenant_seed(2024, "demo")
    assert tenant_seed(2024, "demo") != tenant_seed(2024, "acme") != tenant_seed(2025, "acme")
    assert tenant_seed(2024, "demo") == int.from_bytes(
        hashlib.sha256(b"specmock-banqer:2024:demo").digest()[:8], "big"
    )


def test_reset_serves_the_same_data() -> None:
    app = make_app()
    client = client_for(app)
    before = client.get(f"{API}/v1/fichas?pageSize=200", headers=bearer(fetch_token(client))).content
    app.state.mock.reset()
    after = client.get(f"{API}/v1/fichas?pageSize=200", headers=bearer(fetch_token(client))).content
    assert before == after


@pytest.fixture(scope="module")
def demo() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    client = client_for(make_app())
    token = fetch_token(client)
    fichas, _ = walk(client, token, "/v1/fichas", {}, 200)
    credores = client.get(f"{API}/v1/credores", headers=bearer(token)).json()["credores"]
    return fichas, credores


def test_volume(demo: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> None:
    fichas, credores = demo
    assert len(fichas) == 360
    assert len(credores) >= 6
    used = {f["idCredor"] for f in fichas}
    assert used == {c["idCredor"] for c in credores}  # every credor has fichas; no dangling idCredor


def test_fichas_per_tenant_comes_from_the_config() -> None:
    client = client_for(make_app(MockConfig(banqer_fichas_per_tenant=17)))
    items, _ = walk(client, fetch_token(client), "/v1/fichas", {}, 200)
    assert len(items) == 17
    empty = client_for(make_app(MockConfig(banqer_fichas_per_tenant=0)))
    assert walk(empty, fetch_token(empty), "/v1/fichas", {}, 200)[0] == []


def test_documents_are_brazilian_and_valid(demo: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> None:
    fichas, credores = demo
    for credor in credores:
        assert cnpj_is_valid(credor["cpfCnpj"]), credor
        assert re.search(r"(S\.A\.|Ltda)$", credor["nome"]) or credor["nome"].startswith("Cooperativa")
    people = 0
    for ficha in fichas:
        document = ficha["devedor"]["cpfCnpj"]
        assert cpf_is_valid(document) or cnpj_is_valid(document), ficha
        people += len(document) == 11
        assert len(ficha["devedor"]["nome"].split()) >= 2
    assert 0.7 * len(fichas) < people < len(fichas)  # mostly people, some companies
    assert len({f["devedor"]["cpfCnpj"] for f in fichas}) == len(fichas)


def test_amounts_ages_dates_and_ids(demo: tuple[list[dict[str, Any]], list[dict[str, Any]]]) -> None:
    fichas, _ = demo
    dias = [f["diasAtraso"] for f in fichas]
    assert min(dias) == 0 and 600 <= max(dias) <= 720
    assert sum(d >= 90 for d in dias) > len(dias) / 3
    for ficha in fichas:
        saldo = ficha["saldoDevedor"]
        assert isinstance(saldo, float) and round(saldo, 2) == saldo
        assert re.fullmatch(r"-?\d+(\.\d{1,2})?", repr(saldo))
        due = date.fromisoformat(ficha["dataVencimento"])
        if ficha["situacao"] == "QUITADA":
            assert saldo == 0.0 and ficha["diasAtraso"] == 0 and due < REFERENCE_DATE
        else:
            assert 35 <= saldo <= 250_000
            assert ficha["diasAtraso"] == max(0, (REFERENCE_DATE - due).days)
            assert due <= REFERENCE_DATE + timedelta(days=30)
        assert ficha["situacao"] in ("EM_ABERTO", "EM_ACORDO", "QUITADA")
        parsed = uuid.UUID(ficha["idFichaCobranca"])
        assert parsed.version == 4 and str(parsed) == ficha["idFichaCobranca"]
        assert re.fullmatch(r"[1-9]\d{5}", ficha["idFichaCobrancaExibicao"])
    assert {f["situacao"] for f in fichas} == {"EM_ABERTO", "EM_ACORDO", "QUITADA"}
    assert len({f["idFichaCobrancaExibicao"] for f in fichas}) == len(fichas)
    assert DOCUMENTED_FICHA_ID in {f["idFichaCobranca"] for f in fichas}


@given(st.integers(0, 2**64))
def test_generated_cpf_and_cnpj_have_valid_check_digits(seed: int) -> None:
    rng = random.Random(seed)
    cpf, cnpj = make_cpf(rng), make_cnpj(rng)
    assert cpf_is_valid(cpf) and cnpj_is_valid(cnpj)
    broken_cpf = cpf[:10] + str((int(cpf[10]) + 1) % 10)
    broken_cnpj = cnpj[:12] + str((int(cnpj[12]) + 1) % 10) + cnpj[13]
    assert not cpf_is_valid(broken_cpf) and not cnpj_is_valid(broken_cnpj)


def test_check_digit_algorithms_on_known_documents() -> None:
    assert cpf_is_valid("52998224725") and cpf_is_valid("11144477735")
    assert not cpf_is_valid("11111111111") and not cpf_is_valid("52998224724")
    assert cnpj_is_valid("11222333000181") and cnpj_is_valid("99603082000126")
    assert not cnpj_is_valid("11222333000180")


def test_startup_is_cheap_and_data_is_built_on_first_use() -> None:
    state = make_state(MockConfig(seed=31337))
    api = state.apis["banqer"]
    assert isinstance(api, BanqerApi)
    assert api._data == {}
    first = api.data("demo")
    assert first is not None and len(first.fichas) == 360
    assert api.data("demo") is first
    assert api.data("nobody") is None
