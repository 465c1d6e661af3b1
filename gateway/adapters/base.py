"""The adapter contract: how the gateway reaches every partner system.

An adapter knows one partner's wire format, auth and quirks, and nothing of GraphQL. It offers:

- `fetch_many(entity, keys)` — live, batched read: one slot per key, in the keys' order. A slot is
  a `Record`, `None` (the partner has no such record), or an `AdapterError` (this key failed while
  others did not). A failure of the whole call raises an `AdapterError`.
- `changes(entity, since)` — the sync feed: batches of records changed after a cursor, each batch
  with the cursor to resume from, plus the rows the adapter could not read (quarantine).
- `health()` — a cheap liveness probe; `aclose()` releases connections.
- `capabilities` — the entities it serves, its largest batch, and whether reads are live.

Adapters map native rows into the unified vocabulary (`Record.data`) and name the identifying
attributes of each record (`Record.subjects`) that linkage uses. Foreign exceptions are
translated into `gateway.errors.AdapterError` subclasses here, at the edge.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

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


Slot = Record | AdapterError | None


@dataclass(frozen=True, slots=True)
class Quarantined:
    """A row the adapter could not read; kept with where it came from and why."""

    partner: str
    entity: str
    origin: str
    line: int | None
    reason: str
    raw: str


@dataclass(frozen=True, slots=True)
class ChangeBatch:
    records: Sequence[Record]
    cursor: str | None
    quarantined: Sequence[Quarantined] = ()


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


def order_slots(
    keys: Sequence[str], found: Mapping[str, Record | AdapterError]
) -> list[Slot]:
    """One slot per key in the keys' order; keys the partner did not return are absent (None)."""
    return [found.get(key) for key in keys]


def chunks(keys: Sequence[str], size: int) -> list[Sequence[str]]:
    return [keys[i : i + size] for i in range(0, len(keys), size)]
