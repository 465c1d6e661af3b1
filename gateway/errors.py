"""The gateway's error tree. Every error a client can see carries a stable `extensions.code`.

docs/errors.md is the catalogue clients read: every code, its HTTP status and what to do about
it. A new subclass (here or in another module) needs its row there, or tests/test_contract.py
fails.

    GatewayError                      code
    ├── BadRequest                    BAD_REQUEST
    │   ├── MalformedId               MALFORMED_ID
    │   ├── NotFound                  NOT_FOUND           (an id in a mutation names nothing)
    │   ├── LinkConflict              LINK_CONFLICT       (a review decision that cannot hold)
    │   ├── OfficerRequired           OFFICER_REQUIRED    (a decision without X-Officer)
    │   ├── InterchangeInvalid        INTERCHANGE_INVALID (a linkage CSV we cannot read)
    │   ├── PeriodReversed            PERIOD_REVERSED     (a brief's period ends before it starts)
    │   ├── PeriodInFuture            PERIOD_IN_FUTURE    (a brief's period starts after today)
    │   ├── UnknownFigure             UNKNOWN_FIGURE      (gateway/views/drill.py: no such figure)
    │   ├── ReplayRefused             REPLAY_REFUSED      (gateway/sync/quarantine.py, CLI only)
    │   ├── InvalidQuery              GRAPHQL_VALIDATION_FAILED (not valid against the schema)
    │   │   └── QuerySyntaxError      GRAPHQL_PARSE_FAILED
    │   ├── InvalidVariables          BAD_USER_INPUT      (variables the operation cannot take)
    │   ├── QueryRefused              QUERY_REFUSED       (a limit of docs/limits.md: nothing ran)
    │   │   ├── QueryTooDeep          QUERY_TOO_DEEP
    │   │   ├── TooManyAliases        TOO_MANY_ALIASES
    │   │   ├── TooManyDirectives     TOO_MANY_DIRECTIVES
    │   │   ├── TooManyTokens         TOO_MANY_TOKENS
    │   │   ├── QueryTooCostly        QUERY_TOO_COSTLY
    │   │   ├── PageTooLarge          PAGE_TOO_LARGE
    │   │   ├── IntrospectionDisabled INTROSPECTION_DISABLED
    │   │   ├── SubscriptionOverHttp  SUBSCRIPTION_OVER_HTTP (subscriptions need a websocket)
    │   │   └── TooManySubscriptions  TOO_MANY_SUBSCRIPTIONS (per websocket)
    │   └── RequestRefused            REQUEST_REFUSED     (refused over HTTP before GraphQL ran;
    │       │                                              `http_status`, `headers`)
    │       ├── MalformedRequest      MALFORMED_REQUEST   400 (not a GraphQL-over-HTTP request)
    │       ├── BodyTooLarge          BODY_TOO_LARGE      413
    │       ├── QueryTooLarge         QUERY_TOO_LARGE     413
    │       ├── VariablesTooLarge     VARIABLES_TOO_LARGE 413
    │       ├── BatchingDisabled      BATCHING_DISABLED   400
    │       ├── MethodNotAllowed      METHOD_NOT_ALLOWED  405 (a mutation over GET, a PUT…)
    │       ├── UnsupportedMediaType  UNSUPPORTED_MEDIA_TYPE 415 (not JSON or GraphQL: CSRF)
    │       ├── NotAcceptable         NOT_ACCEPTABLE      406 (Accept names no JSON type)
    │       ├── IdeDisabled           IDE_DISABLED        404 (production)
    │       ├── DocumentNotFound      PERSISTED_QUERY_NOT_FOUND 400 (an unknown id, development)
    │       ├── DocumentNotTrusted    DOCUMENT_NOT_TRUSTED 400 (production: unknown id, raw query)
    │       └── RateLimited           RATE_LIMITED        429, with Retry-After
    ├── Unauthenticated               UNAUTHENTICATED     (HTTP 401: no or unknown credentials)
    │   ├── CredentialsExpired        CREDENTIALS_EXPIRED
    │   ├── CredentialsRevoked        CREDENTIALS_REVOKED
    │   └── TokenInvalid              TOKEN_INVALID       (signature, issuer, audience, clock)
    ├── Forbidden                     FORBIDDEN
    │   ├── ForbiddenField            FORBIDDEN_FIELD     (no grant for this field group)
    │   ├── PurposeRequired           PURPOSE_REQUIRED    (personal data without X-Purpose)
    │   └── PurposeNotAllowed         PURPOSE_NOT_ALLOWED (a grant exists, not for this purpose)
    ├── StoreNotReady                 STORE_NOT_MIGRATED
    ├── Unavailable                   UNAVAILABLE         (HTTP 503 with Retry-After: try again soon;
    │   │                                                  `retry_after`, `headers`)
    │   ├── Overloaded                OVERLOADED          (load shedding: too many requests in flight)
    │   ├── StoreUnavailable          STORE_UNAVAILABLE   (the store cannot be reached)
    │   └── EventsUnavailable         EVENTS_UNAVAILABLE  (this process serves no subscriptions)
    ├── AuditUnavailable              AUDIT_UNAVAILABLE   (a read not audited is not served)
    ├── InternalError                 INTERNAL_ERROR      (an unexpected exception, masked)
    └── AdapterError(partner)         PARTNER_ERROR
        ├── PartnerUnavailable        PARTNER_UNAVAILABLE   (refused, reset, 5xx, 429)
        │   └── PartnerCircuitOpen    PARTNER_CIRCUIT_OPEN  (breaker open: not asked, failed fast)
        ├── PartnerTimeout            PARTNER_TIMEOUT
        ├── PartnerRejected           PARTNER_REJECTED      (4xx: we asked wrongly)
        ├── PartnerDataInvalid        PARTNER_DATA_INVALID  (answer we cannot read)
        ├── SnapshotTooOld            SNAPSHOT_TOO_OLD      (failed, and its snapshot is too old)
        └── DeadlineExceeded          DEADLINE_EXCEEDED     (the request's time for this partner
                                                             ran out before it was asked)

Adapters translate foreign exceptions (httpx, asyncpg, file parsing) into this tree once, at
their edge; nothing above `gateway/adapters/` sees a foreign exception.
"""

