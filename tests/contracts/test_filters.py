"""The Assine filter builder: its query pairs parse back into the tree it was given."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from specmock.contracts.clients import F, Filter, OrderBy, to_params

_KEY = re.compile(r"^(filter|order-by)((?:\[[^\[\]]*\])+)$")


def parse_php_query(query: str) -> dict[str, Any]:
    """A small parser for PHP bracket syntax (``a[0][b][]=x``): lists for numeric and ``[]`` keys."""
    root: dict[str, Any] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        match = _KEY.match(key)
        assert match, key
        parts = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
        node: Any = root
        for part, following in zip(parts, [*parts[1:], None], strict=True):
            if following is None:
                if part == "":
                    node.append(value)
                else:
                    node[part] = value
                break
            child_is_list = following == "" or following.isdigit()
            if isinstance(node, list):
                index = int(part)
                while len(node) <= index:
                    node.append(None)
                if node[index] is None:
                    node[index] = [] if child_is_list else {}
                node = node[index]
            else:
                node = node.setdefault(part, [] if child_is_list else {})
    return root


texts = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=8)
fields = st.from_regex(r"[a-zA-Z][a-zA-Z0-9_.]{0,10}", fullmatch=True)
opts = st.fixed_dictionaries({}, optional={"where": st.sampled_from(["and", "or"]), "alias": fields})


def leaves() -> st.SearchStrategy[Filter]:
    value_ops = st.sampled_from(["eq", "neq", "lt", "lte", "gt", "gte", "like", "notlike", "ismemberof"])
    scalars = st.one_of(texts, st.integers(-(10**6), 10**6), st.booleans(), st.just("$USER_ID"))
    return st.one_of(
        st.builds(lambda op, f, v, o: F.op(op, f, v, **o), value_ops, fields, scalars, opts),
        st.builds(lambda f, o: F.isnull(f, **o), fields, opts),
        st.builds(lambda f, o: F.isnotnull(f, **o), fields, opts),
        st.builds(
            lambda f, vs, o: F.in_(f, vs, **o), fields, st.lists(scalars, min_size=1, max_size=3), opts
        ),
        st.builds(
            lambda f, vs, o: F.notin(f, vs, **o), fields, st.lists(scalars, min_size=1, max_size=3), opts
        ),
        st.builds(lambda f, a, b, o: F.between(f, a, b, **o), fields, scalars, scalars, opts),
    )


filters = st.recursive(
    leaves(),
    lambda children: st.one_of(
        st.builds(lambda cs: F.andx(*cs), st.lists(children, min_size=1, max_size=3)),
        st.builds(lambda cs: F.orx(*cs), st.lists(children, min_size=1, max_size=3)),
    ),
    max_leaves=6,
)
orders = st.builds(F.order_by, fields, st.sampled_from(["asc", "desc", "ASC"]))


@given(items=st.lists(filters, max_size=4), order=st.lists(orders, max_size=2))
def test_query_pairs_parse_back_into_the_same_tree(items: list[Filter], order: list[OrderBy]) -> None:
    query = urlencode(to_params(items, order))
    parsed = parse_php_query(query)
    assert parsed.get("filter", []) == [item.as_dict() for item in items]
    assert parsed.get("order-by", []) == [o.as_dict() for o in order]


@given(items=st.lists(filters, min_size=1, max_size=3))
def test_every_pair_is_a_filter_key_with_a_text_value(items: list[Filter]) -> None:
    for key, value in to_params(items):
        assert _KEY.match(key) and isinstance(value, str)


def test_the_documented_user_id_filter() -> None:
    assert to_params([F.eq("id", "$USER_ID")]) == [
        ("filter[0][field]", "id"),
        ("filter[0][type]", "eq"),
        ("filter[0][value]", "$USER_ID"),
    ]


def test_the_documented_nested_or() -> None:
    query = urlencode(to_params([F.orx(F.eq("status", 1), F.eq("status", 2))]), safe="[]")
    assert query == (
        "filter[0][type]=orx&filter[0][conditions][0][field]=status&filter[0][conditions][0][type]=eq"
        "&filter[0][conditions][0][value]=1&filter[0][conditions][1][field]=status"
        "&filter[0][conditions][1][type]=eq&filter[0][conditions][1][value]=2"
    )


def test_values_between_dates_and_order() -> None:
    pairs = to_params(
        [
            F.in_("id", [1, 2]),
            F.between(
                "dateCreated",
                dt.date(2024, 1, 1),
                dt.datetime(2024, 1, 31, 23, 59),
                format="Y-m-d",
                where="or",
            ),
        ],
        [F.order_by("name", "DESC")],
    )
    assert pairs == [
        ("filter[0][field]", "id"),
        ("filter[0][type]", "in"),
        ("filter[0][values][]", "1"),
        ("filter[0][values][]", "2"),
        ("filter[1][field]", "dateCreated"),
        ("filter[1][type]", "between"),
        ("filter[1][from]", "2024-01-01"),
        ("filter[1][to]", "2024-01-31 23:59:00"),
        ("filter[1][where]", "or"),
        ("filter[1][format]", "Y-m-d"),
        ("order-by[0][type]", "field"),
        ("order-by[0][field]", "name"),
        ("order-by[0][direction]", "desc"),
    ]


def test_joins_carry_alias_and_parent_alias() -> None:
    assert to_params([F.innerjoin("businessUnit", "bu", parent_alias="row")]) == [
        ("filter[0][field]", "businessUnit"),
        ("filter[0][type]", "innerjoin"),
        ("filter[0][alias]", "bu"),
        ("filter[0][parentAlias]", "row"),
    ]


@pytest.mark.parametrize(
    "build",
    [
        lambda: F.op("regex", "a", 1),
        lambda: F.eq("a", 1, where="xor"),
        lambda: F.order_by("a", "up"),
        lambda: F.eq("a", None),
    ],
)
def test_invalid_filters_are_refused(build: Any) -> None:
    with pytest.raises(ValueError):
        build()
