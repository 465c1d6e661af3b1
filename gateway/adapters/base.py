"""The adapter contract: how the gateway reaches every partner system.

An adapter knows one partner's wire format, auth and quirks, and nothing of GraphQL. It offers:

- `fetch_many(entity, keys)` — live, batched read: one slot per key, in the keys' order. A slot is
  a `Record`, `None` (the partner has no such record), or an `AdapterError` (this key failed while
  others did not). A failure of the whole call raises an `AdapterError`.
- `changes(entity, since)` — the sync feed: batches of records changed after a cursor, each batch
  with the cursor to resume from, plus the rows the adapter could not read (quarantine).
- `health()` — a cheap liveness probe; `aclose()` releases connections.
- `from_snapshot(entity, raw, read_at) -> Record | None` — optional, not in the Protocol: the
  record rebuilt from the native row the sync stored (`source_records.raw`), for the stale
  fallback. Call it through `from_snapshot()` here, which marks the record stale and answers
  None for an adapter without one.
- `capabilities` — the entities it serves, its largest batch, and whether reads are live.

Adapters map native rows into the unified vocabulary (`Record.data`) and name the identifying
attributes of each record (`Record.subjects`) that linkage uses. Foreign exceptions are
translated into `gateway.errors.AdapterError` subclasses here, at the edge.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

import orjson

from gateway.errors import AdapterError


@dataclass(frozen=True, slots=True)
class Subject:
    """Identifying attributes of one person or place a record is about, as the partner wrote them."""

    name: Any = None
    id_number: Any = None
    phone: Any = None
    address: Any = None
    community: str | None = None
    role: str | None = None
    # When the partner states the household itself (the registry), its local household id.
    household_local_id: str | None = None
    # Responsibilities point at a place rather than a household: 'branch', 'compound', 'building'.
    target_level: str | None = None
    # Records sharing an affinity (one Party member's visits and duties) tend to be near each
    # other; linkage uses where the others landed to place an ambiguous one.
    affinity: str | None = None


@dataclass(frozen=True, slots=True)
class Record:
    """One partner record: its unified fields, its native row, and when it was read."""

    partner: str
    entity: str
    local_id: str
    data: Mapping[str, Any]
    raw: Mapping[str, Any]
    read_at: datetime
    live: bool = True
    updated_at: str | None = None
    subjects: tuple[Subject, ...] = ()
    stale: bool = False  # rebuilt from the last snapshot because the live read failed


Slot = Record | AdapterError | None


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A row the adapter could not read; kept with where it came from and why.

    `origin` is the drop's `<month>/<file>` or the record's key (a feed's page when the row has
    no key); `line` the file's line or the row's place in the page; `raw` the content as read —
    a row as JSON where it had the shape of one, else the text or a description of the bytes."""

    partner: str
    entity: str
    origin: str
    line: int | None
    reason: str
    raw: str
    local_id: str | None = None  # the record's key, when the row has one


@dataclass(frozen=True, slots=True)
class ChangeBatch:
    records: Sequence[Record]
    cursor: str | None
    quarantined: Sequence[Quarantined] = ()
    # Origins (a drop's files) this batch reads in full: an open quarantine row from one of
    # them that the batch does not quarantine again was fixed at the source (superseded).
    origins: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class Capabilities:
    entities: tuple[str, ...]
    max_batch: int
    live: bool = True


@dataclass(frozen=True, slots=True)
class Health:
    ok: bool
    latency_ms: float
    detail: str = ""


@dataclass(frozen=True, slots=True)
class PartnerInfo:
    """Who the partner is, for `partners` and the store's partner table."""

    slug: str
    name: str
    name_zh: str
    kind: str
    extra: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class Adapter(Protocol):
    info: PartnerInfo
    capabilities: Capabilities

    async def fetch_many(self, entity: str, keys: Sequence[str]) -> list[Slot]: ...

    def changes(self, entity: str, since: str | None) -> AsyncIterator[ChangeBatch]: ...

    async def health(self) -> Health: ...

    async def aclose(self) -> None: ...


def row_reader(adapter: Adapter) -> Any:
    """The adapter's mapping of one native row, `from_snapshot(entity, raw, read_at)`, or None.
    Wrappers (`Instrumented`, `Resilient`) are looked through: what each wraps is its `inner`."""
    found: Any = adapter
    while not hasattr(found, "from_snapshot") and hasattr(found, "inner"):
        found = found.inner
    return getattr(found, "from_snapshot", None)


def from_snapshot(
    adapter: Adapter, entity: str, raw: Mapping[str, Any], read_at: datetime
) -> Record | None:
    """The adapter's record for a snapshot row, marked stale and not live; None when the adapter
    offers no `from_snapshot` or the stored row no longer maps (a changed mapper)."""
    rebuild = row_reader(adapter)
    if rebuild is None:
        return None
    try:
        record: Record | None = rebuild(entity, raw, read_at)
    except (KeyError, TypeError, ValueError, AdapterError):
        return None
    return None if record is None else replace(record, read_at=read_at, live=False, stale=True)


def order_slots(
    keys: Sequence[str], found: Mapping[str, Record | AdapterError]
) -> list[Slot]:
    """One slot per key in the keys' order; keys the partner did not return are absent (None)."""
    return [found.get(key) for key in keys]


def chunks(keys: Sequence[str], size: int) -> list[Sequence[str]]:
    return [keys[i : i + size] for i in range(0, len(keys), size)]


def read_rows(
    partner: str, entity: str, rows: Sequence[Any], to_record: Callable[[Any, datetime], Record],
    *, read_at: datetime, key: Callable[[Any], str], page: str,
) -> tuple[list[Record], list[Quarantined]]:
    """A feed page's rows as records; a row that does not map (wrong types, missing fields, not
    an object) is quarantined under its key, or under `page` and its place there when it has no
    key — one bad row never stops the feed."""
    records: list[Record] = []
    bad: list[Quarantined] = []
    for place, row in enumerate(rows, start=1):
        try:
            records.append(to_record(row, read_at))
        except (KeyError, TypeError, ValueError, AttributeError, AdapterError) as exc:
            try:
                local_id: str | None = key(row) or None
            except (KeyError, TypeError, ValueError, AttributeError):
                local_id = None
            # A database row (asyncpg's Record) is no dict; its items are the native row.
            native = dict(row.items()) if hasattr(row, "items") else row
            raw = orjson.dumps(native, default=str).decode()
            bad.append(Quarantined(partner, entity, local_id or page,
                                   None if local_id else place, f"unreadable row: {exc!r}", raw,
                                   local_id))
    return records, bad
