"""Builder for Assine Online's ``filter[i][...]`` / ``order-by[i][...]`` query grammar.

The API uses the Apigility (Laminas API Tools) Doctrine query-builder dialect. Build a tree with
:class:`F` and turn it into ``(key, value)`` pairs for the query string::

    >>> to_params([F.eq("id", "$USER_ID")])
    [('filter[0][field]', 'id'), ('filter[0][type]', 'eq'), ('filter[0][value]', '$USER_ID')]
    >>> to_params([F.orx(F.eq("status", 1), F.eq("status", 2))], [F.order_by("name", "desc")])[:2]
    [('filter[0][type]', 'orx'), ('filter[0][conditions][0][field]', 'status')]

Operators: ``eq neq lt lte gt gte like notlike ismemberof`` (``value``), ``isnull isnotnull``,
``in_ notin`` (``values[]``), ``between`` (``from``/``to``), ``andx orx`` (``conditions``) and
``innerjoin leftjoin``. Every item takes the optional ``where`` (``"and"``/``"or"``: how it joins
the previous items), ``alias`` and ``format`` (PHP date format, e.g. ``"Y-m-d"``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["F", "Filter", "OrderBy", "to_params"]

_VALUE_OPS = ("eq", "neq", "lt", "lte", "gt", "gte", "like", "notlike", "ismemberof")


def _text(value: Any) -> str:
    """A filter value as the API expects it in the query string."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    if value is None:
        raise ValueError("a filter value cannot be None (use F.isnull)")
    return str(value)


@dataclass(frozen=True)
class Filter:
    """One ``filter[i]`` item. Build it with :class:`F` rather than directly."""

    type: str
    field: str | None = None
    value: str | None = None
    values: tuple[str, ...] | None = None
    from_: str | None = None
    to: str | None = None
    conditions: tuple[Filter, ...] | None = None
    options: tuple[tuple[str, str], ...] = ()  # where, alias, format, parentAlias

    def as_dict(self) -> dict[str, Any]:
        """The item as the nested PHP array the server decodes (keys in query order)."""
        out: dict[str, Any] = {}
        if self.field is not None:
            out["field"] = self.field
        out["type"] = self.type
        if self.value is not None:
            out["value"] = self.value
        if self.values is not None:
            out["values"] = list(self.values)
        if self.from_ is not None:
            out["from"] = self.from_
        if self.to is not None:
            out["to"] = self.to
        out.update(self.options)
        if self.conditions is not None:
            out["conditions"] = [c.as_dict() for c in self.conditions]
        return out


@dataclass(frozen=True)
class OrderBy:
    """One ``order-by[i]`` item."""

    field: str
    direction: str = "asc"
    alias: str | None = None

    def as_dict(self) -> dict[str, str]:
        out = {"type": "field", "field": self.field, "direction": self.direction}
        if self.alias is not None:
            out["alias"] = self.alias
        return out


def _options(where: str | None, alias: str | None, format: str | None, **more: str | None) -> tuple:
    if where is not None and where not in ("and", "or"):
        raise ValueError(f"where must be 'and' or 'or', not {where!r}")
    pairs = {"where": where, "alias": alias, "format": format, **more}
    return tuple((k, v) for k, v in pairs.items() if v is not None)


