"""graphql-js 16 wording for graphql-core's validation and variable messages.

The gateway runs on Node (NestJS + Apollo, graphql-js 16). The public validation example is
``Field "createToken" argument "password" of type "String!" is required, but it was not
provided.``; graphql-core 3.3 reports the same rule as ``Argument 'Mutation.createToken(password:)'
of type 'String!' is required, but it was not provided.``. The rules whose wording changed are
rewritten here to the graphql-js 16 text; every other message keeps its words and gets graphql-js's
double quotes around names and types. Messages are computed once per cached document, so none of
this is on the hot path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from graphql import GraphQLInputObjectType, GraphQLSchema

__all__ = ["Rewrite", "double_quote", "graphql_js_message", "variable_message"]

_NAME = r"[_A-Za-z][_0-9A-Za-z]*"
_TYPE = r"[^'\s]+"

# A single-quoted name, type, coordinate or variable ('$x', '@skip', '[Int!]!', 'T.f(a:)', 'f { ... }').
_QUOTED = re.compile(r"'([$@]?[_A-Za-z\[][^'\s]*(?: \{ \.\.\. \})?)'")


def double_quote(message: str) -> str:
    return _QUOTED.sub(r'"\1"', message)


def _named(type_str: str) -> str:
    return type_str.strip("[]!")


def _input_field_type(schema: GraphQLSchema, type_str: str, field: str) -> str | None:
    named = schema.get_type(_named(type_str))
    if isinstance(named, GraphQLInputObjectType) and field in named.fields:
        return str(named.fields[field].type)
    return None


Rewrite = Callable[[re.Match[str], GraphQLSchema], str | None]

_RULES: list[tuple[re.Pattern[str], Rewrite]] = [
    (
        re.compile(rf"^Argument '{_NAME}\.(?P<field>{_NAME})\((?P<arg>{_NAME}):\)'"
                   rf" of type '(?P<type>{_TYPE})' is required, but it was not provided\.$"),
        lambda m, _: (f'Field "{m["field"]}" argument "{m["arg"]}" of type "{m["type"]}" is required, '
                      "but it was not provided."),
    ),
    (
        re.compile(rf"^Argument '@(?P<dir>{_NAME})\((?P<arg>{_NAME}):\)' of type '(?P<type>{_TYPE})'"
                   r" is required, but it was not provided\.$"),
        lambda m, _: (f'Directive "@{m["dir"]}" argument "{m["arg"]}" of type "{m["type"]}" is required, '
                      "but it was not provided."),
    ),
    (
        re.compile(rf"^Expected value of type '(?P<type>{_TYPE})'"
                   rf" to include required field '(?P<field>{_NAME})', found: .*\.$", re.DOTALL),
        lambda m, schema: (
            None if (ftype := _input_field_type(schema, m["type"], m["field"])) is None
            else f'Field "{_named(m["type"])}.{m["field"]}" of required type "{ftype}" was not provided.'
        ),
    ),
    (
        re.compile(rf"^Expected value of type '(?P<type>{_TYPE})' not to include unknown field"
                   rf" '(?P<field>{_NAME})'(?:\.(?P<hint> Did you mean .*?\?) Found|, found): .*$",
                   re.DOTALL),
        lambda m, _: (f'Field "{m["field"]}" is not defined by type "{_named(m["type"])}".'
                      + double_quote(m["hint"] or "")),
    ),
    (
        re.compile(rf"^Expected value of non-null type '(?P<type>{_TYPE})' not to be None\.$"),
        lambda m, _: f'Expected value of type "{m["type"]}", found null.',
    ),
    (
        re.compile(rf"^Expected value of type '(?P<type>{_TYPE})' to be an object, found: (?P<value>.*)\.$",
                   re.DOTALL),
        lambda m, _: f'Expected value of type "{m["type"]}", found {m["value"]}.',
    ),
]


def graphql_js_message(message: str, schema: GraphQLSchema) -> str:
    """The graphql-js 16 text of a graphql-core validation message."""
    for pattern, rewrite in _RULES:
        match = pattern.match(message)
        if match is not None:
            rewritten = rewrite(match, schema)
            if rewritten is not None:
                return rewritten
    return double_quote(message)


_VARIABLE = re.compile(
    rf"^Variable '\$(?P<name>{_NAME})' has invalid value(?: at (?P<at>\S+))?: (?P<rest>.*)$", re.DOTALL)
_VARIABLE_MISSING = re.compile(rf"^Expected a value of non-null type '(?P<type>{_TYPE})' to be provided\.$")


def _inspect(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        return repr(value)


def variable_message(message: str, variables: Mapping[str, Any], schema: GraphQLSchema) -> str:
    """graphql-js 16 text of a variable coercion error (``Variable "$x" got invalid value …``)."""
    match = _VARIABLE.match(message)
    if match is None:
        return double_quote(message)
    name, rest = match["name"], match["rest"]
    missing = _VARIABLE_MISSING.match(rest)
    if missing is not None and name not in variables:
        return f'Variable "${name}" of required type "{missing["type"]}" was not provided.'
    prefix = f'Variable "${name}" got invalid value {_inspect(variables.get(name))}'
    if match["at"]:
        prefix += f' at "{name}{match["at"]}"'
    return f"{prefix}; {graphql_js_message(rest, schema)}"
