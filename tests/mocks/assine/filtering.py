"""A plain-Python reference for the filter dialect, a query encoder and hypothesis strategies.

Written independently of the mock's ``filters`` module and deliberately simple: LIKE through a
regular expression, dates through ``strptime``, ordering through a comparison function. The
property tests check the mock against it.

Semantics (the mock's documented choices): items fold left by ``where``; a null field satisfies
only ``isnull``; text compares case- and accent-insensitively; ``$USER_ID`` in ``value``/``values``
is the caller's id; ``order-by`` is stable on id order with NULLs lowest.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from hypothesis import strategies as st

Row = Mapping[str, Any]

FORMATS = {"Y-m-d H:i:s": "%Y-%m-%d %H:%M:%S", "Y-m-d": "%Y-%m-%d", "d/m/Y": "%d/%m/%Y"}
OPS_BY_KIND = {
    "str": ["eq", "neq", "lt", "lte", "gt", "gte", "in", "notin", "between", "like", "notlike", "isnull",
            "isnotnull"],
    "int": ["eq", "neq", "lt", "lte", "gt", "gte", "in", "notin", "between", "like", "notlike", "isnull",
            "isnotnull"],
    "bool": ["eq", "neq", "in", "notin", "isnull", "isnotnull"],
    "date": ["eq", "neq", "lt", "lte", "gt", "gte", "in", "notin", "between", "isnull", "isnotnull"],
}


# -- reference evaluation ------------------------------------------------------------------------------


def fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)).casefold()


def like(pattern: str, text: str) -> bool:
    regex, chars = "", iter(pattern)
    for char in chars:
        if char == "\\":
            regex += re.escape(next(chars, "\\"))
        elif char == "%":
            regex += ".*"
        elif char == "_":
            regex += "."
        else:
            regex += re.escape(char)
    return re.fullmatch(regex, text, re.DOTALL) is not None


def _date(text: str, php_format: str = "Y-m-d H:i:s") -> dt.datetime:
    return dt.datetime.strptime(text, FORMATS[php_format])


def _operand(text: str, kind: str, php_format: str, user_id: int | None) -> Any:
    if user_id is not None:
        text = text.replace("$USER_ID", str(user_id))
    if kind == "int":
        return int(text)
    if kind == "bool":
        return 1 if text.lower() in ("1", "true") else 0
    if kind == "date":
        return _date(text, php_format)
    return fold(text)


def _value(raw: Any, kind: str) -> Any:
    if kind == "date":
        return dt.datetime.strptime(raw, "%Y-%m-%d %H:%M:%S.%f")
    if kind == "bool":
        return int(raw)
    if kind == "str":
        return fold(raw)
    return raw


def _text(raw: Any, kind: str) -> str:
    if kind == "bool":
        return "1" if raw else "0"
    if kind == "date":
        return raw[:19]
    return fold(raw) if kind == "str" else str(raw)


def holds(item: Mapping[str, Any], row: Row, fields: Mapping[str, str], user_id: int | None) -> bool:
    op = item["type"].lower()
    if op in ("andx", "orx"):
        results = [holds(c, row, fields, user_id) for c in item["conditions"]]
        return all(results) if op == "andx" else any(results)
    field = item["field"]
    kind, raw = fields[field], row[field]
    if op == "isnull":
        return raw is None
    if op == "isnotnull":
        return raw is not None
    if raw is None:
        return False
    php_format = item.get("format", "Y-m-d H:i:s")
    if op in ("like", "notlike"):
        matched = like(fold(item["value"].replace("$USER_ID", str(user_id))), _text(raw, kind))
        return matched if op == "like" else not matched
    value = _value(raw, kind)
    if op in ("in", "notin"):
        members = [_operand(v, kind, php_format, user_id) for v in item["values"]]
        return (value in members) == (op == "in")
    if op == "between":
        low = _operand(item["from"], kind, php_format, None)
        high = _operand(item["to"], kind, php_format, None)
        return bool(low <= value <= high)
    x = _operand(item["value"], kind, php_format, user_id)
    return {"eq": value == x, "neq": value != x, "lt": value < x, "lte": value <= x, "gt": value > x,
            "gte": value >= x}[op]


def matches(items: Sequence[Mapping[str, Any]], row: Row, fields: Mapping[str, str],
            user_id: int | None) -> bool:
    if not items:
        return True
    result = holds(items[0], row, fields, user_id)
    for item in items[1:]:
        if item.get("where", "and").lower() == "or":
            result = result or holds(item, row, fields, user_id)
        else:
            result = result and holds(item, row, fields, user_id)
    return result


def ordered(rows: Sequence[Row], entries: Sequence[Mapping[str, str]],
            fields: Mapping[str, str]) -> list[Row]:
    def compare(a: Row, b: Row) -> int:
        for entry in entries:
            field, kind = entry["field"], fields[entry["field"]]
            ka = (0, 0) if a[field] is None else (1, _value(a[field], kind))
            kb = (0, 0) if b[field] is None else (1, _value(b[field], kind))
            if ka != kb:
                result = -1 if ka < kb else 1
                return -result if entry["direction"].lower() == "desc" else result
        return (a["id"] > b["id"]) - (a["id"] < b["id"])

    return sorted(rows, key=functools.cmp_to_key(compare))


# -- encoding ---------------------------------------------------------------------------------------------


def encode(items: Sequence[Mapping[str, Any]], prefix: str = "filter",
           indexed_values: bool = False) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for index, item in enumerate(items):
        head = f"{prefix}[{index}]"
        for key, value in item.items():
            if key == "conditions":
                pairs += encode(value, f"{head}[conditions]", indexed_values)
            elif key == "values":
                pairs += [(f"{head}[values][{i if indexed_values else ''}]", v) for i, v in enumerate(value)]
            else:
                pairs.append((f"{head}[{key}]", value))
    return pairs


def encode_order(entries: Sequence[Mapping[str, str]]) -> list[tuple[str, str]]:
    return [(f"order-by[{i}][{key}]", value)
            for i, entry in enumerate(entries) for key, value in entry.items()]


# -- strategies --------------------------------------------------------------------------------------------

TEXT = st.text(alphabet="aAbBeEéÉãçÇoO _%-1", max_size=6)


def _php(moment: dt.datetime, php_format: str) -> str:
    return moment.strftime(FORMATS[php_format])


@st.composite
def operand(draw: st.DrawFn, rows: Sequence[Row], field: str, kind: str, php_format: str,
            user_id: int | None) -> str:
    seen: list[Any] = [r[field] for r in rows if r[field] is not None]
    if kind == "int":
        if field == "id" and user_id is not None and draw(st.booleans()):
            return "$USER_ID"
        pick = bool(seen) and draw(st.booleans())
        number = draw(st.sampled_from(seen)) if pick else draw(st.integers(-5, 2000))
        return str(number)
    if kind == "bool":
        return draw(st.sampled_from(["0", "1", "true", "false", "TRUE"]))
    if kind == "date":
        if bool(seen) and draw(st.booleans()):
            moment = dt.datetime.strptime(draw(st.sampled_from(seen)), "%Y-%m-%d %H:%M:%S.%f")
        else:
            moment = draw(st.datetimes(dt.datetime(2018, 1, 1), dt.datetime(2025, 12, 31)).map(
                lambda m: m.replace(microsecond=0)))
        return _php(moment, php_format)
    text = draw(st.sampled_from(seen)) if bool(seen) and draw(st.booleans()) else draw(TEXT)
    return draw(st.sampled_from([text, text.upper(), fold(text), text.lower()]))


@st.composite
def like_pattern(draw: st.DrawFn, rows: Sequence[Row], field: str, kind: str) -> str:
    seen = [_text(r[field], kind) for r in rows if r[field] is not None]
    if not seen or draw(st.booleans()):
        return draw(st.text(alphabet="ab%_\\É1", max_size=5))
    text = draw(st.sampled_from(seen))
    start = draw(st.integers(0, len(text)))
    end = draw(st.integers(start, len(text)))
    core = "".join("_" if draw(st.integers(0, 4)) == 0 else c.replace("%", "\\%").replace("_", "\\_")
                   for c in text[start:end])
    return ("%" if start or draw(st.booleans()) else "") + core + ("%" if end < len(text) else "")


@st.composite
def leaf(draw: st.DrawFn, rows: Sequence[Row], fields: Mapping[str, str],
         user_id: int | None) -> dict[str, Any]:
    field = draw(st.sampled_from(sorted(fields)))
    kind = fields[field]
    op = draw(st.sampled_from(OPS_BY_KIND["int" if kind == "number" else kind]))
    item: dict[str, Any] = {"field": field, "type": draw(st.sampled_from([op, op.upper(), op.capitalize()]))}
    php_format = "Y-m-d H:i:s"
    if kind == "date" and draw(st.booleans()):
        php_format = draw(st.sampled_from(["Y-m-d", "d/m/Y", "Y-m-d H:i:s"]))
        item["format"] = php_format
    if op in ("like", "notlike"):
        item["value"] = draw(like_pattern(rows, field, kind))
    elif op in ("in", "notin"):
        values = operand(rows, field, kind, php_format, user_id)
        item["values"] = draw(st.lists(values, min_size=1, max_size=4))
    elif op == "between":
        item["from"] = draw(operand(rows, field, kind, php_format, None))
        item["to"] = draw(operand(rows, field, kind, php_format, None))
    elif op not in ("isnull", "isnotnull"):
        item["value"] = draw(operand(rows, field, kind, php_format, user_id))
    return item


def _with_where(draw: st.DrawFn, item: dict[str, Any]) -> dict[str, Any]:
    if draw(st.booleans()):
        item["where"] = draw(st.sampled_from(["and", "or", "OR", "And"]))
    return item


@st.composite
def filter_items(draw: st.DrawFn, rows: Sequence[Row], fields: Mapping[str, str], user_id: int | None,
                 depth: int = 1, max_size: int = 4) -> list[dict[str, Any]]:
    items = []
    for _ in range(draw(st.integers(1 if depth > 1 else 0, max_size))):
        if depth < 3 and draw(st.integers(0, 3)) == 0:
            group = {"type": draw(st.sampled_from(["andx", "orx", "ORX", "AndX"])),
                     "conditions": draw(filter_items(rows, fields, user_id, depth + 1, 3))}
            items.append(_with_where(draw, group))
        else:
            items.append(_with_where(draw, draw(leaf(rows, fields, user_id))))
    return items


@st.composite
def order_entries(draw: st.DrawFn, fields: Mapping[str, str]) -> list[dict[str, str]]:
    names = draw(st.lists(st.sampled_from(sorted(fields)), max_size=3, unique=True))
    return [{"type": draw(st.sampled_from(["field", "FIELD"])), "field": name,
             "direction": draw(st.sampled_from(["asc", "desc", "ASC", "DESC"]))} for name in names]
