"""A subscription outlives a definition swap: the events it delivers after the swap are read
with the adapters in force then, not with the connection's, whose retired adapters are closed
once the grace period is over (gateway/onboard/live.py, gateway/resolvers/events.py)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import asyncpg

from gateway.onboard import store
from gateway.settings import Settings
from tests.conftest import agency_key, migrated_store, uvicorn_serving
from tests.onboard.test_reload import innermost
from tests.onboard.test_second_company import DEFINITION, KEY, company
from tests.subscriptions.conftest import Gateway, wait_subscribed
from tests.subscriptions.test_live import DISPUTES, change_of, params

COMMUNITY = "110105999001"


def _version(text: str, n: int) -> str:
    return text.replace("name_zh: 第二物业服务有限公司", f"name_zh: 第二物业 v{n}")


async def _household(conn: asyncpg.Connection) -> int:
    await conn.execute("INSERT INTO streets (code, name) VALUES ('110105999', '测试街道') "
                       "ON CONFLICT DO NOTHING")
    await conn.execute("INSERT INTO communities (code, name, street_code) VALUES "
                       "($1, '测试社区', '110105999') ON CONFLICT DO NOTHING", COMMUNITY)
    household: int = await conn.fetchval(
        "INSERT INTO households (key, community_code) VALUES ('RELOAD-1', $1) "
        "ON CONFLICT (key) DO UPDATE SET community_code = EXCLUDED.community_code "
        "RETURNING id", COMMUNITY)
    return household


async def _retired(app: Any, first: Any, timeout: float = 15) -> Any:
    """The adapter in force once `first` was swapped out and closed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = innermost(app.state.services.adapters["estate2"])
        if current is not first and first._client.is_closed:
            return current
        await asyncio.sleep(0.1)
    raise AssertionError("the definition was not swapped, or its old adapter never closed")


async def test_an_event_after_a_swap_is_read_with_the_adapters_in_force(
    pg_admin: str, settings: Settings, subscribe: Any, monkeypatch: Any,
) -> None:
    from gateway.app import create_app

    uri = await migrated_store(pg_admin, "subs_reload")
    key = await agency_key(uri, "subs-reload", "residents_committee", ["*"])
    monkeypatch.setenv("ESTATE2_KEY", KEY)
    # A short deadline, so a short grace period (deadline + 2 s) before the old adapter closes.
    fast = settings.model_copy(update={"definitions_poll_s": 0.05, "request_deadline_ms": 500,
                                       "rate_limit": 0, "events_check_s": 1})
    conn = await asyncpg.connect(uri)
    try:
        household = await _household(conn)
        with uvicorn_serving(company([])) as url:
            text = DEFINITION.format(url=url)
            await conn.execute("DELETE FROM partner_definitions WHERE slug = 'estate2'")
            await store.register(conn, "estate2", "第二物业", _version(text, 1))
            app = create_app(fast, store_uri=uri, partners={})
            with uvicorn_serving(app) as base_url:
                gateway = Gateway(base_url, None)  # type: ignore[arg-type]
                sub = subscribe(gateway.ws_url, params(key),
                                [{"query": DISPUTES, "variables": {"c": COMMUNITY}}])
                wait_subscribed(gateway, 1, sub)
                first = innermost(app.state.services.adapters["estate2"])
                await store.register(conn, "estate2", "第二物业", _version(text, 2))
                await _retired(app, first)
                # An event of the swapped body on the household: the subscriber reads it now.
                await conn.execute(
                    "INSERT INTO subscription_events (kind, record, partner, entity, local_id, "
                    "household, community, old, new) VALUES ('status', 1, 'estate2', "
                    "'dispute', 'X1', $1, $2, 'REGISTERED', 'IN_MEDIATION')",
                    household, COMMUNITY)
                seen = change_of(sub.wait_for(lambda line: line["event"] == "next"))
    finally:
        await conn.close()
    assert seen["householdId"] == "Household:RELOAD-1"
    assert seen["body"] == "第二物业 v2", "delivered with the connection's retired adapters"
