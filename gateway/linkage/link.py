"""Run linkage over the store: registry anchors first, then every other record scored.

Human decisions (`confirmed`, `rejected`) are never touched by an automatic run. Scoring runs in
a worker thread so a sync on a serving process does not stall its event loop.
"""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import orjson

from gateway.linkage.match import Decision, Indexes, Person, Scorer
from gateway.linkage.normalize import parse_date, parse_phones
from gateway.linkage.places import compound_key
from gateway.linkage.registry import REGISTRY, build_geography, build_households, build_persons

_HUMAN = ("confirmed", "rejected")


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


async def load_indexes(conn: asyncpg.Connection) -> Indexes:
    idx = Indexes()
    for r in await conn.fetch("SELECT code, name FROM communities"):
        idx.community_by_name[r["name"]] = r["code"]
        idx.compounds[r["code"]] = []
    for r in await conn.fetch("SELECT id, community_code, name FROM compounds ORDER BY name"):
        idx.compounds.setdefault(r["community_code"], []).append(r["name"])
        idx.all_compounds.append(r["name"])
        idx.compound_ids[(r["community_code"], compound_key(r["name"]) or "")] = r["id"]
        idx.compound_keys.add(compound_key(r["name"]))
    for r in await conn.fetch("SELECT id, compound_id, number FROM buildings"):
        idx.building_ids[(r["compound_id"], r["number"])] = r["id"]
    households = await conn.fetch(
        "SELECT h.id, h.community_code, h.address_key, coalesce(cp.name, '') AS compound, "
        "s.raw->>'dh' AS phone FROM households h "
        "LEFT JOIN compounds cp ON cp.id = h.compound_id "
        "LEFT JOIN source_records s ON s.partner = $1 AND s.entity = 'household' "
        "AND s.local_id = h.key AND s.subject = 0",
        REGISTRY,
    )
    for h in households:
        idx.household_community[h["id"]] = h["community_code"]
        if h["address_key"]:
            # The compound as the geography spells it, as record addresses are parsed to.
            _, building, entrance, room = h["address_key"].split("|")
            idx.address[h["id"]] = (compound_key(h["compound"]) or "", building, entrance, room)
            idx.by_block[(h["community_code"], f"{building}|{room}")].append(h["id"])
        for parsed in parse_phones(h["phone"]):
            if parsed.value:
                idx.add_phone(parsed.value, h["id"])
    for p in await conn.fetch(
        "SELECT id, household_id, id_number, name, name_pinyin, phones, birth_date FROM persons"
    ):
        person = Person(p["id"], p["household_id"], p["id_number"], p["name"], p["name_pinyin"],
                        list(_json(p["phones"])), parse_date(p["birth_date"]))
        if person.id_number:
            idx.by_id_number[person.id_number].append(person)
        if person.name:
            idx.by_name[person.name].append(person)
        if person.household_id:
            idx.members[person.household_id].append(person)
            for phone in person.phones:
                idx.add_phone(phone, person.household_id)
    return idx


async def link_all(pool: asyncpg.Pool) -> dict[str, int]:
    """Anchor the registry, then link every other source record; returns counts by method."""
    async with pool.acquire() as conn:
        async with conn.transaction():
            await build_geography(conn)
            await build_households(conn)
            await build_persons(conn)
        idx = await load_indexes(conn)
        records = await conn.fetch(
            "SELECT s.id, s.attrs FROM source_records s LEFT JOIN links l "
            "ON l.source_record_id = s.id WHERE s.partner <> $1 "
            "AND (l.status IS NULL OR l.status <> ALL($2::text[]))",
            REGISTRY, list(_HUMAN),
        )
        decisions = await asyncio.to_thread(_decide_all, idx, records)
        async with conn.transaction():
            await _write(conn, decisions)
    counts: dict[str, int] = {}
    for _, decision in decisions:
        method = decision.method if decision else "unlinked"
        counts[method] = counts.get(method, 0) + 1
    return counts


def _decide_all(
    idx: Indexes, records: list[asyncpg.Record]
) -> list[tuple[int, Decision | None]]:
    """Two passes: the second knows what the first linked — ID numbers and phones the registry
    lacked, learned from records linked to a person, and where each affinity group lives."""
    scorer = Scorer(idx)
    attrs = [_json(r["attrs"]) for r in records]
    first = [scorer.decide(a) for a in attrs]
    _learn(idx, attrs, first)
    out = []
    for r, a, d in zip(records, attrs, first, strict=True):
        out.append((r["id"], d if d is not None else scorer.decide(a)))
    return out


def _learn(idx: Indexes, attrs: list[dict[str, Any]], decisions: list[Decision | None]) -> None:
    persons = {p.id: p for members in idx.members.values() for p in members}
    learned_ids: dict[int, set[str]] = {}
    for a, d in zip(attrs, decisions, strict=True):
        if d is None or d.household_id is None:
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


async def _write(conn: asyncpg.Connection, decisions: list[tuple[int, Decision | None]]) -> None:
    linked = [
        (sid, d.person_id, d.household_id, d.method, d.confidence,
         orjson.dumps(d.evidence).decode())
        for sid, d in decisions
        if d and d.household_id is not None
    ]
    await conn.executemany(
        """INSERT INTO links (source_record_id, person_id, household_id, method, confidence,
                              status, evidence)
           VALUES ($1, $2, $3, $4, $5, 'auto', $6::jsonb)
           ON CONFLICT (source_record_id) DO UPDATE SET person_id = EXCLUDED.person_id,
             household_id = EXCLUDED.household_id, method = EXCLUDED.method,
             confidence = EXCLUDED.confidence, evidence = EXCLUDED.evidence, updated_at = now()
           WHERE links.status NOT IN ('confirmed', 'rejected')""",
        linked,
    )
    gone = [sid for sid, d in decisions if not d or d.household_id is None]
    await conn.execute(
        "DELETE FROM links WHERE source_record_id = ANY($1::bigint[]) AND status = 'auto'", gone
    )
    places = [
        (sid, orjson.dumps({"compound_id": str(d.compound_id) if d.compound_id else None,
                            "building_id": str(d.building_id) if d.building_id else None}).decode())
        for sid, d in decisions
        if d and d.method == "place"
    ]
    await conn.executemany(
        "UPDATE source_records SET attrs = attrs || $2::jsonb WHERE id = $1", places
    )


__all__ = ["link_all", "load_indexes"]
