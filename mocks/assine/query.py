"""The bracketed query parameters of the filter dialect, decoded into trees, and the dialect's bounds.

``filter[0][conditions][1][values][]=x`` is PHP array syntax: this module rebuilds the nested
arrays PHP would (``[]`` appends, a repeated key keeps its last value) and refuses what PHP would
silently mangle (unbalanced brackets, a key used both as a value and as a list, non-numeric
indexes). Pure Python; :class:`FilterError` carries a message naming the culprit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "MAX_DEPTH",
    "MAX_ITEMS",
    "MAX_ORDER",
    "MAX_PARAMS",
    "MAX_VALUES",
    "FilterError",
    "Query",
    "indexed",
    "mentions_field",
    "parse_query",
    "shown",
]

#: Items in a whole filter tree, nesting levels, operands of one ``values``, ``order-by`` entries.
MAX_ITEMS = 50
MAX_DEPTH = 5
MAX_VALUES = 200
MAX_ORDER = 10
#: Bracketed parameters read at most (a bound on work before any tree exists).
MAX_PARAMS = 1000
#: Bracket segments in one key: filter[0] + four nested [conditions][j] + [values][] is 11.
MAX_SEGMENTS = 2 * MAX_DEPTH + 3

_INDEX = re.compile(r"[0-9]+")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
_ROOTS = ("filter", "order-by")


class FilterError(ValueError):
    """A malformed ``filter`` or ``order-by``; the message names what is wrong."""


def shown(text: str) -> str:
    """User input quoted in an error message, cut to a readable length."""
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class Query:
    """The decoded ``filter`` items and ``order-by`` entries, each a list in index order."""

    filter: list[Any]
    order: list[Any]


def _split_key(key: str) -> tuple[str, list[str]]:
    """``filter[0][field]`` -> ``("filter", ["0", "field"])``."""
    start = key.index("[")
    segments: list[str] = []
    pos = start
    while pos < len(key):
        match = _SEGMENT.match(key, pos)
        if match is None:
            raise FilterError(f"Malformed query parameter [{shown(key)}]: unbalanced brackets")
        segments.append(match.group(1))
        if len(segments) > MAX_SEGMENTS:
            raise FilterError(f"Filter nesting is too deep (at most {MAX_DEPTH} levels)")
        pos = match.end()
    return key[:start], segments


def _conflict(key: str, segment: str) -> FilterError:
    return FilterError(f"Malformed query parameter [{shown(key)}]: [{shown(segment)}] is given both as a "
                       "value and as a list")


def _assign(root: dict[str, Any], key: str, segments: list[str], value: str) -> None:
    node: Any = root
    for depth, segment in enumerate(segments):
        last = depth == len(segments) - 1
        if segment == "":
            if not last or not isinstance(node, list):
                raise FilterError(f"Malformed query parameter [{shown(key)}]: [] may only end a values list")
            node.append(value)
            return
        if isinstance(node, list):
            raise FilterError(f"Malformed query parameter [{shown(key)}]: mixes [] and [{shown(segment)}]")
        if last:
            if isinstance(node.get(segment), dict | list):
                raise _conflict(key, segment)
            node[segment] = value
            return
        child = node.get(segment)
        if child is None:
            child = [] if segments[depth + 1] == "" else {}
            node[segment] = child
        elif isinstance(child, str):
            raise _conflict(key, segment)
        node = child


def indexed(node: Any, what: str) -> list[Any]:
    """A ``[0]``, ``[1]`` … keyed mapping (or a ``[]`` list) as a list in index order."""
    if isinstance(node, list):
        return node
    if not isinstance(node, dict):
        raise FilterError(f"{what} must be a list: write {what}[0]...")
    for index in node:
        if not _INDEX.fullmatch(index):
            raise FilterError(f"{what} index [{shown(index)}] must be a decimal number")
    # Any digit string is an index (PHP keeps big ones as string keys); ordered by value without int().
    return [node[k] for k in sorted(node, key=_numeric_order)]


def _numeric_order(index: str) -> tuple[int, str]:
    digits = index.lstrip("0")
    return len(digits), digits


def parse_query(pairs: Iterable[tuple[str, str]]) -> Query:
    """The ``filter`` and ``order-by`` trees of a query string's decoded ``(key, value)`` pairs.

    Other parameters are ignored; a repeated key keeps its last value (as PHP does).
    """
    trees: dict[str, dict[str, Any]] = {"filter": {}, "order-by": {}}
    seen = 0
    for key, value in pairs:
        if key in trees:
            raise FilterError(f"Query parameter [{key}] must be written with brackets: {key}[0][...]")
        if not key.startswith(("filter[", "order-by[")):
            continue
        seen += 1
        if seen > MAX_PARAMS:
            raise FilterError(f"Too many filter and order-by parameters (at most {MAX_PARAMS})")
        name, segments = _split_key(key)
        _assign(trees[name], key, segments, value)
    return Query(indexed(trees["filter"], "filter"), indexed(trees["order-by"], "order-by"))


def mentions_field(items: Sequence[Any], field: str) -> bool:
    """Whether any item of a parsed filter tree, nested ones included, names ``field``."""
    for item in items:
        if not isinstance(item, dict):
            continue
        if item.get("field") == field:
            return True
        conditions = item.get("conditions")
        if isinstance(conditions, dict | list):
            try:
                nested = indexed(conditions, "conditions")
            except FilterError:
                continue
            if mentions_field(nested, field):
                return True
    return False
