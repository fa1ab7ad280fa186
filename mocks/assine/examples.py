"""The records the spec's examples name, owned by the account of the vendor's examples.

Every id path parameter of ``assine.openapi.yaml`` has an example (folder 12, file 5577, workflow
3101, step 7001, template 88, webhook 50, application token 5347), and the example bodies refer
to file 5583 and template 88. So that each of those examples is a request the mock accepts, the
account of the vendor's examples (user 474, see :mod:`~specmock.mocks.assine.settings`) starts
with exactly those records, as the spec's example bodies show them. Ids the public documentation
shows (file 5577, token 5347, file 5583 in the template payload) keep their documented values;
the others are the spec's assumed ones. They come back on every reset, and the id counters start
after them, so what callers create never collides with them.

Nothing here is random: the records are the same in every run and for every ``seed``. The
application token 5347 has the value the vendor's page shows for it, so the documented bearer
token of that page works against the mock too; its expiry is moved from the published 2021 to
the end of 2099, as in the spec's request example, so that it is live. Likewise the refresh token
of the Quick start's login (the login whose access token that page uses as user 474), which the
spec's refresh-grant example sends, is a live refresh token of user 474 (assumed: the refresh
grant itself is not documented).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import TYPE_CHECKING

from specmock.mocks.assine.data import DOCUMENTED_USER_ID, FIRST_UNIT_ID
from specmock.mocks.assine.files import uuid_token
from specmock.mocks.assine.hal import parse_input_date
from specmock.mocks.assine.settings import DOCUMENTED_EMAIL, AssineUser
from specmock.mocks.assine.store import (
    IN_PROGRESS,
    PENDING,
    WAITING,
    FileRecord,
    FolderRecord,
    StepRecord,
    Store,
    TemplateRecord,
    WebhookRecord,
    WorkflowRecord,
)
from specmock.mocks.assine.tokens import API, APPLICATION, REFRESH
from specmock.mocks.core.tokens import TokenRecord, token_hash

if TYPE_CHECKING:
    from specmock.mocks.core.tokens import TokenRegistry

__all__ = ["EXAMPLE_IDS", "seed_example_records"]

#: The id of each kind of record the spec's examples name (its path parameters' examples).
EXAMPLE_IDS = {"folder": 12, "file": 5577, "workflow": 3101, "step": 7001, "template": 88, "webhook": 50,
               "token": 5347}
#: The HMAC key of the fixed file uuid below (it only has to be the same in every run).
_EXAMPLES_SECRET = b"assine-example-records"
#: The file the documented template payload ("Usando templates") refers to.
TEMPLATE_FILE_ID = 5583

#: The documented value of application token 5347 ("Gerando um token de aplicação").
APPLICATION_TOKEN = "5499d5cac5d19926adcbcda7987c01854065554f"
#: The refresh token of the Quick start's documented login.
REFRESH_TOKEN = "5fa76dd7427c6aa55cc7ca6297bbbb8c32d2d9d8"
FAR_FUTURE = "2099-12-31 23:59:00"
#: The documented ``uuid`` of file 5577 (upload response on "Fluxo com a página de integração").
DOCUMENTED_UUID = (
    "e2dvb2RfbG9va317ImRhdGEiOnsidXVpZCI6ImIzOWRhYTBjLTU0ZTQtMTFlYS04MDAwLTAyNDJhYzE0MDAwNyJ9LCJobWFjIjoiYjQ3NGIz"
    "OTg4ZmQ3MDQ0NzNlNTczNDcyODdkMGZkMDg0MTAxMWYyMzliNGVkMzBjOGY0MDU5OTI1ZGRiNjI2NyIsIm5vbmNlIjoiMjE3ODE1ODIzMTUx"
    "ODMifQ=="
)
JHON = {"name": "Jhon Doe", "email": DOCUMENTED_EMAIL}
ANA = {"name": "Ana Souza", "email": "ana.souza@example.com", "document": "12345678909"}


def _pdf(title: str) -> bytes:
    """A small, well-formed one-page PDF (the documented file's content is not published)."""
    return (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
            b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
            b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n"
            + f"% {title}\n".encode("ascii")
            + b"trailer << /Root 1 0 R >>\n%%EOF\n")


def _at(text: str) -> float:
    return parse_input_date(text)


def documented_account(users: Mapping[str, AssineUser]) -> AssineUser | None:
    """The vendor's example account if it is configured as the first one (so it is user 474)."""
    first = next(iter(users.values()), None)
    return first if first is not None and first.email == DOCUMENTED_EMAIL else None


def seed_example_records(store: Store, tokens: TokenRegistry, users: Mapping[str, AssineUser],
                         now: float) -> None:
    """The example records into a cleared ``store``, token 5347 into ``tokens``; none without the account."""
    account = documented_account(users)
    if account is None:
        return
    owner = DOCUMENTED_USER_ID
    with store.lock:
        store.folders[12] = FolderRecord(12, owner, "Contratos", None, _at("2024-05-02 10:15:00"))
        for record in (
            FileRecord(5577, owner, "file-sample.pdf", "", _pdf("file-sample"), "", DOCUMENTED_UUID, None,
                       _at("2024-05-02 10:00:00")),
            FileRecord(TEMPLATE_FILE_ID, owner, "meu-documento.pdf", "", _pdf("meu-documento"), "",
                       uuid_token(_EXAMPLES_SECRET, "5f1c7a2e-0871-11ef-8000-0242ac140007",
                                  "31714644800583"), None,
                       _at("2024-05-02 10:05:00")),
        ):
            record.checksum = hashlib.sha1(record.content).hexdigest()
            store.files[record.id] = record
        changed = _at("2024-05-02 10:20:00")
        steps = [
            StepRecord(7001, 3101, 5577, 1, PENDING, 1, dict(JHON), "visible", False,
                       [{"page": 1, "x": 120, "y": 680}], [], changed),
            StepRecord(7002, 3101, 5577, 2, WAITING, 2, dict(ANA), "invisible", False, [], [], None),
        ]
        store.workflows[3101] = WorkflowRecord(
            3101, owner, IN_PROGRESS, "Por favor, assine o contrato.", 0, "48", 1, None,
            _at("2099-12-31 23:59:59"), changed,
            [{"idFile": 5577, "name": "Contrato", "idFolder": None, "specialFields": [{"type": 9}]}], steps)
        store.steps.update({step.id: step for step in steps})
        store.templates[88] = TemplateRecord(
            88, owner, 1, "Nome do template", {"canAddSigners": True},
            {"message": "Comentário opcional",
             "files": [{"idFile": TEMPLATE_FILE_ID, "name": "Meu documento", "specialFields": [],
                        "workflowSteps": []}]},
            "9c1b2f6d0e4a8b7c3d5e6f708192a3b4c5d6e7f8", _at("2024-05-02 10:30:00"))
        if account.business_unit:
            store.webhooks[50] = WebhookRecord(50, FIRST_UNIT_ID, owner,
                                               "https://webhook.site/b2350d9a-5476-425b-bc98-7028fb8f1ee6")
        for kind, value in (*EXAMPLE_IDS.items(), ("file", TEMPLATE_FILE_ID)):
            store.reserve(kind, value)
    tokens.issue(TokenRecord(API, token_hash(REFRESH_TOKEN), _at(FAR_FUTURE), now, str(owner),
                             {"kind": REFRESH, "id": 0, "user": owner}), now)
    if account.business_unit:
        tokens.issue(TokenRecord(API, token_hash(APPLICATION_TOKEN), _at(FAR_FUTURE), now, str(owner),
                                 {"kind": APPLICATION, "id": EXAMPLE_IDS["token"], "user": owner}), now)
