"""Sync projects every counted record into `facts`, and linkage places each fact in the
household and community of its record's first subject."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg

from gateway.demo.generator import load_rows

# partner, table (as generated) → the entity its facts are stored under
COUNTED = {("mediation", "disputes"): "dispute", ("hotline", "workorders"): "ticket",
           ("hotline", "petitions"): "petition", ("hall", "banjian"): "service_case",
           ("hall", "daiban"): "errand", ("hall", "wuka"): "care_card",
           ("rc", "huiyi"): "meeting", ("party", "zoufang"): "contact_visit",
           ("rc", "ren"): "resident", ("party", "dangyuan"): "member",
           ("party", "baolian"): "responsibility"}


async def test_every_counted_record_has_one_fact(synced: Any, store_uri: str,
                                                 world_folder: Path) -> None:
    conn = await asyncpg.connect(store_uri)
    try:
        stored = {(r["partner"], r["entity"]): r["n"] for r in await conn.fetch(
            "SELECT partner, entity, count(*) AS n FROM facts GROUP BY 1, 2")}
        records = {(r["partner"], r["entity"]): r["n"] for r in await conn.fetch(
            "SELECT partner, entity, count(*) AS n FROM source_records WHERE subject = 0 "
            "GROUP BY 1, 2")}
    finally:
        await conn.close()
    for (partner, table), entity in COUNTED.items():
        generated = len(load_rows(world_folder, partner, table))
        assert stored[(partner, entity)] == records[(partner, entity)] == generated, entity
    assert ("rc", "household") not in stored and ("party", "organization") not in stored


async def test_facts_follow_the_links_of_their_records(synced: Any, store_uri: str) -> None:
    conn = await asyncpg.connect(store_uri)
    try:
        mismatched = await conn.fetchval(
            """SELECT count(*) FROM facts f
               JOIN source_records s ON (s.partner, s.entity, s.local_id, s.subject)
                                      = (f.partner, f.entity, f.local_id, 0)
               LEFT JOIN links l ON l.source_record_id = s.id
                    AND l.status IN ('auto', 'confirmed')
               LEFT JOIN households h ON h.id = l.household_id
               WHERE f.household_id IS DISTINCT FROM l.household_id
                  OR f.community_code IS DISTINCT FROM coalesce(h.community_code,
                                                                f.stated_community)""")
        unresolved = await conn.fetchval(
            "SELECT count(*) FROM facts WHERE stated_community IS NOT NULL "
            "AND stated_community NOT IN (SELECT code FROM communities)")
        # Property facts are about rooms and owners: a vacant or let room, an owner living
        # elsewhere, has no household of its own to be placed on (they count by compound).
        placed = await conn.fetchval("SELECT count(*) FROM facts WHERE household_id IS NOT NULL "
                                     "AND kind NOT IN ('occupancy', 'vote', 'repair')")
        total = await conn.fetchval("SELECT count(*) FROM facts "
                                    "WHERE kind NOT IN ('occupancy', 'vote', 'repair')")
    finally:
        await conn.close()
    assert mismatched == 0
    assert unresolved == 0  # 12345 names its community: stored as the code
    assert placed > 0.9 * total
