"""Seeded, Brazilian-realistic credores and fichas de cobrança, one data set per tenant.

Everything is derived from ``(seed, tenant, fichas_per_tenant)``: the tenant is mixed into the seed
with SHA-256 (not Python's salted ``hash()``), so the same seed gives byte-identical bodies in every
run, and each tenant gets its own data. Dates are relative to the fixed :data:`REFERENCE_DATE`,
never to today, so bodies do not change from one day to the next.

A data set is built once per key and cached (:func:`tenant_data`); it is immutable from then on,
which makes a reset free and lets the request path hand out the stored dicts without copying.
The documented id ``8aa4b425-5fed-4cea-b970-044b36ea9d73`` (Banqer's Node.js example) is a ficha
of every tenant, so the vendor's example runs unchanged against any configured tenant.
"""

from __future__ import annotations

import hashlib
import math
import random
import threading
import uuid
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

__all__ = [
    "CREDORES_PER_TENANT",
    "DOCUMENTED_FICHA_ID",
    "REFERENCE_DATE",
    "SITUACOES",
    "TenantData",
    "cnpj_is_valid",
    "cpf_is_valid",
    "tenant_data",
    "tenant_seed",
]

#: "Today" for every generated date: ``dataVencimento`` = this date minus ``diasAtraso``.
REFERENCE_DATE = date(2025, 6, 30)
#: The ficha id used by Banqer's Node.js example (``GET /v1/fichas/8aa4b425-…``).
DOCUMENTED_FICHA_ID = "8aa4b425-5fed-4cea-b970-044b36ea9d73"
CREDORES_PER_TENANT = 8
SITUACOES = ("EM_ABERTO", "EM_ACORDO", "QUITADA")

_SEGMENTS = (
    ("Financeira", "S.A."),
    ("Banco", "S.A."),
    ("Rede de Farmácias", "Ltda"),
    ("Colégio", "Ltda"),
    ("Faculdade", "Ltda"),
    ("Clínica Médica", "Ltda"),
    ("Construtora", "Ltda"),
    ("Distribuidora", "Ltda"),
    ("Imobiliária", "Ltda"),
    ("Telecom", "S.A."),
    ("Cooperativa de Crédito", ""),
    ("Lojas", "S.A."),
    ("Academia", "Ltda"),
    ("Auto Peças", "Ltda"),
)
_WORDS = (
    "Horizonte",
    "Bom Preço",
    "Aliança",
    "Progresso",
    "Nova Era",
    "Boa Vista",
    "Primavera",
    "Planalto",
    "Litoral",
    "Serra Azul",
    "Santa Clara",
    "São Jorge",
    "Vale Verde",
    "Três Rios",
    "Ipê Amarelo",
    "Estrela do Sul",
    "Bandeirantes",
    "Guanabara",
)
_PJ_ACTIVITIES = ("Comércio", "Serviços", "Transportes", "Alimentos", "Materiais de Construção", "Confecções")
_PJ_SUFFIXES = ("Ltda", "ME", "EPP", "S.A.")

_LOCK = threading.Lock()


