"""The filter dialect on its own (no HTTP): random data sets and random trees against the reference."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from specmock.mocks.assine.collation import collate, like_matcher, parse_php_date
from specmock.mocks.assine.filters import (
    FilterError,
    compile_filter,
    compile_order,
    parse_query,
    sort_records,
)
from specmock.mocks.assine.query import MAX_DEPTH, MAX_ITEMS, MAX_VALUES
from tests.mocks.assine.filtering import (
    encode,
    encode_order,
    filter_items,
    like,
    matches,
    order_entries,
    ordered,
)

FIELDS = {"id": "int", "name": "str", "score": "int", "flag": "bool", "when": "date"}

DATES = st.datetimes(dt.datetime(2018, 1, 1), dt.datetime(2025, 12, 31)).map(
    lambda m: m.replace(microsecond=0).strftime("%Y-%m-%d %H:%M:%S.000000"))


@st.composite
def datasets(draw: st.DrawFn) -> list[dict[str, Any]]:
    size = draw(st.integers(0, 14))
    ids = sorted(draw(st.lists(st.integers(1, 500), min_size=size, max_size=size, unique=True)))
    return [{"id": i,
             "name": draw(st.none() | st.text(alphabet="aAbBeEéÉãçÇoO _%-1", max_size=6)),
             "score": draw(st.none() | st.integers(-3, 30)),
             "flag": draw(st.none() | st.booleans()),
             "when": draw(st.none() | DATES)} for i in ids]


def run(items: list[dict[str, Any]], rows: list[dict[str, Any]], user_id: int | None,
        indexed: bool = False) -> list[int]:
    query = parse_query(encode(items, indexed_values=indexed))
    predicate = compile_filter(query.filter, FIELDS, user_id)
    return [r["id"] for r in rows if predicate is None or predicate(r)]


@given(st.data())
def test_random_filters_match_the_reference_on_random_data(data: st.DataObject) -> None:
    rows = data.draw(datasets())
    user_id = data.draw(st.sampled_from([r["id"] for r in rows])) if rows else None
    items = data.draw(filter_items(rows, FIELDS, user_id))
    indexed = data.draw(st.booleans())
    expected = [r["id"] for r in rows if matches(items, r, FIELDS, user_id)]
    assert run(items, rows, user_id, indexed) == expected


@given(st.data())
def test_order_by_is_the_stable_reference_order(data: st.DataObject) -> None:
    rows = data.draw(datasets())
    entries = data.draw(order_entries(FIELDS))
    order = compile_order(parse_query(encode_order(entries)).order, FIELDS)
    assert [r["id"] for r in sort_records(rows, order, lambda r: r)] == [
        r["id"] for r in ordered(rows, entries, FIELDS)]


@given(st.text(alphabet="ab%_\\", max_size=8), st.text(alphabet="ab%_\\", max_size=10))
def test_like_matcher_agrees_with_a_regular_expression(pattern: str, text: str) -> None:
    assert like_matcher(pattern)(text) == like(pattern, text)


def test_like_cannot_be_made_to_backtrack() -> None:
    assert not like_matcher("%a" * 40 + "%b")("a" * 5000)


def test_collation_ignores_case_and_accents() -> None:
    assert collate("JOÃO Conceição") == collate("joao conceicao") == "joao conceicao"
    assert like_matcher(collate("%CONCEI_AO"))(collate("João Conceição"))


@pytest.mark.parametrize(("value", "php_format", "expected"), [
    ("2020-02-20 13:28:28", "Y-m-d H:i:s", "2020-02-20 13:28:28.000000"),
    ("2020-02-20", "Y-m-d", "2020-02-20 00:00:00.000000"),
    ("20/2/20 7h", "j/n/y G\\h", "2020-02-20 07:00:00.000000"),
    ("1582205308", "U", "2020-02-20 13:28:28.000000"),
    ("2020-02-20 13:28:28.5", "Y-m-d H:i:s.u", "2020-02-20 13:28:28.500000"),
])
def test_php_date_formats(value: str, php_format: str, expected: str) -> None:
    assert parse_php_date(value, php_format) == expected


@pytest.mark.parametrize(("value", "php_format"), [
    ("2020-02-30 00:00:00", "Y-m-d H:i:s"), ("2020-02-20", "Y-m-d H:i:s"), ("x", "Y"), ("2020", "Y-M"),
    ("2020-2020", "Y-Y"),
])
def test_bad_dates_and_formats_are_filter_errors(value: str, php_format: str) -> None:
    with pytest.raises(FilterError):
        parse_php_date(value, php_format)


def compile_pairs(pairs: list[tuple[str, str]]) -> Any:
    return compile_filter(parse_query(pairs).filter, FIELDS, 1)


@pytest.mark.parametrize(("pairs", "named"), [
    ([("filter[0][field]", "color"), ("filter[0][type]", "eq"), ("filter[0][value]", "x")], "color"),
    ([("filter[0][field]", "id"), ("filter[0][type]", "ismemberof"), ("filter[0][value]", "1")],
     "ismemberof"),
    ([("filter[0][field]", "id"), ("filter[0][type]", "eq")], '"value"'),
    ([("filter[0][field]", "id"), ("filter[0][value]", "1")], '"type"'),
    ([("filter[0][field]", "id"), ("filter[0][type]", "eq"), ("filter[0][value]", "abc")], "abc"),
    ([("filter[0][field]", "id"), ("filter[0][type]", "eq"), ("filter[0][value]", "1"),
      ("filter[0][values][]", "1")], "values"),
    ([("filter[0][field]", "id"), ("filter[0][type]", "eq"), ("filter[0][value]", "1"),
      ("filter[0][where]", "xor")], "xor"),
    ([("filter[0][field]", "id"), ("filter[0][type]", "eq"), ("filter[0][value]", "1"),
      ("filter[0][alias]", "u")], "alias"),
    ([("filter[0][type]", "orx")], '"conditions"'),
    ([("filter[x][field]", "id")], "[x]"),
    ([("filter[0][field", "id")], "brackets"),
    ([("filter", "id")], "filter"),
    ([("filter[0]", "id")], "filter[0]"),
    ([("filter[0][field]", "when"), ("filter[0][type]", "gt"), ("filter[0][value]", "2020-01-01"),
      ("filter[0][format]", "Y-m-Q")], "[Q]"),
])
def test_malformed_filters_name_the_culprit(pairs: list[tuple[str, str]], named: str) -> None:
    with pytest.raises(FilterError, match=None) as caught:
        compile_pairs(pairs)
    assert named in str(caught.value)


def test_bounds_are_enforced() -> None:
    many = [(f"filter[{i}][{k}]", v) for i in range(MAX_ITEMS + 1)
            for k, v in (("field", "id"), ("type", "eq"), ("value", "1"))]
    with pytest.raises(FilterError, match="too many items"):
        compile_pairs(many)
    deep = "filter[0]" + "[conditions][0]" * MAX_DEPTH
    with pytest.raises(FilterError, match="too deep"):
        compile_pairs([(f"{deep}[field]", "id"), (f"{deep}[type]", "eq"), (f"{deep}[value]", "1")]
                      + [("filter[0]" + "[conditions][0]" * d + "[type]", "andx") for d in range(MAX_DEPTH)])
    values = [("filter[0][field]", "id"), ("filter[0][type]", "in")]
    values += [("filter[0][values][]", str(i)) for i in range(MAX_VALUES + 1)]
    with pytest.raises(FilterError, match="too many"):
        compile_pairs(values)


def test_nesting_at_the_depth_limit_is_accepted() -> None:
    prefix = "filter[0]" + "[conditions][0]" * (MAX_DEPTH - 1)
    pairs = [("filter[0]" + "[conditions][0]" * d + "[type]", "orx") for d in range(MAX_DEPTH - 1)]
    pairs += [(f"{prefix}[field]", "id"), (f"{prefix}[type]", "eq"), (f"{prefix}[value]", "$USER_ID")]
    predicate = compile_pairs(pairs)
    assert predicate({"id": 1}) and not predicate({"id": 2})


def test_where_folds_left_in_index_order() -> None:
    pairs = [("filter[2][field]", "id"), ("filter[2][type]", "eq"), ("filter[2][value]", "3"),
             ("filter[2][where]", "or"),
             ("filter[0][field]", "id"), ("filter[0][type]", "eq"), ("filter[0][value]", "1"),
             ("filter[1][field]", "id"), ("filter[1][type]", "eq"), ("filter[1][value]", "2"),
             ("filter[1][where]", "and")]
    predicate = compile_pairs(pairs)  # (id=1 AND id=2) OR id=3
    assert [i for i in (1, 2, 3) if predicate({"id": i})] == [3]


def test_null_fields_satisfy_only_isnull() -> None:
    row = {"id": 1, "name": None}
    for op in ("eq", "neq", "lt", "gt", "like", "notlike"):
        assert not compile_pairs([("filter[0][field]", "name"), ("filter[0][type]", op),
                                  ("filter[0][value]", "x")])(row)
    assert compile_pairs([("filter[0][field]", "name"), ("filter[0][type]", "isnull")])(row)
    assert not compile_pairs([("filter[0][field]", "name"), ("filter[0][type]", "notin"),
                              ("filter[0][values][0]", "x")])(row)


def test_order_by_errors_name_the_field_or_direction() -> None:
    with pytest.raises(FilterError, match=r"Invalid field \[color\]"):
        compile_order(parse_query([("order-by[0][type]", "field"), ("order-by[0][field]", "color"),
                                   ("order-by[0][direction]", "asc")]).order, FIELDS)
    with pytest.raises(FilterError, match="direction"):
        compile_order(parse_query([("order-by[0][type]", "field"), ("order-by[0][field]", "id"),
                                   ("order-by[0][direction]", "up")]).order, FIELDS)
