"""Human review of linkage: the queue of proposed links, and the four decisions people make.

Every decision is written in one transaction with its entry in `link_decisions` (who, when,
what, why). Decisions are sticky: automatic runs skip `confirmed` and `rejected` links, the
registry rebuild keeps merged households merged and moved persons where people put them.
A store that cannot be reached is `StoreUnavailable` from every function here (`@reaches_store`),
so a decision refused by an outage is a coded error at its field, and nothing of it is written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import orjson

from gateway.db.store import reaches_store
from gateway.errors import BadRequest, LinkConflict, MalformedId, NotFound

REVIEW_SQL = """
SELECT l.source_record_id AS id, s.partner, s.entity, s.local_id, s.subject, s.read_at, s.attrs,
       l.household_id, h.key AS household_key, h.community_code, p.key AS person_key,
       l.method, l.confidence,
       l.status, l.evidence, l.impact, l.decided_by, l.decided_at
FROM links l
JOIN source_records s ON s.id = l.source_record_id
LEFT JOIN households h ON h.id = l.household_id
LEFT JOIN persons p ON p.id = l.person_id
"""


@dataclass(frozen=True, slots=True)
class RecordKey:
    partner: str
    entity: str
    local_id: str
    subject: int

    @classmethod
    def parse(cls, value: str) -> RecordKey:
        """`SourceRecord:<partner>:<entity>:<local id>:<subject>` (or `LinkReview:` …)."""
        kind, _, rest = value.partition(":")
        head, _, subject = rest.rpartition(":")
        parts = head.split(":", 2)
        if kind not in {"SourceRecord", "LinkReview"} or len(parts) != 3 or not all(parts) \
                or not subject.isdigit():
            raise MalformedId(f"malformed record id {value!r}: expected "
                              "SourceRecord:<partner>:<entity>:<local id>:<subject>", id=value)
        return cls(parts[0], parts[1], parts[2], int(subject))

    def id(self, kind: str = "SourceRecord") -> str:
        return f"{kind}:{self.partner}:{self.entity}:{self.local_id}:{self.subject}"


@dataclass(frozen=True, slots=True)
class LinkState:
    """One record's link as the store holds it."""

    record_id: int
    key: RecordKey
    read_at: datetime
    attrs: dict[str, Any]
    household_id: int | None
    household_key: str | None
    community: str | None
    person_key: str | None
    method: str
    confidence: float
    status: str
    evidence: dict[str, Any]
    impact: float | None
    decided_by: str | None
    decided_at: datetime | None

    @classmethod
    def of(cls, row: asyncpg.Record) -> LinkState:
        data = dict(row)
        return cls(
            record_id=data["id"],
            key=RecordKey(data["partner"], data["entity"], data["local_id"], data["subject"]),
            read_at=data["read_at"], attrs=_json(data["attrs"]),
            household_id=data["household_id"], household_key=data["household_key"],
            community=data["community_code"], person_key=data["person_key"], method=data["method"],
            confidence=data["confidence"], status=data["status"],
            evidence=_json(data["evidence"]), impact=data["impact"],
            decided_by=data["decided_by"], decided_at=data["decided_at"],
        )


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


# --- the queue ---------------------------------------------------------------------------------


@reaches_store
async def review_page(
    pool: asyncpg.Pool, *, community: str | None, after: tuple[float, int] | None, limit: int,
    communities: Sequence[str] | None = None,
) -> list[LinkState]:
    """Proposed links, highest impact first, then oldest record first (keyset on both);
    `communities` (None: any) bounds whose households may be proposed."""
    impact, last = after if after else (float("inf"), 0)
    rows = await pool.fetch(
        REVIEW_SQL + """
        WHERE l.status = 'needs_review' AND ($1::text IS NULL OR h.community_code = $1)
          AND ($5::text[] IS NULL OR h.community_code = ANY($5::text[]))
          AND (l.impact < $2 OR (l.impact = $2 AND l.source_record_id > $3))
        ORDER BY l.impact DESC, l.source_record_id LIMIT $4""",
        community, impact, last, limit, list(communities) if communities is not None else None,
    )
    return [LinkState.of(r) for r in rows]


