"""Session fixtures: a real PostgreSQL, a generated district with its partner systems running,
and a migrated, synced Juheli store with the gateway app in front of it.

PostgreSQL is embedded from a wheel unless TEST_DATABASE_URL names a server; databases made here
carry a per-run prefix so runs on a shared server never collide.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from asgi_lifespan import LifespanManager

from gateway.db.embedded import start_embedded, with_database
from gateway.db.migrate import ensure_database, upgrade_async
from gateway.onboard.shipped import demo_vars, register_shipped
from gateway.settings import Settings

TEST_HOUSEHOLDS = int(os.environ.get("JUHELI_TEST_HOUSEHOLDS", "600"))
PREFIX = f"jt{os.getpid()}_"
# The property SaaS, the owners' committees and the women's federation reach the gateway by
# definition file only.
DEFINITION_BODIES = ("property", "owners", "womenfed")


@pytest.fixture(scope="session")
def pg_admin(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return start_embedded(tmp_path_factory.mktemp("pg") / "data", delete_on_exit=True)


@pytest.fixture(scope="session")
def world_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from gateway.demo.generator import generate, write_district

    folder = tmp_path_factory.mktemp("district")
    write_district(generate(TEST_HOUSEHOLDS, seed=20261129), folder)
    return folder


@pytest.fixture(scope="session")
def truth(world_folder: Path) -> list[dict[str, Any]]:
    with (world_folder / "truth.jsonl").open("rb") as fh:
        return [orjson.loads(line) for line in fh if line.strip()]


@pytest.fixture(scope="session")
async def district(world_folder: Path, pg_admin: str) -> AsyncIterator[Any]:
    from gateway.demo.district import start_district

    running = await start_district(world_folder, pg_admin, prefix=PREFIX)
    # Where the bodies onboarded by definition file are (`${VAR}`s of their files), for every
    # sync and gateway of the session, as the demo sets them.
    os.environ.update(demo_vars(running))
    try:
        yield running
    finally:
        running.stop()


async def migrated_store(pg_admin: str, name: str) -> str:
    """A store database of this run (created if absent), migrated to head."""
    await ensure_database(pg_admin, f"{PREFIX}{name}")
    uri = with_database(pg_admin, f"{PREFIX}{name}")
    await upgrade_async(uri)
    return uri


async def synced_store(pg_admin: str, name: str, district: Any, settings: Settings) -> str:
    """A store of its own, migrated, synced from the running district and linked: for tests
    that change what they read (decisions, restarts, marks) without touching the shared one."""
    from gateway.ops import run_sync

    uri = await migrated_store(pg_admin, name)
    await register_shipped(uri, only=DEFINITION_BODIES)
    await run_sync(settings, partners=district.partners_config(), store_uri=uri)
    return uri


@pytest.fixture(scope="session")
async def store_uri(pg_admin: str) -> str:
    return await migrated_store(pg_admin, "juheli")


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(data_dir=tmp_path_factory.mktemp("data"), request_deadline_ms=5000,
                    partner_timeout_ms=4000)


@pytest.fixture(scope="session")
async def synced(district: Any, store_uri: str, settings: Settings) -> Any:
    from gateway.ops import run_sync

    await register_shipped(store_uri, only=DEFINITION_BODIES)
    return await run_sync(settings, partners=district.partners_config(), store_uri=store_uri)


async def agency_key(uri: str, slug: str, role: str, communities: list[str]) -> str:
    """Register an agency in the store at `uri` (idempotent) and issue it a fresh API key."""
    import asyncpg

    from gateway.auth import keys

    conn = await asyncpg.connect(uri)
    try:
        await conn.execute(
            "INSERT INTO agencies (slug, name, role, communities) VALUES ($1, $1, $2, $3) "
            "ON CONFLICT (slug) DO UPDATE SET role = EXCLUDED.role, "
            "communities = EXCLUDED.communities, revoked_at = NULL", slug, role, communities)
        return (await keys.issue(conn, slug)).key
    finally:
        await conn.close()


def agency_headers(key: str, purpose: str | None = "case_handling",
                   officer: str | None = "test-officer") -> dict[str, str]:
    # Empty values, not missing ones: a client's default headers must not fill them in.
    from urllib.parse import quote

    return {"Authorization": f"Bearer {key}", "X-Purpose": purpose or "",
            "X-Officer": quote(officer or "")}


@pytest.fixture(scope="session")
async def district_key(synced: Any, store_uri: str) -> str:
    """A district-wide residents' committee role: every field group, every community."""
    return await agency_key(store_uri, "test-district", "residents_committee", ["*"])


@pytest.fixture(scope="session")
async def client(synced: Any, district: Any, store_uri: str, district_key: str,
                 settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    from gateway.app import create_app

    app = create_app(settings, store_uri=store_uri, partners=district.partners_config())
    async with app_client(app, agency_headers(district_key)) as c:
        yield c


@contextlib.asynccontextmanager
async def app_client(app: Any, headers: Any = None,
                     **options: Any) -> AsyncIterator[httpx.AsyncClient]:
    """`app` started (its lifespan runs) and a client that talks to it in process."""
    async with LifespanManager(app) as manager, httpx.AsyncClient(
            transport=httpx.ASGITransport(app=manager.app), base_url="http://juheli.test",
            headers=headers, **options) as client:
        yield client


@pytest.fixture
def gql(client: httpx.AsyncClient) -> Any:
    async def run(query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await client.post("/graphql", json={"query": query, "variables": variables or {}})
        assert response.status_code == 200, response.text
        return orjson.loads(response.content)

    return run


@pytest.fixture(scope="session")
def sim_stats(district: Any) -> Iterator[Any]:
    """Read and reset the REST simulators' request counters."""

    def stats(reset: bool = False) -> dict[str, int]:
        out = {}
        for slug, url in district.urls.items():
            if reset:
                httpx.post(f"{url}/_sim/reset")
            else:
                out[slug] = httpx.get(f"{url}/_sim/stats").json()["total"]
        return out

    yield stats


@contextlib.contextmanager
def uvicorn_serving(app: Any) -> Iterator[str]:
    """`app` served by uvicorn on a free 127.0.0.1 port in a thread of its own (its own event
    loop, lifespan included): the base URL."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False,
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True,
                              name="test-uvicorn")
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the gateway did not start under uvicorn (see the log above)")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()