from __future__ import annotations

from typing import Any, ClassVar


class GatewayError(Exception):
    code: ClassVar[str] = "GATEWAY_ERROR"

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.extensions: dict[str, Any] = {"code": self.code, **extensions}


class BadRequest(GatewayError):
    code = "BAD_REQUEST"


class MalformedId(BadRequest):
    code = "MALFORMED_ID"


class NotFound(BadRequest):
    code = "NOT_FOUND"


class LinkConflict(BadRequest):
    code = "LINK_CONFLICT"


class OfficerRequired(BadRequest):
    code = "OFFICER_REQUIRED"


class InterchangeInvalid(BadRequest):
    """A linkage interchange file (docs/linkage.md) that cannot be read; `extensions` names the
    file and, where one is to blame, the line and column."""

    code = "INTERCHANGE_INVALID"


class PeriodReversed(BadRequest):
    """A period whose `to` is before its `from`."""

    code = "PERIOD_REVERSED"


class PeriodInFuture(BadRequest):
    """A period that starts after today: there is nothing to count yet."""

    code = "PERIOD_IN_FUTURE"


class Unauthenticated(GatewayError):
    """The request's credentials are missing, unknown or unusable (HTTP 401)."""

    code = "UNAUTHENTICATED"


class CredentialsExpired(Unauthenticated):
    code = "CREDENTIALS_EXPIRED"


class CredentialsRevoked(Unauthenticated):
    code = "CREDENTIALS_REVOKED"


class TokenInvalid(Unauthenticated):
    code = "TOKEN_INVALID"


class Forbidden(GatewayError):
    code = "FORBIDDEN"


class ForbiddenField(Forbidden):
    code = "FORBIDDEN_FIELD"


class PurposeRequired(Forbidden):
    code = "PURPOSE_REQUIRED"


class PurposeNotAllowed(Forbidden):
    code = "PURPOSE_NOT_ALLOWED"


class StoreNotReady(GatewayError):
    code = "STORE_NOT_MIGRATED"


class AuditUnavailable(GatewayError):
    """The audit row of a personal-data read could not be committed; the data must not be served."""

    code = "AUDIT_UNAVAILABLE"


class Unavailable(GatewayError):
    """The gateway cannot serve this request now, but may shortly: HTTP 503 with Retry-After."""

    code = "UNAVAILABLE"
    http_status: ClassVar[int] = 503

    def __init__(self, message: str, *, retry_after: int = 1, **extensions: Any) -> None:
        super().__init__(message, retryAfter=retry_after, **extensions)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class Overloaded(Unavailable):
    code = "OVERLOADED"


class StoreUnavailable(Unavailable):
    code = "STORE_UNAVAILABLE"


class EventsUnavailable(Unavailable):
    """This process has no events listener, so it cannot serve a subscription."""

    code = "EVENTS_UNAVAILABLE"


class AdapterError(GatewayError):
    code = "PARTNER_ERROR"

    def __init__(self, partner: str, message: str, **extensions: Any) -> None:
        super().__init__(f"{partner}: {message}", partner=partner, **extensions)
        self.partner = partner


class PartnerUnavailable(AdapterError):
    """The partner could not answer: refused or reset connection, 5xx, 429. `retry_after` is
    the wait in seconds the partner asked for (its `Retry-After`), when it named one."""

    code = "PARTNER_UNAVAILABLE"

    def __init__(self, partner: str, message: str, *, retry_after: float | None = None,
                 **extensions: Any) -> None:
        super().__init__(partner, message, **extensions)
        self.retry_after = retry_after


class PartnerCircuitOpen(PartnerUnavailable):
    """The partner's circuit breaker is open after consecutive failures: the call was not sent.
    `retryInMs` says when the breaker lets a probe through."""

    code = "PARTNER_CIRCUIT_OPEN"


class PartnerTimeout(AdapterError):
    code = "PARTNER_TIMEOUT"


