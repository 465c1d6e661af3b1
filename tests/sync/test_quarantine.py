"""Bad rows of a REST partner's feed: quarantined with where, why and what was read, the rest
stored; a status the machine cannot reach held back; an operator's replay and dismissal.

The partner is the real service-hall simulator, serving a SQLite file written here (rows the
district never has: wrong types, a row that is no object, a key twice, a status going back).
"""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
import pytest

from gateway.adapters.partners import hall
from gateway.adapters.rest import RestAdapter
from gateway.demo.simulators.hall import build_app
from gateway.sync import quarantine as q
from gateway.sync.runner import SyncReport, register_partners, sync_partner
from tests.conftest import migrated_store


def case(number: str, status: str, updated: str, **fields: Any) -> dict[str, Any]:
    return {"bjbh": number, "sxbm": "11010500100001", "sxmc": "居住证申领", "sqrxm": "王芳",
            "zjhm": None, "lxdh": "13800000001", "slsj": "2026-10-08 09:00:00", "bjzt": status,
            "gxsj": updated, **fields}


FIRST = [
    case("DJ001", "已评价", "2026-11-01 09:00:01"),
    case("DJ002", "办理中", "2026-11-01 09:00:02"),
    case("DJ003", "办理中", "2026-11-01 09:00:03", sqrxm={"surname": "王"}),  # wrong type
    ["DJ004", "已受理"],  # not an object: no key to file it under
    case("DJ002", "办理中", "2026-11-01 09:00:05", lxdh="13900000002"),  # the key again
]
SECOND = [
    case("DJ001", "已受理", "2026-11-02 09:00:01"),  # EVALUATED → ACCEPTED: cannot be
    case("DJ002", "已办结", "2026-11-02 09:00:02"),  # PROCESSING → DECIDED: fine
    case("DJ003", "已办结", "2026-11-02 09:00:03"),  # fixed at the source
]


def hall_db(path: Path, rows: list[Any]) -> Path:
    """A service-hall simulator database holding exactly these native rows."""
    db = sqlite3.connect(path)
    for resource in ("banjian", "wuka", "daiban"):
        db.execute(f"create table {resource} (k text not null, upd text not null, doc blob)")
    for i, row in enumerate(rows):
        key = row["bjbh"] if isinstance(row, dict) else f"ROW{i}"
        updated = row["gxsj"] if isinstance(row, dict) else f"2026-11-01 09:00:0{i}"
        db.execute("insert into banjian values (?, ?, ?)", (key, updated, orjson.dumps(row)))
    db.commit()
    db.close()
    return path


def hall_client(db: Path) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=build_app(db))
    return httpx.AsyncClient(transport=transport, base_url="http://hall.test")


def adapter_for(db: Path) -> RestAdapter:
    return hall.build(hall_client(db))


async def sync(pool: asyncpg.Pool, adapter: RestAdapter) -> SyncReport:
    report = SyncReport()
    try:
        await sync_partner(pool, adapter, report)
    finally:
        await adapter.aclose()
    return report


@pytest.fixture
async def own_uri(pg_admin: str, request: pytest.FixtureRequest) -> str:
    """A store of this test's own."""
    return await migrated_store(pg_admin, f"q_{zlib.crc32(request.node.nodeid.encode()):08x}")


@pytest.fixture
async def pool(own_uri: str) -> AsyncIterator[asyncpg.Pool]:
    """A pool on the test's own store, with the hall registered."""
    pool = await asyncpg.create_pool(own_uri, min_size=1, max_size=3)
    async with pool.acquire() as conn:
        await register_partners(conn, [hall.build(httpx.AsyncClient())])
    try:
        yield pool
    finally:
        await pool.close()


async def stored(pool: asyncpg.Pool) -> dict[str, tuple[str, str]]:
    rows = await pool.fetch("SELECT local_id, status, raw->>'lxdh' AS phone FROM source_records "
                            "WHERE partner = 'hall' AND entity = 'service_case'")
    return {r["local_id"]: (r["status"], r["phone"]) for r in rows}


