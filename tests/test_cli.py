"""The `gateway` command line."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gateway.cli import app
from gateway.db.embedded import with_database
from gateway.db.migrate import ensure_database
from tests.conftest import migrated_store

runner = CliRunner()
COMMANDS = ["demo", "serve", "migrate", "sync", "export-schema", "generate", "linkage", "agency",
            "key", "grant", "audit", "documents", "quarantine"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output and "--help" in result.output


def test_serve_on_unmigrated_store_says_which_command_to_run(pg_admin: str, tmp_path: Path) -> None:
    asyncio.run(ensure_database(pg_admin, "jt_unmigrated"))
    uri = with_database(pg_admin, "jt_unmigrated")
    result = runner.invoke(app, ["serve", "--data-dir", str(tmp_path)], env={"DATABASE_URL": uri})
    assert result.exit_code == 1
    assert "gateway migrate" in result.output


def test_migrate_then_store_is_ready(pg_admin: str, tmp_path: Path) -> None:
    from gateway.ops import check_store
    from gateway.settings import Settings

    asyncio.run(ensure_database(pg_admin, "jt_migrate"))
    uri = with_database(pg_admin, "jt_migrate")
    result = runner.invoke(app, ["migrate", "--data-dir", str(tmp_path)], env={"DATABASE_URL": uri})
    assert result.exit_code == 0, result.output
    assert asyncio.run(check_store(Settings(database_url=uri, data_dir=tmp_path))) is None


def test_export_schema_matches_checked_in_file() -> None:
    result = runner.invoke(app, ["export-schema"])
    assert result.exit_code == 0
    checked_in = (Path(__file__).resolve().parents[1] / "schema.graphql").read_text("utf-8")
    assert result.output == checked_in, "schema.graphql is stale: run `gateway export-schema --out schema.graphql`"


def test_linkage_report_shows_links_and_learned_weights(synced: object, store_uri: str,
                                                        tmp_path: Path) -> None:
    import json

    result = runner.invoke(app, ["linkage", "report", "--json", "--data-dir", str(tmp_path)],
                           env={"DATABASE_URL": store_uri})
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["links"]["auto"]["anchor"] > 1000
    assert sum(report["links"]["auto"].values()) > report["links"]["auto"]["anchor"]
    levels = {(lv["comparison"], lv["hand"]): lv for lv in report["model"]["levels"]}
    # learned, not copied: an agreeing ID number weighs its learned log-ratio
    id_agrees = levels[("idNumber", 12.0)]
    assert id_agrees["weight"] > 5 and id_agrees["weight"] != 12.0
    tables = runner.invoke(app, ["linkage", "report", "--data-dir", str(tmp_path)],
                           env={"DATABASE_URL": store_uri, "COLUMNS": "200"})
    assert tables.exit_code == 0 and "match weights learned" in tables.output


@pytest.fixture
async def hall_down(district: Any) -> AsyncIterator[Any]:
    """The district with the hall's simulator killed: it refuses connections."""
    district.kill("hall")
    try:
        yield district
    finally:
        await district.restart("hall")


def sync_into(uri: str, district: Any, folder: Path) -> Any:
    district.write_partners_toml(folder / "partners.toml")
    return runner.invoke(app, ["sync", "--data-dir", str(folder)],
                         env={"DATABASE_URL": uri, "COLUMNS": "200",
                              "JUHELI_PARTNERS_FILE": str(folder / "partners.toml")})


def test_sync_exits_1_when_a_partner_fails(pg_admin: str, hall_down: Any,
                                           tmp_path: Path) -> None:
    uri = asyncio.run(migrated_store(pg_admin, "cli_sync_hall_down"))
    result = sync_into(uri, hall_down, tmp_path)
    assert result.exit_code == 1, result.output
    failed = [line.split(":", 1)[0] for line in result.output.splitlines()
              if ": hall: cannot reach partner" in line]
    assert failed and all(entity.startswith("hall.") for entity in failed), result.output
    assert f"sync incomplete: {len(failed)} failed (above)" in result.output
    # The other partners were synced and linked all the same.
    assert "linked " in result.output
    assert asyncio.run(_count(uri, "SELECT count(DISTINCT partner) FROM source_records")) == 5


def test_sync_with_rows_quarantined_but_no_partner_error_exits_0(
        pg_admin: str, district: Any, tmp_path: Path) -> None:
    uri = asyncio.run(migrated_store(pg_admin, "cli_sync_all_up"))
    result = sync_into(uri, district, tmp_path)
    assert result.exit_code == 0, result.output
    held = asyncio.run(_count(uri, "SELECT count(*) FROM quarantine WHERE status = 'open'"))
    assert held > 0, "the district's noise leaves some rows for the quarantine"
    assert f"{held} rows quarantined: see `gateway quarantine list`" in result.output
    assert "sync incomplete" not in result.output


async def _count(uri: str, sql: str) -> int:
    import asyncpg

    conn = await asyncpg.connect(uri)
    try:
        return int(await conn.fetchval(sql))
    finally:
        await conn.close()


def test_views_rebuild_projects_the_same_facts_as_the_sync(pg_admin: str, district: Any,
                                                           tmp_path: Path) -> None:
    uri = asyncio.run(migrated_store(pg_admin, "cli_views_rebuild"))
    assert sync_into(uri, district, tmp_path).exit_code == 0
    digest = ("SELECT md5(string_agg(f::text, '|' ORDER BY partner, entity, local_id)) "
              "FROM facts f")
    synced, n = asyncio.run(_count_text(uri, digest)), asyncio.run(
        _count(uri, "SELECT count(*) FROM facts"))
    asyncio.run(_count(uri, "WITH gone AS (DELETE FROM facts RETURNING 1) SELECT count(*) FROM gone"))
    result = runner.invoke(app, ["views", "rebuild", "--data-dir", str(tmp_path)],
                           env={"DATABASE_URL": uri, "COLUMNS": "200",
                                "JUHELI_PARTNERS_FILE": str(tmp_path / "partners.toml")})
    assert result.exit_code == 0, result.output
    assert "dispute:" in result.output and "could no longer read" not in result.output
    assert asyncio.run(_count(uri, "SELECT count(*) FROM facts")) == n > 0
    assert asyncio.run(_count_text(uri, digest)) == synced


async def _count_text(uri: str, sql: str) -> str:
    import asyncpg

    conn = await asyncpg.connect(uri)
    try:
        return str(await conn.fetchval(sql))
    finally:
        await conn.close()
