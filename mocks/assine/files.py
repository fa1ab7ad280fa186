"""``/v1/file`` (PDF uploads) and ``/v1/folder``: the caller's documents and the folders holding them.

Files and folders belong to the user who created them; nobody else sees them (404). An upload is
``multipart/form-data`` with the PDF in ``file`` (the documented cURL form; other content types
are 415). The content must start with the PDF magic bytes ``%PDF-`` — the declared content type
is not trusted — else 422 ``validation_messages.file``. The answer has the documented shape:
SHA-1 ``checksum``, ``size`` in bytes and the opaque ``uuid`` (base64 of ``{good_look}`` and a
small signed JSON wrapping a UUID, as the public example decodes to).

Folders nest (``idParent``: null or 0 is the root); a move into the folder itself or one of its
descendants is refused (422), and only an empty folder (no sub-folder, no file) can be deleted
(409 ``Folder is not empty``). Deleting a file does not touch the workflows that use it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import uuid
from typing import Any
from urllib.parse import quote

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.responses import Response

from specmock.mocks.assine.bodies import (
    Messages,
    add_message,
    fail_if,
    media_type,
)
from specmock.mocks.assine.crud import checked_body, created, deleter, finder, owned, reader
from specmock.mocks.assine.errors import ApiProblem, JsonBody
from specmock.mocks.assine.hal import Ctx, date_text, list_response, php_date
from specmock.mocks.assine.store import FileRecord, FolderRecord
from specmock.mocks.core.request_log import parsing

__all__ = [
    "create_folder",
    "delete_file",
    "delete_folder",
    "download_file",
    "get_file",
    "get_folder",
    "list_files",
    "list_folders",
    "update_folder",
    "upload_file",
    "uuid_token",
]

PDF_MAGIC = b"%PDF-"
FILE_FIELDS = {"id": "int", "name": "str", "mimeType": "str", "description": "str", "checksum": "str",
               "size": "int", "uuid": "str", "idFolder": "int"}
FOLDER_FIELDS = {"id": "int", "name": "str", "idParent": "int", "dateCreated": "date"}
_DIGITS = re.compile(r"[0-9]{1,12}")
NO_FOLDER = ("noRecordFound", "Pasta não encontrada")


# -- files ---------------------------------------------------------------------------------------


def file_uuid(secret: bytes) -> str:
    """An opaque token wrapping a v1 UUID (random node, so no host address leaks), as Assine returns."""
    value = str(uuid.uuid1(node=secrets.randbits(48) | (1 << 40)))
    return uuid_token(secret, value, str(secrets.randbelow(10**14)))


def uuid_token(secret: bytes, value: str, nonce: str) -> str:
    """The opaque ``uuid`` of a file: ``value`` with its nonce and HMAC, in Assine's wrapping."""
    mac = hmac.new(secret, f"{value}{nonce}".encode(), hashlib.sha256).hexdigest()
    inner = json.dumps({"data": {"uuid": value}, "hmac": mac, "nonce": nonce}, separators=(",", ":"))
    return base64.b64encode(b"{good_look}" + inner.encode()).decode("ascii")


def _file_entity(ctx: Ctx, record: FileRecord) -> dict[str, Any]:
    return {"id": record.id, "name": record.name, "mimeType": "application/pdf",
            "description": record.description, "checksum": record.checksum, "size": len(record.content),
            "uuid": record.uuid, "idFolder": record.folder,
            "_links": {"self": ctx.href(f"/v1/file/{record.id}")}}


def _file_row(record: FileRecord) -> dict[str, Any]:
    return {"id": record.id, "name": record.name, "mimeType": "application/pdf",
            "description": record.description, "checksum": record.checksum, "size": len(record.content),
            "uuid": record.uuid, "idFolder": record.folder}


def owned_file(ctx: Ctx, file_id: int) -> FileRecord | None:
    record = ctx.api.store.files.get(file_id)
    return record if record is not None and record.owner == ctx.caller.id else None


def owned_folder(ctx: Ctx, folder_id: int) -> FolderRecord | None:
    record = ctx.api.store.folders.get(folder_id)
    return record if record is not None and record.owner == ctx.caller.id else None


_file = finder(owned_file)


def _upload_name(upload: UploadFile) -> str:
    name = (upload.filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    return (name or "documento.pdf")[:255]


async def list_files(ctx: Ctx) -> Response:
    records = owned(ctx, ctx.api.store.files.values())
    return list_response(ctx, "listFiles", "file", FILE_FIELDS, records, _file_row,
                         lambda f: _file_entity(ctx, f))


async def upload_file(ctx: Ctx) -> Response:
    request = ctx.request
    if media_type(request.headers.get("content-type")) != "multipart/form-data":
        raise ApiProblem(415, "Invalid content-type specified")
    messages: Messages = {}
    try:
        with parsing("assine", request):
            async with request.form(max_files=1, max_fields=20) as form:
                upload = form.get("file")
                description = form.get("description")
                folder_raw = form.get("idFolder")
                content = await upload.read() if isinstance(upload, UploadFile) else b""
                name = _upload_name(upload) if isinstance(upload, UploadFile) else ""
    except HTTPException as error:
        raise ApiProblem(400, f"Malformed multipart body: {error.detail}") from None
    except MultiPartException as error:  # what Starlette raises when no Starlette app is in the scope
        raise ApiProblem(400, f"Malformed multipart body: {error.message}") from None
    if not isinstance(upload, UploadFile):
        add_message(messages, ["file"], "isEmpty", "Campo obrigatório")
    elif not content.startswith(PDF_MAGIC):
        add_message(messages, ["file"], "fileMimeTypeFalse", "O arquivo deve ser um PDF")
    folder: int | None = None
    if isinstance(folder_raw, str) and folder_raw not in ("", "0"):
        if not _DIGITS.fullmatch(folder_raw):
            add_message(messages, ["idFolder"], "notDigits", "Informe apenas dígitos")
        elif owned_folder(ctx, int(folder_raw)) is None:
            add_message(messages, ["idFolder"], *NO_FOLDER)
        else:
            folder = int(folder_raw)
    fail_if(messages)
    store = ctx.api.store
    record = FileRecord(store.next_id("file"), ctx.caller.id, name,
                        description if isinstance(description, str) else "", content,
                        hashlib.sha1(content).hexdigest(), file_uuid(ctx.api.file_secret), folder, ctx.now)
    store.files[record.id] = record
    return created(_file_entity(ctx, record))


get_file = reader(_file, _file_entity)


async def download_file(ctx: Ctx) -> Response:
    record = _file(ctx)
    ascii_name = "".join(c if c.isascii() and c.isprintable() and c not in '"\\' else "_"
                         for c in record.name)
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(record.name, safe='')}"
    return Response(record.content, 200, {"Content-Disposition": disposition}, "application/pdf")


