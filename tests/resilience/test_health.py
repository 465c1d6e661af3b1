"""Start-up and health: the gateway starts and serves with every partner down; `/healthz` says
the process is alive, `/readyz` that the store answers, and reports each partner beside it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import asyncpg
import orjson

from gateway import examples
from tests.relay import nodes
from tests.resilience._serving import DEAD_DSN, DEAD_URL, household_with, serving


async def all_down(district: Any, store_uri: str) -> dict[str, Any]:
    config: dict[str, Any] = {}
    for slug, conf in district.partners_config().items():
        if conf["kind"] == "sql":
            config[slug] = {**conf, "dsn": DEAD_DSN}
        elif conf["kind"] == "rest":
            config[slug] = {**conf, "base_url": DEAD_URL}
        else:
            config[slug] = {**conf, "folder": str(Path(conf["folder"]).with_name("gone"))}
    # The bodies onboarded by definition files: the same table moves their source out of reach.
    conn = await asyncpg.connect(store_uri)
    try:
        defined = await conn.fetch("SELECT DISTINCT slug FROM partner_definitions")
    finally:
        await conn.close()
    for row in defined:
        config[row["slug"]] = {"base_url": DEAD_URL, "folder": str(district.folder / "gone")}
    return config


async def test_the_gateway_starts_and_serves_with_every_partner_down(
    synced: Any, district: Any, store_uri: str, settings: Any, district_key: str,
) -> None:
    down = await all_down(district, store_uri)
    async with serving(settings, store_uri, down, district_key) as client:
        alive = await client.get("/healthz")
        assert (alive.status_code, alive.json()) == (200, {"status": "ok"})

        ready = await client.get("/readyz")
        assert ready.status_code == 200
        body = ready.json()
        assert body["status"] == "ready"  # the store answers; partners are not required
        assert body["partners"] == sorted(down)
        health = body["partnerHealth"]
        assert set(health) == set(down)
        assert not any(h["ok"] for h in health.values()), health
        assert all(h.get("detail") for h in health.values())

        hid = await household_with(store_uri, "hall", "service_case")
        response = await client.post("/graphql", json={"query": examples.HOUSEHOLD_360,
                                                       "variables": {"id": hid}})
        assert response.status_code == 200
        answer = orjson.loads(response.content)
    household = answer["data"]["household"]
    services = nodes(household["servicesConnection"])
    assert household["residents"] and services, "served from the snapshots"
    assert all(not s["source"]["live"] for s in services)
    statuses = {slug: s["status"] for slug, s in answer["extensions"]["sources"].items()}
    assert statuses and set(statuses.values()) == {"SNAPSHOT"}, statuses


async def test_readyz_reports_a_hanging_partner_without_waiting_for_it(
    synced: Any, district: Any, store_uri: str, settings: Any, district_key: str,
) -> None:
    accepted: list[asyncio.StreamWriter] = []

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)  # accept the connection, never answer

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    partners = {**district.partners_config(),
                "hall": {"kind": "rest", "base_url": f"http://127.0.0.1:{port}"}}
    quick = settings.model_copy(update={"ready_probe_ms": 200})
    try:
        async with serving(quick, store_uri, partners, district_key) as client:
            ready = await client.get("/readyz")
    finally:
        server.close()
        for writer in accepted:
            writer.close()
        await server.wait_closed()
    assert ready.status_code == 200
    health = ready.json()["partnerHealth"]
    assert health["hall"] == {"ok": False, "latencyMs": 200.0,
                              "detail": "no answer within 200 ms"}
    assert all(h["ok"] for slug, h in health.items() if slug != "hall"), health
