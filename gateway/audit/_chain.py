"""The audit chain's data and its hash formula.

    digest = sha256(orjson(entry's fields, sorted keys))             (computed here)
    hash   = sha256("<seq>|<at>|<digest>|<prev_hash>")               (computed by `audit_append`)

`at` is UTC with microseconds (`2026-01-31T08:00:00.123456Z`); hashes are lowercase hex; the
first row's `prev_hash` is GENESIS. The database function and `row_hash` must agree byte for
byte: migration 0004 holds the SQL side.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from typing import Any

import orjson

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """What one read of personal data touched, and who asked, for which purpose, from where."""

    agency: str
    officer: str | None
    purpose: str | None
    operation_hash: str
    variables_hash: str
    households: tuple[str, ...]  # household keys (户编号), not global ids
    field_groups: tuple[str, ...]
    client: str | None
    outcome: str = "served"


ENTRY_FIELDS = tuple(f.name for f in fields(AuditEntry))


@dataclass(frozen=True, slots=True)
class AuditRow:
    """A row of the chain as stored, in the table or in an archive segment."""

    seq: int
    at: datetime
    entry: AuditEntry
    prev_hash: str
    hash: str

    @classmethod
    def from_mapping(cls, row: Any) -> AuditRow:
        """From an asyncpg record or a segment's JSON line (same names)."""
        at = row["at"]
        values = {name: row[name] for name in ENTRY_FIELDS}
        values["households"] = tuple(values["households"])
        values["field_groups"] = tuple(values["field_groups"])
        return cls(int(row["seq"]), datetime.fromisoformat(at) if isinstance(at, str) else at,
                   AuditEntry(**values), row["prev_hash"], row["hash"])

    def as_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "at": format_at(self.at), **asdict(self.entry),
                "prev_hash": self.prev_hash, "hash": self.hash}

    def expected_hash(self) -> str:
        return row_hash(self.seq, self.at, content_digest(self.entry), self.prev_hash)


def format_at(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def content_digest(entry: AuditEntry) -> str:
    content = {name: getattr(entry, name) for name in ENTRY_FIELDS}
    return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()


def row_hash(seq: int, at: datetime, digest: str, prev_hash: str) -> str:
    text = f"{seq}|{format_at(at)}|{digest}|{prev_hash}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
