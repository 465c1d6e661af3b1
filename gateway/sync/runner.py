"""The sync feed: each partner's changed records into `source_records`, bad rows into
`quarantine`, and the feed's cursor — all three in one transaction per batch, so a sync killed at
any point and rerun continues from the last committed batch with nothing lost or doubled.

One process syncs a partner at a time: a PostgreSQL advisory lock per partner.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import asyncpg
import orjson

from gateway.adapters.base import Adapter, ChangeBatch, Record
from gateway.errors import AdapterError
from gateway.linkage.attrs import subject_attrs
from gateway.linkage.match import DEFAULT_THRESHOLDS, Thresholds

Progress = Callable[[str, str, int], None]


@dataclass
class SyncReport:
    records: dict[str, int] = field(default_factory=dict)
    quarantined: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    links: dict[str, int] = field(default_factory=dict)  # records by link method


async def register_partners(conn: asyncpg.Connection, adapters: Sequence[Adapter]) -> None:
    await conn.executemany(
        """INSERT INTO partners (slug, name, name_zh, kind, entities) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name, name_zh = EXCLUDED.name_zh,
             kind = EXCLUDED.kind, entities = EXCLUDED.entities, updated_at = now()""",
        [
            (a.info.slug, a.info.name, a.info.name_zh, a.info.kind,
             orjson.dumps(list(a.capabilities.entities)).decode())
            for a in adapters
        ],
    )


def _rows(record: Record) -> list[tuple[object, ...]]:
    raw = orjson.dumps(record.raw, default=str).decode()
    subjects = record.subjects or (None,)
    return [
        (record.partner, record.entity, record.local_id, index,
         orjson.dumps(subject_attrs(subject)).decode(), raw, record.read_at, record.updated_at)
        for index, subject in enumerate(subjects)
    ]


_UPSERT = """
INSERT INTO source_records (partner, entity, local_id, subject, attrs, raw, read_at,
                            partner_updated_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::jsonb[], $6::jsonb[],
                     $7::timestamptz[], $8::text[])
ON CONFLICT (partner, entity, local_id, subject) DO UPDATE SET
  -- The place linkage found (a responsibility's compound or building) stays until relinked.
  attrs = EXCLUDED.attrs || jsonb_strip_nulls(jsonb_build_object(
    'compound_id', source_records.attrs->'compound_id',
    'building_id', source_records.attrs->'building_id')),
  raw = EXCLUDED.raw, read_at = EXCLUDED.read_at,
  partner_updated_at = EXCLUDED.partner_updated_at,
  link_pending = source_records.link_pending OR source_records.raw IS DISTINCT FROM EXCLUDED.raw
"""


async def _store_batch(
    conn: asyncpg.Connection, slug: str, entity: str, batch: ChangeBatch
) -> None:
    rows = [row for record in batch.records for row in _rows(record)]
    async with conn.transaction():
        if rows:
            await conn.execute(_UPSERT, *map(list, zip(*rows, strict=True)))
        if batch.quarantined:
            await conn.executemany(
                """INSERT INTO quarantine (partner, entity, origin, line, reason, raw)
                   VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING""",
                [(q.partner, q.entity, q.origin, q.line, q.reason, q.raw)
                 for q in batch.quarantined],
            )
        await conn.execute(
            """INSERT INTO sync_state (partner, entity, cursor, records, quarantined, last_sync_at)
               VALUES ($1, $2, $3, $4, $5, now())
               ON CONFLICT (partner, entity) DO UPDATE SET cursor = EXCLUDED.cursor,
                 records = sync_state.records + EXCLUDED.records,
                 quarantined = sync_state.quarantined + EXCLUDED.quarantined,
                 last_sync_at = now()""",
            slug, entity, batch.cursor, len(batch.records), len(batch.quarantined),
        )


async def _sync_entity(
    conn: asyncpg.Connection, adapter: Adapter, entity: str, report: SyncReport,
    progress: Progress | None,
) -> None:
    slug = adapter.info.slug
    since = await conn.fetchval(
        "SELECT cursor FROM sync_state WHERE partner = $1 AND entity = $2", slug, entity
    )
    key = f"{slug}.{entity}"
    async for batch in adapter.changes(entity, since):
        await _store_batch(conn, slug, entity, batch)
        report.records[key] = report.records.get(key, 0) + len(batch.records)
        report.quarantined[key] = report.quarantined.get(key, 0) + len(batch.quarantined)
        if progress:
            progress(slug, entity, len(batch.records))


async def sync_partner(
    pool: asyncpg.Pool, adapter: Adapter, report: SyncReport, progress: Progress | None = None
) -> None:
    """Sync every entity of one partner, resuming from its stored cursors."""
    slug = adapter.info.slug
    async with pool.acquire() as conn:
        lock = zlib.crc32(f"juheli-sync:{slug}".encode())
        if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", lock):
            report.errors[slug] = "another process is syncing this partner"
            return
        try:
            for entity in adapter.capabilities.entities:
                try:
                    await _sync_entity(conn, adapter, entity, report, progress)
                except AdapterError as exc:
                    # One entity failing (a missing file, a refused page) stops only itself.
                    report.errors[f"{slug}.{entity}"] = str(exc)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", lock)


async def sync_all(
    pool: asyncpg.Pool, adapters: dict[str, Adapter], progress: Progress | None = None,
    *, link: bool = True, thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> SyncReport:
    """Sync every partner (a partner that fails is reported, the others go on), then link what
    the sync inserted or changed."""
    from gateway.linkage.link import link_pending

    report = SyncReport()
    async with pool.acquire() as conn:
        await register_partners(conn, list(adapters.values()))
    for slug, adapter in adapters.items():
        try:
            await sync_partner(pool, adapter, report, progress)
        except AdapterError as exc:
            report.errors[slug] = str(exc)
    if link:
        report.links = await link_pending(pool, thresholds)
    return report
