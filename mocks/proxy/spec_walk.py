"""Where a check lives in a spec document, and whether that part of the spec is an assumption.

A finding names the spec part it checked with a JSON pointer into the bundled file
(``banqer.openapi.yaml#/components/schemas/Ficha/required``). jsonschema reports the path of a
failing keyword through the schema it was given, stepping into ``$ref`` targets without naming
them; :func:`schema_pointer` walks the same steps through the document and follows the references,
so the pointer ends where the keyword is written.

A part is assumed when it, or the nearest ancestor that says anything, carries
``x-specmock-assumed: true`` (OpenAPI) or a description starting with ``Assumed:`` (the PBM
response schema). :func:`touched_assumptions` lists the assumed parts one JSON value exercised,
which is what "assumption X held N times" counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "SpecDocument",
    "escape",
    "join",
]

_MISSING = object()
#: Array items looked at when collecting exercised assumptions (a page of 200 fichas repeats itself).
_ITEMS_SEEN = 20


def escape(token: object) -> str:
    """One reference token of a JSON pointer (RFC 6901)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def join(pointer: str, *tokens: object) -> str:
    return pointer + "".join("/" + escape(token) for token in tokens)


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


class SpecDocument:
    """A parsed spec file (OpenAPI or JSON Schema) addressed by JSON pointers."""

    def __init__(self, file_name: str, document: Mapping[str, Any]) -> None:
        self.file_name = file_name
        self.document = document
        # The document never changes: lookups (a few per member of every answer) are kept.
        self._nodes: dict[str, Any] = {}
        self._assumptions: dict[str, str | None] = {}

    def node(self, pointer: str) -> Any:
        found = self._nodes.get(pointer, _MISSING)
        if found is _MISSING:
            found = self._nodes[pointer] = self._walk(pointer)
        return found

    def _walk(self, pointer: str) -> Any:
        node: Any = self.document
        for token in pointer.split("/")[1:] if pointer else []:
            token = _unescape(token)
            node = node[int(token)] if isinstance(node, list) else node[token]
        return node

    def reference(self, pointer: str) -> str:
        """``file#pointer``, as findings show it."""
        return f"{self.file_name}#{pointer}"

    # -- references ---------------------------------------------------------------------------

    @staticmethod
    def _target(ref: str) -> str:
        return ref.split("#", 1)[1] if "#" in ref else ""

    def resolve(self, pointer: str, node: Any) -> tuple[str, Any]:
        """Follow ``$ref`` members (alone or with siblings) until a node without one."""
        seen = 0
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str) and seen < 50:
            pointer = self._target(node["$ref"])
            node = self.node(pointer)
            seen += 1
        return pointer, node

    def schema_pointer(self, base: str, path: Iterable[object]) -> str:
        """The pointer of the keyword jsonschema reached by ``path`` from the schema at ``base``."""
        pointer, node = base, self.node(base)
        for token in path:
            key: Any = token
            while isinstance(node, Mapping) and key not in node and isinstance(node.get("$ref"), str):
                pointer = self._target(node["$ref"])
                node = self.node(pointer)
            try:
                node = node[key] if not isinstance(node, list) else node[int(key)]
            except (KeyError, IndexError, TypeError, ValueError):
                return pointer
            pointer = join(pointer, key)
        return pointer

    # -- assumptions --------------------------------------------------------------------------

    @staticmethod
    def _marked(node: Any) -> bool:
        if not isinstance(node, Mapping):
            return False
        if node.get("x-specmock-assumed") is True:
            return True
        description = node.get("description")
        return isinstance(description, str) and description.lstrip().startswith("Assumed:")

    def assumption(self, pointer: str) -> str | None:
        """The pointer of the assumed part ``pointer`` belongs to (itself or an ancestor), if any."""
        if pointer in self._assumptions:
            return self._assumptions[pointer]
        found = self._assumptions[pointer] = self._find_assumption(pointer)
        return found

    def _find_assumption(self, pointer: str) -> str | None:
        tokens = pointer.split("/")
        for end in range(len(tokens), 0, -1):
            candidate = "/".join(tokens[:end])
            try:
                if self._marked(self.node(candidate)):
                    return candidate
            except (KeyError, IndexError, ValueError, TypeError):
                continue
        return None

    def touched_assumptions(self, pointer: str, value: Any) -> set[str]:
        """The assumed parts of the schema at ``pointer`` that ``value`` exercised (members it has)."""
        found: set[str] = set()
        self._touch(pointer, value, found, 0)
        return found

    def _touch(self, pointer: str, value: Any, found: set[str], depth: int) -> None:
        if depth > 40:
            return
        node = self.node(pointer)
        if isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            if self._marked(node):
                found.add(pointer)
            pointer, node = self.resolve(pointer, node)
        if not isinstance(node, Mapping):
            return
        if self._marked(node):
            found.add(pointer)
        for key in ("allOf", "anyOf", "oneOf"):
            for index, _ in enumerate(node.get(key) or []):
                self._touch(join(pointer, key, index), value, found, depth + 1)
        if isinstance(value, Mapping):
            properties = node.get("properties") or {}
            for name, member in value.items():
                if name in properties:
                    self._touch(join(pointer, "properties", name), member, found, depth + 1)
                elif isinstance(node.get("additionalProperties"), Mapping):
                    self._touch(join(pointer, "additionalProperties"), member, found, depth + 1)
        elif isinstance(value, list) and isinstance(node.get("items"), Mapping):
            for item in value[:_ITEMS_SEEN]:
                self._touch(join(pointer, "items"), item, found, depth + 1)
