"""The schema extension that holds a document to the limits, and codes every error.

Per request, in Strawberry's order:
- parsing, cached by text: an ad-hoc document may hold `max_tokens` tokens (a trusted one any
  number);
- validation: the operation's shape (depth, aliases, directives, introspection) against the
  limits, then the schema's validation rules — both cached by the document's text, whose hash
  Python keeps, where Strawberry's `ValidationCache` hashes the whole syntax tree each time;
- before execution: the cost and page sizes, with the request's variables (cached with the
  values of the variables they read: a page size's);
- at the end: `code_errors` on whatever the result holds.
A refusal sets the result before execution, so no resolver runs.

The HTTP guard hands this extension the request's `Limits` and, when the document came by its
id, that id, through the ASGI scope; a schema executed without the guard runs under the default
(development) limits.
"""

from __future__ import annotations

import functools
from collections import OrderedDict
from collections.abc import Hashable, Iterator
from typing import Any, Generic, TypeVar

from graphql import (
    DocumentNode,
    ExecutionResult,
    FragmentDefinitionNode,
    GraphQLError,
    parse,
)
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from gateway.errors import (
    GatewayError,
    IntrospectionDisabled,
    InvalidQuery,
    PageTooLarge,
    QueryTooCostly,
    QueryTooDeep,
    TooManyAliases,
    TooManyDirectives,
)
from gateway.limits.config import DEFAULT_LIMITS, Limits
from gateway.limits.cost import Cost, estimate
from gateway.limits.masking import code_errors
from gateway.limits.shape import Shape, measure, operations, select_operation

SCOPE_LIMITS = "juheli.limits"
SCOPE_DOCUMENT = "juheli.document"

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class _Lru(Generic[K, V]):
    def __init__(self, size: int) -> None:
        self.size, self.items = size, OrderedDict[K, V]()

    def get(self, key: K) -> V | None:
        value = self.items.get(key)
        if value is not None:
            self.items.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> V:
        self.items[key] = value
        if len(self.items) > self.size:
            self.items.popitem(last=False)
        return value


# Parsed documents, by text and parse options (the token limit); failures are not kept.
_parse = functools.lru_cache(maxsize=1000)(parse)
_SHAPES: _Lru[tuple[str, str | None], Shape] = _Lru(1000)
_COSTS: _Lru[tuple[str, str | None, int, int], Cost] = _Lru(1000)
_VALIDATED: _Lru[tuple[int, str, tuple[type, ...]], list[GraphQLError]] = _Lru(1000)


def _refusal(error: GatewayError) -> GraphQLError:
    return GraphQLError(str(error), extensions=error.extensions)


def shape_errors(shape: Shape, limits: Limits) -> list[GraphQLError]:
    """Each limit the shape breaks, as a coded error (empty: within them all)."""
    checks: list[tuple[bool, GatewayError]] = [
        (shape.introspection and limits.production,
         IntrospectionDisabled("Introspection is disabled")),
        (shape.depth > limits.max_depth,
         QueryTooDeep(f"Query depth {shape.depth} exceeds the limit of {limits.max_depth}",
                      depth=shape.depth, limit=limits.max_depth)),
        (shape.aliases > limits.max_aliases,
         TooManyAliases(f"{shape.aliases} aliases exceed the limit of {limits.max_aliases}",
                        aliases=shape.aliases, limit=limits.max_aliases)),
        (shape.directives > limits.max_directives,
         TooManyDirectives(
             f"{shape.directives} directives exceed the limit of {limits.max_directives}",
             directives=shape.directives, limit=limits.max_directives)),
    ]
    return [_refusal(error) for broken, error in checks if broken]


def _unnamed_choice(document: DocumentNode, name: str | None) -> list[GraphQLError]:
    """The spec's GetOperation: several operations and no `operationName` is a request error,
    where Strawberry would silently run the first one."""
    if name is not None or len(operations(document)) < 2:
        return []
    return [_refusal(InvalidQuery("Must provide operationName: the document holds "
                                  f"{len(operations(document))} operations"))]


class LimitsExtension(SchemaExtension):
    def _scope(self) -> dict[str, Any]:
        request = getattr(self.execution_context.context, "request", None)
        scope = getattr(request, "scope", None)
        return scope if isinstance(scope, dict) else {}

    def on_operation(self) -> Iterator[None]:
        scope = self._scope()
        self.limits: Limits = scope.get(SCOPE_LIMITS, DEFAULT_LIMITS)
        if scope.get(SCOPE_DOCUMENT) is None:
            self.execution_context.parse_options["max_tokens"] = self.limits.max_tokens
        yield
        result = self.execution_context.result
        errors = getattr(result, "errors", None)
        if errors:
            result.errors = code_errors(errors, production=self.limits.production)  # type: ignore[union-attr]

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        try:
            context.graphql_document = _parse(context.query or "", **context.parse_options)
        except GraphQLError:
            # Left to Strawberry, which parses again and returns the error as a result, inside
            # the operation (an error raised here would skip `on_operation`'s coding).
            pass
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        query, document = context.query or "", context.graphql_document
        assert document is not None
        key = (query, context.operation_name)
        shape = _SHAPES.get(key) or _SHAPES.put(key, measure(document, context.operation_name))
        # Strawberry's `operation_name` falls back to the first operation's: ask what was sent.
        sent = getattr(context, "_provided_operation_name", context.operation_name)
        refused = shape_errors(shape, self.limits) + _unnamed_choice(document, sent)
        if refused:
            context.pre_execution_errors = refused
        else:
            schema = context.schema._schema
            rules = context.validation_rules
            vkey = (id(schema), query, rules)
            errors = _VALIDATED.get(vkey)
            if errors is None:
                errors = _VALIDATED.put(vkey, validate_document(schema, document, rules))
            context.pre_execution_errors = list(errors)
        yield

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        operation = select_operation(document, context.operation_name) if document else None
        if document is not None and operation is not None:
            variables = context.variables or {}
            limits = self.limits
            key = (context.query or "", context.operation_name, limits.list_size,
                   limits.max_page_size)
            cost = _COSTS.get(key)
            if cost is None or not cost.holds_for(variables):
                fragments = {d.name.value: d for d in document.definitions
                             if isinstance(d, FragmentDefinitionNode)}
                cost = _COSTS.put(key, estimate(
                    context.schema._schema, operation, fragments, variables,
                    list_size=limits.list_size, max_page=limits.max_page_size))
            refused = self._cost_errors(cost.total, cost.pages)
            if refused:
                context.result = ExecutionResult(data=None, errors=refused)
        yield

    def _cost_errors(self, total: int, pages: list[tuple[str, int]]) -> list[GraphQLError]:
        limits = self.limits
        errors = [
            _refusal(PageTooLarge(f"{field}: a page of {size} exceeds the limit of "
                                  f"{limits.max_page_size}", field=field, size=size,
                                  limit=limits.max_page_size))
            for field, size in pages
        ]
        if total > limits.max_cost:
            errors.append(_refusal(QueryTooCostly(
                f"Query cost {total} exceeds the limit of {limits.max_cost}", cost=total,
                limit=limits.max_cost)))
        return errors
