"""Run linkage over the store: registry anchors first, then every other record scored.

Two entry points. `link_all` re-decides every record (the batch run). `link_pending` decides
only what a sync inserted or changed (`source_records.link_pending`), against indexes kept warm
in the process since the last run; a change in the registry itself rebuilds the anchors and
relinks the records that pointed at what changed.

Human decisions (`confirmed`, `rejected`) are never touched by an automatic run. Scoring runs in
a worker thread so a sync on a serving process does not stall its event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import asyncpg
import orjson

from gateway.linkage.former import changed_former_keys, load_former_names
from gateway.linkage.match import DEFAULT_THRESHOLDS, Decision, Indexes, Person, Scorer, Thresholds
from gateway.linkage.normalize import parse_date
from gateway.linkage.places import compound_key
from gateway.linkage.registry import (
    REGISTRY,
    REGISTRY_LINKED,
    build_geography,
    build_households,
    build_persons,
)
from gateway.linkage.weights import Model, estimate
from gateway.views.snapshots import resolve_stated_communities

_HUMAN = ("confirmed", "rejected")
# What a wrong link costs, by entity: a dispute or an appeal on the wrong family's page is worse
# than a wrong service record. The review queue shows the highest impact first.
IMPACT = {"dispute": 3.0, "ticket": 3.0, "petition": 3.0, "reception": 3.0, "care_card": 2.0,
          "hardship": 2.0}
# Records linkage decides: every partner's but the register's own (registry.REGISTRY_LINKED).
_DECIDED = "(partner <> $1 OR entity = ANY($2::text[]))"


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def _iso_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        return parse_date(value)  # a store built before dates were stored normalized


async def load_indexes(conn: asyncpg.Connection) -> Indexes:
    # Every query in a fixed order: what linkage learns and decides must not depend on the
    # order a query plan happens to return rows in (a rerun after a killed sync links the same).
    idx = Indexes()
    for r in await conn.fetch("SELECT code, name FROM communities ORDER BY code"):
        idx.community_by_name[r["name"]] = r["code"]
        idx.compounds[r["code"]] = []
    for r in await conn.fetch("SELECT id, community_code, name FROM compounds ORDER BY name, id"):
        idx.compounds.setdefault(r["community_code"], []).append(r["name"])
        idx.all_compounds.append(r["name"])
        idx.compound_ids[(r["community_code"], compound_key(r["name"]) or "")] = r["id"]
        idx.compound_keys.add(compound_key(r["name"]))
    await load_former_names(conn, idx)
    for r in await conn.fetch("SELECT id, compound_id, number FROM buildings ORDER BY id"):
        idx.building_ids[(r["compound_id"], r["number"])] = r["id"]
    households = await conn.fetch(
        "SELECT h.id, h.community_code, h.address_key, coalesce(cp.name, '') AS compound, "
        "h.phones FROM households h LEFT JOIN compounds cp ON cp.id = h.compound_id "
        "WHERE h.merged_into IS NULL ORDER BY h.id")
    keys: dict[str, str] = {}  # compound name → key, computed once per compound
    for h in households:
        idx.household_community[h["id"]] = h["community_code"]
        if h["address_key"]:
            # The compound as the geography spells it, as record addresses are parsed to.
            _, building, entrance, room = h["address_key"].split("|")
            ckey = keys.get(h["compound"])
            if ckey is None:
                ckey = keys[h["compound"]] = compound_key(h["compound"]) or ""
            idx.address[h["id"]] = (ckey, building, entrance, room)
            idx.by_block[(h["community_code"], f"{building}|{room}")].append(h["id"])
        for phone in _json(h["phones"]):  # stored normalized by the registry build
            idx.add_phone(phone, h["id"])
    for p in await conn.fetch(
        "SELECT id, household_id, id_number, name, name_pinyin, phones, birth_date, gender "
        "FROM persons ORDER BY id"
    ):
        # birth_date and gender are stored normalized by the registry build
        birth = p["birth_date"]
        person = Person(p["id"], p["household_id"], p["id_number"], p["name"], p["name_pinyin"],
                        list(_json(p["phones"])), _iso_date(birth) if birth else None,
                        p["gender"])
        if person.id_number:
            idx.by_id_number[person.id_number].append(person)
        if person.name:
            idx.by_name[person.name].append(person)
        if person.household_id:
            idx.members[person.household_id].append(person)
            for phone in person.phones:
                idx.add_phone(phone, person.household_id)
    return idx


@dataclass(slots=True)
class _Warm:
    """Indexes of one store kept between runs, valid while the registry has not changed."""

    idx: Indexes
    thresholds: Thresholds
    stamp: str


_warm: dict[str, _Warm] = {}


async def _store_key(conn: asyncpg.Connection) -> tuple[str, str]:
    """Which store this is, and a stamp of its registry state: a warm index is used only while
    no process has rebuilt the registry, merged, split or decided since it was loaded."""
    row = await conn.fetchrow(
        """SELECT concat(inet_server_addr(), ':', inet_server_port(), '/', current_database()) AS k,
                  concat((SELECT max(updated_at) FROM links WHERE method = 'anchor'), '/',
                         (SELECT count(*) FROM households), '/',
                         (SELECT count(*) FROM link_decisions)) AS stamp""")
    return (row["k"], row["stamp"]) if row else ("", "")


def forget_indexes() -> None:
    """Drop every warm index (tests and benches measure the cold path with this)."""
    _warm.clear()


_LOCK = zlib.crc32(b"juheli-linkage")


@contextlib.asynccontextmanager
async def _exclusive(conn: asyncpg.Connection, *, wait: bool) -> AsyncIterator[bool]:
    """One process links a store at a time (several replicas may run scheduled syncs)."""
    if wait:
        await conn.execute("SELECT pg_advisory_lock($1)", _LOCK)
        got = True
    else:
        got = bool(await conn.fetchval("SELECT pg_try_advisory_lock($1)", _LOCK))
    try:
        yield got
    finally:
        if got:
            await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK)


async def link_all(pool: asyncpg.Pool, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> dict[str, int]:
    """Anchor the registry, then decide every other source record; returns counts by method."""
    async with pool.acquire() as conn, _exclusive(conn, wait=True):
        return await _link_all(conn, thresholds)


async def link_changed(
    pool: asyncpg.Pool, source_record_ids: Sequence[int],
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> dict[str, int]:
    """Decide only these records (not the registry's own), against the warm indexes."""
    async with pool.acquire() as conn, _exclusive(conn, wait=True):
        return await _link_changed(conn, list(source_record_ids), thresholds)


async def link_pending(
    pool: asyncpg.Pool, thresholds: Thresholds = DEFAULT_THRESHOLDS
) -> dict[str, int]:
    """Link what changed since the last run. A changed registry record rebuilds the anchors
    and relinks every record linked to a household or person it touched. When another process
    is linking this store, nothing is done: the marks stay for the next run."""
    async with pool.acquire() as conn, _exclusive(conn, wait=False) as mine:
        if not mine:
            return {}
        registry = await conn.fetch(
            f"SELECT id, entity, local_id FROM source_records WHERE link_pending AND NOT {_DECIDED}",
            REGISTRY, list(REGISTRY_LINKED),
        )
        pending = [r["id"] for r in await conn.fetch(
            f"SELECT id FROM source_records WHERE link_pending AND {_DECIDED}",
            REGISTRY, list(REGISTRY_LINKED))]
        if not registry and not pending:
            return {}
        total = await conn.fetchval(
            f"SELECT count(*) FROM source_records WHERE {_DECIDED}", REGISTRY,
            list(REGISTRY_LINKED))
        if len(pending) * 4 > total:  # most of the store changed (a first sync): batch run
            return await _link_all(conn, thresholds)
        pending = sorted({*pending, *await _naming_former(conn, pending)})
        if registry:
            await _build_registry(conn)
            touched = await conn.fetch(
                """SELECT l.source_record_id FROM links l
                   WHERE l.household_id IN (SELECT id FROM households WHERE key = ANY($1::text[]))
                      OR l.person_id IN (SELECT id FROM persons WHERE key = ANY($2::text[]))""",
                [r["local_id"] for r in registry if r["entity"] == "household"],
                [r["local_id"] for r in registry if r["entity"] == "resident"],
            )
            pending = sorted({*pending, *(r["source_record_id"] for r in touched)})
            await conn.execute("UPDATE source_records SET link_pending = false "
                               "WHERE id = ANY($1::bigint[])", [r["id"] for r in registry])
        return await _link_changed(conn, pending, thresholds) if pending else {}


async def _naming_former(conn: asyncpg.Connection, pending: list[int]) -> list[int]:
    """Records whose address names a former name of a project among `pending`: synced after
    them (another run, a failed page), the project now says which compound they mean."""
    keys = await changed_former_keys(conn, pending)
    if not keys:
        return []
    return [r["id"] for r in await conn.fetch(
        f"SELECT id FROM source_records WHERE {_DECIDED} AND EXISTS (SELECT 1 FROM "
        "unnest($3::text[]) k WHERE strpos(attrs->'raw'->>'address', k) > 0) ORDER BY id",
        REGISTRY, list(REGISTRY_LINKED), keys)]


async def _link_all(conn: asyncpg.Connection, thresholds: Thresholds) -> dict[str, int]:
    await _build_registry(conn)
    await conn.execute("UPDATE source_records SET link_pending = false "
                       f"WHERE link_pending AND NOT {_DECIDED}", REGISTRY, list(REGISTRY_LINKED))
    idx = await load_indexes(conn)
    records = await _records(conn, None)
    decisions = await asyncio.to_thread(decide_all, idx, [r["attrs"] for r in records],
                                        thresholds)
    async with conn.transaction():
        await _write(conn, records, decisions)
        if idx.model is not None:
            await conn.execute(
                "INSERT INTO link_models (model) VALUES ($1::jsonb)",
                orjson.dumps(idx.model.as_json()).decode())
    key, stamp = await _store_key(conn)
    _warm[key] = _Warm(idx, thresholds, stamp)
    return _counts(decisions)


async def _link_changed(conn: asyncpg.Connection, ids: list[int],
                        thresholds: Thresholds) -> dict[str, int]:
    idx = await _indexes(conn, thresholds)
    records = await _records(conn, ids)
    decisions = await asyncio.to_thread(decide_all, idx, [r["attrs"] for r in records],
                                        thresholds, learn=False)
    async with conn.transaction():
        await _write(conn, records, decisions)
    return _counts(decisions)


async def _indexes(conn: asyncpg.Connection, thresholds: Thresholds) -> Indexes:
    key, stamp = await _store_key(conn)
    warm = _warm.get(key)
    if warm is None or warm.stamp != stamp:
        idx = await load_indexes(conn)
        saved = await conn.fetchval("SELECT model FROM link_models ORDER BY id DESC LIMIT 1")
        idx.model = Model.from_json(_json(saved)) if saved else None
        warm = _warm[key] = _Warm(idx, thresholds, stamp)
    else:
        await load_former_names(conn, warm.idx)  # projects change without the registry
    return warm.idx


async def _build_registry(conn: asyncpg.Connection) -> None:
    async with conn.transaction():
        await build_geography(conn)
        await resolve_stated_communities(conn)  # the communities facts name, now known
        await build_households(conn)
        await build_persons(conn)


async def _records(conn: asyncpg.Connection, ids: list[int] | None) -> list[dict[str, Any]]:
    """Records to decide (human decisions left out), with what `_write` needs to clear them."""
    rows = await conn.fetch(
        """SELECT s.id, s.entity, s.attrs, md5(s.raw::text) AS raw_hash FROM source_records s
           LEFT JOIN links l ON l.source_record_id = s.id
           WHERE (s.partner <> $1 OR s.entity = ANY($2::text[]))
             AND ($3::bigint[] IS NULL OR s.id = ANY($3::bigint[]))
             AND (l.status IS NULL OR l.status <> ALL($4::text[]))
           ORDER BY s.id""",  # as load_indexes: the order must not depend on the plan
        REGISTRY, list(REGISTRY_LINKED), ids, list(_HUMAN),
    )
    return [{"id": r["id"], "entity": r["entity"], "attrs": _json(r["attrs"]),
             "raw_hash": r["raw_hash"]} for r in rows]


def decide_all(
    idx: Indexes, attrs: list[dict[str, Any]], thresholds: Thresholds = DEFAULT_THRESHOLDS,
    *, learn: bool = True,
) -> list[Decision]:
    """Decide every record's link (one per entry of `attrs`, as `subject_attrs` builds them).

    With `learn` (the batch run), the match weights are first learned from these records'
    candidate pairs by EM (`weights.py`) and kept in `idx.model`; without (an incremental run),
    the weights `idx.model` already holds are used. Then two passes: the second knows what the
    first linked — ID numbers and phones the registry lacked, learned from records linked to a
    person, and where each affinity group lives. `idx` is updated with what was learned.
    """
    scorer = Scorer(idx, thresholds)
    comparisons = [scorer.compare(a) for a in attrs]
    if thresholds.weights == "learned":
        if learn:
            idx.model = estimate([list(c.pairs.values()) for c in comparisons if c.pairs],
                                 scorer.random_pairs(comparisons), accept=thresholds.accept)
        scorer.model = idx.model if idx.model and idx.model.weights else None
    first = [scorer.choose(c) for c in comparisons]
    _learn(idx, attrs, first)
    return [d if d.status in {"auto", "place"} else scorer.decide(a)
            for a, d in zip(attrs, first, strict=True)]


def _learn(idx: Indexes, attrs: list[dict[str, Any]], decisions: list[Decision]) -> None:
    persons = {p.id: p for members in idx.members.values() for p in members}
    learned_ids: dict[int, set[str]] = {}
    for a, d in zip(attrs, decisions, strict=True):
        if not d.linked or d.household_id is None:
            continue
        if a.get("affinity"):
            home = idx.address.get(d.household_id, ("",))[0]
            if home:
                idx.affinity[a["affinity"]][home] += 1
        person = persons.get(d.person_id) if d.person_id else None
        if person is None:
            continue
        value = (a.get("id") or {}).get("value")
        if value and not person.id_number:
            learned_ids.setdefault(person.id, set()).add(value)
        for phone in a.get("phones") or ():
            if phone.get("value") and phone["value"] not in person.phones:
                person.phones.append(phone["value"])
                idx.add_phone(phone["value"], d.household_id)
    for pid, values in learned_ids.items():
        if len(values) == 1:  # two different IDs for one person: learn nothing
            person = persons[pid]
            person.id_number = values.pop()
            idx.by_id_number[person.id_number].append(person)


def _counts(decisions: list[Decision]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for d in decisions:
        key = d.method if d.status in {"auto", "place"} else d.status
        counts[key] = counts.get(key, 0) + 1
    return counts


async def _write(
    conn: asyncpg.Connection, records: list[dict[str, Any]], decisions: list[Decision]
) -> None:
    rows = []
    for r, d in zip(records, decisions, strict=True):
        if d.status == "place":
            continue
        impact = IMPACT.get(r["entity"], 1.0) * d.confidence if d.status == "needs_review" else None
        rows.append((r["id"], d.person_id, d.household_id, d.method, d.confidence, d.status,
                     orjson.dumps(d.evidence).decode(), impact))
    await conn.execute(
        """INSERT INTO links (source_record_id, person_id, household_id, method, confidence,
                              status, evidence, impact)
           SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::text[],
                                $5::float8[], $6::text[], $7::jsonb[], $8::float8[])
           ON CONFLICT (source_record_id) DO UPDATE SET person_id = EXCLUDED.person_id,
             household_id = EXCLUDED.household_id, method = EXCLUDED.method,
             confidence = EXCLUDED.confidence, status = EXCLUDED.status,
             evidence = EXCLUDED.evidence, impact = EXCLUDED.impact, updated_at = now()
           WHERE links.status NOT IN ('confirmed', 'rejected')""",
        *(list(col) for col in zip(*rows, strict=True)) if rows else ([],) * 8,
    )
    placed = [(r["id"], d) for r, d in zip(records, decisions, strict=True) if d.status == "place"]
    await conn.execute(
        "DELETE FROM links WHERE source_record_id = ANY($1::bigint[]) AND status <> ALL($2)",
        [sid for sid, _ in placed], list(_HUMAN),
    )
    await conn.execute(
        """UPDATE source_records s SET link_pending = false
           FROM unnest($1::bigint[], $2::text[]) AS u(id, raw_hash)
           WHERE s.id = u.id AND md5(s.raw::text) = u.raw_hash""",
        [r["id"] for r in records], [r["raw_hash"] for r in records],
    )
    # Where a responsibility points (after clearing: the place is not a change of the record).
    await conn.executemany(
        "UPDATE source_records SET attrs = (attrs - 'compound_id' - 'building_id') || $2::jsonb "
        "WHERE id = $1",
        [(sid, orjson.dumps({"compound_id": str(d.compound_id) if d.compound_id else None,
                             "building_id": str(d.building_id) if d.building_id else None}
                            ).decode()) for sid, d in placed],
    )


__all__ = ["decide_all", "forget_indexes", "link_all", "link_changed", "link_pending",
           "load_indexes"]