def tenant_seed(seed: int, tenant: str) -> int:
    """A 64-bit seed for ``tenant``: stable across runs and Python versions."""
    digest = hashlib.sha256(f"specmock-banqer:{seed}:{tenant}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


# --- CPF / CNPJ --------------------------------------------------------------------------------


def _cpf_digit(digits: list[int]) -> int:
    weight = len(digits) + 1
    total = sum(d * (weight - i) for i, d in enumerate(digits))
    rest = (total * 10) % 11
    return 0 if rest == 10 else rest


def _cnpj_digit(digits: list[int]) -> int:
    weights = [6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2][-len(digits) :]
    rest = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
    return 0 if rest < 2 else 11 - rest


def make_cpf(rng: random.Random) -> str:
    while True:
        digits = [rng.randrange(10) for _ in range(9)]
        if len(set(digits)) > 1:
            break
    digits.append(_cpf_digit(digits))
    digits.append(_cpf_digit(digits))
    return "".join(map(str, digits))


def make_cnpj(rng: random.Random) -> str:
    digits = [rng.randrange(10) for _ in range(8)] + [0, 0, 0, 1]
    if len(set(digits[:8])) == 1:
        digits[0] = (digits[0] + 1) % 10
    digits.append(_cnpj_digit(digits))
    digits.append(_cnpj_digit(digits))
    return "".join(map(str, digits))


def cpf_is_valid(cpf: str) -> bool:
    if len(cpf) != 11 or not cpf.isascii() or not cpf.isdigit() or len(set(cpf)) == 1:
        return False
    digits = [int(c) for c in cpf]
    return _cpf_digit(digits[:9]) == digits[9] and _cpf_digit(digits[:10]) == digits[10]


def cnpj_is_valid(cnpj: str) -> bool:
    if len(cnpj) != 14 or not cnpj.isascii() or not cnpj.isdigit() or len(set(cnpj)) == 1:
        return False
    digits = [int(c) for c in cnpj]
    return _cnpj_digit(digits[:12]) == digits[12] and _cnpj_digit(digits[:13]) == digits[13]


# --- the data set ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TenantData:
    """One tenant's credores and fichas, indexed for the request path. Treat as read-only."""

    tenant: str
    credores: tuple[dict[str, Any], ...]
    #: Sorted by ``diasAtraso`` descending, then ``idFichaCobrancaExibicao`` ascending.
    fichas: tuple[dict[str, Any], ...]
    by_id: dict[str, dict[str, Any]] = field(repr=False)
    _neg_dias: tuple[int, ...] = field(repr=False)

    def count_atraso_min(self, atraso_min: int) -> int:
        """How many fichas (a prefix of :attr:`fichas`) have ``diasAtraso >= atraso_min``."""
        return bisect_right(self._neg_dias, -atraso_min)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _person(fake: Any, rng: random.Random) -> str:
    name = f"{fake.first_name()} {fake.last_name()}"
    if rng.random() < 0.55:
        name += f" {fake.last_name()}"
    return str(name)


def _credores(fake: Any, rng: random.Random) -> list[dict[str, Any]]:
    segments = rng.sample(_SEGMENTS, CREDORES_PER_TENANT)
    names: set[str] = set()
    credores = []
    for segment, suffix in segments:
        while True:
            word = fake.last_name() if rng.random() < 0.4 else rng.choice(_WORDS)
            nome = " ".join(p for p in (segment, word, suffix) if p)
            if nome not in names:
                names.add(nome)
                break
        credores.append({"idCredor": _uuid(rng), "nome": nome, "cpfCnpj": make_cnpj(rng)})
    return credores


def _dias_atraso(rng: random.Random) -> int:
    bucket = rng.random()
    if bucket < 0.12:
        return 0
    if bucket < 0.37:
        return rng.randint(1, 60)
    if bucket < 0.62:
        return rng.randint(61, 180)
    if bucket < 0.84:
        return rng.randint(181, 365)
    return rng.randint(366, 720)


def _ficha(fake: Any, rng: random.Random, display: int, credor: dict[str, Any]) -> dict[str, Any]:
    ficha_id = _uuid(rng)
    roll = rng.random()
    situacao = "QUITADA" if roll < 0.06 else "EM_ACORDO" if roll < 0.28 else "EM_ABERTO"
    if rng.random() < 0.12:
        activity = rng.choice(_PJ_ACTIVITIES)
        devedor = {
            "nome": f"{fake.last_name()} {activity} {rng.choice(_PJ_SUFFIXES)}",
            "cpfCnpj": make_cnpj(rng),
        }
    else:
        devedor = {"nome": _person(fake, rng), "cpfCnpj": make_cpf(rng)}
    cents = int(min(max(rng.lognormvariate(math.log(1500), 1.1), 35.0), 250_000.0) * 100)
    if situacao == "QUITADA":
        # Paid off: nothing owed, nothing overdue; the due date stays in the past.
        dias, saldo = 0, 0.0
        vencimento = REFERENCE_DATE - timedelta(days=rng.randint(30, 720))
    else:
        dias, saldo = _dias_atraso(rng), cents / 100
        # Not overdue yet: due within the next 30 days.
        offset = dias if dias > 0 else -rng.randint(0, 30)
        vencimento = REFERENCE_DATE - timedelta(days=offset)
    return {
        "idFichaCobranca": ficha_id,
        "idFichaCobrancaExibicao": str(display),
        "saldoDevedor": saldo,
        "diasAtraso": dias,
        "idCredor": credor["idCredor"],
        "devedor": devedor,
        "situacao": situacao,
        "dataVencimento": vencimento.isoformat(),
    }


def generate(seed: int, tenant: str, fichas: int) -> TenantData:
    """Build a tenant's data set (uncached; use :func:`tenant_data`)."""
    from faker import Faker  # imported here: the first request pays for it, not the start-up

    mixed = tenant_seed(seed, tenant)
    rng = random.Random(mixed)
    fake = Faker("pt_BR")
    fake.seed_instance(mixed)
    credores = _credores(fake, rng)
    weights = [1 / (i + 1) ** 0.8 for i in range(len(credores))]
    display = 100_000 + rng.randrange(400_000)
    items = []
    for index in range(fichas):
        display += rng.randint(1, 37)
        credor = rng.choices(credores, weights)[0]
        ficha = _ficha(fake, rng, display, credor)
        if index == 0:
            ficha["idFichaCobranca"] = DOCUMENTED_FICHA_ID
        items.append(ficha)
    items.sort(key=lambda f: (-f["diasAtraso"], int(f["idFichaCobrancaExibicao"])))
    credores.sort(key=lambda c: c["nome"])
    return TenantData(
        tenant=tenant,
        credores=tuple(credores),
        fichas=tuple(items),
        by_id={f["idFichaCobranca"]: f for f in items},
        _neg_dias=tuple(-f["diasAtraso"] for f in items),
    )


@lru_cache(maxsize=32)
def _cached(seed: int, tenant: str, fichas: int) -> TenantData:
    return generate(seed, tenant, fichas)


def tenant_data(seed: int, tenant: str, fichas: int) -> TenantData:
    """The data set for ``(seed, tenant, fichas)``, built on first use and shared afterwards."""
    with _LOCK:
        return _cached(seed, tenant, fichas)
