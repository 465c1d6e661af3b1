"""An operation's estimated cost and the page sizes it asks for, with its variables' values.

Every field costs 1 (`__typename` nothing); a field's children cost as many times as the field
may return items: its `first` / `last` argument when it takes one (a Relay connection: its
`edges` then count once more, not again), else `list_size` for a list, else once. So

    households(first: 10) { edges { node { id residents { name } } } }

costs 1 + 10 × (1 + (1 + 1 + (1 + 10 × 1))) = 151. Runs after validation: the document is
valid against the schema, so every field it names exists.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLList,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    NullValueNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    value_from_ast_untyped,
)
from graphql.pyutils import Undefined

PAGE_ARGUMENTS = ("first", "last")


MISSING = object()


@dataclass(slots=True)
class Cost:
    total: int = 0
    pages: list[tuple[str, int]] = field(default_factory=list)  # (field, asked size) over max
    # The request's variables the estimate read (MISSING: not given): the same document with
    # the same values there costs the same.
    reads: dict[str, Any] = field(default_factory=dict)

    def holds_for(self, variables: Mapping[str, Any]) -> bool:
        return all(variables.get(name, MISSING) == value for name, value in self.reads.items())


def _unwrap(type_: Any) -> tuple[Any, bool]:
    """The named type under NonNull / List wrappers, and whether a list is among them."""
    is_list = False
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        is_list = is_list or isinstance(type_, GraphQLList)
        type_ = type_.of_type
    return type_, is_list


class _Estimate:
    def __init__(self, schema: GraphQLSchema, operation: OperationDefinitionNode,
                 fragments: Mapping[str, FragmentDefinitionNode],
                 variables: Mapping[str, Any], *, list_size: int, max_page: int) -> None:
        self.schema, self.fragments = schema, fragments
        self.list_size, self.max_page = list_size, max_page
        defaults = {
            v.variable.name.value: value_from_ast_untyped(v.default_value)
            for v in operation.variable_definitions or () if v.default_value is not None
        }
        self.given, self.variables = variables, {**defaults, **variables}
        self.cost = Cost()
        self.done: dict[tuple[str, bool], int] = {}
        self.open: set[str] = set()

    def selections(self, node: SelectionSetNode | None, parent: Any, paged: bool) -> int:
        total = 0
        for selection in node.selections if node else ():
            if isinstance(selection, FieldNode):
                total += self.field(selection, parent, paged)
            elif isinstance(selection, InlineFragmentNode):
                on = selection.type_condition
                inner = self.schema.get_type(on.name.value) if on else parent
                total += self.selections(selection.selection_set, inner, paged)
            elif isinstance(selection, FragmentSpreadNode):
                total += self.spread(selection.name.value, paged)
        return total

    def field(self, node: FieldNode, parent: Any, paged: bool) -> int:
        name = node.name.value
        fields = getattr(parent, "fields", None) or {}
        definition: GraphQLField | None = fields.get(name)
        if name.startswith("__"):  # __typename, and introspection (allowed or not elsewhere)
            return 0
        if definition is None:
            return 1
        named, is_list = _unwrap(definition.type)
        size = self.page_size(node, definition)
        if size is not None:
            times, child_paged = size, True
        else:
            times, child_paged = (1 if paged else self.list_size) if is_list else 1, False
        return 1 + times * self.selections(node.selection_set, named, child_paged)

    def page_size(self, node: FieldNode, definition: GraphQLField) -> int | None:
        asked = [a for a in PAGE_ARGUMENTS if a in definition.args]
        if not asked:
            return None
        given = {a.name.value: a.value for a in node.arguments or ()}
        sizes = [self.argument(given.get(a), definition.args[a].default_value) for a in asked]
        size = max(sizes)
        if size > self.max_page:
            self.cost.pages.append((node.name.value, size))
        return max(size, 0)

    def argument(self, value: Any, default: Any) -> int:
        if value is None:  # not given: the schema's default (none: the resolver's largest page)
            raw = None if default is Undefined else default
        elif isinstance(value, VariableNode):
            name = value.name.value
            self.cost.reads[name] = self.given.get(name, MISSING)
            raw = self.variables.get(name)
        elif isinstance(value, NullValueNode):
            raw = None
        else:
            raw = int(value.value) if isinstance(value, IntValueNode) else 0
        if raw is None:
            return self.max_page
        return raw if isinstance(raw, int) and not isinstance(raw, bool) else 0

    def spread(self, name: str, paged: bool) -> int:
        key = (name, paged)
        if key in self.done:
            return self.done[key]
        fragment = self.fragments.get(name)
        if fragment is None or name in self.open:
            return 0
        self.open.add(name)
        parent = self.schema.get_type(fragment.type_condition.name.value)
        cost = self.selections(fragment.selection_set, parent, paged)
        self.open.discard(name)
        self.done[key] = cost
        return cost


def estimate(schema: GraphQLSchema, operation: OperationDefinitionNode,
             fragments: Mapping[str, FragmentDefinitionNode], variables: Mapping[str, Any],
             *, list_size: int, max_page: int) -> Cost:
    """The operation's cost, and each `first` / `last` it asks for above `max_page`."""
    root = schema.get_root_type(operation.operation)
    run = _Estimate(schema, operation, fragments, variables, list_size=list_size,
                    max_page=max_page)
    run.cost.total = run.selections(operation.selection_set, root, False)
    return run.cost
