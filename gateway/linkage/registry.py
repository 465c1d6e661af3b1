"""Geography, households and persons from the registry partner (the residents' committee).

The registry's households anchor Juheli's canonical households and its residents the canonical
persons; their source records are linked with method `anchor`. Everything here is idempotent:
rerunning after a sync updates rows in place, and keeps what people decided: a merged
household's residents stay in the household it was merged into, and a person moved by a split
stays where they were moved.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import asyncpg
import orjson

from gateway.linkage.normalize import (
    address_key,
    parse_address,
    parse_date,
    parse_gender,
    parse_id,
    parse_name,
    parse_phones,
    repair_candidates,
)
from gateway.linkage.places import compound_key

REGISTRY = "rc"
# The registry partner's records about residents that are not the register itself (its reception
# log): linked like any other partner's. Its other records (communities, households, residents,
# meeting minutes) are the register, anchored here or about no one, and never scored.
REGISTRY_LINKED = ("reception",)


def is_register(partner: str, entity: str) -> bool:
    """A record of the register itself: anchored by the registry build, never scored."""
    return partner == REGISTRY and entity not in REGISTRY_LINKED


def _json(value: Any) -> Any:
    return orjson.loads(value) if isinstance(value, str | bytes) else value


async def build_geography(conn: asyncpg.Connection) -> None:
    rows = await conn.fetch(
        "SELECT raw FROM source_records WHERE partner = $1 AND entity = 'community' ORDER BY id",
        REGISTRY,
    )
    comms = [_json(r["raw"]) for r in rows]
    await conn.executemany(
        "INSERT INTO streets (code, name) VALUES ($1, $2) ON CONFLICT (code) DO UPDATE "
        "SET name = EXCLUDED.name",
        sorted({(c["jdbm"], c["jdmc"]) for c in comms}),
    )
    await conn.executemany(
        "INSERT INTO communities (code, name, street_code) VALUES ($1, $2, $3) "
        "ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, street_code = EXCLUDED.street_code",
        [(c["sqbm"], c["sqmc"], c["jdbm"]) for c in comms],
    )


async def _ids(conn: asyncpg.Connection, sql: str, rows: list[tuple[Any, ...]]) -> None:
    if rows:
        await conn.executemany(sql, rows)


def canonical_compounds(households: Sequence[tuple[str, str, str | None]]) -> list[str | None]:
    """One display name per compound, for each registry household given as (household key,
    community code, compound as its address names it or None); None: unknown.

    Variants (翠湖花园小区, 翠湖小区) fold onto the most used spelling of their community. A household
    whose address cell omits the compound takes it from its neighbours in register order (the
    registry numbers households compound by compound), when both neighbours agree.
    """
    spellings: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    keys: list[tuple[str, str] | None] = []
    for _, community, name in households:
        key = compound_key(name)
        keys.append((community, key) if key else None)
        if key and name:
            spellings[(community, key)][name] += 1
    display = {k: c.most_common(1)[0][0] for k, c in spellings.items()}
    order = sorted(range(len(households)), key=lambda i: households[i][0])
    filled = list(keys)
    for pos, i in enumerate(order):
        if filled[i] is not None:
            continue
        before = next((keys[j] for j in reversed(order[:pos]) if keys[j]), None)
        after = next((keys[j] for j in order[pos + 1 :] if keys[j]), None)
        if before is not None and before == after:
            filled[i] = before
    return [display[k] if k else None for k in filled]


async def build_households(conn: asyncpg.Connection) -> None:
    """Compounds, buildings, entrances and households from the registry's household records."""
    records = await conn.fetch(
        "SELECT id, local_id, raw, attrs FROM source_records "
        # In sync order, not in whatever order the table's pages hold them: households are
        # numbered in this order, and linkage must not depend on the table's physical history.
        "WHERE partner = $1 AND entity = 'household' AND subject = 0 ORDER BY id",
        REGISTRY,
    )
    known: dict[str, set[str]] = defaultdict(set)
    raws = [(r, _json(r["raw"])) for r in records]
    for _, raw in raws:
        if raw.get("xiaoqu"):
            known[raw["sqbm"]].add(str(raw["xiaoqu"]).strip())
    parsed = []
    for rec, raw in raws:
        text = _json(rec["attrs"]).get("raw", {}).get("address")
        addr = parse_address(text, known_compounds=sorted(known[raw["sqbm"]]))
        parsed.append((rec, raw, addr))
    names = canonical_compounds([
        (rec["local_id"], raw["sqbm"],
         addr.compound or (str(raw["xiaoqu"]).strip() if raw.get("xiaoqu") else None))
        for rec, raw, addr in parsed
    ])
    parsed = [(rec, raw, replace(addr, compound=name))
              for (rec, raw, addr), name in zip(parsed, names, strict=True)]
    await _ids(
        conn,
        "INSERT INTO compounds (community_code, name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        sorted({(raw["sqbm"], a.compound) for _, raw, a in parsed if a.compound}),
    )
    compound_ids = {
        (r["community_code"], r["name"]): r["id"]
        for r in await conn.fetch("SELECT id, community_code, name FROM compounds")
    }
    await _ids(
        conn,
        "INSERT INTO buildings (compound_id, number) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        sorted({(compound_ids[(raw["sqbm"], a.compound)], a.building)
                for _, raw, a in parsed if a.compound and a.building}),
    )
    building_ids = {
        (r["compound_id"], r["number"]): r["id"]
        for r in await conn.fetch("SELECT id, compound_id, number FROM buildings")
    }
    await _ids(
        conn,
        "INSERT INTO entrances (building_id, number) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        sorted({(building_ids[(compound_ids[(raw["sqbm"], a.compound)], a.building)], a.entrance)
                for _, raw, a in parsed if a.compound and a.building and a.entrance}),
    )
    entrance_ids = {
        (r["building_id"], r["number"]): r["id"]
        for r in await conn.fetch("SELECT id, building_id, number FROM entrances")
    }
    rows = []
    for rec, raw, a in parsed:
        compound_id = compound_ids.get((raw["sqbm"], a.compound or ""))
        building_id = building_ids.get((compound_id, a.building or "")) if compound_id else None
        entrance_id = entrance_ids.get((building_id, a.entrance or "")) if building_id else None
        phones = [p.value for p in parse_phones(raw.get("dh")) if p.value]
        rows.append((rec["local_id"], raw["sqbm"], compound_id, building_id, entrance_id,
                     a.floor, a.room, address_key(a), orjson.dumps(phones).decode()))
    await _ids(
        conn,
        """INSERT INTO households (key, community_code, compound_id, building_id, entrance_id,
                                   floor, room, address_key, phones)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)
           ON CONFLICT (key) DO UPDATE SET community_code = EXCLUDED.community_code,
             compound_id = EXCLUDED.compound_id, building_id = EXCLUDED.building_id,
             entrance_id = EXCLUDED.entrance_id, floor = EXCLUDED.floor, room = EXCLUDED.room,
             address_key = EXCLUDED.address_key, phones = EXCLUDED.phones""",
        rows,
    )
    await conn.execute(
        """INSERT INTO links (source_record_id, household_id, method, confidence, status)
           SELECT s.id, coalesce(h.merged_into, h.id), 'anchor', 1.0, 'auto' FROM source_records s
           JOIN households h ON h.key = s.local_id
           WHERE s.partner = $1 AND s.entity = 'household'
           ON CONFLICT (source_record_id) DO UPDATE SET household_id = EXCLUDED.household_id,
             method = 'anchor', confidence = 1.0, updated_at = now()""",
        REGISTRY,
    )


