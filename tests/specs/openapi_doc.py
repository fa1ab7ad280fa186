"""Reading a bundled OpenAPI document in the spec tests: its operations, ``$ref`` chains, schemas."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

#: Every method a path item can hold, in the order the OpenAPI specification lists them.
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_URI = "urn:specmock:spec"


def operations(spec: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """Every operation of ``spec`` as ``(path, method, operation)``."""
    for path, item in spec["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                yield path, method, item[method]


def resolve(spec: dict[str, Any], node: Any) -> Any:
    """``node``, or what a chain of bare ``{"$ref": "#/..."}`` objects leads to in ``spec``."""
    while isinstance(node, dict) and set(node) == {"$ref"}:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def validator(spec: dict[str, Any], pointer: str) -> Draft202012Validator:
    """Validator for the schema at ``pointer`` (``/components/schemas/Error``), refs resolved in ``spec``."""
    registry = Registry().with_resource(_URI, DRAFT202012.create_resource(spec))
    return Draft202012Validator(
        {"$ref": f"{_URI}#{pointer}"}, registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
