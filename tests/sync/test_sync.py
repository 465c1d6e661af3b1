"""The sync feed against the running district: complete, resumable, one syncer per partner."""

from __future__ import annotations

import zlib
from collections import Counter
from typing import Any

import asyncpg
import orjson

from gateway.adapters.registry import build_adapters, close_adapters
from gateway.sync.runner import SyncReport, sync_all, sync_partner


async def _counts(conn: asyncpg.Connection) -> dict[str, int]:
    rows = await conn.fetch("SELECT partner, count(*) AS n FROM source_records GROUP BY partner")
    return {r["partner"]: int(r["n"]) for r in rows}


async def test_every_partner_record_is_in_the_store(synced: Any, store_uri: str,
                                                    truth: list[dict[str, Any]]) -> None:
    conn = await asyncpg.connect(store_uri)
    try:
        stored = {(r["partner"], r["entity"], r["local_id"]) for r in await conn.fetch(
            "SELECT DISTINCT partner, entity, local_id FROM source_records")}
    finally:
        await conn.close()
    expected = {(t["partner"], t["entity"], t["local_id"]) for t in truth}
    # The massorg drop may quarantine malformed rows; everything else arrives.
    missing = {k for k in expected - stored if k[0] != "massorg"}
    assert not missing, sorted(missing)[:10]
    assert synced.errors == {}


async def test_receptions_are_stored_with_status_and_visitor(synced: Any, store_uri: str,
                                                              truth: list[dict[str, Any]]) -> None:
    conn = await asyncpg.connect(store_uri)
    try:
        rows = await conn.fetch(
            "SELECT local_id, status, attrs, raw FROM source_records "
            "WHERE partner = 'rc' AND entity = 'reception' ORDER BY local_id")
    finally:
        await conn.close()
    expected = sorted(t["local_id"] for t in truth if t["entity"] == "reception")
    assert [r["local_id"] for r in rows] == expected and len(expected) == 90
    statuses = {"已答复": "REPLIED", "办理中": "IN_PROGRESS", "已转办": "TRANSFERRED"}
    for r in rows:
        attrs, raw = orjson.loads(r["attrs"]), orjson.loads(r["raw"])
        assert r["status"] == statuses[raw["blqk"]]
        assert attrs["role"] == "visitor" and attrs["community"] == raw["sqbm"]


async def test_second_sync_reads_nothing_new_and_doubles_nothing(
    synced: Any, district: Any, store_uri: str
) -> None:
    adapters = await build_adapters(district.partners_config(), timeout_ms=30_000)
    pool = await asyncpg.create_pool(store_uri, min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:
            before = await _counts(conn)
            links_before = await conn.fetchval("SELECT count(*) FROM links")
        report = await sync_all(pool, adapters)
        assert sum(report.records.values()) == 0, report.records
        async with pool.acquire() as conn:
            assert await _counts(conn) == before
            assert await conn.fetchval("SELECT count(*) FROM links") == links_before
    finally:
        await pool.close()
        await close_adapters(adapters)


async def test_one_process_syncs_a_partner_at_a_time(synced: Any, district: Any,
                                                     store_uri: str) -> None:
    adapters = await build_adapters(district.partners_config(), timeout_ms=30_000)
    pool = await asyncpg.create_pool(store_uri, min_size=1, max_size=2)
    holder = await asyncpg.connect(store_uri)
    try:
        await holder.execute("SELECT pg_advisory_lock($1)", zlib.crc32(b"juheli-sync:hall"))
        report = SyncReport()
        await sync_partner(pool, adapters["hall"], report, lock_wait_s=0.3)
        assert "another process" in report.errors["hall"]
    finally:
        await holder.close()
        await pool.close()
        await close_adapters(adapters)


async def test_the_districts_bad_rows_are_quarantined_not_dropped(synced: Any, gql: Any,
                                                                   store_uri: str) -> None:
    conn = await asyncpg.connect(store_uri)
    try:
        rows = await conn.fetch("SELECT partner, entity, origin, line, reason, raw FROM quarantine")
    finally:
        await conn.close()
    reasons = {(r["entity"], r["reason"].split(" ")[0]) for r in rows}
    assert ("volunteer", "missing") in reasons and ("volunteer", "duplicate") in reasons
    assert all(r["origin"].startswith("2026-11/") and r["line"] > 2 and r["raw"] for r in rows)
    result = await gql("{ partners { slug quarantined } }")
    counts = {p["slug"]: p["quarantined"] for p in result["data"]["partners"]}
    # The shared drop's two bodies: the union and league (massorg), the women's federation.
    held = Counter(r["partner"] for r in rows)
    assert set(held) == {"massorg", "womenfed"}
    assert (counts["massorg"], counts["womenfed"]) == (held["massorg"], held["womenfed"])
    assert counts["rc"] == 0