def resident_id_number(raw: object) -> str | None:
    """A resident's canonical ID number; a typo that breaks the check digit is repaired when
    exactly one correction fits."""
    ident = parse_id(raw)
    if ident.value is None and ident.kind == "invalid":
        candidates = repair_candidates(raw)
        return candidates[0] if len(candidates) == 1 else None
    return ident.value


async def build_persons(conn: asyncpg.Connection) -> None:
    """One canonical person per registry resident, in the resident's registered household."""
    records = await conn.fetch(
        "SELECT s.local_id, s.attrs, s.raw, coalesce(h.merged_into, h.id) AS household_id "
        "FROM source_records s "
        "LEFT JOIN households h ON h.key = s.raw->>'hubh' "
        "WHERE s.partner = $1 AND s.entity = 'resident' AND s.subject = 0 ORDER BY s.id",
        REGISTRY,
    )
    rows = []
    for rec in records:
        raw = _json(rec["raw"])
        name = parse_name(raw.get("xm"))
        phones = [p.value for p in parse_phones(raw.get("lxdh")) if p.value]
        value = resident_id_number(raw.get("sfzh"))
        # Stored normalized (M / F, ISO date): loading the link index then parses nothing.
        birth = parse_date(raw.get("csrq"))
        rows.append((rec["local_id"], rec["household_id"], value, name.full, name.pinyin,
                     parse_gender(raw.get("xb")) or None, birth.isoformat() if birth else None,
                     orjson.dumps(phones).decode()))
    await _ids(
        conn,
        """INSERT INTO persons (key, household_id, id_number, name, name_pinyin, gender,
                                birth_date, phones)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)
           ON CONFLICT (key) DO UPDATE SET household_id = CASE WHEN persons.household_fixed
               THEN persons.household_id ELSE EXCLUDED.household_id END,
             id_number = EXCLUDED.id_number, name = EXCLUDED.name,
             name_pinyin = EXCLUDED.name_pinyin, gender = EXCLUDED.gender,
             birth_date = EXCLUDED.birth_date, phones = EXCLUDED.phones""",
        rows,
    )
    await conn.execute(
        """INSERT INTO links (source_record_id, person_id, household_id, method, confidence, status)
           SELECT s.id, p.id, p.household_id, 'anchor', 1.0, 'auto' FROM source_records s
           JOIN persons p ON p.key = s.local_id
           WHERE s.partner = $1 AND s.entity = 'resident'
           ON CONFLICT (source_record_id) DO UPDATE SET person_id = EXCLUDED.person_id,
             household_id = EXCLUDED.household_id, method = 'anchor', confidence = 1.0,
             updated_at = now()""",
        REGISTRY,
    )
