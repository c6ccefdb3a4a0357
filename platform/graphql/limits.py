"""Query limits strawberry does not ship: a cost budget on nested lists, a cap on input list sizes
(docs/security.md GQL-5), and text no database column can hold (a NUL, a lone UTF-16 surrogate). All run
before any resolver or SQL: in validation for what the document shows, just before execution for what the
variables add — so such input is a VALIDATION error, never an INTERNAL one from the driver.

Cost counts every field once per object it may be resolved on: a field with `first: n` multiplies the
fields under it by n, so `stations(first: 100) { edges { node { network { id } } } }` costs ~400 and two
nested 100-connections cost ~20,000 and are refused."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from strawberry.extensions import AddValidationRules
from strawberry.types.execution import ExecutionContext

from dealernet.core.db import unstorable
from graphql import (
    DocumentNode,
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    IntValueNode,
    ListValueNode,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    ValidationRule,
    VariableNode,
)

MAX_COST = 5_000
MAX_INPUT_LIST = 100
UNSTORABLE = "text with a NUL character or a lone surrogate (invalid Unicode) is not accepted"


def _first(node: FieldNode, variables: dict[str, Any]) -> int:
    for argument in node.arguments or ():
        if argument.name.value in ("first", "last"):
            value = argument.value
            if isinstance(value, IntValueNode):
                return max(int(value.value), 1)
            if isinstance(value, VariableNode) and isinstance(variables.get(value.name.value), int):
                return max(int(variables[value.name.value]), 1)
    return 1


def _cost(
    selection_set: SelectionSetNode | None,
    fragment: Callable[[str], FragmentDefinitionNode | None],
    variables: dict[str, Any],
    seen: frozenset[str],
) -> int:
    if selection_set is None:
        return 0
    total = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            total += 1 + _first(selection, variables) * _cost(selection.selection_set, fragment, variables, seen)
        elif isinstance(selection, InlineFragmentNode):
            total += _cost(selection.selection_set, fragment, variables, seen)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
            found = fragment(selection.name.value)
            if found is not None:
                total += _cost(found.selection_set, fragment, variables, seen | {selection.name.value})
    return total


def _long_lists(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, list):
        if len(value) > MAX_INPUT_LIST:
            yield path
        for index, item in enumerate(value):
            yield from _long_lists(item, f"{path}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _long_lists(item, f"{path}.{key}")


def _unstorable_text(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, str):
        if unstorable(value):
            yield path
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _unstorable_text(item, f"{path}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _unstorable_text(item, f"{path}.{key}")


def _operation(document: DocumentNode | None, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in (document.definitions if document else ()) if isinstance(d, OperationDefinitionNode)]
    if name is None:
        return operations[0] if len(operations) == 1 else None
    return next((op for op in operations if op.name and op.name.value == name), None)


class LiteralLimits(ValidationRule):
    """What the document alone shows: the cost with literal `first` values, and literal list sizes. A
    fixed class, so strawberry's validation cache keeps working."""

    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        cost = _cost(node.selection_set, self.context.get_fragment, {}, frozenset())
        if cost > MAX_COST:
            self.report_error(_over_budget(cost, node))

    def enter_list_value(self, node: ListValueNode, *_: Any) -> None:
        if len(node.values) > MAX_INPUT_LIST:
            self.report_error(GraphQLError(f"a list argument has more than {MAX_INPUT_LIST} items", node))

    def enter_string_value(self, node: StringValueNode, *_: Any) -> None:
        if unstorable(node.value):
            self.report_error(GraphQLError(UNSTORABLE, node))


def _over_budget(cost: int, node: Node | None = None) -> GraphQLError:
    return GraphQLError(
        f"query cost {cost} exceeds the budget of {MAX_COST}: ask for smaller pages",
        node,
        extensions={"code": "VALIDATION"},
    )


class QueryLimits(AddValidationRules):
    """The literal limits in validation; with variables, the same limits again just before execution."""

    execution_context: ExecutionContext

    def __init__(self) -> None:
        super().__init__([LiteralLimits])

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        variables = context.variables or {}
        if variables and context.result is None and context.graphql_document is not None:
            errors = variable_errors(context.graphql_document, context.operation_name, variables)
            if errors:
                context.result = ExecutionResult(data=None, errors=errors)
        yield


def variable_errors(
    document: DocumentNode, operation_name: str | None, variables: dict[str, Any]
) -> list[GraphQLError]:
    """What the variables add to the limits: long lists, unstorable text, the cost with their `first` values."""
    errors = [
        GraphQLError(f"{path} has more than {MAX_INPUT_LIST} items", extensions={"code": "VALIDATION"})
        for path in _long_lists(variables, "variables")
    ] + [
        GraphQLError(f"{path}: {UNSTORABLE}", extensions={"code": "VALIDATION"})
        for path in _unstorable_text(variables, "variables")
    ]
    operation = _operation(document, operation_name)
    if operation is not None:
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        cost = _cost(operation.selection_set, fragments.get, variables, frozenset())
        if cost > MAX_COST:
            errors.append(_over_budget(cost))
    return errors