@reaches_store
async def review_count(pool: asyncpg.Pool, community: str | None,
                       communities: Sequence[str] | None = None) -> int:
    value = await pool.fetchval(
        """SELECT count(*) FROM links l LEFT JOIN households h ON h.id = l.household_id
           WHERE l.status = 'needs_review' AND ($1::text IS NULL OR h.community_code = $1)
             AND ($2::text[] IS NULL OR h.community_code = ANY($2::text[]))""",
        community, list(communities) if communities is not None else None,
    )
    return int(value or 0)


@reaches_store
async def link_state(pool: asyncpg.Pool | asyncpg.Connection, key: RecordKey) -> LinkState | None:
    row = await pool.fetchrow(
        REVIEW_SQL + " WHERE s.partner = $1 AND s.entity = $2 AND s.local_id = $3 "
        "AND s.subject = $4", key.partner, key.entity, key.local_id, key.subject,
    )
    return LinkState.of(row) if row else None


# --- decisions ---------------------------------------------------------------------------------


async def _log(conn: asyncpg.Connection, officer: str, action: str, target: dict[str, Any],
               note: str | None) -> datetime:
    at: datetime = await conn.fetchval(
        "INSERT INTO link_decisions (officer, action, target, note) VALUES ($1, $2, $3::jsonb, $4)"
        " RETURNING at", officer, action, orjson.dumps(target).decode(), note,
    )
    return at


async def _record_id(conn: asyncpg.Connection, key: RecordKey) -> int:
    rid = await conn.fetchval(
        "SELECT id FROM source_records WHERE partner = $1 AND entity = $2 AND local_id = $3 "
        "AND subject = $4", key.partner, key.entity, key.local_id, key.subject,
    )
    if rid is None:
        raise NotFound(f"no record {key.id()}", id=key.id())
    return int(rid)


async def _household(conn: asyncpg.Connection, key: str) -> int:
    row = await conn.fetchrow("SELECT id, merged_into FROM households WHERE key = $1", key)
    if row is None:
        raise NotFound(f"no household Household:{key}", id=f"Household:{key}")
    return int(row["merged_into"] or row["id"])


@reaches_store
async def confirm(
    pool: asyncpg.Pool, officer: str, key: RecordKey, *, household: str | None,
    person: str | None, note: str | None,
) -> LinkState:
    """This record belongs to `household` (and `person`), or to the household proposed for it."""
    async with pool.acquire() as conn, conn.transaction():
        rid = await _record_id(conn, key)
        current = await conn.fetchrow(
            "SELECT household_id, person_id FROM links WHERE source_record_id = $1", rid)
        if household is not None:
            hid = await _household(conn, household)
        elif current is not None and current["household_id"] is not None:
            hid = int(current["household_id"])
        else:
            raise LinkConflict(f"{key.id()} has no proposed household: say which household",
                               id=key.id())
        pid = None
        if person is not None:
            found = await conn.fetchrow("SELECT id, household_id FROM persons WHERE key = $1",
                                        person)
            if found is None:
                raise NotFound(f"no resident Resident:rc:{person}", id=f"Resident:rc:{person}")
            if found["household_id"] != hid:
                raise LinkConflict(f"resident {person} does not live in that household",
                                   id=f"Resident:rc:{person}")
            pid = int(found["id"])
        elif current is not None and current["household_id"] == hid:
            pid = current["person_id"]
        at = await _log(conn, officer, "confirm",
                        {"record": key.id(), "household": household, "person": person}, note)
        await conn.execute(
            """INSERT INTO links (source_record_id, person_id, household_id, method, confidence,
                                  status, evidence, decided_by, decided_at)
               VALUES ($1, $2, $3, 'human', 1.0, 'confirmed', $4::jsonb, $5, $6)
               ON CONFLICT (source_record_id) DO UPDATE SET person_id = EXCLUDED.person_id,
                 household_id = EXCLUDED.household_id, method = 'human', confidence = 1.0,
                 status = 'confirmed', impact = NULL, decided_by = EXCLUDED.decided_by,
                 decided_at = EXCLUDED.decided_at, updated_at = now(),
                 evidence = links.evidence || EXCLUDED.evidence""",
            rid, pid, hid, orjson.dumps({"note": note}).decode(), officer, at,
        )
        state = await link_state(conn, key)
    assert state is not None
    return state