delete_file = deleter(_file, lambda store: store.files)


# -- folders -------------------------------------------------------------------------------------


def _folder_entity(ctx: Ctx, record: FolderRecord) -> dict[str, Any]:
    return {"id": record.id, "name": record.name, "idParent": record.parent,
            "dateCreated": php_date(record.created),
            "_links": {"self": ctx.href(f"/v1/folder/{record.id}")}}


def _folder_row(record: FolderRecord) -> dict[str, Any]:
    return {"id": record.id, "name": record.name, "idParent": record.parent,
            "dateCreated": date_text(record.created)}


_folder = finder(owned_folder)


def _parent(
    ctx: Ctx, body: dict[str, Any], messages: Messages, moving: FolderRecord | None = None
) -> int | None:
    """The parent folder named by ``idParent`` (None for the root); adds a message if it cannot be."""
    raw = body.get("idParent")
    if "idParent" in messages or not isinstance(raw, int) or raw == 0:
        return None
    parent = owned_folder(ctx, raw)
    if parent is None:
        add_message(messages, ["idParent"], *NO_FOLDER)
        return None
    if moving is not None:
        cursor: FolderRecord | None = parent
        while cursor is not None:
            if cursor.id == moving.id:
                add_message(messages, ["idParent"], "notValid",
                            "A pasta não pode ser movida para dentro de si mesma")
                return None
            cursor = ctx.api.store.folders.get(cursor.parent) if cursor.parent is not None else None
    return parent.id


async def list_folders(ctx: Ctx) -> Response:
    records = owned(ctx, ctx.api.store.folders.values())
    return list_response(ctx, "listFolders", "folder", FOLDER_FIELDS, records, _folder_row,
                         lambda f: _folder_entity(ctx, f))


async def create_folder(ctx: Ctx) -> Response:
    body, messages = await checked_body(ctx, "createFolder")
    parent = _parent(ctx, body, messages)
    fail_if(messages)
    store = ctx.api.store
    record = FolderRecord(store.next_id("folder"), ctx.caller.id, body["name"], parent, ctx.now)
    store.folders[record.id] = record
    return created(_folder_entity(ctx, record))


get_folder = reader(_folder, _folder_entity)


async def update_folder(ctx: Ctx) -> Response:
    record = _folder(ctx)
    body, messages = await checked_body(ctx, "updateFolder", ("name", "idParent"))
    parent = _parent(ctx, body, messages, moving=record)
    fail_if(messages)
    if "name" in body:
        record.name = body["name"]
    if "idParent" in body:
        record.parent = parent
    return JsonBody(_folder_entity(ctx, record))


async def delete_folder(ctx: Ctx) -> Response:
    record = _folder(ctx)
    store = ctx.api.store
    if any(f.parent == record.id for f in store.folders.values()) or any(
        f.folder == record.id for f in store.files.values()
    ):
        raise ApiProblem(409, "Folder is not empty")
    del store.folders[record.id]
    return Response(status_code=204)


# -- documents referenced by workflows and templates -------------------------------------------------


def check_documents(ctx: Ctx, documents: Any, messages: Messages, path: list[Any]) -> None:
    """Add ``noRecordFound`` for each ``files[i]`` naming a file or folder the caller does not own."""
    if not isinstance(documents, list):
        return
    for index, document in enumerate(documents):
        if not isinstance(document, dict):
            continue
        file_id = document.get("idFile")
        if isinstance(file_id, int) and not isinstance(file_id, bool) and owned_file(ctx, file_id) is None:
            add_message(messages, [*path, index, "idFile"], "noRecordFound", "Arquivo não encontrado")
        folder_id = folder_of(document)
        if folder_id is not None and owned_folder(ctx, folder_id) is None:
            add_message(messages, [*path, index, "idFolder"], *NO_FOLDER)


def folder_of(document: dict[str, Any]) -> int | None:
    """The folder a workflow document goes to: ``idFolder`` as a string or an integer, 0 being the root."""
    raw = document.get("idFolder")
    if isinstance(raw, str) and _DIGITS.fullmatch(raw):
        raw = int(raw)
    if isinstance(raw, int) and not isinstance(raw, bool) and raw > 0:
        return raw
    return None
