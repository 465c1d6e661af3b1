"""What an operator does with quarantined rows (`gateway quarantine list|show|replay|dismiss`).

A row leaves the quarantine only by a recorded decision, never by deletion:

- `replayed` — stored after all: as read (the gateway's mapping was fixed since, or the operator
  accepts a status change the machine does not know), or as the operator corrected it (`fixed`).
  The row goes through the partner's own mapping and the status machine, like a synced one.
- `superseded` — the sync did it: a later version of the record, or of the file, came in good.
- `dismissed` — the operator decided it holds nothing to keep, and said why.

Rows with nothing to replay — a file that could not be read at all, a feed answer that was not
one — resolve themselves when the partner's corrected file or answer is synced.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson

from gateway.adapters.base import Adapter, Record, row_reader
from gateway.errors import AdapterError, BadRequest, NotFound
from gateway.sync.batch import FEED, upsert_records
from gateway.sync.machines import violation

STATUSES = ("open", "replayed", "superseded", "dismissed")


class ReplayRefused(BadRequest):
    """A quarantined row that cannot be replayed as asked; the message says what would do."""

    code = "REPLAY_REFUSED"


@dataclass(frozen=True, slots=True)
class QuarantineRow:
    id: int
    partner: str
    entity: str
    origin: str
    line: int | None
    reason: str
    raw: str
    local_id: str | None
    status: str
    created_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    note: str | None
    fixed: str | None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> QuarantineRow:
        return cls(**{name: row[name] for name in _FIELDS})

    def content(self) -> Any:
        """The raw content as JSON when it is JSON (a row), else the text as read."""
        try:
            return orjson.loads(self.raw)
        except orjson.JSONDecodeError:
            return self.raw


_FIELDS = tuple(f.name for f in fields(QuarantineRow))
_COLUMNS = ", ".join(_FIELDS)


async def list_rows(
    conn: asyncpg.Connection, *, partner: str | None = None, entity: str | None = None,
    status: str | None = "open", limit: int = 200,
) -> list[QuarantineRow]:
    """Rows, newest first; `status` None for every status."""
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM quarantine
            WHERE ($1::text IS NULL OR partner = $1) AND ($2::text IS NULL OR entity = $2)
              AND ($3::text IS NULL OR status = $3)
            ORDER BY id DESC LIMIT $4""", partner, entity, status, limit)
    return [QuarantineRow.from_row(r) for r in rows]


async def open_counts(conn: asyncpg.Connection) -> dict[str, int]:
    """Open rows per partner."""
    rows = await conn.fetch(
        "SELECT partner, count(*) AS n FROM quarantine WHERE status = 'open' GROUP BY partner")
    return {r["partner"]: int(r["n"]) for r in rows}


async def get_row(conn: asyncpg.Connection, row_id: int, *, lock: bool = False) -> QuarantineRow:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM quarantine WHERE id = $1{' FOR UPDATE' if lock else ''}", row_id)
    if row is None:
        raise NotFound(f"no quarantined row {row_id}")
    return QuarantineRow.from_row(row)


def _replayable(row: QuarantineRow, fixed: Mapping[str, Any] | None) -> Mapping[str, Any]:
    if row.status != "open":
        raise ReplayRefused(f"row {row.id} is already {row.status}")
    if fixed is not None:
        return fixed
    if row.origin == FEED:
        raise ReplayRefused(f"row {row.id} is a feed answer that was not one; the next "
                            "`gateway sync` asks the partner again and resolves it")
    content = row.content()
    if isinstance(content, dict):
        return content
    if row.line is None and row.local_id is None:
        raise ReplayRefused(f"row {row.id} is a whole file that could not be read: drop a "
                            "corrected file and run `gateway sync` (the row then resolves "
                            "itself), or dismiss it")
    raise ReplayRefused(f"row {row.id} holds no row the partner's mapping can read: give the "
                        "corrected row with --fixed (a JSON object of the partner's fields)")


def _reader(adapter: Adapter) -> Any:
    """The adapter's mapping of a native row (`from_snapshot`), looked for through wrappers."""
    reader = row_reader(adapter)
    if reader is None:
        raise ReplayRefused(f"partner {adapter.info.slug} cannot map a stored row")
    return reader


def _record(adapter: Adapter, entity: str, content: Mapping[str, Any]) -> Record:
    try:
        record: Record = _reader(adapter)(entity, content, datetime.now(UTC))
    except (KeyError, TypeError, ValueError, AttributeError, AdapterError) as exc:
        raise ReplayRefused(f"the row still does not map: {exc!r}") from exc
    if not record.local_id:
        raise ReplayRefused("the row has no key")
    return record


async def replay(
    conn: asyncpg.Connection, adapters: Mapping[str, Adapter], row_id: int, *, by: str,
    fixed: Mapping[str, Any] | None = None, accept_transition: bool = False,
    note: str | None = None,
) -> Record:
    """Store a quarantined row after all — as read, or as corrected — and mark it replayed.
    Refused (nothing changes) when it still does not map or breaks the status machine, unless
    the operator accepts the transition. The record is left for linkage to link."""
    async with conn.transaction():
        row = await get_row(conn, row_id, lock=True)
        content = _replayable(row, fixed)
        adapter = adapters.get(row.partner)
        if adapter is None:
            raise ReplayRefused(f"partner {row.partner} is not configured here")
        record = _record(adapter, row.entity, content)
        # The partner's sync lock, for this transaction: a sync of it is not writing this record.
        await conn.execute("SELECT pg_advisory_xact_lock($1)",
                           zlib.crc32(f"juheli-sync:{row.partner}".encode()))
        before = await conn.fetchval(
            """SELECT status FROM source_records WHERE partner = $1 AND entity = $2
                 AND local_id = $3 AND subject = 0""", row.partner, row.entity, record.local_id)
        status = record.data.get("status")
        broken = violation(row.entity, before, status if isinstance(status, str) else None)
        if broken and not accept_transition:
            raise ReplayRefused(f"{broken}; replay with --accept-transition if the partner's "
                                "record really moved so")
        await upsert_records(conn, [record])
        await conn.execute(
            """UPDATE quarantine SET status = 'replayed', resolved_at = now(), resolved_by = $2,
                 note = $3, fixed = $4, local_id = coalesce(local_id, $5) WHERE id = $1""",
            row_id, by, note, None if fixed is None else orjson.dumps(fixed).decode(),
            record.local_id)
    return record


async def dismiss(conn: asyncpg.Connection, row_id: int, *, by: str, note: str) -> None:
    """Close a row that holds nothing to keep; the reason is required and kept."""
    if not note.strip():
        raise ReplayRefused("say why the row is dismissed (--note)")
    async with conn.transaction():
        row = await get_row(conn, row_id, lock=True)
        if row.status != "open":
            raise ReplayRefused(f"row {row.id} is already {row.status}")
        await conn.execute(
            """UPDATE quarantine SET status = 'dismissed', resolved_at = now(), resolved_by = $2,
                 note = $3 WHERE id = $1""", row_id, by, note)
