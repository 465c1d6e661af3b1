"""The REST partner simulators, as separate processes over real SQLite files (docs/partners.md §3)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from gateway.demo.materialize import load_rest_partners, sort_stamp


def _start(partner: str, db: Path) -> tuple[subprocess.Popen[bytes], str]:
    cmd = [sys.executable, "-m", "gateway.demo.simulators", partner, "--db", str(db),
           "--port", "0", "--exit-on-stdin-eof"]  # fmt: skip
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    line = proc.stdout.readline().decode()
    assert line.startswith("LISTENING http://127.0.0.1:"), line
    return proc, line.split()[1]


@pytest.fixture(scope="module")
def sim_dbs(district_folder: Path) -> dict[str, Path]:
    return load_rest_partners(district_folder)


@pytest.fixture(scope="module")
def urls(sim_dbs: dict[str, Path]) -> Iterator[dict[str, str]]:
    started = {p: _start(p, db) for p, db in sim_dbs.items()}
    yield {p: url for p, (_, url) in started.items()}
    for proc, _ in started.values():
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as c:
        yield c


def _rows(folder: Path, partner: str, table: str) -> list[dict]:
    path = folder / "rows" / partner / f"{table}.jsonl"
    return [orjson.loads(line) for line in path.read_bytes().splitlines()]


def _feed_order(rows: list[dict], key: str, updated: str) -> list[str]:
    return [r[key] for r in sorted(rows, key=lambda r: (sort_stamp(r[updated]), r[key]))]


# --- hall --------------------------------------------------------------------------------------


async def test_hall_health_and_pages(urls, client, district_folder):
    base = urls["hall"]
    assert (await client.get(f"{base}/api/v1/health")).json() == {
        "code": 0, "msg": "ok", "data": {"status": "UP"}
    }  # fmt: skip
    keys: list[str] = []
    for page in (1, 2, 3):
        body = (
            await client.get(f"{base}/api/v1/banjian", params={"page": page, "size": 100})
        ).json()
        assert (body["code"], body["data"]["total"], body["data"]["page"]) == (0, 250, page)
        keys += [r["bjbh"] for r in body["data"]["rows"]]
    assert len(keys) == 250 and set(keys) == {
        r["bjbh"] for r in _rows(district_folder, "hall", "banjian")
    }


async def test_hall_changes_resume_without_loss_or_duplicates(urls, client, district_folder):
    url = f"{urls['hall']}/api/v1/banjian/changes"
    seen, since, cursors = [], "", []
    while True:
        data = (await client.get(url, params={"since": since, "limit": 40})).json()["data"]
        seen += [r["bjbh"] for r in data["rows"]]
        since = data["next"]
        cursors.append((len(seen), since))
        if not data["more"]:
            break
    assert seen == _feed_order(_rows(district_folder, "hall", "banjian"), "bjbh", "gxsj")
    # Resuming from a stored cursor yields exactly the rest.
    done, cursor = cursors[2]
    rest = (await client.get(url, params={"since": cursor, "limit": 1000})).json()["data"]
    assert [r["bjbh"] for r in rest["rows"]] == seen[done:]
    # At the end the cursor comes back unchanged, with nothing more.
    end = (await client.get(url, params={"since": since})).json()["data"]
    assert end == {"rows": [], "next": since, "more": False}


async def test_hall_batch_and_limits(urls, client):
    url = f"{urls['hall']}/api/v1/banjian/batch"
    body = (
        await client.post(url, json={"ids": ["DJ2025031500007", "nope", "DJ2025031500003"]})
    ).json()
    assert sorted(r["bjbh"] for r in body["data"]["rows"]) == ["DJ2025031500003", "DJ2025031500007"]
    assert body["data"]["missing"] == ["nope"]
    over = await client.post(url, json={"ids": [f"x{i}" for i in range(101)]})
    assert over.status_code == 400 and over.json()["code"] == 40001
    unknown = await client.get(f"{urls['hall']}/api/v1/shebao/changes")
    assert unknown.status_code == 404 and unknown.json()["code"] != 0 and "msg" in unknown.json()


# --- hotline -----------------------------------------------------------------------------------


async def test_hotline_pages_increment_and_by_ids(urls, client, district_folder):
    base = f"{urls['hotline']}/open/workorders"
    page = (await client.get(base, params={"pageNo": 2, "pageSize": 50})).json()
    assert page["success"] is True and page["result"]["totalCount"] == 120
    assert len(page["result"]["list"]) == 50
    seen, after = [], ""
    while True:
        result = (
            await client.get(f"{base}/increment", params={"after": after, "size": 33})
        ).json()["result"]
        seen += [r["gdbh"] for r in result["list"]]
        after = result["cursor"]
        if not result["hasMore"]:
            break
    assert seen == _feed_order(_rows(district_folder, "hotline", "workorders"), "gdbh", "gxsj")
    got = (await client.get(f"{base}/byIds", params={"ids": f"{seen[0]},missing,{seen[5]}"})).json()
    assert sorted(r["gdbh"] for r in got["result"]["list"]) == sorted([seen[0], seen[5]])


async def test_hotline_errors(urls, client):
    base = urls["hotline"]
    over = await client.get(
        f"{base}/open/petitions/byIds", params={"ids": ",".join(map(str, range(51)))}
    )
    assert over.status_code == 400
    assert over.json() == {
        "success": False,
        "errorCode": "TOO_MANY_IDS",
        "errorMsg": over.json()["errorMsg"],
    }
    unknown = await client.get(f"{base}/open/complaints")
    assert unknown.status_code == 404 and unknown.json()["success"] is False
    bad = await client.get(f"{base}/open/petitions/increment", params={"after": "not-a-cursor"})
    assert bad.status_code == 400 and bad.json()["errorCode"]


# --- mediation ---------------------------------------------------------------------------------


async def test_mediation_feed_orders_by_real_time_and_resumes(urls, client, district_folder):
    url = f"{urls['mediation']}/v2/disputes"
    assert (await client.get(f"{urls['mediation']}/v2/health")).json() == {"status": "ok"}
    seen, cursor = [], None
    while True:
        params = {"limit": 50} | ({"cursor": cursor} if cursor else {})
        body = (await client.get(url, params=params)).json()
        if body["nextCursor"] is None:
            assert body["items"] == []
            break
        seen += [item["caseId"] for item in body["items"]]
        cursor = body["nextCursor"]
    rows = _rows(district_folder, "mediation", "disputes")
    assert seen == _feed_order(rows, "caseId", "updatedAt") and len(set(seen)) == len(rows)
    # 02:30Z is 10:30 in Shanghai: after every 2025-03-01 10:00 case, before 2025-03-02.
    assert seen.index("M900000") == sum(
        1 for r in rows if r["updatedAt"].startswith("2025-03-01T10")
    )
    assert seen[0] == "M000000" and rows[0]["parties"] == [
        {"role": "申请人", "name": "李四", "idNumber": None}
    ]


async def test_mediation_batch_get(urls, client):
    url = f"{urls['mediation']}/v2/disputes:batchGet"
    body = (await client.post(url, json={"caseIds": ["M000001", "M999999"]})).json()
    assert [i["caseId"] for i in body["items"]] == ["M000001"] and body["notFound"] == ["M999999"]
    over = await client.post(url, json={"caseIds": [f"M{i:06d}" for i in range(201)]})
    assert over.status_code == 400 and set(over.json()["error"]) == {"code", "message"}
    bad = await client.post(url, content=b"{not json")
    assert bad.status_code == 400 and "error" in bad.json()
    missing = await client.get(f"{urls['mediation']}/v2/parties")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "NOT_FOUND"


# --- counters, faults, lifetime ----------------------------------------------------------------


async def test_stats_count_round_trips_but_not_sim_calls(urls, client):
    base = urls["hall"]
    assert (await client.post(f"{base}/_sim/reset")).status_code == 200
    await client.get(f"{base}/api/v1/health")
    for _ in range(3):
        await client.post(f"{base}/api/v1/wuka/batch", json={"ids": ["WKA000001"]})
    await client.get(f"{base}/api/v1/daiban/changes")
    stats = (await client.get(f"{base}/_sim/stats")).json()
    assert stats == {"requests": {"health": 1, "wuka.batch": 3, "daiban.changes": 1}, "total": 5}
    await client.post(f"{base}/_sim/reset")
    assert (await client.get(f"{base}/_sim/stats")).json() == {"requests": {}, "total": 0}


async def test_faults_are_injected_and_cleared(urls, client):
    base = urls["hotline"]
    await client.post(f"{base}/_sim/faults", json={"error_rate": 1})
    failed = await client.get(f"{base}/open/health")
    assert failed.status_code == 500 and failed.json()["success"] is False
    await client.post(f"{base}/_sim/faults", json={"down": True})
    assert (await client.get(f"{base}/open/health")).status_code == 503
    await client.post(f"{base}/_sim/faults", json={"latency_ms": 150})
    slow = await client.get(f"{base}/open/health")
    assert slow.status_code == 200 and slow.elapsed.total_seconds() >= 0.15
    await client.post(f"{base}/_sim/faults", json={})
    assert (await client.get(f"{base}/open/health")).json() == {"success": True, "result": "ok"}


async def test_keep_alive_round_trips_do_not_stall(urls, client):
    # Without TCP_NODELAY on the served socket every response waits out a 40 ms delayed ACK.
    start = time.perf_counter()
    for _ in range(20):
        assert (await client.get(f"{urls['mediation']}/v2/health")).status_code == 200
    assert time.perf_counter() - start < 0.4


def test_simulator_exits_when_its_stdin_closes(sim_dbs):
    proc, _url = _start("mediation", sim_dbs["mediation"])
    assert proc.stdin is not None
    proc.stdin.close()  # what happens when the parent dies
    assert proc.wait(timeout=10) == 0
