"""Load shedding: beyond the cap on requests in flight, 503 OVERLOADED with Retry-After at
once, while the admitted requests are answered; under overload at several times capacity the
process neither crashes nor grows without bound."""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from gateway.shedding import LoadShedder
from tests.conftest import agency_headers
from tests.resilience._serving import household_with

CAP = 4


class Held:
    """An inner app that holds every request until released, and notes which bodies it read."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.entered = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.entered += 1
        await receive()
        await self.release.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})


async def call(app: Any) -> tuple[list[dict[str, Any]], bool]:
    """One request through `app`: the messages sent back, and whether its body was read."""
    sent: list[dict[str, Any]] = []
    read = False

    async def receive() -> dict[str, Any]:
        nonlocal read
        read = True
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/graphql", "headers": []}
    await app(scope, receive, send)
    return sent, read


async def test_beyond_the_cap_requests_are_shed_at_once_without_reading_them() -> None:
    inner = Held()
    shedder = LoadShedder(inner, limit=CAP, retry_after_s=2)
    admitted = [asyncio.create_task(call(shedder)) for _ in range(CAP)]
    while inner.entered < CAP:
        await asyncio.sleep(0)
    timings, shed = [], []
    for _ in range(50):
        start = time.perf_counter()
        shed.append(await call(shedder))
        timings.append(time.perf_counter() - start)
    for sent, read in shed:
        assert not read, "a shed request's body is never read"
        head, body = sent
        assert head["status"] == 503
        assert (b"retry-after", b"2") in head["headers"]
        error = orjson.loads(body["body"])["errors"][0]
        assert error["extensions"] == {"code": "OVERLOADED", "retryAfter": 2, "limit": CAP}
    assert statistics.median(timings) < 0.010  # the bound: a 503 within 10 ms
    assert inner.entered == CAP and shedder.in_flight == CAP
    inner.release.set()
    for sent, read in await asyncio.gather(*admitted):
        assert read and sent[0]["status"] == 200
    assert (shedder.in_flight, shedder.peak, shedder.shed) == (0, CAP, 50)
    # Capacity is back: the next request is admitted.
    sent, _ = await call(shedder)
    assert sent[0]["status"] == 200


async def test_a_request_that_fails_still_frees_its_slot() -> None:
    async def broken(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("boom")

    shedder = LoadShedder(broken, limit=1)
    for _ in range(3):
        with pytest.raises(RuntimeError):
            await call(shedder)
    assert shedder.in_flight == 0 and shedder.shed == 0


# --- a real gateway process under overload -------------------------------------------------


def memory_kib(pid: int) -> dict[str, int]:
    """VmRSS (now) and VmHWM (peak) of a process, from /proc."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            out[name] = int(value.split()[0])
    return out


@pytest.fixture
async def gateway_process(synced: Any, district: Any, store_uri: str, tmp_path: Path
                          ) -> AsyncIterator[tuple[subprocess.Popen[bytes], httpx.AsyncClient]]:
    """`uvicorn` serving the gateway on a Unix socket, capped at CAP requests in flight."""
    district.write_partners_toml(tmp_path / "partners.toml")
    socket = tmp_path / "gateway.sock"
    env = dict(os.environ, DATABASE_URL=store_uri, JUHELI_DATA_DIR=str(tmp_path),
               JUHELI_PARTNERS_FILE=str(tmp_path / "partners.toml"),
               JUHELI_MAX_IN_FLIGHT=str(CAP), JUHELI_RATE_LIMIT="0")
    log = (tmp_path / "gateway.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "gateway.app:create_app",
         "--uds", str(socket), "--log-level", "warning", "--no-access-log"],
        cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    transport = httpx.AsyncHTTPTransport(uds=str(socket))
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=0)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway",
                                     timeout=30, limits=limits) as client:
            for _ in range(300):
                try:
                    if (await client.get("/readyz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert proc.poll() is None, (tmp_path / "gateway.log").read_text()
                await asyncio.sleep(0.1)
            yield proc, client
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()


async def test_overload_at_several_times_capacity(
    gateway_process: tuple[subprocess.Popen[bytes], httpx.AsyncClient], district: Any,
    store_uri: str, district_key: str,
) -> None:
    proc, client = gateway_process
    headers = agency_headers(district_key)
    hid = await household_with(store_uri, "hall", "service_case")
    query = {"query": "query($id: ID!) { household(id: $id) { services { number } } }",
             "variables": {"id": hid}}
    # Heavy requests too: 1 MB of `extensions`, which the view gets, so it is copied a few
    # times while the request is worked on (the guard caps a body at 2 MiB).
    heavy = orjson.dumps({**query, "extensions": {"padding": "x" * 1_000_000}})

    async def one(body: bytes | None = None) -> httpx.Response:
        if body is None:
            return await client.post("/graphql", json=query, headers=headers)
        return await client.post("/graphql", content=body,
                                 headers={**headers, "content-type": "application/json"})

    async def wave(times: int, body: bytes | None) -> list[httpx.Response]:
        return list(await asyncio.gather(*(one(body) for _ in range(CAP * times))))

    for _ in range(3):  # warm up: imports, pools, caches
        assert (await one()).status_code == 200
    baseline = memory_kib(proc.pid)["VmRSS"]
    hall = district.urls["hall"]
    # Each admitted request holds its slot ~300 ms on the hall's answer.
    httpx.post(f"{hall}/_sim/faults", json={"latency_ms": 300}).raise_for_status()
    try:
        waves = [await wave(10, None), await wave(10, heavy), await wave(10, heavy)]
        peak_at_10x = memory_kib(proc.pid)["VmHWM"]
        waves += [await wave(25, heavy), await wave(25, heavy)]
        peak_at_25x = memory_kib(proc.pid)["VmHWM"]
    finally:
        httpx.post(f"{hall}/_sim/faults", json={}).raise_for_status()

    for responses in waves:
        statuses = [r.status_code for r in responses]
        assert set(statuses) <= {200, 503}, statuses
        assert statuses.count(200) >= CAP, "the admitted requests are answered"
        assert statuses.count(503) >= len(statuses) // 2, "most of the excess is shed"
        for r in responses:
            if r.status_code == 503:
                assert r.headers["retry-after"] == "1"
                assert r.json()["errors"][0]["extensions"]["code"] == "OVERLOADED"
            else:
                assert r.json()["data"]["household"]["services"], r.text
    # No crash and nothing stuck in flight.
    assert proc.poll() is None
    load = (await client.get("/readyz")).json()["load"]
    assert load["inFlight"] == 0 and load["peak"] == CAP
    assert load["shed"] >= sum(len(w) for w in waves) // 2
    # Memory bounded: CAP heavy requests worked on at a time (~12 MiB each), plus a read buffer
    # per open connection while a shed request's body is discarded. Measured: 29 MiB at 10x and
    # 51 MiB at 25x capacity; with no cap, 309 MiB and 878 MiB.
    grown_10x, grown_25x = ((peak - baseline) / 1024 for peak in (peak_at_10x, peak_at_25x))
    assert grown_10x < CAP * 16, f"the peak RSS grew {grown_10x:.0f} MiB at 10x capacity"
    assert grown_25x < 128, f"the peak RSS grew {grown_25x:.0f} MiB at 25x capacity"
    assert (await one()).status_code == 200
