"""The property SaaS simulator as a separate process over its real SQLite file
(docs/partners.md §5.1): token auth, pages, the updatedAfter feed, batches by key and by room."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from gateway.demo.generator import generate, write_district
from gateway.demo.materialize import load_rest_partners, sort_stamp
from gateway.demo.simulators.property import DEMO_TOKEN, MAX_BATCH

AUTH = {"Authorization": f"Bearer {DEMO_TOKEN}"}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("property-sim")
    write_district(generate(300, seed=5), out)
    return out


@pytest.fixture(scope="module")
def url(folder: Path) -> Iterator[str]:
    db = load_rest_partners(folder)["property"]
    cmd = [sys.executable, "-m", "gateway.demo.simulators", "property", "--db", str(db),
           "--port", "0", "--exit-on-stdin-eof"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    line = proc.stdout.readline().decode()
    assert line.startswith("LISTENING http://127.0.0.1:"), line
    yield line.split()[1] + "/openapi/v1"
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="module")
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10, headers=AUTH) as c:
        yield c


def _rows(folder: Path, table: str) -> list[dict]:
    path = folder / "rows" / "property" / f"{table}.jsonl"
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


async def test_token_is_required(url: str) -> None:
    async with httpx.AsyncClient(timeout=10) as bare:
        health = await bare.get(f"{url}/health")  # health needs no token
        missing = await bare.get(f"{url}/houses")
        wrong = await bare.get(f"{url}/houses", headers={"Authorization": "Bearer nope"})
    assert health.json() == {"code": 200, "message": "success", "data": {"status": "UP"}}
    for response in (missing, wrong):
        assert response.status_code == 401
        assert response.json() == {"code": 40100, "message": "token invalid or expired",
                                   "data": None}


async def test_pages_cover_every_house(url: str, client: httpx.AsyncClient, folder: Path) -> None:
    rows = _rows(folder, "houses")
    seen: list[str] = []
    page = 1
    while True:
        body = (await client.get(f"{url}/houses", params={"pageNum": page, "pageSize": 77})).json()
        assert body["code"] == 200 and body["data"]["total"] == len(rows)
        assert body["data"]["pages"] == -(-len(rows) // 77)
        seen += [r["houseId"] for r in body["data"]["list"]]
        if page >= body["data"]["pages"]:
            break
        page += 1
    assert seen == sorted(r["houseId"] for r in rows)


async def test_change_feed_resumes_without_loss(url: str, client: httpx.AsyncClient,
                                                folder: Path) -> None:
    rows = _rows(folder, "repairs")
    want = [r["orderNo"] for r in sorted(rows, key=lambda r: (sort_stamp(r["updateTime"]),
                                                                r["orderNo"]))]
    got: list[str] = []
    cursor = ""
    while True:
        data = (await client.get(f"{url}/repairs/changes",
                                 params={"updatedAfter": cursor, "pageSize": 40})).json()["data"]
        got += [r["orderNo"] for r in data["list"]]
        cursor = data["nextUpdatedAfter"]
        if not data["hasMore"]:
            break
    assert got == want
    tail = (await client.get(f"{url}/repairs/changes", params={"updatedAfter": cursor})).json()
    assert tail["data"] == {"list": [], "nextUpdatedAfter": cursor, "hasMore": False}
    bad = await client.get(f"{url}/repairs/changes", params={"updatedAfter": "!!"})
    assert bad.status_code == 400 and bad.json()["code"] == 40001


async def test_batch_by_ids_and_by_room_codes(url: str, client: httpx.AsyncClient,
                                              folder: Path) -> None:
    houses = _rows(folder, "houses")
    some = [h["houseId"] for h in houses[:5]]
    body = (await client.post(f"{url}/houses/batchQuery", json={"ids": [*some, "HS9999999"]}))
    data = body.json()["data"]
    assert sorted(r["houseId"] for r in data["list"]) == some and data["notFound"] == ["HS9999999"]
    letter = next(h for h in houses if h["roomCode"].startswith("A"))
    mine = [h for h in houses if h["projectCode"] == letter["projectCode"]][:3]
    rooms = [h["roomCode"] for h in mine]
    by_room = (await client.post(f"{url}/houses/batchQuery", json={
        "projectCode": letter["projectCode"], "roomCodes": [*rooms, "Z99-9-9999"]})).json()
    assert sorted(r["houseId"] for r in by_room["data"]["list"]) == sorted(
        h["houseId"] for h in mine)
    assert by_room["data"]["notFound"] == ["Z99-9-9999"]
    too_many = await client.post(f"{url}/repairs/batchQuery",
                                 json={"ids": [str(i) for i in range(MAX_BATCH + 1)]})
    assert too_many.status_code == 400 and too_many.json()["code"] == 40001
    unknown = await client.get(f"{url}/fees")
    assert unknown.status_code == 404 and unknown.json()["code"] == 40400


async def test_faults_use_the_property_envelope(url: str, client: httpx.AsyncClient) -> None:
    base = url.removesuffix("/openapi/v1")
    await client.post(f"{base}/_sim/faults", json={"script": [{"error_rate": 1.0}]})
    failed = await client.get(f"{url}/projects")
    after = await client.get(f"{url}/projects")
    assert failed.status_code == 500 and failed.json()["code"] == 50000
    assert after.status_code == 200 and after.json()["data"]["total"] >= 3
    stats = (await client.get(f"{base}/_sim/stats")).json()["requests"]
    assert stats["projects.list"] == 2