@reaches_store
async def reject(pool: asyncpg.Pool, officer: str, key: RecordKey, note: str | None) -> LinkState:
    """This record does not belong to the household it was linked or proposed to."""
    async with pool.acquire() as conn, conn.transaction():
        rid = await _record_id(conn, key)
        at = await _log(conn, officer, "reject", {"record": key.id()}, note)
        await conn.execute(
            """INSERT INTO links (source_record_id, method, confidence, status, evidence,
                                  decided_by, decided_at)
               VALUES ($1, 'human', 0.0, 'rejected', $2::jsonb, $3, $4)
               ON CONFLICT (source_record_id) DO UPDATE SET method = 'human', confidence = 0.0,
                 status = 'rejected', impact = NULL, decided_by = EXCLUDED.decided_by,
                 decided_at = EXCLUDED.decided_at, updated_at = now(),
                 evidence = links.evidence || EXCLUDED.evidence""",
            rid, orjson.dumps({"note": note}).decode(), officer, at,
        )
        state = await link_state(conn, key)
    assert state is not None
    return state


@reaches_store
async def merge(pool: asyncpg.Pool, officer: str, into: str, other: str, note: str | None) -> int:
    """`other` is the same household as `into` (registered twice): one household from now on."""
    async with pool.acquire() as conn, conn.transaction():
        keep, gone = await _household(conn, into), await _household(conn, other)
        if keep == gone:
            raise LinkConflict("a household cannot be merged into itself")
        await _log(conn, officer, "merge", {"into": into, "from": other}, note)
        await conn.execute("UPDATE households SET merged_into = $1 WHERE id = $2 "
                           "OR merged_into = $2", keep, gone)
        await conn.execute("UPDATE persons SET household_id = $1, household_fixed = true "
                           "WHERE household_id = $2", keep, gone)
        await conn.execute("UPDATE links SET household_id = $1, updated_at = now() "
                           "WHERE household_id = $2", keep, gone)
    return keep


@reaches_store
async def split(
    pool: asyncpg.Pool, officer: str, household: str, persons: Sequence[str], note: str | None
) -> str:
    """Move these residents (and every record linked to them) into a new household; returns
    the new household's key, `<key>-<n>`."""
    if not persons:
        raise BadRequest("name at least one resident to move")
    async with pool.acquire() as conn, conn.transaction():
        hid = await _household(conn, household)
        rows = await conn.fetch("SELECT id, key, household_id FROM persons WHERE key = ANY($1)",
                                list(persons))
        missing = sorted(set(persons) - {r["key"] for r in rows})
        if missing:
            raise NotFound(f"no resident {missing[0]}", id=f"Resident:rc:{missing[0]}")
        if any(r["household_id"] != hid for r in rows):
            raise LinkConflict("every resident moved must live in the household split")
        members = await conn.fetchval("SELECT count(*) FROM persons WHERE household_id = $1", hid)
        if len(rows) >= members:
            raise LinkConflict("a split must leave at least one resident behind")
        base = await conn.fetchval("SELECT key FROM households WHERE id = $1", hid)
        n = await conn.fetchval("SELECT count(*) FROM households WHERE key LIKE $1 || '-%'", base)
        new_key = f"{base}-{int(n) + 1}"
        new_id = await conn.fetchval(
            """INSERT INTO households (key, community_code, compound_id, building_id, entrance_id,
                                       floor, room, address_key)
               SELECT $1, community_code, compound_id, building_id, entrance_id, floor, room,
                      address_key FROM households WHERE id = $2 RETURNING id""",
            new_key, hid,
        )
        ids = [r["id"] for r in rows]
        await _log(conn, officer, "split",
                   {"household": household, "persons": sorted(persons), "new": new_key}, note)
        await conn.execute("UPDATE persons SET household_id = $1, household_fixed = true "
                           "WHERE id = ANY($2::bigint[])", new_id, ids)
        await conn.execute("UPDATE links SET household_id = $1, updated_at = now() "
                           "WHERE person_id = ANY($2::bigint[])", new_id, ids)
    return new_key
