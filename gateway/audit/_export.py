"""One household's access history: who read it, when, why, and which field groups."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg

from gateway.audit._chain import AuditRow, format_at
from gateway.audit._segments import read_manifests, read_rows
from gateway.audit._verify import connection

# Rows hold bare keys; a caller that recorded global ids is found all the same.
_HOUSEHOLD_SQL = ("SELECT * FROM audit_log WHERE households && ARRAY[$1::text, 'Household:' || $1]"
                  " ORDER BY seq")


@dataclass(frozen=True, slots=True)
class Access:
    seq: int
    at: datetime
    agency: str
    officer: str | None
    purpose: str | None
    field_groups: tuple[str, ...]
    outcome: str
    client: str | None
    operation_hash: str
    archived: bool  # read from an archive segment, not the live table

    @classmethod
    def of(cls, row: AuditRow, *, archived: bool) -> Access:
        e = row.entry
        return cls(row.seq, row.at, e.agency, e.officer, e.purpose, e.field_groups, e.outcome,
                   e.client, e.operation_hash, archived)

    def as_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "at": format_at(self.at), "agency": self.agency,
                "officer": self.officer, "purpose": self.purpose,
                "fieldGroups": list(self.field_groups), "outcome": self.outcome,
                "client": self.client, "operationHash": self.operation_hash,
                "archived": self.archived}


def household_key(household: str) -> str:
    """`Household:<key>` (a global id) or the bare key → the key the audit rows hold."""
    return household.removeprefix("Household:")


async def export_household(source: str | asyncpg.Pool, household: str, *,
                           archive: Path | None = None) -> list[Access]:
    """Every audited read that touched `household`, oldest first; archived ones too with
    `archive`."""
    key = household_key(household)
    out = await asyncio.to_thread(_from_segments, archive, key) if archive is not None else []
    async with connection(source) as conn:
        records = await conn.fetch(_HOUSEHOLD_SQL, key)
    seen = {a.seq for a in out}  # an interrupted archive's segment repeats live rows
    out += [Access.of(AuditRow.from_mapping(r), archived=False) for r in records
            if r["seq"] not in seen]
    return out


def _from_segments(folder: Path, key: str) -> list[Access]:
    out = []
    for manifest in read_manifests(folder):
        for row in read_rows(folder / manifest.file):
            if key in row.entry.households or f"Household:{key}" in row.entry.households:
                out.append(Access.of(row, archived=True))
    return out
