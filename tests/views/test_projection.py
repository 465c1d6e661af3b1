"""A store whose facts an earlier projection made is projected again by the next sync, once:
an upgrade needs no operator step, and two syncs after it do not both rebuild."""

from __future__ import annotations

from typing import Any

import asyncpg

from gateway.settings import Settings
from gateway.views.facts import PROJECTION
from tests.conftest import synced_store


async def facts_by_kind(conn: asyncpg.Connection) -> dict[str, int]:
    rows = await conn.fetch("SELECT kind, count(*) AS n FROM facts GROUP BY kind")
    return {r["kind"]: r["n"] for r in rows}


async def test_facts_of_an_earlier_projection_are_made_again_at_the_next_sync(
        pg_admin: str, district: Any, settings: Settings) -> None:
    from gateway.ops import run_sync

    uri = await synced_store(pg_admin, "projection", district, settings)
    conn = await asyncpg.connect(uri)
    try:
        assert await conn.fetchval("SELECT projection FROM facts_version") == PROJECTION
        made = await facts_by_kind(conn)
        assert made.get("owner") and made.get("dispute"), made
        # As a store of the release before: no projection recorded, no owner facts, and the
        # disputes' facts say something else than the current projectors would.
        await conn.execute("UPDATE facts_version SET projection = NULL")
        await conn.execute("DELETE FROM facts WHERE kind = 'owner'")
        await conn.execute("UPDATE facts SET category = 'STALE-PROJECTION' WHERE kind = 'dispute'")

        report = await run_sync(settings, partners=district.partners_config(), store_uri=uri)
        assert report.reprojected is not None and report.reprojected["owner"] == made["owner"]
        assert await conn.fetchval("SELECT projection FROM facts_version") == PROJECTION
        assert await facts_by_kind(conn) == made
        assert await conn.fetchval(
            "SELECT count(*) FROM facts WHERE category = 'STALE-PROJECTION'") == 0

        again = await run_sync(settings, partners=district.partners_config(), store_uri=uri)
        assert again.reprojected is None  # current: nothing rebuilt
    finally:
        await conn.close()