async def quarantined(pool: asyncpg.Pool) -> list[q.QuarantineRow]:
    async with pool.acquire() as conn:
        return sorted(await q.list_rows(conn, status=None), key=lambda r: r.id)


async def test_bad_rows_are_quarantined_and_the_good_ones_stored(pool: asyncpg.Pool,
                                                                 tmp_path: Path) -> None:
    report = await sync(pool, adapter_for(hall_db(tmp_path / "hall.sqlite", FIRST)))
    assert report.errors == {}
    assert report.records["hall.service_case"] == 2
    assert report.quarantined["hall.service_case"] == 3
    # The first copy of DJ002 is kept, not the second.
    assert await stored(pool) == {"DJ001": ("EVALUATED", "13800000001"),
                                  "DJ002": ("PROCESSING", "13800000001")}
    rows = {(r.origin, r.line, r.reason.split(":")[0]): r for r in await quarantined(pool)}
    assert set(rows) == {("DJ003", None, "unreadable row"), ("page after -", 4, "unreadable row"),
                         ("DJ002", None, "duplicate key DJ002")}
    assert rows["DJ003", None, "unreadable row"].content()["sqrxm"] == {"surname": "王"}
    assert rows["page after -", 4, "unreadable row"].content() == ["DJ004", "已受理"]
    assert rows["DJ002", None, "duplicate key DJ002"].content()["lxdh"] == "13900000002"
    assert all(r.status == "open" for r in rows.values())
    state = await pool.fetchrow("SELECT cursor, records, quarantined FROM sync_state "
                                "WHERE partner = 'hall' AND entity = 'service_case'")
    assert state["cursor"] and (state["records"], state["quarantined"]) == (2, 3)


async def test_rereading_the_same_bad_rows_adds_no_row(pool: asyncpg.Pool, tmp_path: Path) -> None:
    db = hall_db(tmp_path / "hall.sqlite", FIRST)
    await sync(pool, adapter_for(db))
    await pool.execute("UPDATE sync_state SET cursor = NULL")  # read the whole feed again
    again = await sync(pool, adapter_for(db))
    assert again.quarantined["hall.service_case"] == 3
    assert len(await quarantined(pool)) == 3


async def test_a_status_the_machine_cannot_reach_is_held_back(pool: asyncpg.Pool,
                                                              tmp_path: Path) -> None:
    await sync(pool, adapter_for(hall_db(tmp_path / "first.sqlite", FIRST)))
    report = await sync(pool, adapter_for(hall_db(tmp_path / "second.sqlite", SECOND)))
    assert report.records["hall.service_case"] == 2
    stores = await stored(pool)
    assert stores["DJ001"][0] == "EVALUATED", "the stored record stays as it was"
    assert stores["DJ002"][0] == "DECIDED" and stores["DJ003"][0] == "DECIDED"
    rows = await quarantined(pool)
    held = [r for r in rows if r.status == "open" and r.local_id == "DJ001"]
    assert [r.reason for r in held] == [
        "status EVALUATED → ACCEPTED breaks the ServiceCaseStatus machine"]
    assert held[0].content()["bjzt"] == "已受理"
    # DJ002's copy and DJ003's unreadable row are moot now that good versions came in.
    superseded = {r.local_id: r.note for r in rows if r.status == "superseded"}
    assert superseded == {"DJ002": "a later version of the record was synced",
                          "DJ003": "a later version of the record was synced"}
    assert all(r.resolved_at is not None for r in rows if r.status != "open")


