"""Verify the chain: archive segments (optional), their join with the live table, the live rows
in seq order (streamed through a cursor, in one snapshot), and the chain head."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from gateway.audit._chain import AuditRow
from gateway.audit._segments import verify_segments
from gateway.audit._walk import Broken, ChainWalker, span

_ROWS_SQL = "SELECT * FROM audit_log ORDER BY seq"
_PREFETCH = 5000


@dataclass(frozen=True, slots=True)
class VerifyResult:
    rows: int  # rows that checked out, segments and live table together
    segments: int
    anchor_seq: int
    head_seq: int
    head_hash: str  # worth writing down elsewhere: a later verify must reach at least this
    broken: Broken | None

    @property
    def ok(self) -> bool:
        return self.broken is None


@asynccontextmanager
async def connection(source: str | asyncpg.Pool) -> AsyncIterator[Any]:
    if isinstance(source, str):
        conn = await asyncpg.connect(source)
        try:
            yield conn
        finally:
            await conn.close()
    else:
        async with source.acquire() as conn:
            yield conn


async def verify(source: str | asyncpg.Pool, *, archive: Path | None = None) -> VerifyResult:
    """Check the whole chain; with `archive`, from its first segment, else from the anchor."""
    walker, segments, broken = ChainWalker(), 0, None
    if archive is not None:
        segments, broken = await asyncio.to_thread(verify_segments, archive, walker)
    async with connection(source) as conn, conn.transaction(isolation="repeatable_read",
                                                            readonly=True):
        head = await conn.fetchrow("SELECT * FROM audit_chain WHERE id = 1")
        if head is None:
            return VerifyResult(walker.rows, segments, 0, 0, "",
                                broken or Broken(0, "head_missing", "audit_chain has no row"))
        if broken is None:
            if archive is None:
                walker = ChainWalker(head["anchor_seq"], head["anchor_hash"])
            else:
                broken = _join(walker, head)
        if broken is None:
            broken = await _walk_live(conn, walker, head)
    return VerifyResult(walker.rows, segments, head["anchor_seq"], head["head_seq"],
                        head["head_hash"], broken)


def _join(walker: ChainWalker, head: Any) -> Broken | None:
    """The last archived row must be the live table's anchor."""
    anchor = head["anchor_seq"]
    if walker.last_seq < anchor:
        return Broken(walker.last_seq + 1, "missing",
                      f"{span(walker.last_seq + 1, anchor)} archived, but in no segment")
    if walker.last_seq > anchor:
        return Broken(anchor + 1, "anchor_mismatch",
                      f"segments reach row {walker.last_seq}, the live anchor is row {anchor}")
    if walker.last_hash != head["anchor_hash"]:
        return Broken(anchor, "anchor_mismatch",
                      "the last archived row's hash is not the live table's anchor hash")
    return None


async def _walk_live(conn: Any, walker: ChainWalker, head: Any) -> Broken | None:
    async for record in conn.cursor(_ROWS_SQL, prefetch=_PREFETCH):
        row = AuditRow.from_mapping(record)
        if row.seq > head["head_seq"]:
            return Broken(row.seq, "inserted",
                          f"the row lies past the chain head, row {head['head_seq']}")
        broken = walker.step(row)
        if broken is not None:
            return broken
    if walker.last_seq < head["head_seq"]:
        gap = walker.last_seq + 1
        return Broken(gap, "missing", f"{span(gap, head['head_seq'])} deleted from the end")
    if walker.last_hash != head["head_hash"]:
        return Broken(walker.last_seq, "head_mismatch",
                      "the last row's hash is not the chain head's: it was rewritten")
    return None
