"""Checking a spec file with the ecosystem's own validators, answering in one readable line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

__all__ = ["SpecProblem", "check_spec", "spec_kind"]


class SpecProblem(ValueError):
    """A spec file that is broken; the message is one line naming the file, where and what."""


def spec_kind(path: Path, document: Any = None) -> str:
    name = path.name
    if name.endswith(".graphql") or name.endswith(".gql"):
        return "graphql"
    if isinstance(document, dict) and "openapi" in document:
        return "openapi"
    if isinstance(document, dict) and ("$schema" in document or "$defs" in document):
        return "json-schema"
    raise SpecProblem(
        f"{path}: not an OpenAPI document (no 'openapi' key), a JSON Schema or a GraphQL SDL file"
    )


def _one_line(text: str, limit: int = 300) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 3] + "..."


def _parse(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecProblem(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecProblem(f"{path}: cannot read: {_one_line(str(exc))}") from None
    if path.suffix in (".graphql", ".gql"):
        return text
    try:
        return json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except json.JSONDecodeError as exc:
        raise SpecProblem(f"{path}: invalid JSON: line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = _one_line(getattr(exc, "problem", "") or str(exc))
        raise SpecProblem(f"{path}: invalid YAML: {where}{problem}") from None


def check_spec(path: str | Path) -> str:
    """Validate one spec file; returns its kind, raises :class:`SpecProblem` when it is broken."""
    file = Path(path)
    document = _parse(file)
    kind = spec_kind(file, document)
    if kind == "graphql":
        from graphql import GraphQLError, build_schema

        try:
            build_schema(document)
        except GraphQLError as exc:
            first = exc.locations[0] if exc.locations else None
            where = f"line {first.line}, column {first.column}: " if first else ""
            raise SpecProblem(f"{file}: invalid GraphQL SDL: {where}{_one_line(exc.message)}") from None
        except TypeError as exc:
            raise SpecProblem(f"{file}: invalid GraphQL SDL: {_one_line(str(exc))}") from None
    elif kind == "openapi":
        from openapi_spec_validator import validate
        from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

        try:
            validate(document)
        except OpenAPIValidationError as exc:
            where = "/".join(str(p) for p in getattr(exc, "absolute_path", []) or [])
            raise SpecProblem(f"{file}: invalid OpenAPI: {where + ': ' if where else ''}"
                              f"{_one_line(getattr(exc, 'message', str(exc)))}") from None
    else:
        from jsonschema import Draft202012Validator
        from jsonschema.exceptions import SchemaError

        try:
            Draft202012Validator.check_schema(document)
        except SchemaError as exc:
            where = "/".join(str(p) for p in exc.absolute_path)
            raise SpecProblem(f"{file}: invalid JSON Schema: {where + ': ' if where else ''}"
                              f"{_one_line(exc.message)}") from None
    return kind
