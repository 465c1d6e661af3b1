"""Partners: each body's systems, their health and freshness."""

from __future__ import annotations

import asyncio
from datetime import datetime

import orjson
import strawberry

from gateway.context import Context
from gateway.schema.enums import SourceState

Info = strawberry.Info[Context, None]


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
    quarantined: int = strawberry.field(description="Unresolved quarantined rows")


async def partners(info: Info) -> list[Partner]:
    ctx = info.context
    rows = {r["slug"]: r for r in await ctx.store.partners()}
    adapters = ctx.services.adapters
    probes = await asyncio.gather(*(a.health() for a in adapters.values()))
    out = []
    for (slug, adapter), probe in zip(adapters.items(), probes, strict=True):
        row = rows.get(slug)
        out.append(Partner(
            slug=slug, name=adapter.info.name, name_zh=adapter.info.name_zh, kind=adapter.info.kind,
            entities=list(adapter.capabilities.entities) if row is None
            else list(orjson.loads(row["entities"]) if isinstance(row["entities"], str) else row["entities"]),
            live=adapter.capabilities.live,
            health=SourceState.OK if probe.ok else SourceState.UNAVAILABLE,
            health_latency_ms=round(probe.latency_ms, 2), health_detail=probe.detail or None,
            last_sync=row["last_sync"] if row else None, records=int(row["records"]) if row else 0,
            quarantined=int(row["quarantined"]) if row else 0,
        ))
    return out
