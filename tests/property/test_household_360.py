"""四位一体 in one answer: the household view of gateway/examples.py (the demo's first query and
the IDE's tab) shows a real household's Party member (社区党委), residents (居委会), rooms
(物业) and owners' roster (业委会), each as its body's records linked to that household."""

from __future__ import annotations

from typing import Any

import asyncpg

from gateway import examples
from tests.relay import whole

BODIES = {"party": "社区党委", "rc": "社区居委会", "property": "物业服务企业", "owners": "业主委员会"}


async def _four_bodies(uri: str) -> tuple[str, list[str], list[str], int]:
    """A household the store linked records of all four bodies to: its key, the local ids of
    its rooms and of its owners' roster entries, and how many repair orders it has."""
    conn = await asyncpg.connect(uri)
    try:
        row = await conn.fetchrow("""
            SELECT h.key,
                   array_agg(DISTINCT s.local_id) FILTER (WHERE s.entity = 'occupancy') AS rooms,
                   array_agg(DISTINCT s.local_id) FILTER (WHERE s.entity = 'owner') AS owners,
                   count(DISTINCT s.local_id) FILTER (WHERE s.entity = 'repair_order') AS orders
              FROM households h
              JOIN links l ON l.household_id = h.id AND l.status IN ('auto', 'confirmed')
              JOIN source_records s ON s.id = l.source_record_id
             GROUP BY h.key
            HAVING bool_or(s.partner = 'party' AND s.entity = 'responsibility')
               AND bool_or(s.partner = 'rc' AND s.entity = 'resident')
               AND bool_or(s.partner = 'property' AND s.entity = 'occupancy')
               AND bool_or(s.partner = 'owners' AND s.entity = 'owner')
             ORDER BY h.key LIMIT 1""")
    finally:
        await conn.close()
    assert row is not None, "no household carries the records of all four bodies"
    return row["key"], sorted(row["rooms"]), sorted(row["owners"]), row["orders"]


async def test_the_household_view_shows_all_four_bodies(pgql: Any, property_store: str) -> None:
    key, rooms, roster, orders = await _four_bodies(property_store)
    result = await pgql(examples.HOUSEHOLD_360, {"id": f"Household:{key}"})
    assert "errors" not in result, result["errors"]
    household = result["data"]["household"]
    member = household["responsibleMember"]
    assert member is not None and member["name"] and member["source"]["body"] == BODIES["party"]
    residents = household["residents"]
    assert residents and {r["source"]["body"] for r in residents} == {BODIES["rc"]}
    prop = household["property"]
    assert sorted(o["source"]["localId"] for o in prop["occupancy"]) == rooms
    assert {o["source"]["body"] for o in prop["occupancy"]} == {BODIES["property"]}
    committee = [o for o in prop["owners"] if o["source"]["body"] == BODIES["owners"]]
    assert committee and all(o["name"] and o["roomCode"] for o in committee)
    assert len(committee) == len(roster)
    assert prop["repairOrdersConnection"]["totalCount"] == orders
    bodies = {r["partner"] for r in whole(household["sourceRecordsConnection"])}
    assert set(BODIES) <= bodies
