"""Incremental linkage: a sync marks what it inserted or changed, and only that is re-decided."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import asyncpg
import pytest

from gateway.adapters.base import ChangeBatch
from gateway.adapters.registry import build_adapters, close_adapters
from gateway.linkage.link import forget_indexes, link_changed, link_pending
from gateway.sync.batch import store_batch
from tests.conftest import synced_store


@pytest.fixture(scope="module")
async def pool(pg_admin: str, district: Any, settings: Any) -> AsyncIterator[asyncpg.Pool]:
    uri = await synced_store(pg_admin, "incremental", district, settings)
    p = await asyncpg.create_pool(uri, min_size=1, max_size=2)
    yield p
    await p.close()


async def _links(pool: asyncpg.Pool, ids: list[int]) -> dict[int, tuple[Any, ...]]:
    rows = await pool.fetch(
        "SELECT source_record_id, household_id, person_id, status FROM links "
        "WHERE source_record_id = ANY($1::bigint[])", ids)
    return {r["source_record_id"]: (r["household_id"], r["person_id"], r["status"]) for r in rows}


async def test_a_linked_store_has_nothing_pending(pool: asyncpg.Pool) -> None:
    assert await pool.fetchval("SELECT count(*) FROM source_records WHERE link_pending") == 0
    assert await link_pending(pool) == {}


async def test_changed_records_alone_are_relinked_to_the_same_answer(pool: asyncpg.Pool) -> None:
    ids = [r["id"] for r in await pool.fetch(
        "SELECT id FROM source_records WHERE partner <> 'rc' ORDER BY id DESC LIMIT 40")]
    before = await _links(pool, ids)
    untouched = await pool.fetchval("SELECT max(updated_at) FROM links "
                                    "WHERE NOT source_record_id = ANY($1::bigint[])", ids)
    await pool.execute("DELETE FROM links WHERE source_record_id = ANY($1::bigint[])", ids)
    await pool.execute("UPDATE source_records SET link_pending = true "
                       "WHERE id = ANY($1::bigint[])", ids)
    for cold in (False, True):  # warm indexes from the sync's run, then loaded afresh
        if cold:
            forget_indexes()
            await pool.execute("UPDATE source_records SET link_pending = true "
                               "WHERE id = ANY($1::bigint[])", ids)
        counts = await link_pending(pool)
        assert sum(counts.values()) == len(ids)
        assert await _links(pool, ids) == before
    assert await pool.fetchval("SELECT count(*) FROM source_records WHERE link_pending") == 0
    # nothing else was rewritten
    assert await pool.fetchval("SELECT max(updated_at) FROM links "
                               "WHERE NOT source_record_id = ANY($1::bigint[])", ids) == untouched


async def test_the_sync_upsert_marks_only_real_changes(pool: asyncpg.Pool, district: Any) -> None:
    adapters = await build_adapters(district.partners_config(), timeout_ms=10_000)
    try:
        hall = adapters["hall"]
        entity = hall.capabilities.entities[0]
        keys = [r["local_id"] for r in await pool.fetch(
            "SELECT DISTINCT local_id FROM source_records WHERE partner = 'hall' AND entity = $1 "
            "ORDER BY local_id LIMIT 3", entity)]
        slots = await hall.fetch_many(entity, keys)
        records = [s for s in slots if s is not None and not isinstance(s, Exception)]
        assert len(records) == 3
        async with pool.acquire() as conn:
            await store_batch(conn, "hall", entity, ChangeBatch(records, cursor=None))
            assert await _pending(conn, "hall") == set()
            changed = replace(records[0], raw={**records[0].raw, "remark": "改过"})
            await store_batch(conn, "hall", entity, ChangeBatch([changed], cursor=None))
            assert await _pending(conn, "hall") == {records[0].local_id}
        counts = await link_pending(pool)
        assert sum(counts.values()) == len(records[0].subjects or (None,))
    finally:
        await close_adapters(adapters)


async def _pending(conn: asyncpg.Connection, partner: str) -> set[str]:
    rows = await conn.fetch("SELECT local_id FROM source_records WHERE link_pending "
                            "AND partner = $1", partner)
    return {r["local_id"] for r in rows}


async def test_a_registry_change_relinks_what_pointed_at_it(pool: asyncpg.Pool) -> None:
    row = await pool.fetchrow(
        """SELECT p.key, count(*) AS n FROM links l JOIN persons p ON p.id = l.person_id
           JOIN source_records s ON s.id = l.source_record_id
           WHERE s.partner <> 'rc' GROUP BY p.key HAVING count(*) >= 2 ORDER BY p.key LIMIT 1""")
    await pool.execute("UPDATE source_records SET link_pending = true "
                       "WHERE partner = 'rc' AND entity = 'resident' AND local_id = $1", row["key"])
    counts = await link_pending(pool)
    # every record linked to that person's household, not the whole store
    assert sum(counts.values()) >= row["n"]
    assert sum(counts.values()) < 200


async def test_a_changed_reception_is_relinked_not_anchored(pool: asyncpg.Pool) -> None:
    # The committee's reception log is the registry partner's, but not the register: a change
    # relinks the record alone and leaves the anchors as they were.
    ids = [r["id"] for r in await pool.fetch(
        "SELECT id FROM source_records WHERE partner = 'rc' AND entity = 'reception' "
        "ORDER BY id LIMIT 5")]
    before = await _links(pool, ids)
    assert len(before) == 5 and any(status == "auto" for _, _, status in before.values())
    anchors = await pool.fetchval("SELECT max(updated_at) FROM links WHERE method = 'anchor'")
    await pool.execute("DELETE FROM links WHERE source_record_id = ANY($1::bigint[])", ids)
    await pool.execute("UPDATE source_records SET link_pending = true "
                       "WHERE id = ANY($1::bigint[])", ids)
    counts = await link_pending(pool)
    assert sum(counts.values()) == len(ids) and "anchor" not in counts
    assert await _links(pool, ids) == before
    assert await pool.fetchval("SELECT max(updated_at) FROM links "
                               "WHERE method = 'anchor'") == anchors


async def test_link_changed_leaves_human_decisions(pool: asyncpg.Pool) -> None:
    rid = await pool.fetchval("SELECT source_record_id FROM links WHERE status = 'auto' "
                              "AND method <> 'anchor' ORDER BY source_record_id LIMIT 1")
    await pool.execute("UPDATE links SET status = 'rejected', decided_by = 't' "
                       "WHERE source_record_id = $1", rid)
    counts = await link_changed(pool, [rid])
    assert counts == {}
    assert await pool.fetchval("SELECT status FROM links WHERE source_record_id = $1",
                               rid) == "rejected"
