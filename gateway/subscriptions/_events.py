"""What a listener hands its subscribers: a store event (migrations 0010, 0014) or a gap, and
the store queries that read events again after a given one (docs/subscriptions.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import asyncpg
import orjson

CHANNEL = "juheli_events"  # the NOTIFY channel of migrations 0010 and 0014


@dataclass(frozen=True, slots=True)
class Event:
    """A case record placed on a household (`linked`) or whose status changed (`status`).

    Keys and status codes only: the record itself is read again by each subscriber. `id` is
    the event's row in `subscription_events`, `at` when the store recorded it."""

    id: int
    kind: Literal["linked", "status"]
    record: int
    partner: str
    entity: str
    local_id: str
    household: int
    community: str
    old: str | None
    new: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class Gap:
    """Events from `lost_at` until `resumed_at` may be missing, and a subscriber should query
    what it needs again: they could not be replayed (too many, or no longer kept), or the
    subscriber fell behind."""

    lost_at: datetime
    resumed_at: datetime | None
    reason: str


Item = Event | Gap


@dataclass(frozen=True, slots=True)
class Mark:
    """A listener's bookmark on the channel: a snapshot taken in the transaction that sent it.
    Every event committed before that transaction was announced before the mark, and every event
    committed after it is invisible in `snapshot` — so a listener that lost its connection after
    receiving the mark replays exactly the events its snapshot does not see."""

    snapshot: str


MARK_SQL = f"""SELECT pg_notify('{CHANNEL}', json_build_object(
    'kind', 'mark', 'snapshot', pg_current_snapshot()::text)::text)"""


def parse(payload: str) -> Event | Mark | None:
    """The event or mark a NOTIFY carries; None for a payload this gateway does not understand
    (a newer migration's, say), which is dropped rather than break the listener."""
    try:
        data: dict[str, Any] = orjson.loads(payload)
        kind = data["kind"]
        if kind == "mark":
            return Mark(str(data["snapshot"]))
        if kind not in ("linked", "status"):
            return None
        at = datetime.fromisoformat(data["at"]) if isinstance(data.get("at"), str) else None
        return Event(id=int(data["id"]), kind=kind, record=int(data["record"]),
                     partner=str(data["partner"]), entity=str(data["entity"]),
                     local_id=str(data["local_id"]), household=int(data["household"]),
                     community=str(data["community"]), old=_text(data.get("old")),
                     new=_text(data.get("new")), at=at or datetime.now(UTC))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None


def from_row(row: asyncpg.Record) -> Event:
    return Event(id=row["id"], kind=row["kind"], record=row["record"], partner=row["partner"],
                 entity=row["entity"], local_id=row["local_id"], household=row["household"],
                 community=row["community"], old=row["old"], new=row["new"], at=row["at"])


_EVENT = "id, at, kind, record, partner, entity, local_id, household, community, old, new"

# The events committed after a snapshot was taken: those of transactions it does not see (any
# such transaction id is at or above the snapshot's xmin, which the index on xid finds).
AFTER_SNAPSHOT = f"""
SELECT {_EVENT} FROM subscription_events
 WHERE xid >= pg_snapshot_xmin($1::text::pg_snapshot)
   AND NOT pg_visible_in_snapshot(xid, $1::text::pg_snapshot)
 ORDER BY id LIMIT $2"""

# The same, of one community, after one of its events: those its transaction's snapshot does
# not see (a few committed while it ran come again; subscribers know them by their id).
AFTER_EVENT = f"""
SELECT {_EVENT} FROM subscription_events e
 WHERE e.community = $2
   AND e.xid >= pg_snapshot_xmin($3::text::pg_snapshot)
   AND NOT pg_visible_in_snapshot(e.xid, $3::text::pg_snapshot)
   AND e.id <> $1
 ORDER BY e.id LIMIT $4"""


async def snapshot_of(conn: asyncpg.Pool | asyncpg.Connection, event_id: int) -> str | None:
    """The snapshot event `event_id` was written under; None once it is no longer kept."""
    snap: str | None = await conn.fetchval(
        "SELECT snap::text FROM subscription_events WHERE id = $1", event_id)
    return snap


async def events_after(conn: asyncpg.Pool | asyncpg.Connection, event_id: int, community: str,
                       limit: int) -> list[Event] | None:
    """`community`'s events committed after event `event_id` (and a few before it: see
    AFTER_EVENT), in id order, at most `limit`; None when `event_id` is no longer kept."""
    snap = await snapshot_of(conn, event_id)
    if snap is None:
        return None
    rows = await conn.fetch(AFTER_EVENT, event_id, community, snap, limit)
    return [from_row(r) for r in rows]


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
