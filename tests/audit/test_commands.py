"""`gateway audit verify | export | archive`."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import asyncpg
import pytest
from typer.testing import CliRunner, Result

from gateway.audit import append
from gateway.cli import app
from tests.audit.conftest import entry, reset

runner = CliRunner()


async def _fill(uri: str, n: int, sql: str | None = None) -> None:
    conn = await asyncpg.connect(uri)
    try:
        await reset(conn)
        for i in range(n):
            await append(conn, entry(i, households=(f"H{i % 2}",)))
        if sql:
            await conn.execute(sql)
    finally:
        await conn.close()


def _run(uri: str, tmp_path: Path, *args: str) -> Result:
    return runner.invoke(app, ["audit", *args, "--data-dir", str(tmp_path)],
                         env={"DATABASE_URL": uri})


@pytest.mark.parametrize("command", ["verify", "export", "archive"])
def test_every_audit_command_has_help(command: str) -> None:
    result = runner.invoke(app, ["audit", command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_verify_exits_0_on_a_valid_chain_and_1_naming_the_broken_row(
        audit_uri: str, tmp_path: Path) -> None:
    asyncio.run(_fill(audit_uri, 6))
    result = _run(audit_uri, tmp_path, "verify")
    assert result.exit_code == 0, result.output
    assert "valid: 6 rows" in result.output

    asyncio.run(_fill(audit_uri, 6, "UPDATE audit_log SET agency = 'x' WHERE seq = 3"))
    result = _run(audit_uri, tmp_path, "verify")
    assert result.exit_code == 1
    assert "broken at row 3 in the live table: hash_mismatch" in result.output


def test_export_prints_one_households_history_as_json(audit_uri: str, tmp_path: Path) -> None:
    asyncio.run(_fill(audit_uri, 5))
    result = _run(audit_uri, tmp_path, "export", "--household", "Household:H1", "--json")
    assert result.exit_code == 0, result.output
    history = json.loads(result.output)
    assert [(h["seq"], h["agency"], h["purpose"]) for h in history] == [
        (2, "civil-affairs", "case_handling"), (4, "civil-affairs", "case_handling")]
    table = _run(audit_uri, tmp_path, "export", "--household", "Household:H1")
    assert table.exit_code == 0 and "2 audited reads" in table.output


def test_archive_then_verify_reads_the_data_dirs_archive(audit_uri: str, tmp_path: Path) -> None:
    asyncio.run(_fill(audit_uri, 4))
    result = _run(audit_uri, tmp_path, "archive", "--older-than-days", "0")
    assert result.exit_code == 0, result.output
    assert "archived 4 rows (1–4)" in result.output
    assert len(list((tmp_path / "audit-archive").glob("*.jsonl.gz"))) == 1

    result = _run(audit_uri, tmp_path, "verify")
    assert result.exit_code == 0, result.output
    assert "valid: 4 rows in 1 archive segments" in result.output
    result = _run(audit_uri, tmp_path, "verify", "--archive", str(tmp_path / "elsewhere"))
    assert result.exit_code == 1 and "broken at row 1" in result.output
