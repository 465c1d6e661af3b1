"""The shape of an operation — depth, aliases, directives, introspection — counted through
fragments, as a client's document would execute.

Fragments add no depth of their own (`...F` and `... on T` are not fields); a fragment spread
twice counts twice (a fragment of 15 aliases spread 10 times is 150 aliased fields). Each
fragment is measured once and reused, so a "fragment bomb" (F1 spreading F2 twice, F2 spreading
F3 twice, …) is counted in linear time; a spread that would close a cycle counts nothing (the
validation rule `NoFragmentCyclesRule` refuses such a document anyway).

Depth counts fields, the leaf included: `{ household { id } }` has depth 2. A Relay page's
`edges` adds none: `edges { node { … } }` is one step down to the items, so a connection costs
one level more than a plain list (`{ households { edges { node { id } } } }` has depth 3), and
a connection nested in another's items stays within reach. The subtrees of
`__schema` and `__type` add no depth (GraphiQL's own introspection query nests `ofType` nine
levels); whether they may run at all is the introspection setting's business.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})
# A connection's list of edges: its `node` is the level that counts.
RELAY_EDGES = "edges"


@dataclass(frozen=True, slots=True)
class Shape:
    depth: int = 0
    aliases: int = 0
    directives: int = 0
    introspection: bool = False

    def __or__(self, other: Shape) -> Shape:
        """Siblings: the deeper depth, the sum of the counts."""
        return Shape(max(self.depth, other.depth), self.aliases + other.aliases,
                      self.directives + other.directives, self.introspection or other.introspection)


EMPTY = Shape()


class _Measure:
    def __init__(self, fragments: dict[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.done: dict[str, Shape] = {}
        self.open: set[str] = set()

    def selections(self, node: SelectionSetNode | None) -> Shape:
        total = EMPTY
        for selection in node.selections if node else ():
            total |= self.selection(selection)
        return total

    def selection(self, node: object) -> Shape:
        if isinstance(node, FieldNode):
            return self.field(node)
        if isinstance(node, InlineFragmentNode):
            inner = self.selections(node.selection_set)
            return inner | Shape(directives=len(node.directives or ()))
        if isinstance(node, FragmentSpreadNode):
            return self.spread(node.name.value) | Shape(directives=len(node.directives or ()))
        return EMPTY

    def field(self, node: FieldNode) -> Shape:
        inner = self.selections(node.selection_set)
        introspection = node.name.value in INTROSPECTION_FIELDS
        return Shape(
            depth=0 if introspection else inner.depth + (node.name.value != RELAY_EDGES),
            aliases=inner.aliases + (node.alias is not None),
            directives=inner.directives + len(node.directives or ()),
            introspection=introspection or inner.introspection,
        )

    def spread(self, name: str) -> Shape:
        if name in self.done:
            return self.done[name]
        fragment = self.fragments.get(name)
        if fragment is None or name in self.open:
            return EMPTY
        self.open.add(name)
        shape = self.selections(fragment.selection_set)
        shape |= Shape(directives=len(fragment.directives or ()))
        self.open.discard(name)
        self.done[name] = shape
        return shape


def operations(document: DocumentNode) -> list[OperationDefinitionNode]:
    return [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]


def select_operation(
    document: DocumentNode, name: str | None
) -> OperationDefinitionNode | None:
    """The operation a request names, or its only one; None when that is ambiguous."""
    ops = operations(document)
    if name:
        return next((op for op in ops if op.name and op.name.value == name), None)
    return ops[0] if len(ops) == 1 else None


def measure(document: DocumentNode, operation_name: str | None = None) -> Shape:
    """The shape of the operation a request would run (of every operation, when it names none
    and the document holds several: the request fails later, but is measured all the same)."""
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}
    measure = _Measure(fragments)
    chosen = select_operation(document, operation_name)
    total = EMPTY
    for op in [chosen] if chosen else operations(document):
        shape = measure.selections(op.selection_set)
        var_directives = sum(len(v.directives or ()) for v in op.variable_definitions or ())
        total |= shape | Shape(directives=len(op.directives or ()) + var_directives)
    return total
