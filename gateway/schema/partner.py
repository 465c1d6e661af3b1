"""Partners: each body's systems, their health and freshness."""

from __future__ import annotations

import asyncio
import enum
from datetime import datetime

import orjson
import strawberry

from gateway.adapters.base import Adapter
from gateway.adapters.resilience import Resilient
from gateway.context import Context
from gateway.schema.enums import SourceState

Info = strawberry.Info[Context, None]


@strawberry.enum(description="A partner's circuit breaker")
class BreakerState(enum.Enum):
    CLOSED = "closed"  # calls go through
    HALF_OPEN = "half_open"  # the next call is a probe; others fail fast meanwhile
    OPEN = "open"  # calls fail fast (PARTNER_CIRCUIT_OPEN) without reaching the partner


@strawberry.type(description="A body's system as Juheli reaches it")
class Partner:
    slug: str
    name: str
    name_zh: str = strawberry.field(description="The body's name (中文)")
    kind: str = strawberry.field(description="sql | rest | files")
    entities: list[str]
    live: bool = strawberry.field(description="Read live per request (false: file drops)")
    health: SourceState = strawberry.field(description="Result of a probe made for this request")
    health_latency_ms: float | None
    health_detail: str | None
    last_sync: datetime | None
    records: int = strawberry.field(description="Records synced into the link index")
    quarantined: int = strawberry.field(
        description="Rows of this partner a sync could not store, not yet replayed, superseded "
                    "or dismissed (`gateway quarantine list`)")
    breaker: BreakerState = strawberry.field(
        description="The partner's circuit breaker in this process (docs/resilience.md)")
    breaker_failures: int = strawberry.field(
        description="Consecutive failed calls counted by the breaker (0 after a success)")


def _breaker(adapter: Adapter) -> tuple[BreakerState, int]:
    """The partner's breaker state and consecutive failures (a bare adapter has no breaker)."""
    if not isinstance(adapter, Resilient):
        return BreakerState.CLOSED, 0
    breaker = adapter.breaker
    return BreakerState[breaker.state.name], breaker.consecutive_failures


async def partners(info: Info) -> list[Partner]:
    ctx = info.context
    rows = {r["slug"]: r for r in await ctx.store.partners()}
    adapters = ctx.services.adapters
    probes = await asyncio.gather(*(a.health() for a in adapters.values()))
    out = []
    for (slug, adapter), probe in zip(adapters.items(), probes, strict=True):
        row = rows.get(slug)
        breaker, breaker_failures = _breaker(adapter)
        out.append(Partner(
            slug=slug, name=adapter.info.name, name_zh=adapter.info.name_zh, kind=adapter.info.kind,
            entities=list(adapter.capabilities.entities) if row is None
            else list(orjson.loads(row["entities"]) if isinstance(row["entities"], str) else row["entities"]),
            live=adapter.capabilities.live,
            health=SourceState.OK if probe.ok else SourceState.UNAVAILABLE,
            health_latency_ms=round(probe.latency_ms, 2), health_detail=probe.detail or None,
            last_sync=row["last_sync"] if row else None, records=int(row["records"]) if row else 0,
            quarantined=int(row["quarantined"]) if row else 0,
            breaker=breaker, breaker_failures=breaker_failures,
        ))
    return out
