"""A SQL body onboarded by definition: the example of docs/onboarding.md, against a real
PostgreSQL database of its own — keyset feed, batch read, a quarantined row, a `null` policy."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import asyncpg

from gateway.db.embedded import with_database
from gateway.db.migrate import ensure_database
from gateway.onboard.build import build
from gateway.onboard.loader import load_text
from tests.conftest import PREFIX

DOC = Path(__file__).resolve().parents[2] / "docs" / "onboarding.md"


def doc_example(slug: str) -> str:
    blocks = re.findall(r"```yaml\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    return next(b for b in blocks if f"slug: {slug}" in b)


async def test_the_documented_sql_example_reads_its_database(pg_admin: str) -> None:
    name = f"{PREFIX}estate3"
    await ensure_database(pg_admin, name)
    dsn = with_database(pg_admin, name)
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("DROP TABLE IF EXISTS repair_orders")
        await conn.execute(
            "CREATE TABLE repair_orders (order_no text PRIMARY KEY, reported_at timestamp, "
            "room text, state text, kind text, estate text, reporter text, phone text, "
            "updated_at timestamptz)")
        await conn.executemany(
            "INSERT INTO repair_orders VALUES ($1, $2::text::timestamp, $3, $4, $5, $6, $7, $8, "
            "$9::text::timestamptz)",
            [("W1", "2026-10-01 09:30:00", "3#2-301", "4", "水电", "翠湖花园", "王女士",
              "13800138000", "2026-10-02 10:00:00+08"),
             ("W2", "2026-10-03 14:00:00", "5#1-102", "1", "电梯", "翠湖花园", "李强",
              None, "2026-10-03 15:00:00+08"),
             ("W3", "2026-10-04 08:00:00", "2#1-201", "7", "门窗", "翠湖花园", "赵敏",
              None, "2026-10-04 09:00:00+08")])
    finally:
        await conn.close()
    definition = load_text(doc_example("estate3"))
    adapter: Any = await build(definition, env={"ESTATE3_DSN": dsn})
    try:
        batches = [b async for b in adapter.changes("repair_order", None)]
        slots = await adapter.fetch_many("repair_order", ["W2", "W9", "W3"])
    finally:
        await adapter.aclose()
    records = [r for b in batches for r in b.records]
    held = [q for b in batches for q in b.quarantined]
    assert [r.local_id for r in records] == ["W1", "W2"]
    assert records[0].data == {"number": "W1", "reportedAt": "2026-10-01T09:30:00",
                               "roomCode": "3#2-301", "status": "DONE",
                               "category": "WATER_ELECTRIC", "compound": "翠湖花园"}
    assert records[1].data["category"] is None  # 电梯 is not in the map, whose policy is null
    assert records[0].subjects[0].address == "翠湖花园3#2-301"
    assert [(q.local_id, q.reason) for q in held] == [
        ("W3", "unreadable row: Unmappable(\"status: '7' has no entry in value map 'state'\")")]
    assert slots[0].data["status"] == "DISPATCHED" and slots[1] is None
    assert slots[2].code == "PARTNER_DATA_INVALID"  # that key alone fails on a live read