class F:
    """Filter constructors (all static)."""

    @staticmethod
    def op(
        type: str,
        field: str,
        value: Any,
        *,
        where: str | None = None,
        alias: str | None = None,
        format: str | None = None,
    ) -> Filter:
        if type not in _VALUE_OPS:
            raise ValueError(f"unknown value operator {type!r}")
        return Filter(type, field, value=_text(value), options=_options(where, alias, format))

    @staticmethod
    def eq(field: str, value: Any, **opts: Any) -> Filter:
        return F.op("eq", field, value, **opts)

    @staticmethod
    def neq(field: str, value: Any, **opts: Any) -> Filter:
        return F.op("neq", field, value, **opts)

    @staticmethod
    def lt(field: str, value: Any, **opts: Any) -> Filter:
        return F.op("lt", field, value, **opts)

    @staticmethod
    def lte(field: str, value: Any, **opts: Any) -> Filter:
        return F.op("lte", field, value, **opts)

    @staticmethod
    def gt(field: str, value: Any, **opts: Any) -> Filter:
        return F.op("gt", field, value, **opts)

    @staticmethod
    def gte(field: str, value: Any, **opts: Any) -> Filter:
        return F.op("gte", field, value, **opts)

    @staticmethod
    def like(field: str, pattern: str, **opts: Any) -> Filter:
        return F.op("like", field, pattern, **opts)

    @staticmethod
    def notlike(field: str, pattern: str, **opts: Any) -> Filter:
        return F.op("notlike", field, pattern, **opts)

    @staticmethod
    def ismemberof(field: str, value: Any, **opts: Any) -> Filter:
        return F.op("ismemberof", field, value, **opts)

    @staticmethod
    def isnull(field: str, *, where: str | None = None, alias: str | None = None) -> Filter:
        return Filter("isnull", field, options=_options(where, alias, None))

    @staticmethod
    def isnotnull(field: str, *, where: str | None = None, alias: str | None = None) -> Filter:
        return Filter("isnotnull", field, options=_options(where, alias, None))

    @staticmethod
    def in_(
        field: str,
        values: Iterable[Any],
        *,
        where: str | None = None,
        alias: str | None = None,
        format: str | None = None,
        type: str = "in",
    ) -> Filter:
        return Filter(
            type, field, values=tuple(_text(v) for v in values), options=_options(where, alias, format)
        )

    @staticmethod
    def notin(field: str, values: Iterable[Any], **opts: Any) -> Filter:
        return F.in_(field, values, type="notin", **opts)

    @staticmethod
    def between(
        field: str,
        from_: Any,
        to: Any,
        *,
        where: str | None = None,
        alias: str | None = None,
        format: str | None = None,
    ) -> Filter:
        return Filter(
            "between", field, from_=_text(from_), to=_text(to), options=_options(where, alias, format)
        )

    @staticmethod
    def andx(*conditions: Filter, where: str | None = None) -> Filter:
        return Filter("andx", conditions=tuple(conditions), options=_options(where, None, None))

    @staticmethod
    def orx(*conditions: Filter, where: str | None = None) -> Filter:
        return Filter("orx", conditions=tuple(conditions), options=_options(where, None, None))

    @staticmethod
    def innerjoin(
        field: str, alias: str, *, parent_alias: str | None = None, type: str = "innerjoin"
    ) -> Filter:
        return Filter(type, field, options=_options(None, alias, None, parentAlias=parent_alias))

    @staticmethod
    def leftjoin(field: str, alias: str, *, parent_alias: str | None = None) -> Filter:
        return F.innerjoin(field, alias, parent_alias=parent_alias, type="leftjoin")

    @staticmethod
    def order_by(field: str, direction: str = "asc", *, alias: str | None = None) -> OrderBy:
        if direction.lower() not in ("asc", "desc"):
            raise ValueError(f"direction must be 'asc' or 'desc', not {direction!r}")
        return OrderBy(field, direction.lower(), alias)


def _flatten(prefix: str, tree: dict[str, Any]) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for key, value in tree.items():
        if key == "values":
            pairs.extend((f"{prefix}[values][]", v) for v in value)
        elif key == "conditions":
            for i, child in enumerate(value):
                pairs.extend(_flatten(f"{prefix}[conditions][{i}]", child))
        else:
            pairs.append((f"{prefix}[{key}]", value))
    return pairs


def to_params(filters: Sequence[Filter] = (), order_by: Sequence[OrderBy] = ()) -> list[tuple[str, str]]:
    """Query pairs for ``filters`` and ``order_by`` (pass them as ``params=`` to any HTTP client)."""
    pairs: list[tuple[str, str]] = []
    for i, item in enumerate(filters):
        pairs.extend(_flatten(f"filter[{i}]", item.as_dict()))
    for i, order in enumerate(order_by):
        pairs.extend(_flatten(f"order-by[{i}]", order.as_dict()))
    return pairs
