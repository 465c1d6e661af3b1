"""Every error a client sees carries a code; an unexpected exception shows none of itself.

Coded errors (a `GatewayError` raised by a resolver, a limit's refusal, a partner's failure)
pass through as they are. The rest are GraphQL's own — a syntax error, a document not valid
against the schema, variables it cannot take — and get the codes clients know from Apollo; in
production their "Did you mean …?" suggestions are cut, so a refusal does not teach the schema.
Anything else, a resolver's `KeyError` or a `GraphQLError` raised without a code, becomes
"Internal error" with INTERNAL_ERROR at the same path: Strawberry has already logged it whole.
"""

from __future__ import annotations

import re

from graphql import GraphQLError, GraphQLSyntaxError

from gateway.errors import (
    GatewayError,
    InternalError,
    InvalidQuery,
    InvalidVariables,
    QuerySyntaxError,
    QueryTooDeep,
    TooManyTokens,
)

_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")
INTERNAL_MESSAGE = "Internal error"


def _with(error: GraphQLError, kind: type[GatewayError], message: str) -> GraphQLError:
    return GraphQLError(message, error.nodes, error.source, error.positions, error.path,
                         extensions={"code": kind.code})


def _syntax(error: GraphQLSyntaxError) -> GraphQLError:
    if "tokens. Parsing aborted" in error.message:
        return _with(error, TooManyTokens, "The document has too many tokens")
    if "nested too deeply" in error.message:
        return _with(error, QueryTooDeep, "The document is nested too deeply")
    return _with(error, QuerySyntaxError, error.message)


def code_error(error: GraphQLError, *, production: bool) -> GraphQLError:
    """The error as a client may see it."""
    if error.extensions and "code" in error.extensions:
        return error
    if isinstance(error, GraphQLSyntaxError):
        return _syntax(error)
    message = _SUGGESTION.sub("", error.message) if production else error.message
    if error.path is None and error.message.startswith("Variable '$"):
        return _with(error, InvalidVariables, message)
    original = error.original_error
    if error.path is None and (original is None or isinstance(original, GraphQLError)):
        return _with(error, InvalidQuery, message)
    return _with(error, InternalError, INTERNAL_MESSAGE)


def code_errors(errors: list[GraphQLError], *, production: bool) -> list[GraphQLError]:
    return [code_error(error, production=production) for error in errors]
