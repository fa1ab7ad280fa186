"""The filter dialect's meaning: a parsed ``filter`` tree compiled into one predicate, ``order-by`` sorting.

Pure Python, no HTTP. :func:`~specmock.mocks.assine.query.parse_query` decodes the query string;
:func:`compile_filter` validates the tree against a collection's fields (name -> kind: ``int``,
``number``, ``bool``, ``str``, ``date``) and returns one predicate over *rows* (mappings of field
name to scalar); :func:`compile_order` and :func:`sort_records` order records. Each request compiles
its filter once; evaluating it is a few closure calls per row, with no copy of the data set.

The dialect is the Apigility Doctrine query builder's (zf-doctrine-querybuilder), as the spec
describes it. Semantics chosen where the SQL behind the real API is not public:

* Items join left to right by their ``where``: ``a, or b, and c`` is ``(a OR b) AND c`` (Doctrine's
  ``orWhere``/``andWhere``); the first item's ``where`` and every ``where`` inside ``andx``/``orx``
  are ignored. Items are taken in index order (``filter[0]``, ``filter[1]`` …).
* ``type`` is case-insensitive; ``where`` is ``and``/``or`` in any case; ``alias`` may only be ``row``.
  Each operator takes exactly the keys the spec lists for it; anything else is refused.
* SQL NULL: a null field satisfies nothing but ``isnull`` (not ``neq``, ``notin`` nor ``notlike``).
* Numeric fields compare numerically (the operand must be a decimal number); boolean fields as 1/0
  (operands ``1``/``0``/``true``/``false``).
* Text compares as under MySQL's default collation: case- and accent-insensitive (``joao`` equals
  ``João``), for ``eq``/``lt``/``in``/``between``/``like`` and ``order-by`` alike (see
  :mod:`~specmock.mocks.assine.collation`).
* ``like``/``notlike``: ``%`` any run, ``_`` one character, ``\\`` escapes; on non-text fields the
  value's text form is matched (numbers in decimal, booleans ``1``/``0``, dates
  ``YYYY-MM-DD HH:MM:SS``).
* Date fields (serialised PHP ``DateTime``) compare by instant, operands read with the item's
  ``format`` (default ``Y-m-d H:i:s``); parts the format lacks are zero (``Y-m-d`` is midnight).
* ``$USER_ID`` in a ``value`` or ``values`` operand becomes the caller's user id.
* ``order-by`` sorts stably on top of the collection's id order: ties keep id order; NULLs sort
  first ascending and last descending (MySQL).

Bounds (in :mod:`~specmock.mocks.assine.query`) keep a hostile query cheap: 50 items in the whole
tree, 5 levels of nesting, 200 operands per ``values``, 10 ``order-by`` entries. Anything malformed
raises :class:`FilterError` naming the culprit; the API answers it with 400.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from specmock.mocks.assine.collation import DEFAULT_FORMAT, collate, like_matcher, parse_php_date
from specmock.mocks.assine.query import (
    MAX_DEPTH,
    MAX_ITEMS,
    MAX_ORDER,
    MAX_VALUES,
    FilterError,
    Query,
    indexed,
    mentions_field,
    parse_query,
    shown,
)

__all__ = [
    "USER_ID",
    "FilterError",
    "Predicate",
    "Query",
    "compile_filter",
    "compile_order",
    "mentions_field",
    "parse_query",
    "sort_records",
]

T = TypeVar("T")
Row = Mapping[str, Any]
Predicate = Callable[[Row], bool]
Key = Callable[[str], str]

USER_ID = "$USER_ID"
COMPARE = frozenset({"eq", "neq", "lt", "lte", "gt", "gte"})
LIKE = frozenset({"like", "notlike"})
NULL = frozenset({"isnull", "isnotnull"})
SET = frozenset({"in", "notin"})
GROUP = frozenset({"andx", "orx"})
OPERATORS = COMPARE | LIKE | NULL | SET | GROUP | {"between"}
_LEAF_OPTIONS = frozenset({"type", "field", "where", "alias", "format"})
ALLOWED_KEYS: dict[str, frozenset[str]] = {
    **{op: _LEAF_OPTIONS | {"value"} for op in COMPARE | LIKE},
    **{op: _LEAF_OPTIONS for op in NULL},
    **{op: _LEAF_OPTIONS | {"values"} for op in SET},
    "between": _LEAF_OPTIONS | {"from", "to"},
    **{op: frozenset({"type", "conditions", "where"}) for op in GROUP},
}
ORDER_KEYS = frozenset({"type", "field", "direction", "alias"})
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"[+-]?[0-9]{1,30}(\.[0-9]{1,30})?")


def _named(value: Any) -> str:
    return shown(value) if isinstance(value, str) else "a list"


def _listed(names: Iterable[str]) -> str:
    return ", ".join(sorted(names))


def _text_of(value: Any, kind: str) -> str:
    """The text a LIKE pattern is matched against."""
    if kind == "str":
        return collate(value)
    if kind == "bool":
        return "1" if value else "0"
    if kind == "date":
        return str(value)[:19]
    return str(value)


class _Compiler:
    def __init__(self, fields: Mapping[str, str], user_id: int | None) -> None:
        self.fields = fields
        self.user_id = user_id
        self.items = 0

    def item(self, raw: Any, depth: int, where: str) -> Predicate:
        self.items += 1
        if self.items > MAX_ITEMS:
            raise FilterError(f"Filter has too many items (at most {MAX_ITEMS})")
        if depth > MAX_DEPTH:
            raise FilterError(f"Filter nesting is too deep (at most {MAX_DEPTH} levels)")
        if not isinstance(raw, dict):
            raise FilterError(f"Filter item {where} must be an object: write {where}[type]=...")
        kind_raw = raw.get("type")
        field = raw.get("field")
        named = f" for field [{shown(field)}]" if isinstance(field, str) else ""
        if kind_raw is None:
            raise FilterError(f'Filter element "type" is missing{named}' if named
                              else 'Filter element "type" is required for all filters')
        if not isinstance(kind_raw, str):
            raise FilterError(f'Filter element "type" must be text{named}')
        op = kind_raw.lower()
        if op not in OPERATORS:
            raise FilterError(f"Unknown filter type [{shown(kind_raw)}]; types: {_listed(OPERATORS)}")
        for key in raw:
            if key not in ALLOWED_KEYS[op]:
                raise FilterError(f"Filter key [{shown(key)}] is not allowed with type [{op}]")
        joined = raw.get("where")
        if joined is not None and (not isinstance(joined, str) or joined.lower() not in ("and", "or")):
            raise FilterError(f"Invalid where [{_named(joined)}] in filter: use and or or")
        if op in GROUP:
            return self.group(op, raw.get("conditions"), depth, where)
        return self.leaf(op, raw, field)

    def group(self, op: str, conditions: Any, depth: int, where: str) -> Predicate:
        if conditions is None:
            raise FilterError(f'Filter element "conditions" is missing for type [{op}]')
        nested = indexed(conditions, f"{where}[conditions]")
        if not nested:
            raise FilterError(f'Filter element "conditions" is empty for type [{op}]')
        children = [self.item(child, depth + 1, f"{where}[conditions][{i}]")
                    for i, child in enumerate(nested)]
        if op == "andx":
            return lambda row: all(child(row) for child in children)
        return lambda row: any(child(row) for child in children)

    def operand(self, raw: Any, name: str, field: str) -> str:
        if raw is None:
            raise FilterError(f'Filter element "{name}" is missing for field [{field}]')
        if not isinstance(raw, str):
            raise FilterError(f'Filter element "{name}" must be text for field [{field}]')
        if self.user_id is not None and name in ("value", "values") and USER_ID in raw:
            return raw.replace(USER_ID, str(self.user_id))
        return raw

    def convert(self, text: str, kind: str, field: str, php_format: str) -> Any:
        if kind in ("int", "number"):
            if not _NUMBER.fullmatch(text):
                raise FilterError(f"Filter value [{shown(text)}] is not a number for field [{field}]")
            return float(text) if "." in text else int(text)
        if kind == "bool":
            lowered = text.lower()
            if lowered in ("1", "true"):
                return 1
            if lowered in ("0", "false"):
                return 0
            raise FilterError(f"Filter value [{shown(text)}] is not 1, 0, true or false for field [{field}]")
        if kind == "date":
            try:
                return parse_php_date(text, php_format)
            except FilterError as error:
                raise FilterError(f"{error} on field [{field}]") from None
        return collate(text)

    def leaf(self, op: str, raw: dict[str, Any], field: Any) -> Predicate:
        if field is None:
            raise FilterError(f'Filter element "field" is missing for type [{op}]')
        if not isinstance(field, str) or not _FIELD_NAME.fullmatch(field):
            raise FilterError(f"Invalid field name [{_named(field)}] in filter")
        kind = self.fields.get(field)
        if kind is None:
            raise FilterError(f"Invalid field [{shown(field)}] in filter; fields: {_listed(self.fields)}")
        alias = raw.get("alias")
        if alias is not None and alias != "row":
            raise FilterError(f"Invalid alias [{_named(alias)}] in filter: only row is supported")
        php_format = raw.get("format", DEFAULT_FORMAT)
        if not isinstance(php_format, str):
            raise FilterError(f'Filter element "format" must be text for field [{field}]')
        if op in NULL:
            if op == "isnull":
                return lambda row: row.get(field) is None
            return lambda row: row.get(field) is not None
        if op in LIKE:
            matcher = like_matcher(collate(self.operand(raw.get("value"), "value", field)))
            text: Key = collate if kind == "str" else (lambda v: _text_of(v, kind))
            if op == "like":
                return lambda row: (v := row.get(field)) is not None and matcher(text(v))
            return lambda row: (v := row.get(field)) is not None and not matcher(text(v))
        key = collate if kind == "str" else None
        if op in SET:
            if raw.get("values") is None:
                raise FilterError(f'Filter element "values" is missing for field [{field}]')
            values = indexed(raw["values"], f"values for field [{field}]")
            if not values:
                raise FilterError(f'Filter element "values" is empty for field [{field}]')
            if len(values) > MAX_VALUES:
                raise FilterError(f"Filter values for field [{field}] are too many (at most {MAX_VALUES})")
            members = frozenset(self.convert(self.operand(v, "values", field), kind, field, php_format)
                                for v in values)
            return _membership(field, key, members, op == "in")
        if op == "between":
            low = self.convert(self.operand(raw.get("from"), "from", field), kind, field, php_format)
            high = self.convert(self.operand(raw.get("to"), "to", field), kind, field, php_format)
            return _between(field, key, low, high)
        operand = self.convert(self.operand(raw.get("value"), "value", field), kind, field, php_format)
        return _comparison(op, field, key, operand)


_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq, "neq": operator.ne, "lt": operator.lt, "lte": operator.le, "gt": operator.gt,
    "gte": operator.ge,
}


def _membership(field: str, key: Key | None, members: frozenset[Any], inside: bool) -> Predicate:
    if key is None:
        if inside:
            return lambda row: (v := row.get(field)) is not None and v in members
        return lambda row: (v := row.get(field)) is not None and v not in members
    if inside:
        return lambda row: (v := row.get(field)) is not None and key(v) in members
    return lambda row: (v := row.get(field)) is not None and key(v) not in members


def _between(field: str, key: Key | None, low: Any, high: Any) -> Predicate:
    if key is None:
        return lambda row: (v := row.get(field)) is not None and low <= v <= high
    return lambda row: (v := row.get(field)) is not None and low <= key(v) <= high


def _comparison(op: str, field: str, key: Key | None, x: Any) -> Predicate:
    # One specialised closure per operator: this is the hot path of every listing.
    if key is not None:
        if op == "eq":
            return lambda row: (v := row.get(field)) is not None and key(v) == x
        if op == "neq":
            return lambda row: (v := row.get(field)) is not None and key(v) != x
        compare = _OPERATORS[op]
        return lambda row: (v := row.get(field)) is not None and compare(key(v), x)
    if op == "eq":
        return lambda row: (v := row.get(field)) is not None and v == x
    if op == "neq":
        return lambda row: (v := row.get(field)) is not None and v != x
    if op == "lt":
        return lambda row: (v := row.get(field)) is not None and v < x
    if op == "lte":
        return lambda row: (v := row.get(field)) is not None and v <= x
    if op == "gt":
        return lambda row: (v := row.get(field)) is not None and v > x
    return lambda row: (v := row.get(field)) is not None and v >= x


def compile_filter(
    items: Sequence[Any], fields: Mapping[str, str], user_id: int | None = None
) -> Predicate | None:
    """One predicate for a parsed filter list over rows with ``fields`` (name -> kind); ``None`` if empty.

    ``user_id`` replaces ``$USER_ID`` in every ``value`` and ``values`` operand.
    """
    if not items:
        return None
    compiler = _Compiler(fields, user_id)
    first = compiler.item(items[0], 1, "filter[0]")
    rest: list[tuple[bool, Predicate]] = []
    for index, raw in enumerate(items[1:], start=1):
        predicate = compiler.item(raw, 1, f"filter[{index}]")
        where = raw.get("where") if isinstance(raw, dict) else None
        rest.append((isinstance(where, str) and where.lower() == "or", predicate))
    if not rest:
        return first
    if len(rest) == 1:  # the common two-clause filter, without the loop
        is_or, second = rest[0]
        if is_or:
            return lambda row: first(row) or second(row)
        return lambda row: first(row) and second(row)

    def evaluate(row: Row) -> bool:
        result = first(row)
        for is_or, predicate in rest:
            result = (result or predicate(row)) if is_or else (result and predicate(row))
        return result

    return evaluate


# -- order-by ---------------------------------------------------------------------------------------


def compile_order(entries: Sequence[Any], fields: Mapping[str, str]) -> list[tuple[str, str, bool]]:
    """``(field, kind, descending)`` per ``order-by`` entry, most significant first."""
    if len(entries) > MAX_ORDER:
        raise FilterError(f"Too many order-by entries (at most {MAX_ORDER})")
    out: list[tuple[str, str, bool]] = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict):
            raise FilterError(f"order-by[{index}] must be an object: write order-by[{index}][field]=...")
        for key in entry:
            if key not in ORDER_KEYS:
                raise FilterError(f"Invalid key [{shown(key)}] in order-by directive")
        kind_raw = entry.get("type")
        if kind_raw is None:
            raise FilterError(f'order-by element "type" is missing in order-by[{index}]: use type=field')
        if not isinstance(kind_raw, str) or kind_raw.lower() != "field":
            raise FilterError(f"Invalid order-by type [{_named(kind_raw)}]; only field is supported")
        field = entry.get("field")
        if not isinstance(field, str):
            raise FilterError(f'order-by element "field" is missing in order-by[{index}]')
        if field not in fields:
            listed = _listed(fields)
            raise FilterError(f"Invalid field [{shown(field)}] in orderby directive; fields: {listed}")
        alias = entry.get("alias")
        if alias is not None and alias != "row":
            raise FilterError(f"Invalid alias in order-by directive for field [{field}]: only row")
        direction = entry.get("direction")
        if not isinstance(direction, str) or direction.lower() not in ("asc", "desc"):
            raise FilterError(f"Invalid direction in order-by directive for field [{field}]")
        out.append((field, fields[field], direction.lower() == "desc"))
    return out


def sort_records(
    records: list[T], order: Sequence[tuple[str, str, bool]], row_of: Callable[[T], Row]
) -> list[T]:
    """``records`` (in id order) sorted by ``order``, stably: ties keep their id order."""
    if not order:
        return records
    result = list(records)
    for field, kind, descending in reversed(order):
        def sort_key(record: T, field: str = field, kind: str = kind) -> tuple[int, Any]:
            value = row_of(record).get(field)
            if value is None:
                return (0, 0)
            return (1, collate(value) if kind == "str" else value)

        result.sort(key=sort_key, reverse=descending)
    return result
