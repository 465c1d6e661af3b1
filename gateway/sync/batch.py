"""One batch of the sync feed into the store, in one transaction: the records that pass the
sync's checks into `source_records`, the rest into `quarantine`, and the feed's cursor.

The sync's own checks, after the adapter's (rows that do not map are already quarantined):

- a key twice in one batch: the first is kept, every other copy quarantined (`duplicate key`);
- a status the entity's machine cannot reach from the stored one (`gateway/sync/machines.py`):
  quarantined, and the stored record stays as it was.

Open quarantine rows that a batch makes moot are resolved as `superseded`, never deleted: those
of a record the batch stores, and those of a file the batch reads in full that it does not
quarantine again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import asyncpg
import orjson

from gateway.adapters.base import ChangeBatch, Quarantined, Record
from gateway.linkage.attrs import subject_attrs
from gateway.sync.machines import MACHINES, violation
from gateway.views.snapshots import upsert_facts


@dataclass(frozen=True, slots=True)
class Stored:
    records: int
    quarantined: int


def _status(record: Record) -> str | None:
    status = record.data.get("status")
    return status if isinstance(status, str) else None


def _rows(record: Record) -> list[tuple[object, ...]]:
    raw = orjson.dumps(record.raw, default=str).decode()
    subjects = record.subjects or (None,)
    return [
        (record.partner, record.entity, record.local_id, index,
         orjson.dumps(subject_attrs(subject)).decode(), raw, record.read_at, record.updated_at,
         _status(record))
        for index, subject in enumerate(subjects)
    ]


_UPSERT = """
INSERT INTO source_records (partner, entity, local_id, subject, attrs, raw, read_at,
                            partner_updated_at, status)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::jsonb[], $6::jsonb[],
                     $7::timestamptz[], $8::text[], $9::text[])
ON CONFLICT (partner, entity, local_id, subject) DO UPDATE SET
  -- The place linkage found (a responsibility's compound or building) stays until relinked.
  attrs = EXCLUDED.attrs || jsonb_strip_nulls(jsonb_build_object(
    'compound_id', source_records.attrs->'compound_id',
    'building_id', source_records.attrs->'building_id')),
  raw = EXCLUDED.raw, read_at = EXCLUDED.read_at,
  partner_updated_at = EXCLUDED.partner_updated_at, status = EXCLUDED.status,
  link_pending = source_records.link_pending OR source_records.raw IS DISTINCT FROM EXCLUDED.raw
"""

# The same problem in the same content is one row: read again, it is left as it is (the no-op
# update only makes RETURNING answer its id).
_QUARANTINE = """
INSERT INTO quarantine (partner, entity, origin, line, reason, raw, local_id, digest)
SELECT p, e, o, l, r, w, k, md5(w)
FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[])
     AS u(p, e, o, l, r, w, k)
