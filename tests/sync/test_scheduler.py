"""Scheduled sync inside a serving process: it syncs, links what changed, and two replicas
never link the same changes twice."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from gateway.linkage.match import DEFAULT_THRESHOLDS
from gateway.sync.scheduler import SyncScheduler
from tests.conftest import synced_store


@pytest.fixture(scope="module")
async def scheduled_uri(pg_admin: str, district: Any, settings: Any) -> str:
    uri = await synced_store(pg_admin, "scheduled", district, settings)
    return uri


@pytest.fixture(scope="module")
async def pool(scheduled_uri: str) -> AsyncIterator[asyncpg.Pool]:
    p = await asyncpg.create_pool(scheduled_uri, min_size=2, max_size=6)
    yield p
    await p.close()


def _scheduler(pool: asyncpg.Pool, district: Any, interval_s: float = 0.0) -> SyncScheduler:
    return SyncScheduler(pool, district.partners_config(), interval_s=interval_s,
                         thresholds=DEFAULT_THRESHOLDS)


async def test_two_replicas_link_each_change_once(pool: asyncpg.Pool, district: Any) -> None:
    ids = [r["id"] for r in await pool.fetch(
        "SELECT id FROM source_records WHERE partner = 'hall' ORDER BY id LIMIT 20")]
    await pool.execute("UPDATE source_records SET link_pending = true "
                       "WHERE id = ANY($1::bigint[])", ids)
    one, two = _scheduler(pool, district), _scheduler(pool, district)
    first, second = await asyncio.gather(one.run_once(), two.run_once())
    # the partners had nothing new; the 20 marked records were linked by one replica only
    assert sum(first.records.values()) == sum(second.records.values()) == 0
    assert sum(first.links.values()) + sum(second.links.values()) == len(ids)
    assert await pool.fetchval("SELECT count(*) FROM source_records WHERE link_pending") == 0


async def test_the_loop_runs_until_stopped(pool: asyncpg.Pool, district: Any) -> None:
    scheduler = _scheduler(pool, district, interval_s=0.05)
    scheduler.start()
    try:
        for _ in range(200):
            if scheduler.runs >= 2:
                break
            await asyncio.sleep(0.05)
    finally:
        await scheduler.stop()
    assert scheduler.runs >= 2 and scheduler.last is not None and not scheduler.last.errors
    runs = scheduler.runs
    await asyncio.sleep(0.2)
    assert scheduler.runs == runs, "stopped means stopped"


async def test_a_serving_gateway_runs_the_schedule(scheduled_uri: str, district: Any,
                                                   settings: Any) -> None:
    from asgi_lifespan import LifespanManager

    from gateway.app import create_app

    app = create_app(settings.model_copy(update={"sync_interval_s": 0.05}),
                     store_uri=scheduled_uri, partners=district.partners_config())
    async with LifespanManager(app):
        scheduler = app.state.scheduler
        for _ in range(200):
            if scheduler.runs >= 1:
                break
            await asyncio.sleep(0.05)
        assert scheduler.runs >= 1 and scheduler.last is not None
        assert not scheduler.last.errors
    runs = scheduler.runs
    await asyncio.sleep(0.2)
    assert scheduler.runs == runs, "the lifespan stopped it"
