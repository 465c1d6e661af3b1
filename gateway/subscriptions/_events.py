"""What a listener hands its subscribers: a store event (migration 0010) or a gap."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import orjson

CHANNEL = "juheli_events"  # the NOTIFY channel of migration 0010


@dataclass(frozen=True, slots=True)
class Event:
    """A case record placed on a household (`linked`) or whose status changed (`status`).

    Keys and status codes only: the record itself is read again by each subscriber."""

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
    """The listener lost its connection at `lost_at`: events from then until `resumed_at` (None:
    not yet) may be missing, and a subscriber should query what it needs again."""

    lost_at: datetime
    resumed_at: datetime | None
    reason: str


Item = Event | Gap


def parse(payload: str) -> Event | None:
    """The event a NOTIFY carries; None for a payload this gateway does not understand (a newer
    migration's, say), which is dropped rather than break the listener."""
    try:
        data: dict[str, Any] = orjson.loads(payload)
        kind = data["kind"]
        if kind not in ("linked", "status"):
            return None
        return Event(kind=kind, record=int(data["record"]), partner=str(data["partner"]),
                     entity=str(data["entity"]), local_id=str(data["local_id"]),
                     household=int(data["household"]), community=str(data["community"]),
                     old=_text(data.get("old")), new=_text(data.get("new")),
                     at=datetime.now(UTC))
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