ON CONFLICT ON CONSTRAINT uq_quarantine_row DO UPDATE SET digest = quarantine.digest
RETURNING id
"""


async def upsert_records(conn: asyncpg.Connection, records: Sequence[Record]) -> None:
    """Store the records, then their facts for the combined views (gateway/views/)."""
    rows = [row for record in records for row in _rows(record)]
    if rows:
        await conn.execute(_UPSERT, *map(list, zip(*rows, strict=True)))
        await upsert_facts(conn, records)


def _text(value: str) -> str:
    # PostgreSQL text holds no NUL; a partner's garbage may. Shown escaped, as Python would.
    return value.replace("\x00", "\\x00")


async def insert_quarantine(conn: asyncpg.Connection, rows: Sequence[Quarantined]) -> list[int]:
    """Quarantine rows (each problem once); the ids of their rows, new or already there."""
    unique = list({(q.partner, q.entity, q.origin, q.line, q.reason, q.raw): q
                   for q in rows}.values())
    if not unique:
        return []
    columns = zip(*[(q.partner, q.entity, q.origin, q.line, _text(q.reason), _text(q.raw),
                     q.local_id) for q in unique], strict=True)
    return [r["id"] for r in await conn.fetch(_QUARANTINE, *map(list, columns))]


def held_back(record: Record, reason: str) -> Quarantined:
    """A record the sync will not store, as a quarantine row under its key."""
    raw = orjson.dumps(record.raw, default=str).decode()
    return Quarantined(record.partner, record.entity, record.local_id, None, reason, raw,
                       record.local_id)


async def stored_statuses(
    conn: asyncpg.Connection, partner: str, entity: str, keys: Sequence[str]
) -> dict[str, str]:
    if entity not in MACHINES or not keys:
        return {}
    rows = await conn.fetch(
        """SELECT local_id, status FROM source_records WHERE partner = $1 AND entity = $2
             AND subject = 0 AND local_id = ANY($3::text[]) AND status IS NOT NULL""",
        partner, entity, list(keys))
    return {r["local_id"]: r["status"] for r in rows}


async def screen(
    conn: asyncpg.Connection, partner: str, entity: str, records: Sequence[Record]
) -> tuple[list[Record], list[Quarantined]]:
    """The records to store, and those held back: a key seen before in the batch, or a status
    the machine cannot reach from the stored one."""
    before = await stored_statuses(conn, partner, entity, [r.local_id for r in records])
    keep: dict[str, Record] = {}
    held: list[Quarantined] = []
    for record in records:
        if record.local_id in keep:
            held.append(held_back(record, f"duplicate key {record.local_id}"))
            continue
        broken = violation(entity, before.get(record.local_id), _status(record))
        if broken:
            held.append(held_back(record, broken))
        else:
            keep[record.local_id] = record
    return list(keep.values()), held


async def supersede(
    conn: asyncpg.Connection, partner: str, entity: str, *, keys: Sequence[str],
    origins: Sequence[str], keep: Sequence[int],
) -> None:
    """Resolve the open rows this batch made moot: those of a record it stored, and those of an
    origin it read in full — except the rows it quarantined (again) itself."""
    await conn.execute(
        """UPDATE quarantine SET status = 'superseded', resolved_at = now(),
             note = CASE WHEN local_id = ANY($3::text[])
                         THEN 'a later version of the record was synced'
                         ELSE 'a later version of the file no longer has this row' END
           WHERE partner = $1 AND entity = $2 AND status = 'open' AND id <> ALL($5::bigint[])
             AND (local_id = ANY($3::text[]) OR origin = ANY($4::text[]))""",
        partner, entity, list(keys), list(origins), list(keep))


async def store_batch(
    conn: asyncpg.Connection, partner: str, entity: str, batch: ChangeBatch
) -> Stored:
    """Store one batch and move the feed's cursor past it, all or nothing."""
    async with conn.transaction():
        records, held = await screen(conn, partner, entity, batch.records)
        quarantined = [*batch.quarantined, *held]
        await upsert_records(conn, records)
        ids = await insert_quarantine(conn, quarantined)
        await supersede(conn, partner, entity, keys=[r.local_id for r in records],
                        origins=batch.origins, keep=ids)
        await conn.execute(
            """INSERT INTO sync_state (partner, entity, cursor, records, quarantined, last_sync_at)
               VALUES ($1, $2, $3, $4, $5, now())
               ON CONFLICT (partner, entity) DO UPDATE SET cursor = EXCLUDED.cursor,
                 records = sync_state.records + EXCLUDED.records,
                 quarantined = sync_state.quarantined + EXCLUDED.quarantined,
                 last_sync_at = now()""",
            partner, entity, batch.cursor, len(records), len(quarantined),
        )
    return Stored(len(records), len(quarantined))


async def quarantine_feed_failure(
    conn: asyncpg.Connection, partner: str, entity: str, reason: str, raw: str | None
) -> None:
    """A feed answer that could not be read at all: nothing was taken from it and its cursor did
    not move, so the next sync asks again; the row says so until a sync gets past it."""
    async with conn.transaction():
        await insert_quarantine(conn, [Quarantined(partner, entity, FEED, None, reason,
                                                   raw or "")])


async def feed_recovered(conn: asyncpg.Connection, partner: str, entity: str) -> None:
    await conn.execute(
        """UPDATE quarantine SET status = 'superseded', resolved_at = now(),
             note = 'a later sync read the feed past it'
           WHERE partner = $1 AND entity = $2 AND status = 'open' AND origin = $3""",
        partner, entity, FEED)


FEED = "feed"  # the origin of a feed answer that could not be read at all
