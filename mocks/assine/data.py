"""The users and business units of the mock: the configured accounts plus deterministic seeded users.

The configured accounts (``AssineSettings.users``: the account of the vendor's examples, the PJ
demo ``demo@empresa.example`` with a business unit, the PF demo ``pf@pessoa.example`` without one,
and any from the config file) can log in. The vendor's account is the user its public listing
shows, member for member (id 474, business unit 24); the other accounts are generated like the
seeded users. ``AssineSettings.seeded_users`` more users are generated with Faker ``pt_BR`` seeded by
``config.seed`` — realistic names, valid CPFs, capital cities with their UF, DDD and CEP prefix,
cellphones, PHP ``DateTime`` dates — so listings, pages and filters have something to chew on.
About half of them belong to the demo PJ's business unit, some to three other companies, the rest
are PF accounts. Seeded users have no password: they are data, not logins.

The data set is immutable, built once per ``(seed, accounts, count)`` and shared; each user keeps
its entity members (without links) and its filter row ready, so a listing only adds links.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from specmock.mocks.assine.hal import date_text, parse_input_date, php_date
from specmock.mocks.assine.settings import DOCUMENTED_EMAIL, AssineUser

__all__ = ["DOCUMENTED_USER_ID", "USER_FIELDS", "BusinessUnit", "Directory", "User", "build_directory",
           "directory"]

FIRST_USER_ID = 474
FIRST_UNIT_ID = 24
#: The id of the vendor's example account when it is configured (it is by default): the first one.
DOCUMENTED_USER_ID = FIRST_USER_ID
EPOCH_2019 = 1546300800  # 2019-01-01 00:00:00 UTC

#: Filterable/sortable fields of ``/v1/user`` and their kinds; ``businessUnit`` takes the unit's id.
USER_FIELDS: dict[str, str] = {
    "id": "int", "username": "str", "status": "str", "name": "str", "email": "str", "cellphone": "str",
    "document": "str", "country": "str", "state": "str", "city": "str", "address": "str", "zipCode": "str",
    "position": "str", "whatsappNumber": "str", "notifyWhatsapp": "bool", "roleDefault": "str",
    "dateCreated": "date", "dateLastUpdated": "date", "businessUnit": "int",
}

# (city, UF, DDD, first two digits of the CEP)
CITIES: tuple[tuple[str, str, str, str], ...] = (
    ("São Paulo", "SP", "11", "01"), ("Rio de Janeiro", "RJ", "21", "20"),
    ("Belo Horizonte", "MG", "31", "30"),
    ("Goiânia", "GO", "62", "74"), ("Brasília", "DF", "61", "70"), ("Salvador", "BA", "71", "40"),
    ("Curitiba", "PR", "41", "80"), ("Porto Alegre", "RS", "51", "90"), ("Recife", "PE", "81", "50"),
    ("Fortaleza", "CE", "85", "60"), ("Florianópolis", "SC", "48", "88"), ("Manaus", "AM", "92", "69"),
    ("Belém", "PA", "91", "66"), ("Vitória", "ES", "27", "29"), ("Campinas", "SP", "19", "13"),
    ("Natal", "RN", "84", "59"), ("João Pessoa", "PB", "83", "58"), ("Maceió", "AL", "82", "57"),
    ("Aracaju", "SE", "79", "49"), ("Teresina", "PI", "86", "64"), ("São Luís", "MA", "98", "65"),
    ("Cuiabá", "MT", "65", "78"), ("Campo Grande", "MS", "67", "79"), ("Palmas", "TO", "63", "77"),
    ("Uberlândia", "MG", "34", "38"), ("Ribeirão Preto", "SP", "16", "14"), ("Anápolis", "GO", "62", "75"),
)
SEGMENTS = ("Tecnologia", "Jurídico", "Imobiliário", "Saúde", "Educação", "Financeiro", "Varejo")
STREETS = ("Rua", "Avenida", "Alameda", "Travessa", "Praça")
POSITIONS = ("vendas", "financeiro", "jurídico", "recursos humanos", "diretoria", "compras", "operações")


@dataclass(frozen=True)
class BusinessUnit:
    """A company (PJ account): the ``_embedded.businessUnit`` of its users."""

    id: int
    name: str
    state: str
    city: str
    address: str
    zip_code: str
    #: ``None`` for the documented unit, which the public example shows without one.
    segment_market: str | None

    def entity(self, base: str) -> dict[str, Any]:
        # "document" holds the placeholder text "cnpj" and "status" is null, as in the public example.
        out: dict[str, Any] = {"id": self.id, "name": self.name, "document": "cnpj", "status": None,
                               "country": "Brazil", "state": self.state, "city": self.city,
                               "address": self.address, "zipCode": self.zip_code}
        if self.segment_market is not None:
            out["segmentMarket"] = self.segment_market
        out["_links"] = {"self": {"href": f"{base}/v1/business-unit/{self.id}"}}
        return out


@dataclass(frozen=True)
class User:
    """One user: entity members without links, the filter row, and (for configured accounts) a password."""

    id: int
    email: str
    name: str
    unit: BusinessUnit | None
    members: Mapping[str, Any] = field(compare=False)
    row: Mapping[str, Any] = field(compare=False)
    password: str | None = field(default=None, repr=False, compare=False)

    @property
    def is_pj(self) -> bool:
        return self.unit is not None

    def entity(self, base: str) -> dict[str, Any]:
        out = dict(self.members)
        if self.unit is not None:
            out["_embedded"] = {"businessUnit": self.unit.entity(base)}
        out["_links"] = {"self": {"href": f"{base}/v1/user/{self.id}"}}
        return out

    def summary(self, base: str) -> dict[str, Any]:
        """The user as embedded in an access token."""
        return {"id": self.id, "name": self.name, "username": self.email, "email": self.email,
                "_links": {"self": {"href": f"{base}/v1/user/{self.id}"}}}


@dataclass(frozen=True)
class Directory:
    users: tuple[User, ...]
    by_id: Mapping[int, User]
    logins: Mapping[str, User]
    units: Mapping[int, BusinessUnit]


def _slug(text: str) -> str:
    plain = unicodedata.normalize("NFD", text).encode("ascii", "ignore").decode("ascii").lower()
    return "".join(c if c.isalnum() else "." for c in plain).strip(".")


def _domain(company: str) -> str:
    """``neves.example`` for "das Neves Nogueira e Filhos": the first proper name of the company."""
    words = [w for w in company.replace(",", " ").split() if len(w) > 2 and w[0].isupper()]
    return f"{_slug(words[0]) if words else 'empresa'}.example"


class _Generator:
    def __init__(self, seed: int) -> None:
        from faker import Faker  # imported on first use: it is the slowest import of the mock

        self.fake = Faker("pt_BR")
        self.fake.seed_instance(seed)
        self.random = self.fake.random
        self.emails: set[str] = set()

    def place(self) -> tuple[str, str, str, str, str]:
        city, uf, ddd, cep = self.random.choice(CITIES)
        street = self.random.choice(STREETS)
        address = f"{street} {self.fake.first_name()} {self.fake.last_name()}, {self.random.randint(1, 3000)}"
        zip_code = cep + "".join(str(self.random.randint(0, 9)) for _ in range(6))
        return city, uf, ddd, address, zip_code

    def unit(self, unit_id: int) -> BusinessUnit:
        city, uf, _, address, zip_code = self.place()
        name = self.fake.company()
        if " " not in name:
            name += " Ltda"
        return BusinessUnit(unit_id, name, uf, city, address, zip_code, self.random.choice(SEGMENTS))

    def email(self, name: str, domain: str) -> str:
        base = _slug(name) or "usuario"
        candidate = f"{base}@{domain}"
        number = 2
        while candidate in self.emails:
            candidate = f"{base}{number}@{domain}"
            number += 1
        self.emails.add(candidate)
        return candidate

    def user(self, user_id: int, email: str, name: str, unit: BusinessUnit | None, role: str,
             password: str | None) -> User:
        rnd = self.random
        city, uf, ddd, address, zip_code = self.place()
        cellphone = f"+55{ddd}9{rnd.randint(10_000_000, 99_999_999)}"
        created = EPOCH_2019 + rnd.randint(0, 5 * 365 * 86400)
        updated = None if rnd.random() < 0.2 else created + rnd.randint(60, 400 * 86400)
        whatsapp = cellphone[1:] if rnd.random() < 0.6 else None
        members: dict[str, Any] = {
            "id": user_id, "username": email, "status": "0" if rnd.random() < 0.1 else "1", "name": name,
            "email": email, "cellphone": cellphone,
            "document": "".join(c for c in self.fake.cpf() if c.isdigit()),
            "country": "Brazil", "state": uf, "city": city, "address": address, "zipCode": zip_code,
            "position": rnd.choice(POSITIONS) if unit is not None else None,
            "whatsappNumber": whatsapp, "notifyWhatsapp": whatsapp is not None and rnd.random() < 0.5,
            "roleDefault": role,
            "dateCreated": php_date(created),
            "dateLastUpdated": php_date(updated) if updated is not None else None,
        }
        row = {key: value for key, value in members.items() if key not in ("dateCreated", "dateLastUpdated")}
        row["dateCreated"] = date_text(created)
        row["dateLastUpdated"] = date_text(updated) if updated is not None else None
        row["businessUnit"] = unit.id if unit is not None else None
        return User(user_id, email, name, unit, members, row, password)


def _documented(user_id: int, unit_id: int, account: AssineUser) -> User:
    """The vendor's example user and business unit, as the public ``/v1/user`` listing shows them."""
    address, city, uf, zip_code = "Av 136, Ed. New York Square 19/20", "Goiânia", "GO", "74000000"
    name = "Soluti Soluções em negocios inteligentes"
    unit = BusinessUnit(unit_id, name, uf, city, address, zip_code, None) if account.business_unit else None
    created, updated = parse_input_date("2020-02-20 13:28:28"), parse_input_date("2020-02-20 13:29:10")
    members: dict[str, Any] = {
        "id": user_id, "username": account.email, "status": "1", "name": account.name,
        "email": account.email, "cellphone": "+5562991838359", "document": "12312312312",
        "country": "Brazil", "state": uf, "city": city, "address": address, "zipCode": zip_code,
        "dateCreated": php_date(created), "dateLastUpdated": php_date(updated),
    }
    row: dict[str, Any] = {key: None for key in USER_FIELDS}
    row.update({key: value for key, value in members.items() if key in USER_FIELDS})
    row.update(dateCreated=date_text(created), dateLastUpdated=date_text(updated),
               businessUnit=unit.id if unit else None)
    return User(user_id, account.email, account.name, unit, members, row, account.password)


