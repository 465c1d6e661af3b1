"""The sync feed: each partner's changed records into `source_records`, bad rows into
`quarantine`, and the feed's cursor — all three in one transaction per batch
(`gateway/sync/batch.py`), so a sync killed at any point and rerun continues from the last
committed batch with nothing lost or doubled.

One process syncs a partner at a time: a PostgreSQL advisory lock per partner, held by the
connection that syncs it, so a killed process's lock goes with its connection. A second sync
waits a moment for the lock — a rerun right after a kill may find the dead process's connection
not yet closed — then skips the partner and reports it busy.
"""

from __future__ import annotations

import asyncio
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import asyncpg
import orjson

from gateway.adapters.base import Adapter
from gateway.errors import AdapterError, PartnerDataInvalid
from gateway.linkage.match import DEFAULT_THRESHOLDS, Thresholds
from gateway.sync.batch import feed_recovered, quarantine_feed_failure, store_batch
from gateway.views.snapshots import ensure_projection

Progress = Callable[[str, str, int], None]
LOCK_WAIT_S = 1.0


@dataclass
class SyncReport:
    records: dict[str, int] = field(default_factory=dict)
    quarantined: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    links: dict[str, int] = field(default_factory=dict)  # records by link method
    # Facts made again because the projection changed (by entity), None when they were current.
    reprojected: dict[str, int] | None = None


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


async def _sync_entity(
    conn: asyncpg.Connection, adapter: Adapter, entity: str, report: SyncReport,
    progress: Progress | None,
) -> None:
    slug = adapter.info.slug
    since = await conn.fetchval(
        "SELECT cursor FROM sync_state WHERE partner = $1 AND entity = $2", slug, entity
    )
    key = f"{slug}.{entity}"
    try:
        async for batch in adapter.changes(entity, since):
            stored = await store_batch(conn, slug, entity, batch)
            report.records[key] = report.records.get(key, 0) + stored.records
            report.quarantined[key] = report.quarantined.get(key, 0) + stored.quarantined
            if progress:
                progress(slug, entity, stored.records)
    except PartnerDataInvalid as exc:
        # An answer with nothing readable in it: kept, and asked for again next time.
        await quarantine_feed_failure(conn, slug, entity, str(exc), exc.raw)
        report.quarantined[key] = report.quarantined.get(key, 0) + 1
        raise
    await feed_recovered(conn, slug, entity)


async def _lock(conn: asyncpg.Connection, slug: str, wait_s: float) -> int | None:
    """The partner's sync lock, waiting up to `wait_s` for another holder; None if still held."""
    lock = zlib.crc32(f"juheli-sync:{slug}".encode())
    deadline = time.monotonic() + wait_s
    while not await conn.fetchval("SELECT pg_try_advisory_lock($1)", lock):
        if time.monotonic() >= deadline:
            return None
        await asyncio.sleep(0.1)
    return lock


async def sync_partner(
    pool: asyncpg.Pool, adapter: Adapter, report: SyncReport, progress: Progress | None = None,
    *, lock_wait_s: float = LOCK_WAIT_S,
) -> None:
    """Sync every entity of one partner, resuming from its stored cursors."""
    slug = adapter.info.slug
    async with pool.acquire() as conn:
        lock = await _lock(conn, slug, lock_wait_s)
        if lock is None:
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
    lock_wait_s: float = LOCK_WAIT_S,
) -> SyncReport:
    """Sync every partner (a partner that fails is reported, the others go on), then link what
    the sync inserted or changed."""
    from gateway.linkage.link import link_pending

    report = SyncReport()
    async with pool.acquire() as conn:
        await register_partners(conn, list(adapters.values()))
    # Facts made by an earlier projection are made again first, so the records this sync
    # does not touch count as the new code counts them.
    report.reprojected = await ensure_projection(pool, adapters)
    for slug, adapter in adapters.items():
        try:
            await sync_partner(pool, adapter, report, progress, lock_wait_s=lock_wait_s)
        except AdapterError as exc:
            report.errors[slug] = str(exc)
    if link:
        report.links = await link_pending(pool, thresholds)
    return report
