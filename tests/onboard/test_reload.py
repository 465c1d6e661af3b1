"""A changed definition is picked up by a running gateway without a restart and without a
failed request: requests keep flowing while versions are registered, and none fails."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson

from gateway.onboard import store
from gateway.settings import Settings
from tests.conftest import (
    agency_headers,
    agency_key,
    app_client,
    migrated_store,
    uvicorn_serving,
)
from tests.onboard.test_second_company import DEFINITION, KEY, company

QUERY = "{ partners { slug name health } }"


def innermost(adapter: Any) -> Any:
    while hasattr(adapter, "inner"):
        adapter = adapter.inner
    return adapter


async def hammer(client: httpx.AsyncClient, until: float, seen: list[str],
                 failures: list[str]) -> int:
    sent = 0
    while time.monotonic() < until:
        sent += 1
        response = await client.post("/graphql", json={"query": QUERY})
        body = orjson.loads(response.content)
        mine = [p for p in (body.get("data") or {}).get("partners") or []
                if p["slug"] == "estate2"]
        if response.status_code != 200 or body.get("errors") or len(mine) != 1 \
                or mine[0]["health"] != "OK":
            failures.append(f"{response.status_code}: {response.text[:300]}")
        else:
            seen.append(mine[0]["name"])
    return sent


async def test_a_definition_reloaded_under_load_fails_no_request(
    pg_admin: str, settings: Settings, tmp_path: Path, monkeypatch: Any,
) -> None:
    from gateway.app import create_app

    uri = await migrated_store(pg_admin, "onboard_reload")
    key = await agency_key(uri, "test-reload", "residents_committee", ["*"])
    monkeypatch.setenv("ESTATE2_KEY", KEY)
    # Polls every 50 ms; the rate limit out of the way (the load is one agency's, on purpose).
    fast = settings.model_copy(update={"definitions_poll_s": 0.05, "request_deadline_ms": 1000,
                                       "rate_limit": 0})
    with uvicorn_serving(company([])) as url:
        text = DEFINITION.format(url=url)
        conn = await asyncpg.connect(uri)
        try:
            await conn.execute("DELETE FROM partner_definitions WHERE slug = 'estate2'")
            await store.register(conn, "estate2", "第二物业", text.replace(
                "name: Second property company", "name: estate2 v1"))
            app = create_app(fast, store_uri=uri, partners={})
            async with app_client(app, agency_headers(key), timeout=30) as client:
                watcher = app.state.definitions
                first = innermost(app.state.services.adapters["estate2"])
                seen: list[str] = []
                failures: list[str] = []
                until = time.monotonic() + 4.0
                load = [asyncio.create_task(hammer(client, until, seen, failures))
                        for _ in range(8)]
                for version in range(2, 7):  # five new versions while the load runs
                    await asyncio.sleep(0.5)
                    await store.register(conn, "estate2", "第二物业", text.replace(
                        "name: Second property company", f"name: estate2 v{version}"))
                sent = sum(await asyncio.gather(*load))
                await asyncio.sleep(0.3)  # the last poll
                last = (await client.post("/graphql", json={"query": QUERY})).json()
                await asyncio.sleep(fast.request_deadline_ms / 1000 + 2.5)  # the grace period
                closed = first._client.is_closed
                current = innermost(app.state.services.adapters["estate2"])
                current_open = not current._client.is_closed
                await store.disable(conn, "estate2")  # and gone again, still without a restart
                await asyncio.sleep(0.5)
                after = (await client.post("/graphql", json={"query": QUERY})).json()
        finally:
            await conn.close()
    print(f"reload under load: {sent} requests, {watcher.swaps} swaps, {len(failures)} failed")
    assert failures == [], f"{len(failures)} of {sent} requests failed: {failures[:3]}"
    assert sent > 100, sent
    assert watcher.swaps >= 3  # polls may fold two quick versions into one swap
    names = set(seen)
    assert {"estate2 v1", "estate2 v6"} <= names, names
    assert [p["name"] for p in last["data"]["partners"] if p["slug"] == "estate2"] == ["estate2 v6"]
    assert closed, "the retired adapter is closed once its grace period is over"
    assert current is not first and current_open
    assert "estate2" not in [p["slug"] for p in after["data"]["partners"]]
