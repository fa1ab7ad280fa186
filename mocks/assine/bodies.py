"""Request bodies: content types, JSON decoding, and validation failures in Laminas' shape.

Apigility whitelists the content types of each service (415 otherwise), answers undecodable JSON
with 400, validates POST bodies with an input filter (422 ``Failed Validation`` and
``validation_messages``: field -> validator key -> message, nested for collections such as
``files``) and refuses unknown fields on PATCH with 400 ``Unrecognized field "<f>"``. The mock
validates with the spec's own request schemas and reports each failure under the Laminas
validator key that would have caught it (``isEmpty``, ``notInArray``, ``dateInvalidDate`` …),
with Portuguese messages as the Brazilian API would show.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from specmock.mocks.assine.errors import ApiProblem, validation_failed
from specmock.mocks.core.incoming import strict_json

__all__ = [
    "DATE_FIELDS",
    "Messages",
    "add_message",
    "decode_json",
    "is_json",
    "media_type",
    "reject_unknown_fields",
    "schema_messages",
]

Messages = dict[str, Any]

#: Inputs written ``YYYY-MM-DD HH:MM:SS``: a malformed one is reported as ``dateInvalidDate``.
DATE_FIELDS = frozenset({"expires", "dueDate"})

_KEYS: dict[str, tuple[str, str]] = {
    "required": ("isEmpty", "Campo obrigatório"),
    "type": ("invalidType", "Tipo de valor inválido"),
    "enum": ("notInArray", "Valor não permitido"),
    "const": ("notInArray", "Valor não permitido"),
    "pattern": ("regexNotMatch", "Formato inválido"),
    "format": ("regexNotMatch", "Formato inválido"),
    "minLength": ("stringLengthTooShort", "Texto curto demais"),
    "maxLength": ("stringLengthTooLong", "Texto longo demais"),
    "minimum": ("notGreaterThanInclusive", "Valor abaixo do mínimo"),
    "maximum": ("notLessThanInclusive", "Valor acima do máximo"),
    "minItems": ("isEmpty", "Campo obrigatório"),
    "maxItems": ("tooMany", "Itens demais"),
    "minProperties": ("isEmpty", "Campo obrigatório"),
}
_INVALID = ("notValid", "Valor inválido")
_EMPTY = ("isEmpty", "Campo obrigatório")
_BAD_DATE = ("dateInvalidDate", "Data inválida")


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_json(content_type: str | None) -> bool:
    kind = media_type(content_type)
    return kind == "application/json" or (kind.startswith("application/") and kind.endswith("+json"))


def decode_json(raw: bytes, content_type: str | None) -> dict[str, Any]:
    """The JSON object of a request body: 415 for another content type, 400 if it is not a JSON object.

    An empty body is an empty object (the input filter then reports the missing fields).
    """
    if not raw.strip():
        if content_type and not is_json(content_type):
            raise ApiProblem(415, "Invalid content-type specified")
        return {}
    if not is_json(content_type):
        raise ApiProblem(415, "Invalid content-type specified")
    try:
        data = strict_json(raw)
    except (ValueError, RecursionError):
        raise ApiProblem(400, "JSON decoding error: Syntax error, malformed JSON") from None
    if not isinstance(data, dict):
        raise ApiProblem(400, "JSON decoding error: the body must be a JSON object")
    return data


def reject_unknown_fields(body: Mapping[str, Any], allowed: Iterable[str]) -> None:
    """PATCH: the first field the input filter does not know is a 400 (zf-content-validation)."""
    known = set(allowed)
    for name in body:
        if name not in known:
            shown = name if len(name) <= 60 else name[:57] + "..."
            raise ApiProblem(400, f'Unrecognized field "{shown}"')


def add_message(messages: Messages, path: Iterable[Any], key: str, text: str) -> None:
    """Put ``key: text`` under the nested field ``path`` (``files``, ``0``, ``idFile`` …) of ``messages``."""
    parts = [str(p) for p in path]
    if not parts:
        parts = ["body"]
    node = messages
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            return
        node = child
    leaf = node.setdefault(parts[-1], {})
    if isinstance(leaf, dict):
        leaf.setdefault(key, text)


def _describe(error: ValidationError) -> tuple[str, str]:
    path = list(error.absolute_path)
    if path and path[-1] in DATE_FIELDS and error.validator in ("pattern", "type", "format"):
        return _BAD_DATE
    if error.validator == "minLength" and error.instance == "":
        return _EMPTY
    return _KEYS.get(str(error.validator), _INVALID)


def schema_messages(validator: Draft202012Validator, body: Any) -> Messages:
    """Every failure of ``body`` against a request schema, as ``validation_messages``."""
    messages: Messages = {}
    for error in validator.iter_errors(body):
        path = list(error.absolute_path)
        if error.validator == "required":
            instance = error.instance if isinstance(error.instance, dict) else {}
            for name in error.validator_value:
                if name not in instance:
                    add_message(messages, [*path, name], *_EMPTY)
            continue
        if not path:
            continue  # the body as a whole: callers check its type and alternatives themselves
        add_message(messages, path, *_describe(error))
    return messages


def fail_if(messages: Messages) -> None:
    if messages:
        raise validation_failed(messages)