async def test_replay_stores_a_row_only_when_it_maps_and_the_machine_allows(
    pool: asyncpg.Pool, tmp_path: Path
) -> None:
    await sync(pool, adapter_for(hall_db(tmp_path / "first.sqlite", FIRST)))
    await sync(pool, adapter_for(hall_db(tmp_path / "second.sqlite", SECOND)))
    rows = await quarantined(pool)
    going_back = next(r for r in rows if r.local_id == "DJ001")
    no_object = next(r for r in rows if r.origin == "page after -")
    adapters = {"hall": adapter_for(tmp_path / "second.sqlite")}
    async with pool.acquire() as conn:
        with pytest.raises(q.ReplayRefused, match="accept-transition"):
            await q.replay(conn, adapters, going_back.id, by="op")
        with pytest.raises(q.ReplayRefused, match="--fixed"):
            await q.replay(conn, adapters, no_object.id, by="op")
        with pytest.raises(q.ReplayRefused, match="still does not map"):
            await q.replay(conn, adapters, no_object.id, by="op", fixed={"bjzt": "已受理"})
        assert (await q.get_row(conn, going_back.id)).status == "open", "refused: unchanged"
        await q.replay(conn, adapters, going_back.id, by="op", accept_transition=True,
                       note="the hall reopened the case")
        fixed = case("DJ004", "已受理", "2026-11-01 09:00:04")
        await q.replay(conn, adapters, no_object.id, by="op", fixed=fixed)
        with pytest.raises(q.ReplayRefused, match="already replayed"):
            await q.replay(conn, adapters, no_object.id, by="op", fixed=fixed)
        done = await q.get_row(conn, no_object.id)
        assert (done.status, done.resolved_by, done.local_id) == ("replayed", "op", "DJ004")
        assert done.fixed is not None and orjson.loads(done.fixed)["bjbh"] == "DJ004"
        assert (await q.get_row(conn, going_back.id)).note == "the hall reopened the case"
        assert await q.open_counts(conn) == {}
    await adapters["hall"].aclose()
    stores = await stored(pool)
    assert stores["DJ001"][0] == "ACCEPTED" and stores["DJ004"][0] == "ACCEPTED"
    pending = await pool.fetchval(
        "SELECT link_pending FROM source_records WHERE local_id = 'DJ004'")
    assert pending is True, "a replayed record waits for linkage like a synced one"


async def test_dismissal_needs_a_reason_and_keeps_it(pool: asyncpg.Pool, tmp_path: Path) -> None:
    await sync(pool, adapter_for(hall_db(tmp_path / "hall.sqlite", FIRST)))
    row = next(r for r in await quarantined(pool) if r.reason.startswith("duplicate"))
    async with pool.acquire() as conn:
        with pytest.raises(q.ReplayRefused, match="say why"):
            await q.dismiss(conn, row.id, by="op", note=" ")
        await q.dismiss(conn, row.id, by="op", note="the same case typed twice")
        assert (await q.open_counts(conn)) == {"hall": 2}
        gone = await q.get_row(conn, row.id)
    assert (gone.status, gone.note, gone.resolved_by) == ("dismissed", "the same case typed twice",
                                                          "op")


async def test_partners_counts_the_open_rows(pool: asyncpg.Pool, own_uri: str, tmp_path: Path,
                                             settings: Any) -> None:
    from asgi_lifespan import LifespanManager

    from gateway.app import create_app
    from tests.conftest import agency_headers, agency_key

    await sync(pool, adapter_for(hall_db(tmp_path / "hall.sqlite", FIRST)))
    key = await agency_key(own_uri, "test-q", "residents_committee", ["*"])
    app = create_app(settings, store_uri=own_uri,
                     partners={"hall": {"kind": "rest", "base_url": "http://127.0.0.1:9"}})

    async def counts(client: httpx.AsyncClient) -> dict[str, int]:
        answer = await client.post("/graphql", json={"query": "{ partners { slug quarantined } }"})
        return {p["slug"]: p["quarantined"]
                for p in orjson.loads(answer.content)["data"]["partners"]}

    async with LifespanManager(app) as manager, httpx.AsyncClient(
        transport=httpx.ASGITransport(app=manager.app), base_url="http://t",
        headers=agency_headers(key)
    ) as client:
        assert await counts(client) == {"hall": 3}
        row = next(r for r in await quarantined(pool) if r.local_id == "DJ002")
        async with pool.acquire() as conn:
            await q.dismiss(conn, row.id, by="op", note="typed twice")
        assert await counts(client) == {"hall": 2}


