"""One household's access history, from the households index."""

from __future__ import annotations

import asyncpg

from gateway.audit import append, export_household
from tests.audit.conftest import entry


async def test_export_lists_who_read_a_household_when_and_why(pool: asyncpg.Pool) -> None:
    await append(pool, entry(0, agency="police", households=("H1", "H2")))
    await append(pool, entry(1, agency="health", households=("H2",), purpose="joint_meeting"))
    await append(pool, entry(2, agency="welfare", households=("H3",)))
    await append(pool, entry(3, agency="welfare", households=("H1",), purpose=None))

    history = await export_household(pool, "Household:H1")

    assert [(a.seq, a.agency, a.officer, a.purpose) for a in history] == [
        (1, "police", "officer-0", "case_handling"), (4, "welfare", "officer-0", None)]
    assert history[0].field_groups == ("identity", "contact")
    assert history[0].as_json()["at"].endswith("Z")
    assert [a.seq for a in await export_household(pool, "H2")] == [1, 2]  # a bare key too
    assert await export_household(pool, "Household:nobody") == []


async def test_export_finds_rows_that_recorded_global_ids(pool: asyncpg.Pool) -> None:
    await append(pool, entry(0, households=("Household:H9",)))
    assert [a.seq for a in await export_household(pool, "Household:H9")] == [1]


async def test_export_by_household_uses_the_gin_index(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("SET LOCAL enable_seqscan = off")
        plan = "\n".join(r[0] for r in await conn.fetch(
            "EXPLAIN SELECT * FROM audit_log WHERE households && ARRAY['H1', 'Household:H1']"))
    assert "ix_audit_log_households" in plan
