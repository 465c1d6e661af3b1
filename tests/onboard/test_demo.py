"""The demo onboards its three definition-file bodies: after `register_shipped` a sync of the
district stores the property SaaS's, the owners' committees' and the women's federation's
records — the rights cases from the definition alone, none from the massorg module."""

from __future__ import annotations

from collections import Counter
from typing import Any

import asyncpg

from gateway.onboard.shipped import demo_vars, register_shipped
from gateway.settings import Settings
from tests.conftest import migrated_store


async def test_the_demo_bodies_arrive_by_definition_only(
    pg_admin: str, district: Any, settings: Settings, truth: list[dict[str, Any]],
    monkeypatch: Any,
) -> None:
    from gateway.ops import run_sync

    for name, value in demo_vars(district).items():
        monkeypatch.setenv(name, value)
    uri = await migrated_store(pg_admin, "onboard_demo")
    assert await register_shipped(uri) == {"owners": 1, "property": 1, "womenfed": 1}
    assert await register_shipped(uri) == {}  # unchanged files are not registered again
    report = await run_sync(settings, partners=district.partners_config(), store_uri=uri)
    assert report.errors == {}
    conn = await asyncpg.connect(uri)
    try:
        rows = await conn.fetch("SELECT partner, entity, count(DISTINCT local_id) AS n "
                                "FROM source_records GROUP BY partner, entity")
    finally:
        await conn.close()
    stored = {(r["partner"], r["entity"]): r["n"] for r in rows}
    want = Counter((t["partner"], t["entity"]) for t in truth)
    for entity in ("occupancy", "repair_order"):
        assert stored[("property", entity)] == want[("property", entity)]
    for entity in ("owner", "owner_vote"):
        assert stored[("owners", entity)] == want[("owners", entity)]
    assert ("massorg", "rights_case") not in stored
    assert stored[("womenfed", "rights_case")] == want[("womenfed", "rights_case")]
    assert stored[("massorg", "volunteer")] > 0  # the module keeps the union and youth league