@pytest.mark.parametrize("malformed", ["garbage", "truncated", "shape"])
async def test_a_feed_answer_that_is_not_one_is_kept_until_a_sync_reads_past_it(
    pool: asyncpg.Pool, tmp_path: Path, malformed: str
) -> None:
    client = hall_client(hall_db(tmp_path / "hall.sqlite", SECOND))
    adapter = hall.build(client)
    await client.post("/_sim/faults", json={"script": [{"malformed": malformed}]})
    report = SyncReport()
    await sync_partner(pool, adapter, report)
    expected = "unexpected change page shape" if malformed == "shape" else "malformed JSON"
    assert expected in report.errors["hall.service_case"]
    [row] = await quarantined(pool)
    assert (row.origin, row.line, row.local_id, row.status) == ("feed", None, None, "open")
    assert row.raw, "what the partner sent is kept"
    assert await pool.fetchval("SELECT count(*) FROM source_records") == 0
    await sync(pool, adapter)  # the fault was one-shot: the partner answers properly again
    [row] = await quarantined(pool)
    assert (row.status, row.note) == ("superseded", "a later sync read the feed past it")
    assert set(await stored(pool)) == {"DJ001", "DJ002", "DJ003"}


@pytest.fixture
async def cli_store(pg_admin: str, tmp_path: Path) -> tuple[dict[str, str], Path]:
    """A store synced from FIRST, and the environment `gateway` needs to reach it."""
    uri = await migrated_store(pg_admin, "q_cli")
    pool = await asyncpg.create_pool(uri, min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:
            await register_partners(conn, [hall.build(httpx.AsyncClient())])
        await sync(pool, adapter_for(hall_db(tmp_path / "hall.sqlite", FIRST)))
    finally:
        await pool.close()
    partners = tmp_path / "partners.toml"
    # Replay maps rows with the partner's own module; it never calls the partner.
    partners.write_text('[partners.hall]\nkind = "rest"\nbase_url = "http://127.0.0.1:9"\n')
    return {"DATABASE_URL": uri, "JUHELI_PARTNERS_FILE": str(partners)}, tmp_path


def test_the_command_line_lists_shows_replays_and_dismisses(
    cli_store: tuple[dict[str, str], Path]
) -> None:
    import json

    from typer.testing import CliRunner

    from gateway.cli import app

    env, folder = cli_store
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(app, ["quarantine", *args, "--data-dir", str(folder)], env=env)

    listed = run("list", "--json")
    assert listed.exit_code == 0, listed.output
    report = json.loads(listed.output)
    assert report["open"] == {"hall": 3}
    ids = {r["reason"].split(":")[0]: r["id"] for r in report["rows"]}
    assert set(ids) == {"unreadable row", "duplicate key DJ002"}
    by_origin = {r["origin"]: r["id"] for r in report["rows"]}

    shown = run("show", str(by_origin["DJ003"]))
    assert shown.exit_code == 0 and "unreadable row" in shown.output and '"surname"' in shown.output

    refused = run("replay", str(by_origin["DJ003"]), "--no-link")
    assert refused.exit_code == 2 and "still does not map" in refused.output

    fixed = folder / "DJ004.json"
    fixed.write_text(json.dumps(case("DJ004", "已受理", "2026-11-01 09:00:04"), ensure_ascii=False))
    replayed = run("replay", str(by_origin["page after -"]), "--fixed", str(fixed), "--by", "op",
                   "--no-link")
    assert replayed.exit_code == 0, replayed.output
    assert "DJ004 stored" in replayed.output

    dismissed = run("dismiss", str(ids["duplicate key DJ002"]), "--note", "typed twice")
    assert dismissed.exit_code == 0, dismissed.output
    assert run("show", "999999").exit_code == 2

    final = json.loads(run("list", "--status", "all", "--json").output)
    assert final["open"] == {"hall": 1}
    assert sorted(r["status"] for r in final["rows"]) == ["dismissed", "open", "replayed"]
