"""The facts table kept in step with sync: each stored batch's records projected and upserted in
the batch's transaction, so a view never sees a record without its fact or the other way round.

A new fact takes the household its record is already linked to; later linking moves it (the
`links` triggers of migration 0009). When the projection itself changes (`PROJECTION`), every
stored record is projected again from its snapshot: by `gateway views rebuild`, or by the next
sync on its own (`ensure_projection`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

import asyncpg
import orjson

from gateway.adapters.base import Adapter, Record, from_snapshot
from gateway.views.facts import PROJECTION, PROJECTORS, Fact, project

log = logging.getLogger(__name__)

_COLUMNS = ("partner", "entity", "local_id", "kind", "body", "category", "subkind", "channel",
            "status", "is_open", "is_dispute", "opened_on", "closed_on", "due_on",
            "satisfaction", "topic", "place", "ref", "member", "label", "stated_community",
            "read_at", "quantity")
_TYPES = ("text", "text", "text", "text", "text", "text", "text", "text", "text", "bool", "bool",
          "date", "date", "date", "text", "text", "text", "text", "text", "text", "text",
          "timestamptz", "numeric")
_UPDATED = [c for c in _COLUMNS if c not in ("partner", "entity", "local_id")]

# A partner may name its community by name (12345's 所属社区): stored as the code when known.
# A new fact takes its record's trusted link, as the `links` triggers would.
_UPSERT = f"""
INSERT INTO facts ({", ".join(_COLUMNS)}, household_id, community_code)
SELECT u.partner, u.entity, u.local_id, u.kind, u.body, u.category, u.subkind, u.channel,
       u.status, u.is_open, u.is_dispute, u.opened_on, u.closed_on, u.due_on, u.satisfaction,
       u.topic, u.place, u.ref, u.member, u.label, coalesce(c.code, u.stated_community),
       u.read_at, u.quantity, h.id, coalesce(h.community_code, c.code, u.stated_community)
FROM unnest({", ".join(f"${i}::{t}[]" for i, t in enumerate(_TYPES, 1))})
     AS u({", ".join(_COLUMNS)})
LEFT JOIN LATERAL (SELECT code FROM communities WHERE code = u.stated_community
                   OR name = u.stated_community ORDER BY code = u.stated_community DESC, code
                   LIMIT 1) c ON true
LEFT JOIN source_records s ON s.partner = u.partner AND s.entity = u.entity
     AND s.local_id = u.local_id AND s.subject = 0
LEFT JOIN links l ON l.source_record_id = s.id AND l.status IN ('auto', 'confirmed')
LEFT JOIN households h ON h.id = l.household_id
ON CONFLICT (partner, entity, local_id) DO UPDATE SET
  {", ".join(f"{c} = EXCLUDED.{c}" for c in _UPDATED)},
  community_code = CASE WHEN facts.household_id IS NULL THEN EXCLUDED.stated_community
                        ELSE facts.community_code END
"""


async def resolve_stated_communities(conn: asyncpg.Connection) -> None:
    """Facts that name their community by name (12345's 所属社区), synced before the registry
    said which code that name is: the code now, and their community while they have no
    household."""
    await conn.execute(
        """UPDATE facts f SET stated_community = c.code,
             community_code = CASE WHEN f.household_id IS NULL THEN c.code
                                   ELSE f.community_code END
           FROM communities c
           WHERE f.stated_community = c.name
             AND NOT EXISTS (SELECT 1 FROM communities k WHERE k.code = f.stated_community)""")


def _row(record: Record, fact: Fact) -> tuple[object, ...]:
    return (record.partner, record.entity, record.local_id, fact.kind, fact.body, fact.category,
            fact.subkind, fact.channel, fact.status, fact.is_open, fact.is_dispute,
            fact.opened_on, fact.closed_on, fact.due_on, fact.satisfaction, fact.topic,
            fact.place, fact.ref, fact.member, fact.label, fact.community, record.read_at,
            fact.quantity)


async def upsert_facts(conn: asyncpg.Connection, records: Iterable[Record]) -> int:
    """Project and store the facts of `records` (after their source records); how many."""
    rows = [_row(r, f) for r in records if (f := project(r)) is not None]
    if rows:
        await conn.execute(_UPSERT, *map(list, zip(*rows, strict=True)))
    return len(rows)


# One rebuild at a time, whichever process (sync jobs, `gateway views rebuild`) asks.
_REBUILD_LOCK = 0x6A75_6865  # "juhe"


async def rebuild_facts(pool: asyncpg.Pool, adapters: Mapping[str, Adapter], *,
                        batch: int = 2000) -> dict[str, int]:
    """Project every stored record again from its snapshot (after the projection changed, or
    on a store synced before the views existed), then order the table by community (CLUSTER:
    it locks the facts while it runs); facts per entity. A row the adapter can no longer read
    is left as it was and counted under `unreadable`. The store then holds `PROJECTION`."""
    async with pool.acquire() as conn:
        await conn.execute("SELECT pg_advisory_lock($1)", _REBUILD_LOCK)
        try:
            return await _rebuild(conn, adapters, batch)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _REBUILD_LOCK)


async def ensure_projection(pool: asyncpg.Pool,
                            adapters: Mapping[str, Adapter]) -> dict[str, int] | None:
    """Rebuild the facts if the store's were made by another projection than this code's (an
    upgrade, or a store older than migration 0015); None when they are current. Two processes
    that find it stale at once rebuild once: the second finds it current after the lock."""
    async with pool.acquire() as conn:
        if await conn.fetchval("SELECT projection FROM facts_version") == PROJECTION:
            return None
        await conn.execute("SELECT pg_advisory_lock($1)", _REBUILD_LOCK)
        try:
            if await conn.fetchval("SELECT projection FROM facts_version") == PROJECTION:
                return None
            log.warning("the facts were made by another projection: projecting every stored "
                        "record again")
            return await _rebuild(conn, adapters, 2000)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _REBUILD_LOCK)


async def _rebuild(conn: asyncpg.Connection, adapters: Mapping[str, Adapter],
                   batch: int) -> dict[str, int]:
    counts: dict[str, int] = {}
    for slug, adapter in adapters.items():
        for entity in adapter.capabilities.entities:
            if entity not in PROJECTORS:
                continue
            last = 0
            while True:
                rows = await conn.fetch(
                    """SELECT id, raw, read_at FROM source_records WHERE partner = $1
                         AND entity = $2 AND subject = 0 AND id > $3 ORDER BY id LIMIT $4""",
                    slug, entity, last, batch)
                if not rows:
                    break
                last = rows[-1]["id"]
                records = [r for row in rows if (r := from_snapshot(
                    adapter, entity, _json(row["raw"]), row["read_at"])) is not None]
                counts["unreadable"] = counts.get("unreadable", 0) + len(rows) - len(records)
                async with conn.transaction():
                    n = await upsert_facts(conn, records)
                counts[entity] = counts.get(entity, 0) + n
    # A community's facts together on disk: a brief then reads a few pages, not thousands
    # scattered by sync order (measured at 100,000 households: chain 75 → 42 ms).
    await conn.execute("CLUSTER facts USING ix_facts_community_kind_opened")
    await conn.execute("ANALYZE facts")
    await conn.execute("UPDATE facts_version SET projection = $1", PROJECTION)
    return counts


def _json(value: object) -> Mapping[str, object]:
    return orjson.loads(value) if isinstance(value, str | bytes) else value  # type: ignore[return-value]
