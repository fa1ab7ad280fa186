"""Query depth and size limits, as a graphql-core validation rule.

A mock that answers any document can be made to spend seconds on one request (deep nesting,
fragments spread thousands of times, the quadratic "fields can be merged" check on thousands of
aliases). The rule measures each operation once, expanding fragment spreads with memoisation so
a "fragment bomb" costs as much as its text, and reports a ``GRAPHQL_VALIDATION_FAILED`` error
when the operation is nested deeper than ``max_depth`` or selects more than ``max_fields``
fields (aliases and repeated spreads count each time they would be resolved). It runs in a first,
cheap validation pass so oversized documents never reach the specified rules.
"""

from __future__ import annotations

from typing import Any, ClassVar

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationRule,
)
from graphql.language import SKIP

__all__ = ["MAX_DEPTH", "MAX_FIELDS", "QueryLimitsRule", "limits_rule"]

MAX_DEPTH = 15
MAX_FIELDS = 2000


class QueryLimitsRule(ValidationRule):
    """Rejects operations deeper than :attr:`max_depth` or wider than :attr:`max_fields`."""

    max_depth: ClassVar[int] = MAX_DEPTH
    max_fields: ClassVar[int] = MAX_FIELDS

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self._fragments: dict[str, tuple[int, int]] = {}

    def enter_operation_definition(self, node: OperationDefinitionNode, *_args: Any) -> Any:
        try:
            depth, fields = self._measure(node.selection_set, frozenset())
        except RecursionError:
            depth, fields = self.max_depth + 1, 0
        name = f' "{node.name.value}"' if node.name else ""
        if depth > self.max_depth:
            self.report_error(GraphQLError(
                f"Operation{name} is nested {depth} levels deep; the maximum allowed depth is"
                f" {self.max_depth}.", node))
        if fields > self.max_fields:
            self.report_error(GraphQLError(
                f"Operation{name} selects {fields} fields; the maximum allowed is {self.max_fields}.", node))
        return SKIP

    def enter_fragment_definition(self, *_args: Any) -> Any:
        return SKIP  # measured where it is spread

    def _measure(self, selection_set: SelectionSetNode | None, visiting: frozenset[str]) -> tuple[int, int]:
        """(depth, field count) of a selection set, fragments expanded."""
        if selection_set is None:
            return 0, 0
        depth = fields = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                child_depth, child_fields = self._measure(selection.selection_set, visiting)
                depth = max(depth, child_depth + 1)
                fields += child_fields + 1
            elif isinstance(selection, InlineFragmentNode):
                child_depth, child_fields = self._measure(selection.selection_set, visiting)
                depth = max(depth, child_depth)
                fields += child_fields
            elif isinstance(selection, FragmentSpreadNode):
                child_depth, child_fields = self._spread(selection.name.value, visiting)
                depth = max(depth, child_depth)
                fields += child_fields
        return depth, fields

    def _spread(self, name: str, visiting: frozenset[str]) -> tuple[int, int]:
        if name in visiting:  # a cycle: NoFragmentCyclesRule reports it
            return 0, 0
        cached = self._fragments.get(name)
        if cached is not None:
            return cached
        fragment = self.context.get_fragment(name)
        if fragment is None:  # unknown: KnownFragmentNamesRule reports it
            return 0, 0
        measured = self._measure(fragment.selection_set, visiting | {name})
        self._fragments[name] = measured
        return measured


def limits_rule(max_depth: int = MAX_DEPTH, max_fields: int = MAX_FIELDS) -> type[QueryLimitsRule]:
    """A :class:`QueryLimitsRule` with other limits."""
    return type("QueryLimitsRule", (QueryLimitsRule,), {"max_depth": max_depth, "max_fields": max_fields})
