"""Query limits, trusted documents and rate limits (docs/limits.md).

- `Limits`: the numbers, from `Settings`;
- `LimitsExtension`: the schema extension — tokens, depth, aliases, directives, introspection,
  cost, page size — and the coding and masking of every error;
- `RequestGuard`: the ASGI guard in front of the view — methods, media types, body size,
  batching, variables, trusted documents, rate limits;
- `LimitedView`: the view's own refusals (a mutation over GET), coded;
- `TrustedDocuments`, `read_manifest`, `check_manifest`: the registry behind `gateway documents`;
- `RateLimiter` with `StoreRateLimiter` and `RedisRateLimiter`.
"""

from gateway.limits.config import DEFAULT_LIMITS, Limits
from gateway.limits.documents import (
    Document,
    ManifestInvalid,
    TrustedDocuments,
    check_manifest,
    document_id,
    read_manifest,
)
from gateway.limits.extension import LimitsExtension
from gateway.limits.guard import RequestGuard
from gateway.limits.ratelimit import RateLimiter, RedisRateLimiter, StoreRateLimiter
from gateway.limits.view import LimitedView

__all__ = [
    "DEFAULT_LIMITS",
    "Document",
    "LimitedView",
    "Limits",
    "LimitsExtension",
    "ManifestInvalid",
    "RateLimiter",
    "RedisRateLimiter",
    "RequestGuard",
    "StoreRateLimiter",
    "TrustedDocuments",
    "check_manifest",
    "document_id",
    "read_manifest",
]
