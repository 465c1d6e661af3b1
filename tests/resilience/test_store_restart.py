"""The store restarts under load: meanwhile every answer is a coded error (503 STORE_UNAVAILABLE
with Retry-After, or STORE_UNAVAILABLE at a field), and the same gateway, not restarted, answers
again once the store is back.

The store here is a PostgreSQL server of this test's own (embedded, in a temporary folder), so
stopping it hurts no other test."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import pytest

from tests.conftest import agency_key
from tests.resilience._serving import Server, household_with, serving, store_of_its_own

QUERY = "query($id: ID!) { household(id: $id) { id residents { name } } }"
WORKERS = 6
# What a client may see while the store is away: each a coded error.
OUTAGE_CODES = {"STORE_UNAVAILABLE", "AUDIT_UNAVAILABLE"}


@pytest.fixture
async def own_store(synced: Any, district: Any, settings: Any,
                    tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[tuple[Server, str]]:
    """A server of its own with a migrated, synced store: (the server, the store's URI)."""
    data = tmp_path_factory.mktemp("restart") / "data"
    async with store_of_its_own(data, district, settings) as own:
        yield own


@dataclass
class Seen:
    at: float
    status: int
    codes: frozenset[str]
    retry_after: str | None


async def load(client: httpx.AsyncClient, hid: str, seen: list[Seen], stop: asyncio.Event) -> None:
    while not stop.is_set():
        response = await client.post("/graphql", json={"query": QUERY, "variables": {"id": hid}})
        body = orjson.loads(response.content)
        codes = frozenset(e.get("extensions", {}).get("code", "UNCODED")
                          for e in body.get("errors", []))
        if response.status_code == 200 and not codes:
            assert body["data"]["household"]["residents"], body
        seen.append(Seen(time.monotonic(), response.status_code, codes,
                         response.headers.get("retry-after")))
        # In process, a request that fails fast never suspends: let the others run.
        await asyncio.sleep(0.002)


async def test_the_store_restarts_under_load(
    own_store: tuple[Server, str], district: Any, settings: Any,
) -> None:
    server, uri = own_store
    key = await agency_key(uri, "restart-test", "residents_committee", ["*"])
    hid = await household_with(uri, "rc", "resident")
    # Credentials and grants are read from the store on every request, not from a cache, and
    # no rate limit: every request meets the outage wherever it first touches the store.
    tuned = settings.model_copy(update={"auth_cache_s": 0, "rate_limit": 0})
    seen: list[Seen] = []
    stop = asyncio.Event()
    async with serving(tuned, uri, district.partners_config(), key) as client:
        workers = [asyncio.create_task(load(client, hid, seen, stop)) for _ in range(WORKERS)]
        try:
            await asyncio.sleep(1.0)
            stopping_at = time.monotonic()
            await asyncio.to_thread(server.stop)
            await asyncio.sleep(1.0)
            not_ready = await client.get("/readyz")
            await asyncio.to_thread(server.start)
            up_at = time.monotonic()
            recovered_at = await first_success_after(seen, up_at, timeout_s=30)
            await asyncio.sleep(1.0)
        finally:
            stop.set()
            for outcome in await asyncio.gather(*workers, return_exceptions=True):
                if isinstance(outcome, BaseException):
                    raise outcome
        ready = await client.get("/readyz")

    before = [s for s in seen if s.at < stopping_at]
    assert before and all(s.status == 200 and not s.codes for s in before)
    # While the store was away: only coded errors, never a bare 500 or an uncoded error.
    failed = [s for s in seen if s.status != 200 or s.codes]
    assert failed, "the outage was seen"
    assert any("STORE_UNAVAILABLE" in s.codes for s in failed)
    for s in failed:
        assert s.status in (200, 503) and s.codes and s.codes <= OUTAGE_CODES, s
        if s.status == 503:
            assert s.retry_after == "1" and s.codes == {"STORE_UNAVAILABLE"}
    assert not_ready.status_code == 503 and not_ready.json()["status"] == "store unreachable"
    # Back without restarting the gateway: everything after the first success succeeds.
    assert all(s.status == 200 and not s.codes for s in seen if s.at > recovered_at + 0.5)
    assert sum(1 for s in seen if s.at > recovered_at) >= WORKERS
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


async def first_success_after(seen: list[Seen], since: float, *, timeout_s: float) -> float:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        done = [s.at for s in seen if s.at > since and s.status == 200 and not s.codes]
        if done:
            return done[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"no success within {timeout_s} s of the store's restart")
