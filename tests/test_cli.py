"""The `gateway` command line."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gateway.cli import app
from gateway.db.embedded import with_database
from gateway.db.migrate import ensure_database

runner = CliRunner()
COMMANDS = ["demo", "serve", "migrate", "sync", "export-schema", "generate"]


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