def build_directory(seed: int, accounts: tuple[tuple[str, str, str, bool], ...], seeded: int) -> Directory:
    """A fresh directory (uncached): ``accounts`` as ``(email, password, name, business_unit)``."""
    gen = _Generator(seed)
    users: list[User] = []
    units: dict[int, BusinessUnit] = {}
    user_id, unit_id = FIRST_USER_ID, FIRST_UNIT_ID
    demo_unit: BusinessUnit | None = None
    unit: BusinessUnit | None
    for email, password, name, business in accounts:
        if user_id == DOCUMENTED_USER_ID and email == DOCUMENTED_EMAIL:
            user = _documented(user_id, unit_id, AssineUser(email, password, name, business))
            unit = user.unit
        else:
            unit = gen.unit(unit_id) if business else None
            if unit is not None and (demo_unit is None or email == "demo@empresa.example"):
                demo_unit = unit
            user = gen.user(user_id, email, name, unit, "admin", password)
        if unit is not None:
            units[unit_id] = unit
            unit_id += 1
        gen.emails.add(email.lower())
        users.append(user)
        user_id += 1
    others = []
    for _ in range(3):
        units[unit_id] = gen.unit(unit_id)
        others.append(units[unit_id])
        unit_id += 1
    for _ in range(seeded):
        draw = gen.random.random()
        if draw < 0.5 and demo_unit is not None:
            unit = demo_unit
        elif draw < 0.75:
            unit = gen.random.choice(others)
        else:
            unit = None
        name = f"{gen.fake.first_name()} {gen.fake.last_name()}"
        domain = _domain(unit.name) if unit is not None else "pessoa.example"
        role = "admin" if gen.random.random() < 0.15 else "user"
        users.append(gen.user(user_id, gen.email(name, domain), name, unit, role, None))
        user_id += 1
    logins = {u.email.lower(): u for u in users if u.password is not None}
    return Directory(tuple(users), {u.id: u for u in users}, logins, units)


@lru_cache(maxsize=8)
def _cached(seed: int, accounts: tuple[tuple[str, str, str, bool], ...], seeded: int) -> Directory:
    return build_directory(seed, accounts, seeded)


def directory(seed: int, accounts: Mapping[str, AssineUser], seeded: int) -> Directory:
    """The (shared, immutable) users and business units for a config."""
    key = tuple((email, a.password, a.name, a.business_unit) for email, a in accounts.items())
    return _cached(seed, key, seeded)
