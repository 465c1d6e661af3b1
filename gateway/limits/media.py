"""The media type of a /graphql answer, from the request's `Accept` (GraphQL over HTTP, docs/http.md).

- `application/graphql-response+json` when the client ranks it first (by `q`, then by order);
- `application/json` when it ranks `application/json`, `application/*` or `*/*` first, or sends
  no `Accept` at all: what legacy clients expect, and graphql-http's audits ask for;
- None when it accepts neither (or only in a charset other than UTF-8): the guard answers 406.

The status code then follows the media type. In `application/graphql-response+json` a GraphQL
request error — the document did not parse, was not valid, broke a limit, or its variables could
not be coerced: nothing ran — is a 400, and the response has no `data`. In `application/json`
every well-formed request gets a 200, as legacy clients and proxies expect. Either way a request
error's response has no `data` entry, as the GraphQL specification asks.
"""

from __future__ import annotations

from graphql import GraphQLError

from gateway.errors import (
    IntrospectionDisabled,
    InvalidQuery,
    InvalidVariables,
    PageTooLarge,
    QueryRefused,
    QuerySyntaxError,
    QueryTooCostly,
    QueryTooDeep,
    TooManyAliases,
    TooManyDirectives,
    TooManyTokens,
)

GRAPHQL_RESPONSE = "application/graphql-response+json"
JSON = "application/json"
SCOPE_MEDIA_TYPE = "juheli.media_type"

_AS_JSON = frozenset({JSON, "application/*", "*/*"})
_UTF8 = frozenset({"utf-8", "utf8"})
# The codes of errors raised before execution (masking.py and the limits extension code them).
REQUEST_ERROR_CODES = frozenset(kind.code for kind in (
    InvalidQuery, QuerySyntaxError, InvalidVariables, QueryRefused, QueryTooDeep, TooManyAliases,
    TooManyDirectives, TooManyTokens, QueryTooCostly, PageTooLarge, IntrospectionDisabled))


def _served_as(media_range: str) -> tuple[str | None, float]:
    """What one range of an Accept header would be answered in, and its weight."""
    media, *params = (part.strip().lower() for part in media_range.split(";"))
    served = GRAPHQL_RESPONSE if media == GRAPHQL_RESPONSE else JSON if media in _AS_JSON else None
    weight = 1.0
    for param in params:
        name, _, value = param.partition("=")
        name, value = name.strip(), value.strip().strip('"')
        if name == "charset" and value not in _UTF8:
            return None, 0.0
        if name == "q":
            try:
                weight = float(value)
            except ValueError:
                return None, 0.0
    return served, weight


def negotiate(accept: str | None) -> str | None:
    """The media type to answer in; None: nothing the client accepts."""
    if accept is None or not accept.strip():
        return JSON
    best, best_weight = None, 0.0
    for media_range in accept.split(","):
        served, weight = _served_as(media_range)
        if served is not None and weight > best_weight:  # ties: the first listed wins
            best, best_weight = served, weight
    return best


def content_type(media: str) -> str:
    return f"{media}; charset=utf-8"


def is_request_error(data: object, errors: list[GraphQLError] | None) -> bool:
    """Whether a result is a GraphQL request error: nothing was executed."""
    return data is None and bool(errors) and all(
        error.path is None and (error.extensions or {}).get("code") in REQUEST_ERROR_CODES
        for error in errors or ())
