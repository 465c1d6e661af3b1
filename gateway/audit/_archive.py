"""Retention: move rows older than the retention period from the live table into a segment.

One archiver at a time (an advisory lock). The rows are walked through the chain as they are
written, so a broken chain is never laundered into a fresh segment; the segment is durable on
disk before the rows leave the table; the table keeps the last archived row's seq and hash as
its anchor. Appends go on meanwhile: they wait only for the anchor's update and the commit.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import asyncpg

from gateway.audit._chain import AuditRow
from gateway.audit._segments import SegmentWriter, set_aside_orphans
from gateway.audit._walk import Broken, ChainWalker

_LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtext('juheli.audit.archive'))"
_RANGE_SQL = "SELECT * FROM audit_log WHERE seq > $1 AND seq <= $2 ORDER BY seq"
_BATCH = 5000


class ChainBroken(Exception):
    """The rows to archive do not form a valid chain: nothing was archived."""

    def __init__(self, broken: Broken) -> None:
        super().__init__(f"row {broken.seq}: {broken.reason}: {broken.detail}")
        self.broken = broken


@dataclass(frozen=True, slots=True)
class Archived:
    rows: int
    first_seq: int | None = None
    last_seq: int | None = None
    segment: Path | None = None
    orphans: tuple[str, ...] = ()  # segments of interrupted runs, set aside


async def archive(pool: asyncpg.Pool, *, older_than: datetime, folder: Path) -> Archived:
    """Archive every row before `older_than` (the prefix of the chain up to the last such row)."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(_LOCK_SQL)
        head = await conn.fetchrow("SELECT anchor_seq, anchor_hash FROM audit_chain WHERE id = 1")
        if head is None:
            raise ChainBroken(Broken(0, "head_missing", "audit_chain has no row"))
        anchor = int(head["anchor_seq"])
        last = await conn.fetchval("SELECT max(seq) FROM audit_log WHERE seq > $1 AND at < $2",
                                   anchor, older_than)
        if last is None:
            return Archived(0)
        walker = ChainWalker(anchor, head["anchor_hash"])
        writer = SegmentWriter(folder, anchor + 1, last)
        try:
            await _write_range(conn, walker, writer, anchor, last)
            orphans = await asyncio.to_thread(set_aside_orphans, folder, anchor)
            await asyncio.to_thread(writer.finish)
        except BaseException:
            writer.abort()
            raise
        # Bounded below too: a forged row numbered under the anchor stays for `verify` to name.
        await conn.execute("DELETE FROM audit_log WHERE seq > $1 AND seq <= $2", anchor, last)
        await conn.execute("UPDATE audit_chain SET anchor_seq = $1, anchor_hash = $2 WHERE id = 1",
                           last, walker.last_hash)
    return Archived(walker.rows, anchor + 1, last, writer.path, tuple(orphans))


async def _write_range(conn: asyncpg.Connection, walker: ChainWalker, writer: SegmentWriter,
                       anchor: int, last: int) -> None:
    batch: list[AuditRow] = []
    async for record in conn.cursor(_RANGE_SQL, anchor, last, prefetch=_BATCH):
        row = AuditRow.from_mapping(record)
        broken = walker.step(row)
        if broken is not None:
            raise ChainBroken(broken)
        batch.append(row)
        if len(batch) >= _BATCH:
            await asyncio.to_thread(writer.write, batch)
            batch = []
    await asyncio.to_thread(writer.write, batch)
    if walker.last_seq != last:
        raise ChainBroken(Broken(walker.last_seq + 1, "missing", f"rows up to {last} are gone"))
