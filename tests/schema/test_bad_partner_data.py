"""A partner answering live reads with data the gateway cannot read: PARTNER_DATA_INVALID at the
field's path — for the one record when only its row is wrong, for the call when the answer is
not JSON — with everything else in the answer as usual.

The service hall here is the real simulator, on a copy of the district's data in which one
service case has an object where its applicant's name belongs.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
import pytest
from asgi_lifespan import LifespanManager

import gateway
from tests.conftest import agency_headers

QUERY = """query($id: ID!) { household(id: $id) { residents { name }
  services { number source { partner } } } }"""


async def _household_with_cases(store_uri: str) -> tuple[str, list[str]]:
    conn = await asyncpg.connect(store_uri)
    try:
        row = await conn.fetchrow(
            """SELECT h.key, array_agg(DISTINCT s.local_id ORDER BY s.local_id) AS cases
               FROM links l JOIN source_records s ON s.id = l.source_record_id
               JOIN households h ON h.id = l.household_id
               WHERE s.partner = 'hall' AND s.entity = 'service_case' AND l.status = 'auto'
               GROUP BY h.key HAVING count(DISTINCT s.local_id) >= 2 ORDER BY h.key LIMIT 1""")
    finally:
        await conn.close()
    assert row is not None, "no household with two service-hall cases"
    return row["key"], list(row["cases"])


def _poison(db: Path, key: str) -> None:
    conn = sqlite3.connect(db)
    try:
        (doc,) = conn.execute("SELECT doc FROM banjian WHERE k = ?", (key,)).fetchone()
        row = orjson.loads(doc)
        row["sqrxm"] = {"surname": "王", "given": "芳"}
        conn.execute("UPDATE banjian SET doc = ? WHERE k = ?", (orjson.dumps(row), key))
        conn.commit()
    finally:
        conn.close()


def _start_hall(db: Path) -> tuple[subprocess.Popen[bytes], str]:
    root = str(Path(gateway.__file__).resolve().parent.parent)
    env = {**os.environ,
           "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "gateway.demo.simulators", "hall", "--db", str(db),
         "--port", "0", "--host", "127.0.0.1", "--exit-on-stdin-eof"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert proc.stdout is not None
    line = proc.stdout.readline().decode()
    assert line.startswith("LISTENING "), line
    return proc, line.split(" ", 1)[1].strip()


@pytest.fixture
async def broken_hall(synced: Any, district: Any, store_uri: str,
                      tmp_path: Path) -> AsyncIterator[tuple[str, str, str, list[str]]]:
    """(simulator URL, household, its unreadable case, its good cases)."""
    household, cases = await _household_with_cases(store_uri)
    db = tmp_path / "hall.sqlite"
    shutil.copy(Path(district.folder) / "sim" / "hall.sqlite", db)
    _poison(db, cases[0])
    proc, url = await asyncio.to_thread(_start_hall, db)
    try:
        yield url, household, cases[0], cases[1:]
    finally:
        assert proc.stdin is not None
        proc.stdin.close()
        proc.terminate()
        await asyncio.to_thread(proc.wait, 10)


async def test_an_unreadable_row_fails_its_record_and_a_garbled_answer_its_call(
    district: Any, store_uri: str, settings: Any, district_key: str,
    broken_hall: tuple[str, str, str, list[str]],
) -> None:
    from gateway.app import create_app

    url, household, bad, good = broken_hall
    partners = {**district.partners_config(), "hall": {"kind": "rest", "base_url": url}}
    app = create_app(settings, store_uri=store_uri, partners=partners)
    # Live values only: the stale fallback would serve the last snapshot in their place.
    headers = {**agency_headers(district_key), "X-Max-Staleness": "0"}
    variables = {"id": f"Household:{household}"}
    async with LifespanManager(app) as manager, httpx.AsyncClient(
        transport=httpx.ASGITransport(app=manager.app), base_url="http://t", headers=headers
    ) as client:
        body = orjson.loads((await client.post(
            "/graphql", json={"query": QUERY, "variables": variables})).content)
        served = {s["number"] for s in body["data"]["household"]["services"]
                  if s["source"]["partner"] == "hall"}
        assert set(good) <= served and bad not in served
        [error] = [e for e in body["errors"] if e["extensions"]["code"] == "PARTNER_DATA_INVALID"]
        assert error["path"] == ["household", "services"]
        assert error["extensions"]["partner"] == "hall" and bad in error["message"]

        # Now the hall garbles every answer: the whole call fails, coded, at the same path.
        async with httpx.AsyncClient(base_url=url) as sim:
            await sim.post("/_sim/faults", json={"malformed": "garbage"})
        body = orjson.loads((await client.post(
            "/graphql", json={"query": QUERY, "variables": variables})).content)
        household_data = body["data"]["household"]
        assert household_data["residents"], "the registry's part of the answer is intact"
        assert not [s for s in household_data["services"] if s["source"]["partner"] == "hall"]
        codes = {(e["extensions"]["code"], tuple(e["path"])) for e in body["errors"]}
        assert ("PARTNER_DATA_INVALID", ("household", "services")) in codes
        assert body["extensions"]["sources"]["hall"]["code"] == "PARTNER_DATA_INVALID"
