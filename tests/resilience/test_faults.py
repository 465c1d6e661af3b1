"""Fault injection in the REST partner simulators, switched at run time, as the gateway's own
adapter meets each fault: latency, error rate, 429/503 with Retry-After, hang, connection
reset, malformed payloads, a script of one-shot faults, and the process killed and restarted."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gateway.adapters.partners import hall
from gateway.adapters.rest import RestAdapter
from gateway.errors import AdapterError

ENTITY = "service_case"


@pytest.fixture
async def sim(district: Any) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the hall simulator; its faults are cleared (and it is restarted if killed)
    afterwards."""
    url = district.urls["hall"]
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:
        try:
            yield client
        finally:
            if district.processes["hall"].poll() is not None:
                await district.restart("hall")
            (await client.post("/_sim/faults", json={})).raise_for_status()


@pytest.fixture
async def adapter(district: Any) -> AsyncIterator[RestAdapter]:
    client = httpx.AsyncClient(base_url=district.urls["hall"], timeout=0.3)
    built = hall.build(client)
    try:
        yield built
    finally:
        await built.aclose()


async def code_of(adapter: RestAdapter) -> tuple[str, AdapterError]:
    with pytest.raises(AdapterError) as info:
        await adapter.fetch_many(ENTITY, ["x"])
    return info.value.code, info.value


async def test_faults_are_validated_and_read_back(sim: httpx.AsyncClient) -> None:
    bad = [{"latency": 5}, {"error_status": 418}, {"malformed": "nice"}, {"error_rate": 2},
           {"script": {"hang": True}}, []]
    for body in bad:
        assert (await sim.post("/_sim/faults", json=body)).status_code == 400, body
    set_ = await sim.post("/_sim/faults", json={"latency_ms": 5, "script": [{"hang": True}]})
    assert set_.json()["latency_ms"] == 5 and set_.json()["script"][0]["hang"] is True
    assert (await sim.get("/_sim/faults")).json() == set_.json()


async def test_errors_with_retry_after_reach_the_adapter(sim: httpx.AsyncClient,
                                                         adapter: RestAdapter) -> None:
    await sim.post("/_sim/faults", json={"error_rate": 1, "error_status": 429,
                                         "retry_after": 0.5})
    code, error = await code_of(adapter)
    assert code == "PARTNER_UNAVAILABLE" and "429" in str(error)
    assert getattr(error, "retry_after", None) == 0.5
    await sim.post("/_sim/faults", json={"error_rate": 1, "error_status": 503, "retry_after": 2})
    code, error = await code_of(adapter)
    assert code == "PARTNER_UNAVAILABLE" and getattr(error, "retry_after", None) == 2
    await sim.post("/_sim/faults", json={"error_rate": 1})
    code, error = await code_of(adapter)
    assert code == "PARTNER_UNAVAILABLE" and getattr(error, "retry_after", None) is None


async def test_an_error_rate_fails_that_share_of_requests(sim: httpx.AsyncClient,
                                                          adapter: RestAdapter) -> None:
    await sim.post("/_sim/faults", json={"error_rate": 0.3})
    failed = 0
    for _ in range(200):
        try:
            await adapter.fetch_many(ENTITY, ["x"])
        except AdapterError:
            failed += 1
    assert 30 <= failed <= 90  # seeded: 0.3 of 200, give or take


async def test_hang_holds_the_request_until_the_client_goes(sim: httpx.AsyncClient,
                                                            adapter: RestAdapter) -> None:
    await sim.post("/_sim/faults", json={"hang": True})
    code, _ = await code_of(adapter)
    assert code == "PARTNER_TIMEOUT"
    await sim.post("/_sim/faults", json={})
    assert await adapter.fetch_many(ENTITY, ["x"]) == [None]  # it serves again at once


async def test_reset_drops_the_connection(sim: httpx.AsyncClient, adapter: RestAdapter) -> None:
    await sim.post("/_sim/faults", json={"reset": True})
    code, error = await code_of(adapter)
    assert code == "PARTNER_UNAVAILABLE"
    chain = []
    cause: BaseException | None = error
    while cause is not None:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    assert any(isinstance(c, ConnectionResetError) for c in chain), chain


@pytest.mark.parametrize("kind", ["truncated", "garbage", "shape"])
async def test_malformed_payloads_are_coded(sim: httpx.AsyncClient, adapter: RestAdapter,
                                            kind: str) -> None:
    await sim.post("/_sim/faults", json={"malformed": kind})
    code, _ = await code_of(adapter)
    assert code == "PARTNER_DATA_INVALID"


async def test_a_script_is_played_once_in_order(sim: httpx.AsyncClient,
                                                adapter: RestAdapter) -> None:
    await sim.post("/_sim/faults", json={"script": [
        {"error_rate": 1, "error_status": 503}, {"malformed": "garbage"}, {"hang": True}]})
    assert (await code_of(adapter))[0] == "PARTNER_UNAVAILABLE"
    assert (await code_of(adapter))[0] == "PARTNER_DATA_INVALID"
    assert (await code_of(adapter))[0] == "PARTNER_TIMEOUT"
    assert await adapter.fetch_many(ENTITY, ["x"]) == [None]
    assert (await sim.get("/_sim/faults")).json()["script"] == []


async def test_latency_delays_every_answer(sim: httpx.AsyncClient, adapter: RestAdapter) -> None:
    await sim.post("/_sim/faults", json={"latency_ms": 120})
    start = time.perf_counter()
    assert await adapter.fetch_many(ENTITY, ["x"]) == [None]
    assert time.perf_counter() - start >= 0.12


async def test_killed_partner_refuses_then_restarts_on_its_address(
    district: Any, sim: httpx.AsyncClient, adapter: RestAdapter,
) -> None:
    district.kill("hall")
    code, error = await code_of(adapter)
    assert code == "PARTNER_UNAVAILABLE" and "ConnectError" in str(error)
    await district.restart("hall")
    assert await adapter.fetch_many(ENTITY, ["x"]) == [None]