class PartnerRejected(AdapterError):
    code = "PARTNER_REJECTED"


class PartnerDataInvalid(AdapterError):
    """An answer or file the gateway cannot read. `raw` keeps (the start of) what was read, for
    the sync's quarantine; it is never sent to a client."""

    code = "PARTNER_DATA_INVALID"

    def __init__(self, partner: str, message: str, *, raw: str | None = None,
                 **extensions: Any) -> None:
        super().__init__(partner, message, **extensions)
        self.raw = raw


class SnapshotTooOld(AdapterError):
    """The partner failed and its last snapshot is older than the request accepts."""

    code = "SNAPSHOT_TOO_OLD"

    def __init__(self, partner: str, *, age_s: float, max_age_s: float) -> None:
        super().__init__(partner, f"live read failed and the snapshot is {age_s:.0f} s old, "
                         f"more than the {max_age_s:g} s accepted",
                         ageSeconds=round(age_s, 3), maxStalenessSeconds=max_age_s)


class DeadlineExceeded(AdapterError):
    """The request's time for this partner (its timeout from the request's start, within the
    request's deadline) had all but run out before the partner was asked, so it was not asked:
    the gateway's delay, not the partner's, and no mark against its breaker."""

    code = "DEADLINE_EXCEEDED"


# --- query limits, trusted documents, rate limits (gateway/limits/, docs/limits.md) ----------


class InvalidQuery(BadRequest):
    code = "GRAPHQL_VALIDATION_FAILED"


class QuerySyntaxError(InvalidQuery):
    code = "GRAPHQL_PARSE_FAILED"


class InvalidVariables(BadRequest):
    code = "BAD_USER_INPUT"


class QueryRefused(BadRequest):
    """The document breaks one of the limits; it was refused before any resolver ran."""

    code = "QUERY_REFUSED"


class QueryTooDeep(QueryRefused):
    code = "QUERY_TOO_DEEP"


class TooManyAliases(QueryRefused):
    code = "TOO_MANY_ALIASES"


class TooManyDirectives(QueryRefused):
    code = "TOO_MANY_DIRECTIVES"


class TooManyTokens(QueryRefused):
    code = "TOO_MANY_TOKENS"


class QueryTooCostly(QueryRefused):
    code = "QUERY_TOO_COSTLY"


class PageTooLarge(QueryRefused):
    code = "PAGE_TOO_LARGE"


class SubscriptionOverHttp(QueryRefused):
    """A subscription sent over HTTP: subscriptions are served over a websocket only."""

    code = "SUBSCRIPTION_OVER_HTTP"


class TooManySubscriptions(QueryRefused):
    """A websocket already runs its `max_subscriptions` operations."""

    code = "TOO_MANY_SUBSCRIPTIONS"


class IntrospectionDisabled(QueryRefused):
    code = "INTROSPECTION_DISABLED"


class RequestRefused(BadRequest):
    """The HTTP request itself is refused before GraphQL sees it, with this HTTP status."""

    code = "REQUEST_REFUSED"
    http_status: ClassVar[int] = 400

    def headers(self) -> dict[str, str]:
        return {}


class MalformedRequest(RequestRefused):
    code = "MALFORMED_REQUEST"


class BodyTooLarge(RequestRefused):
    code = "BODY_TOO_LARGE"
    http_status = 413


class QueryTooLarge(RequestRefused):
    code = "QUERY_TOO_LARGE"
    http_status = 413


class VariablesTooLarge(RequestRefused):
    code = "VARIABLES_TOO_LARGE"
    http_status = 413


class BatchingDisabled(RequestRefused):
    code = "BATCHING_DISABLED"


class MethodNotAllowed(RequestRefused):
    code = "METHOD_NOT_ALLOWED"
    http_status = 405

    def __init__(self, message: str, *, allow: str = "GET, POST", **extensions: Any) -> None:
        super().__init__(message, **extensions)
        self.allow = allow

    def headers(self) -> dict[str, str]:
        return {"Allow": self.allow}


class UnsupportedMediaType(RequestRefused):
    code = "UNSUPPORTED_MEDIA_TYPE"
    http_status = 415


class NotAcceptable(RequestRefused):
    """The `Accept` header admits neither media type /graphql answers in; `accept` lists them."""

    code = "NOT_ACCEPTABLE"
    http_status = 406


class IdeDisabled(RequestRefused):
    code = "IDE_DISABLED"
    http_status = 404


class DocumentNotFound(RequestRefused):
    """An unknown document id in development; Apollo's code, so its clients resend the text."""

    code = "PERSISTED_QUERY_NOT_FOUND"


class DocumentNotTrusted(RequestRefused):
    code = "DOCUMENT_NOT_TRUSTED"


class RateLimited(RequestRefused):
    code = "RATE_LIMITED"
    http_status = 429

    def __init__(self, message: str, *, retry_after: int, **extensions: Any) -> None:
        super().__init__(message, retryAfter=retry_after, **extensions)
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


class InternalError(GatewayError):
    """What a client sees of an unexpected exception: no message, type or trace of it."""

    code = "INTERNAL_ERROR"
