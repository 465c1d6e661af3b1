"""Materializing a district folder into real PostgreSQL and SQLite, and running the district."""

from __future__ import annotations

import datetime as dt
import sqlite3
import tomllib
from pathlib import Path

import asyncpg
import httpx
import orjson
import pytest

from gateway.demo.district import RunningDistrict, _start_simulators, start_district, stop_district
from gateway.demo.materialize import load_rest_partners, load_sql_partners


@pytest.fixture(scope="module")
async def dsns(district_folder: Path, admin_uri: str) -> dict[str, str]:
    return await load_sql_partners(district_folder, admin_uri, prefix="t_")


async def _fetch(dsn: str, sql: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(dsn)
    try:
        return await conn.fetch(sql)
    finally:
        await conn.close()


async def test_sql_partners_have_every_row(dsns):
    counts = {
        "rc": {"community": 2, "hu": 30, "ren": 75, "huiyi": 1, "jiedai": 2},
        "party": {"zuzhi": 1, "dangyuan": 12, "baolian": 1, "zoufang": 5},
    }
    for slug, tables in counts.items():
        for table, n in tables.items():
            assert (await _fetch(dsns[slug], f"select count(*) from {table}"))[0][0] == n, table


async def test_sql_columns_are_typed_and_keyed(dsns):
    (meeting,) = await _fetch(dsns["rc"], "select hyrq, cyrs, updated_at from huiyi")
    assert meeting["hyrq"] == dt.date(2025, 2, 14) and meeting["cyrs"] == 12
    assert meeting["updated_at"] == dt.datetime(2025, 2, 14, 17, 0)
    receptions = await _fetch(dsns["rc"], "select jdrq, dfrq, blsx, updated_at from jiedai"
                              " order by jdbh")
    assert [tuple(r) for r in receptions] == [
        (dt.date(2025, 2, 14), dt.date(2025, 2, 18), dt.date(2025, 2, 21),
         dt.datetime(2025, 2, 18, 16, 20)),
        (dt.date(2025, 3, 1), None, dt.date(2025, 3, 8), dt.datetime(2025, 3, 1, 10, 5)),
    ]
    visits = await _fetch(dsns["party"], "select zfrq from zoufang order by zfid")
    assert [v["zfrq"] for v in visits][:2] == [dt.date(2025, 3, 1), dt.date(2025, 3, 2)]
    # A number in a text column (an Excel serial) is kept as text.
    (member,) = await _fetch(dsns["party"], "select rdsj from dangyuan where dyid = 'DY00000'")
    assert member["rdsj"] == "35870"
    constraints = await _fetch(
        dsns["rc"],
        "select conrelid::regclass::text as t, contype::text from pg_constraint"
        " where connamespace = 'public'::regnamespace",
    )
    assert ("ren", "f") in {(c["t"], c["contype"]) for c in constraints}
    assert {c["t"] for c in constraints if c["contype"] == "p"} == {
        "community",
        "hu",
        "ren",
        "huiyi",
        "jiedai",
    }
    indexes = await _fetch(dsns["rc"], "select indexdef from pg_indexes where tablename = 'jiedai'")
    assert any("(updated_at, jdbh)" in i["indexdef"] for i in indexes)


async def test_reloading_replaces_the_databases(district_folder, admin_uri, dsns):
    again = await load_sql_partners(district_folder, admin_uri, prefix="t_")
    assert again == dsns
    assert (await _fetch(again["rc"], "select count(*) from ren"))[0][0] == 75


def test_rest_partners_sqlite(district_folder):
    paths = load_rest_partners(district_folder)
    assert set(paths) == {"hall", "hotline", "mediation", "property"}
    db = sqlite3.connect(paths["mediation"])
    (n,) = db.execute("select count(*) from disputes").fetchone()
    k, upd, doc = db.execute("select k, upd, doc from disputes where k = 'M900000'").fetchone()
    db.close()
    assert n == 231 and upd == "2025-03-01 10:30:00.000000"
    assert orjson.loads(doc)["updatedAt"] == "2025-03-01T02:30:00Z"


async def test_district_runs_and_stops(district_folder, admin_uri, tmp_path):
    district = await start_district(district_folder, admin_uri, prefix="d_")
    try:
        _check_config(district, tmp_path / "partners.toml")
        async with httpx.AsyncClient(timeout=10) as client:
            hall = await client.get(f"{district.urls['hall']}/api/v1/health")
            hotline = await client.get(f"{district.urls['hotline']}/open/health")
            mediation = await client.get(f"{district.urls['mediation']}/v2/health")
        assert [hall.json()["code"], hotline.json()["success"], mediation.json()] == [
            0,
            True,
            {"status": "ok"},
        ]
        assert (await _fetch(district.dsns["party"], "select count(*) from zoufang"))[0][0] == 5
        again = await start_district(district_folder, admin_uri, prefix="d_", materialize=False)
        assert again.dsns == district.dsns and again.urls != district.urls
        await stop_district(again)
    finally:
        procs = list(district.processes.values())
        await stop_district(district)
    assert procs and all(p.poll() is not None for p in procs)


def _check_config(district: RunningDistrict, path: Path) -> None:
    district.write_partners_toml(path)
    config = tomllib.loads(path.read_text(encoding="utf-8"))["partners"]
    assert config == district.partners_config()
    from gateway.settings import Settings

    assert Settings(partners_file=path).partners == config  # what `gateway serve` reads
    assert config["rc"] == {"kind": "sql", "dsn": district.dsns["rc"]}
    assert config["hall"] == {"kind": "rest", "base_url": district.urls["hall"]}
    assert config["massorg"] == {"kind": "files", "folder": str(district.folder / "massorg")}
    # The definition-file bodies run, but are reached through definitions, not this config.
    assert "property" not in config and "owners" not in config
    assert district.definition_vars()["PROPERTY_URL"] == district.urls["property"]
    assert district.definition_vars()["OWNERS_FOLDER"] == str(district.folder / "owners")


async def test_a_simulator_that_cannot_start_reports_its_stderr(tmp_path):
    dbs = {p: tmp_path / "absent.sqlite" for p in ("hall", "hotline", "mediation")}
    with pytest.raises(RuntimeError, match="did not start") as info:
        await _start_simulators(dbs, tmp_path / "logs")
    assert "no such database; run materialize first" in str(info.value)  # the child's stderr
