"""What the stale, health, shedding and store-restart tests share: a gateway app of their own
(so no other test sees its breakers), dead partner addresses, and households worth asking for."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
from asgi_lifespan import LifespanManager

from tests.conftest import agency_headers

DEAD_URL = "http://127.0.0.1:9"  # nothing listens on port 9
DEAD_DSN = "postgresql://nobody@127.0.0.1:9/none"


@contextlib.asynccontextmanager
async def serving(settings: Any, store_uri: str, partners: dict[str, Any],
                  key: str) -> AsyncIterator[httpx.AsyncClient]:
    """An app of its own, started, and a client with `key`'s headers."""
    from gateway.app import create_app

    app = create_app(settings, store_uri=store_uri, partners=partners)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t",
                                     headers=agency_headers(key)) as client:
            yield client


async def fetch(uri: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(uri)
    try:
        return list(await conn.fetch(sql, *args))
    finally:
        await conn.close()


async def household_with(store_uri: str, partner: str, *entities: str) -> str:
    """The household with the most active records of `partner`'s `entities` (at least one)."""
    rows = await fetch(store_uri, """
        SELECT h.key FROM households h JOIN links l ON l.household_id = h.id
        JOIN source_records s ON s.id = l.source_record_id
        WHERE s.partner = $1 AND s.entity = ANY($2::text[]) AND l.status IN ('auto', 'confirmed')
        GROUP BY h.key ORDER BY count(DISTINCT s.local_id) DESC, h.key LIMIT 1""",
        partner, list(entities))
    assert rows, f"no household with {partner} {entities} records"
    return f"Household:{rows[0]['key']}"
